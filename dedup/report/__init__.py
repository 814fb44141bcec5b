"""Reports for a person: one model (:mod:`.data`) built from an output folder, several renderers.

* :mod:`.html` — ``OUT/report.html``, a self-contained page to review and overrule changes;
* :mod:`.markdown` — ``OUT/report.md``, a summary short enough for a pull-request description;
* :mod:`.terminal` — ``dedup diff``, a coloured unified diff with a reason on every hunk.
"""

from __future__ import annotations

from .data import ReportData, load

__all__ = ["ReportData", "load"]
