"""The benchmark scripts' own logic (their figures are measurements, not tests)."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))


def test_peer_rounds_rotate_the_order_and_keep_each_tools_fastest_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Round r starts at tool r, so no tool always runs first or last on a drifting machine, and each
    row is its tool's fastest run, listing every run with the machine loop measured before it."""
    import machine
    import peers

    loops = iter([1.5, 1.4, 1.3, 1.2, 1.1, 1.0])
    monkeypatch.setattr(machine, "loop_seconds", lambda: next(loops))
    seconds = {"a": [3.0, 2.0], "b": [5.0, 6.0], "c": [1.0]}
    order = []

    def run(tool: str) -> dict[str, object]:
        order.append(tool)
        if tool == "c" and order.count("c") == 2:
            return {"tool": tool, "error": "exit 1"}
        return {"tool": tool, "seconds": seconds[tool][order.count(tool) - 1]}

    rows = peers.run_rounds(["a", "b", "c"], 2, run)
    assert order == ["a", "b", "c", "b", "c", "a"]
    assert [r["seconds"] for r in rows] == [2.0, 5.0, 1.0]
    assert rows[0]["loop_s"] == 1.0 and rows[1]["loop_s"] == 1.4
    assert rows[0]["rounds"] == [{"seconds": 3.0, "loop_s": 1.5}, {"seconds": 2.0, "loop_s": 1.0}]
    assert rows[2]["rounds"] == [{"seconds": 1.0, "loop_s": 1.3}]  # the failed run is left out


def test_a_tool_that_fails_every_round_keeps_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import machine
    import peers

    monkeypatch.setattr(machine, "loop_seconds", lambda: 1.25)
    rows = peers.run_rounds(["x"], 2, lambda tool: {"tool": tool, "error": "exit 2"})
    assert rows == [{"tool": "x", "error": "exit 2", "loop_s": 1.25}]


def test_the_peers_table_lists_every_rounds_speed_only_for_several_rounds() -> None:
    import peers

    manifest = {"documents": 1000, "text_bytes": 5_000_000}
    several = {"tool": "ours", "seconds": 0.5, "docs_per_s": 2000.0, "mb_per_s": 10.0, "rss_mib": 100.0,
               "loop_s": 1.2, "rounds": [{"seconds": 0.5, "loop_s": 1.2}, {"seconds": 1.0, "loop_s": 1.6}]}
    text = peers.table([several], manifest, 10)
    assert "| ours | 2,000 | 10.00 | 100 |  |  | 0.5 | 1.20 | 1.00× |  |" in text
    assert "ours 2,000 (loop 1.20), 1,000 (loop 1.60)" in text
    once = dict(several, rounds=[{"seconds": 0.5, "loop_s": 1.2}])
    assert "Every round" not in peers.table([once], manifest, 10)
