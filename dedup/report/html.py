"""``OUT/report.html``: one self-contained page (inline CSS and JS, no network) to review a run.

The page's data is embedded as JSON in a ``<script type="application/json">`` element with every
``<``, ``>`` and ``&`` escaped, and the page's script inserts corpus text only through
``textContent``: a document containing ``</script><script>…`` or a file named ``<svg onload=…>``
shows as text and runs nothing. A Content-Security-Policy forbids any network access.

Only documents with changes carry their text (unchanged ones are listed by name), and the page
renders one document and one page of the document list at a time, so it stays responsive on
corpora of thousands of documents.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from .data import ReportData


def payload(data: ReportData) -> dict[str, Any]:
    docs = []
    for d in data.documents:
        docs.append({
            "d": d.doc, "f": d.folder, "s": d.status, "t": d.original,
            "c": [[c.id, c.kind, c.rule, c.start, c.end, c.replacement, c.reason, c.duplicate_of,
                   c.duplicate_start, c.duplicate_end, c.similarity, c.line] for c in d.changes],
        })
    key = hashlib.blake2b(json.dumps([c.id for c in data.changes]).encode(), digest_size=8).hexdigest()
    return {"summary": data.summary, "docs": docs, "key": key}


def embed_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no character can close it or open markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render(data: ReportData) -> str:
    template = resources.files("dedup.report").joinpath("template.html").read_text(encoding="utf-8")
    head, tail = template.split("__DEDUP_DATA__")
    return head + embed_json(payload(data)) + tail
