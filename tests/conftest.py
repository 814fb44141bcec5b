"""Shared fixtures. The autouse guard fails any test that writes into seeds/ or the committed out/."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
OUT = ROOT / "out"


#: Unrelated local news, a story a document: records built on them share no passage.
LOCAL_NEWS = ["the council voted on the new bridge after a long night of argument over its cost",
              "a local bakery won a national prize for its rye bread and sourdough loaves this spring",
              "the river flooded two streets near the market after three days of heavy rain",
              "schools will open an hour later from September, the education board decided today",
              "the city library extends its opening hours on weekends starting next month for students"]


def local_news(line: str, hosts: Sequence[str]) -> list[dict[str, object]]:
    """JSONL records of one story each followed by ``line``, the i-th at a URL on ``hosts[i]``."""
    return [{"id": i, "text": f"{topic.capitalize()}, and residents had plenty to say about it.\n{line}\n",
             "url": f"https://{host}/{i}"} for i, (topic, host) in enumerate(zip(LOCAL_NEWS, hosts, strict=False))]


def _snapshot(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(autouse=True)
def _guard_committed_data() -> Iterator[None]:
    before = {SEEDS: _snapshot(SEEDS), OUT: _snapshot(OUT)}
    yield
    for folder, snap in before.items():
        assert _snapshot(folder) == snap, f"a test modified {folder}; tests must write to tmp_path only"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the seeds, laid out as in the project (tmp/seeds)."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def write_corpus(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One Spark ``local[2]`` session for the whole test run (marked ``spark``; deselect with
    ``-m "not spark"``). It is started from an empty temporary folder, so its Python workers can
    only import dedup from where it is installed. In CI (``CI`` set) a missing pyspark fails."""
    if not os.environ.get("CI"):
        pytest.importorskip("pyspark", reason="pyspark not installed: pip install -e '.[spark]'")
        if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
            pytest.skip("Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)")
    from dedup.spark import session

    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="dedup-spark-") as away:
        os.chdir(away)
        try:
            with session("local[2]", ["spark.ui.enabled=false", "spark.sql.shuffle.partitions=4",
                                      "spark.default.parallelism=4"], quiet=True) as active:
                os.chdir(here)
                yield active
        finally:
            os.chdir(here)
