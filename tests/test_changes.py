"""Applying and inverting changes, and stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.changes import apply, assign_ids, dumps, from_json, invert, read_jsonl, to_json
from dedup.errors import InputError, InternalError
from dedup.model import Change

TEXT = "keep one\nremove me\nkeep two &amp; three\n"


def changes() -> list[Change]:
    return assign_ids([
        Change("d", "boilerplate", "r", 9, 19, "remove me\n", reason="x"),
        Change("d", "repair", "repair-html-entities", 28, 33, "&amp;", "&"),
    ])


def test_apply_and_invert_round_trip() -> None:
    out = apply(TEXT, changes())
    assert out == "keep one\nkeep two & three\n"
    assert invert(out, changes()) == TEXT


def test_overlapping_changes_are_refused() -> None:
    bad = [Change("d", "boilerplate", "r", 0, 10, TEXT[:10]), Change("d", "boilerplate", "r", 5, 12, TEXT[5:12])]
    with pytest.raises(InternalError):
        apply(TEXT, bad)


def test_invert_detects_an_edited_output() -> None:
    with pytest.raises(InputError, match="edited"):
        invert("keep one\nkeep two AND three\n", changes())


def test_ids_are_stable_across_offset_shifts() -> None:
    a = assign_ids([Change("d", "boilerplate", "r", 9, 19, "remove me\n")])
    b = assign_ids([Change("d", "boilerplate", "r", 40, 50, "remove me\n")])
    assert a[0].id == b[0].id
    twice = assign_ids([Change("d", "boilerplate", "r", 0, 10, "remove me\n"),
                        Change("d", "boilerplate", "r", 10, 20, "remove me\n")])
    assert twice[0].id != twice[1].id


def test_json_round_trip() -> None:
    for change in changes():
        assert from_json(to_json(change), "here") == change
    assert dumps(changes()).count(b"\n") == 2


def test_the_change_log_reads_back_lines_holding_separators_json_leaves_as_they_are(tmp_path: Path) -> None:
    """JSON written without ASCII escapes keeps U+2028, U+2029 and U+0085 as they are: the log is
    read line feed by line feed, not at every line boundary Python knows."""
    text = "Top story\u2028second line\x85third\u2029fourth\x1c\x1d\x1e\x0b\x0c end\n"
    written = [Change(doc="a.txt", kind="boilerplate", rule="share-bar", start=0, end=len(text), text=text,
                      reason="why\u2028not", line=1, id="c1"), *changes()]
    (tmp_path / "changes.jsonl").write_bytes(dumps(written))
    assert read_jsonl(tmp_path / "changes.jsonl") == written


def test_bad_record_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="not a valid change record"):
        from_json({"doc": "d", "kind": "nonsense"}, "changes.jsonl:3")
