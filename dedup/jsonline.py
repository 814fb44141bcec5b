"""JSON objects on one line, as ``json.dumps(value, ...).encode("utf-8")`` writes them, faster.

Every changed JSONL record is dumped twice (once to learn the style of its line, once with its new
text) and every change is dumped into the change log, and a change that drops a document holds the
document's text and its record. json's C encoder escapes a string one character at a time when it
is not ASCII: 29 us for a 5 KB article, most of the main process's time in pass 2 for such
records. Here a long string is encoded to UTF-8 and escaped with ``bytes.replace``, one fast scan
for each character JSON escapes by name (9 us). Only strings with other control characters (JSON
writes those as ``\\u00XX``), and ASCII-only output with non-ASCII text, go through json's encoder,
as do short strings and every other value; a test compares the bytes with ``json.dumps`` on every
character.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

#: Strings shorter than this go to json's encoder: for them its per-character loop costs less than
#: the scans below.
LONG = 64
#: Control characters JSON escapes as ``\u00XX`` (tab, line feed and carriage return have short
#: escapes), and DEL, which ASCII-only output escapes too.
_UNNAMED = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_UNNAMED_ASCII = _UNNAMED + b"\x7f"


def string(text: str, ascii_only: bool) -> bytes:
    """``text`` as a JSON string literal in UTF-8 bytes, as ``json.dumps(text, ensure_ascii=ascii_only)``."""
    if len(text) >= LONG and (text.isascii() or not ascii_only):
        try:
            data: bytes | None = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: json's encoder says so, as it always did
            data = None
        if data is not None and len(data.translate(None, _UNNAMED_ASCII if ascii_only else _UNNAMED)) == len(data):
            return b'"' + (data.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
                           .replace(b"\r", b"\\r").replace(b"\t", b"\\t")) + b'"'
    return encoder(ascii_only).encode(text).encode("utf-8")


def line(value: dict[str, Any], ascii_only: bool, separators: tuple[str, str]) -> bytes:
    """``json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode("utf-8")`` for a
    JSON object (a record read from JSONL, a change): its long string values by :func:`string`."""
    if not all(type(key) is str for key in value):
        return json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode("utf-8")
    values = encoder(ascii_only, separators)
    between, colon = separators[0].encode(), separators[1].encode()
    return b"{" + between.join([
        string(key, ascii_only) + colon + (string(item, ascii_only) if type(item) is str
                                           else values.encode(item).encode("utf-8"))
        for key, item in value.items()
    ]) + b"}"


@lru_cache(maxsize=8)
def encoder(ascii_only: bool, separators: tuple[str, str] = (", ", ": ")) -> json.JSONEncoder:
    """The encoder ``json.dumps`` would build for these options (built once: a ``dumps`` call with
    options builds one each time)."""
    return json.JSONEncoder(ensure_ascii=ascii_only, separators=separators)
