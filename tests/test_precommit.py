"""The hooks as a user installs them: the real pre-commit, this repository as a hook repo (by path
and commit), and real `git commit`s in a scratch corpus repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

P_NEW = ("Something entirely new was said today about the harbour and its boats, which nobody had written "
         "about before in this corpus.")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def run(*args: str, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pre_commit = shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**os.environ, "PRE_COMMIT_HOME": str(home), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "PRE_COMMIT_COLOR": "never"}


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """A commit of this working tree (tracked and new files), usable as `repo:` + `rev:`."""
    repo = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    names = listed.stdout.splitlines() if listed.returncode == 0 else [
        p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    for name in names:
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    run("git", "init", "-q", cwd=repo, env=env)
    run("git", "add", "-A", cwd=repo, env=env)
    run("git", "commit", "-qm", "snapshot", cwd=repo, env=env)
    sha = run("git", "rev-parse", "HEAD", cwd=repo, env=env).stdout.strip()
    return repo, sha


@pytest.fixture
def corpus_repo(tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]) -> Iterator[Path]:
    repo = tmp_path / "corpus"
    shutil.copytree(SEEDS, repo / "seeds")
    run("git", "init", "-q", cwd=repo, env=env)
    run("git", "add", "-A", cwd=repo, env=env)
    run("git", "commit", "-qm", "the corpus as it is", cwd=repo, env=env)
    write_config(repo, hook_repo, [])
    run("pre-commit", "install", cwd=repo, env=env)
    yield repo


def write_config(repo: Path, hook_repo: tuple[Path, str], args: list[str]) -> None:
    path, sha = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: dedup-check\n        args: {args}\n",
        encoding="utf-8")


def commit(repo: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    """`git commit` with the hooks; stdout holds everything git and the hooks printed."""
    run("git", "add", *files, cwd=repo, env=env)
    return subprocess.run(["git", "commit", "-m", "add"], cwd=repo, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False, timeout=900)


def test_clean_file_passes(corpus_repo: Path, env: dict[str, str]) -> None:
    (corpus_repo / "seeds" / "new.txt").write_text(f"A Fresh Title\n{P_NEW}\n", encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", ".pre-commit-config.yaml")
    assert proc.returncode == 0, proc.stdout
    assert "dedup check" in proc.stdout and "Passed" in proc.stdout


def test_comment_widget_fails_with_file_and_rule(corpus_repo: Path, env: dict[str, str]) -> None:
    (corpus_repo / "seeds" / "new.txt").write_text(f"A Fresh Title\n{P_NEW}\nLoading comments...\n", encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", ".pre-commit-config.yaml")
    assert proc.returncode != 0
    assert "seeds/new.txt:3: boilerplate [comment-widget]" in proc.stdout


def test_near_duplicate_of_an_existing_document_fails(corpus_repo: Path, env: dict[str, str]) -> None:
    existing = (corpus_repo / "seeds" / "002_e456c08c58bcc9e7.txt").read_text(encoding="utf-8").splitlines()
    paragraph = existing[3].replace("Last year", "Last spring")
    (corpus_repo / "seeds" / "new.txt").write_text(f"A Fresh Title\n{paragraph}\n{P_NEW}\n", encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", ".pre-commit-config.yaml")
    assert proc.returncode != 0
    assert "seeds/new.txt:2: duplicate of seeds/002_e456c08c58bcc9e7.txt:4" in proc.stdout


def test_fix_rewrites_logs_and_the_second_commit_passes(
    corpus_repo: Path, env: dict[str, str], hook_repo: tuple[Path, str]
) -> None:
    write_config(corpus_repo, hook_repo, ["--fix"])
    new = corpus_repo / "seeds" / "new.txt"
    new.write_text(f"A Fresh Title\n{P_NEW}\nShare this article\nComments\n", encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", ".pre-commit-config.yaml")
    assert proc.returncode != 0 and "files were modified by this hook" in proc.stdout
    assert new.read_text(encoding="utf-8") == f"A Fresh Title\n{P_NEW}\n"
    log = (corpus_repo / "seeds" / ".dedup" / "fixes.jsonl").read_text(encoding="utf-8")
    assert "Share this article" in log and "Comments" in log
    proc = commit(corpus_repo, env, "seeds/new.txt", "seeds/.dedup/fixes.jsonl")
    assert proc.returncode == 0, proc.stdout


def test_accepted_finding_passes(corpus_repo: Path, env: dict[str, str]) -> None:
    (corpus_repo / "seeds" / "new.txt").write_text(f"A Fresh Title\n{P_NEW}\nComments\n", encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", ".pre-commit-config.yaml")
    assert proc.returncode != 0
    finding_id = proc.stdout.split("(id ")[1].split(")")[0]
    (corpus_repo / "pyproject.toml").write_text(f'[tool.dedup.accept]\nids = ["{finding_id}"]\n', encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", "pyproject.toml")
    assert proc.returncode == 0, proc.stdout


def test_build_hook_fails_when_out_is_stale(
    corpus_repo: Path, env: dict[str, str], hook_repo: tuple[Path, str]
) -> None:
    path, sha = hook_repo
    (corpus_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: dedup-build\n", encoding="utf-8")
    (corpus_repo / "seeds" / "new.txt").write_text(f"A Fresh Title\n{P_NEW}\n", encoding="utf-8")
    proc = commit(corpus_repo, env, "seeds/new.txt", ".pre-commit-config.yaml")
    assert proc.returncode != 0 and "out/ was out of date" in proc.stdout
    assert (corpus_repo / "out" / "corpus" / "new.txt").exists()
    proc = commit(corpus_repo, env, "out", "seeds/new.txt")
    assert proc.returncode == 0, proc.stdout
