"""Output never depends on how the work is split: --jobs, the LSH backend; and the progress line."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import write_corpus
from strategies import WIDGETS, WORDS

from dedup import Config, clean
from dedup.progress import Progress


def generated(root: Path, n: int = 240) -> Path:
    rng = random.Random(3)
    shared = [" ".join(rng.choice(WORDS) for _ in range(30)) + "." for _ in range(20)]
    files = {}
    for i in range(n):
        lines = [f"Title {i}"]
        lines += [" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40))) + "." for _ in range(4)]
        if i % 3 == 0:
            lines.append(rng.choice(shared))
        if i % 5 == 0:
            lines.append(rng.choice(shared).replace("data", "facts", 1))
        lines.append(rng.choice(WIDGETS))
        files[f"{i % 7}/doc{i:04d}.txt"] = "\n".join(lines) + "\n"
    return write_corpus(root, files)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(tmp_path_factory.mktemp("scale") / "c")


def test_jobs_do_not_change_the_result(corpus: Path) -> None:
    one = clean([corpus], Config(), jobs=1)
    two = clean([corpus], Config(), jobs=2)
    assert one == two
    assert any(c.kind == "duplicate" for c in one.changes)


def test_lsh_backends_agree(corpus: Path) -> None:
    sorted_keys = clean([corpus], Config(), jobs=1)
    datasketch = clean([corpus], replace(Config(), neardup=replace(Config().neardup, lsh="minhashlsh")), jobs=1)
    assert sorted_keys == datasketch


def test_band_keys_spilled_in_many_pieces_give_the_same_result(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Band keys are appended to the band files whenever enough are buffered; a run that flushes
    after every few entries finds the same candidates and writes the same result as one that
    flushes once."""
    from dedup.stream import BandSpill

    once = clean([corpus], Config(), jobs=1)
    monkeypatch.setattr(BandSpill, "FLUSH_ENTRIES", 7)
    pieces = clean([corpus], Config(), jobs=1)
    assert pieces == once
    assert any(c.kind == "duplicate" for c in pieces.changes)


def test_workers_share_the_rule_screen_the_run_built_before_they_forked(corpus: Path) -> None:
    """The rule screen takes about 0.13 s to build; a run builds it once, before its workers fork
    (where processes fork), not once per worker."""
    import multiprocessing

    from dedup import rules

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are spawned here, and build their own screen")
    rules._SCREENS.clear()
    built = multiprocessing.get_context("fork").Value("i", 0)
    original = rules._Screen.__init__

    def counted(self: rules._Screen, *args: object) -> None:
        with built.get_lock():
            built.value += 1
        original(self, *args)  # type: ignore[arg-type]

    rules._Screen.__init__ = counted  # type: ignore[method-assign]
    try:
        result = clean([corpus], Config(), jobs=2)
    finally:
        rules._Screen.__init__ = original  # type: ignore[method-assign]
    assert result.documents and built.value == 1


def test_progress_draws_only_when_enabled() -> None:
    stream = io.StringIO()
    progress = Progress(10, stream=stream, enabled=True)
    progress.stage("reading + rules")
    progress.advance(5, 5000)
    progress.close()
    assert "docs/s" in stream.getvalue() and "reading + rules" in stream.getvalue()
    quiet = io.StringIO()
    silent = Progress(10, stream=quiet, enabled=False)
    silent.advance(5)
    silent.close()
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("merge", [1 << 24, 5])
def test_candidate_edges_equal_vetting_every_colliding_pair(tmp_path: Path, merge: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The document pairs the band spill links are those with a pair of entries that share a key
    in some band and whose vetting bytes agree enough, whether a pair collides in one band or in
    all of them, and however often the bands' pairs are merged."""
    import numpy as np

    from dedup.stages import vet
    from dedup.stream import BandSpill

    monkeypatch.setattr(BandSpill, "MERGE_PAIRS", merge)
    rng = np.random.default_rng(5)
    bands, entries, width = 4, 300, 16
    spill = BandSpill(tmp_path, bands, 0.75)
    keys = rng.integers(0, 60, size=(entries, bands)).astype(np.uint64)
    keys[100:110] = keys[0]  # copies of one entry: they collide in every band
    low = rng.integers(0, 4, size=(entries, width)).astype(np.uint8)
    low[100:110] = low[0]
    docs = np.sort(rng.integers(0, 120, size=entries))
    for d in np.unique(docs):
        at = docs == d
        spill.add(int(d), keys[at], low[at])
    order = np.argsort(docs, kind="stable")  # the spill holds entries in document order
    keys, low, docs = keys[order], low[order], docs[order]
    for b in range(bands):
        assert np.unique(keys[:, b], return_counts=True)[1].max() <= 32  # every pair of a bucket is a candidate
    expected = set()
    for i in range(entries):
        for j in range(i + 1, entries):
            if (keys[i] == keys[j]).any() and vet(low[i:i + 1], low[j:j + 1], spill.cutoff)[0]:
                expected.add((min(docs[i], docs[j]), max(docs[i], docs[j])))
    found = {(int(e) >> 32, int(e) & 0xFFFFFFFF) for e in spill.edges()}
    assert found == expected
    assert any(a == b for a, b in expected) and any(a != b for a, b in expected)
