"""The command line as a user runs it: defaults, restore, configuration, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SEEDS, read_tree, write_corpus

from dedup.cli import main

PROSE = ("Meta has officially unveiled Muse Spark, its latest artificial intelligence model, and the "
         "company says it is the first of many.")
PROSE2 = ("Investors cheered the announcement, sending shares of the company up four percent in early "
          "trading on Thursday morning.")


def invoke(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        result = runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_clean_with_no_arguments_reads_seeds_and_writes_out(seeds_copy: Path) -> None:
    code, out, err = invoke("clean", cwd=seeds_copy.parent)
    assert code == 0, err
    assert "boilerplate removed" in out
    project = seeds_copy.parent
    assert sorted(p.name for p in (project / "out").iterdir()) == [
        "changes.jsonl", "corpus", "report.html", "report.md", "summary.json"]
    assert sorted(read_tree(project / "out" / "corpus")) == sorted(read_tree(SEEDS))
    assert read_tree(seeds_copy) == read_tree(SEEDS), "the input was modified"


def test_restore_command_round_trips(seeds_copy: Path, tmp_path: Path) -> None:
    assert invoke("clean", str(seeds_copy), "-o", str(tmp_path / "o"))[0] == 0
    code, out, _ = invoke("restore", str(tmp_path / "o"), "-o", str(tmp_path / "r"))
    assert code == 0 and "restored 5 files" in out
    assert read_tree(tmp_path / "r") == read_tree(SEEDS)


def test_nested_folders_are_mirrored(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"a/x.txt": f"{PROSE}\nComments\n", "b/c/y.md": f"{PROSE2}\n",
                                          "skip.html": "<p>x</p>"})
    assert invoke("clean", str(root), "-o", str(tmp_path / "o"))[0] == 0
    assert sorted(read_tree(tmp_path / "o" / "corpus")) == ["a/x.txt", "b/c/y.md"]
    assert read_tree(tmp_path / "o" / "corpus")["a/x.txt"] == f"{PROSE}\n".encode()


def test_include_glob(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\n", "y.text": f"{PROSE}\n"})
    assert invoke("clean", str(root), "-o", str(tmp_path / "o"), "--include", "*.text")[0] == 0
    assert sorted(read_tree(tmp_path / "o" / "corpus")) == ["y.text"]


def test_files_as_inputs(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\n", "y.txt": f"{PROSE2}\n", "z.txt": "z\n"})
    assert invoke("clean", str(root / "x.txt"), str(root / "y.txt"), "-o", str(tmp_path / "o"))[0] == 0
    assert sorted(read_tree(tmp_path / "o" / "corpus")) == ["x.txt", "y.txt"]


# ---- bad input ---------------------------------------------------------------------------------

def test_missing_path(tmp_path: Path) -> None:
    code, _, err = invoke("clean", str(tmp_path / "nope"), "-o", str(tmp_path / "o"))
    assert code == 2
    assert "nope: no such file or folder" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_files_are_skipped_and_the_rest_is_cleaned(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {
        "good.txt": f"{PROSE}\nComments\n",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "latin.txt": "Caf\u00e9 society \u2013 \u201cquoted\u201d\n".encode("cp1252"),
        "empty.txt": b"",
        "undecodable.txt": b"abc \x81\x8d\x8f\x90\x9d \xff\xfe\x00"[:-1] + b"\x81",
    })
    os.symlink(tmp_path / "missing-target", root / "dangling.txt")
    out = tmp_path / "o"
    code, _, err = invoke("clean", str(root), "-o", str(out))
    assert code == 2
    assert "binary.txt: binary file" in err
    assert "dangling.txt: cannot read file" in err
    assert "undecodable.txt: not UTF-8" in err
    assert "empty.txt: empty file" in err
    assert "Traceback" not in err
    corpus = read_tree(out / "corpus")
    assert sorted(corpus) == ["empty.txt", "good.txt", "latin.txt"]
    assert corpus["good.txt"] == f"{PROSE}\n".encode()
    assert corpus["latin.txt"].decode("utf-8") == "Caf\u00e9 society \u2013 \u201cquoted\u201d\n"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {s["path"] for s in summary["skipped"]} == {"binary.txt", "dangling.txt", "undecodable.txt"}
    changes = [json.loads(line) for line in (out / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(c["rule"] == "repair-encoding" and c["encoding"] == "cp1252" for c in changes)
    # restore gives back the cp1252 bytes exactly
    assert invoke("restore", str(out), "-o", str(tmp_path / "r"))[0] == 0
    assert read_tree(tmp_path / "r")["latin.txt"] == (root / "latin.txt").read_bytes()


def test_utf16_and_bom_files_round_trip(tmp_path: Path) -> None:
    text = f"{PROSE}\nComments\n"
    root = write_corpus(tmp_path / "in", {"bom.txt": b"\xef\xbb\xbf" + f"{PROSE2}\n".encode(),
                                          "u16.txt": b"\xff\xfe" + text.encode("utf-16-le")})
    assert invoke("clean", str(root), "-o", str(tmp_path / "o"))[0] == 0
    assert read_tree(tmp_path / "o" / "corpus")["u16.txt"] == f"{PROSE}\n".encode()
    assert invoke("restore", str(tmp_path / "o"), "-o", str(tmp_path / "r"))[0] == 0
    assert read_tree(tmp_path / "r") == read_tree(root)


def test_output_inside_input_is_refused(seeds_copy: Path) -> None:
    code, _, err = invoke("clean", str(seeds_copy), "-o", str(seeds_copy / "out"))
    assert code == 2 and "inside the input" in err
    assert not (seeds_copy / "out").exists()


def test_input_inside_output_is_refused(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "o" / "corpus", {"x.txt": f"{PROSE}\n"})
    code, _, err = invoke("clean", str(root), "-o", str(tmp_path / "o"))
    assert code == 2 and "inside the output" in err
    assert (root / "x.txt").exists()


def test_no_documents_found(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.html": "<p></p>"})
    code, _, err = invoke("clean", str(root), "-o", str(tmp_path / "o"))
    assert code == 2 and "no documents found" in err


def test_failed_run_leaves_previous_output_intact(seeds_copy: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o"
    assert invoke("clean", str(seeds_copy), "-o", str(out))[0] == 0
    before = read_tree(out)

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("dedup.changes.dumps", broken)
    code, _, err = invoke("clean", str(seeds_copy), "-o", str(out))
    assert code == 2 and "No space left on device" in err and "intact" in err
    assert len(err.strip().splitlines()) == 1
    assert read_tree(out) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".o.")], "a temporary folder was left behind"


# ---- configuration -----------------------------------------------------------------------------

def test_dedup_toml_at_the_corpus_root(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\nComments\n",
                                          "dedup.toml": '[rules]\ndisable = ["comment-widget"]\n'})
    assert invoke("clean", str(root), "-o", str(tmp_path / "o"))[0] == 0
    assert read_tree(tmp_path / "o" / "corpus")["x.txt"] == f"{PROSE}\nComments\n".encode()


def test_pyproject_tool_table_and_custom_rule(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dedup]\npaths = ["docs"]\noutput = "cleaned"\n'
        '[[tool.dedup.rules.custom]]\nname = "powered-by"\npattern = "powered by .{1,40}"\n', encoding="utf-8")
    write_corpus(tmp_path / "docs", {"x.txt": f"{PROSE}\nPowered by WordPress\n"})
    code, _, err = invoke("clean", cwd=tmp_path)
    assert code == 0, err
    assert read_tree(tmp_path / "cleaned" / "corpus")["x.txt"] == f"{PROSE}\n".encode()


def test_unknown_config_key_is_a_usage_error(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\n", "dedup.toml": "[neardup]\ntreshold = 0.5\n"})
    code, _, err = invoke("clean", str(root), "-o", str(tmp_path / "o"))
    assert code == 2 and "unknown key 'neardup.treshold'" in err


def test_invalid_toml_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules\n", encoding="utf-8")
    code, _, err = invoke("clean", str(SEEDS), "-o", str(tmp_path / "o"), "--config", str(bad))
    assert code == 2 and "not valid TOML" in err


def test_flags_override_config(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\nComments\n"})
    code, _, _ = invoke("clean", str(root), "-o", str(tmp_path / "o"), "--disable-rule", "comment-widget")
    assert code == 0
    assert b"Comments" in read_tree(tmp_path / "o" / "corpus")["x.txt"]
    code, _, err = invoke("clean", str(root), "-o", str(tmp_path / "o"), "--threshold", "1.5")
    assert code == 2 and "neardup.threshold" in err


def test_the_output_does_not_depend_on_where_it_goes_or_how_the_input_is_spelled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """summary.json's configuration holds the configured ``paths`` and ``output``, not the run's
    arguments: two runs of one corpus, named by an absolute and a relative path, written to two
    folders, give the same bytes (``--fail-if-changed`` and ``--jobs`` comparisons rely on it)."""
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\n", "y.txt": f"{PROSE}\n"})
    code, _, _ = invoke("clean", str(root), "-o", str(tmp_path / "a"), "-q")
    assert code == 0
    monkeypatch.chdir(tmp_path)
    code, _, _ = invoke("clean", "in/.", "-o", "b", "-q")
    assert code == 0
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    config = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))["config"]
    assert config["paths"] == ["seeds"] and config["output"] == "out"


def test_rules_command_lists_the_catalogue() -> None:
    from dedup.rules import CATALOGUE

    code, out, _ = invoke("rules")
    assert code == 0
    for rule in CATALOGUE:
        assert rule.name in out


def test_console_script_is_installed(tmp_path: Path) -> None:
    exe = shutil.which("dedup") or str(Path(sys.executable).parent / "dedup")
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "dedup" in proc.stdout


def test_accepted_findings_are_kept(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "in", {"x.txt": f"{PROSE}\nComments\nShare this article\n"})
    assert invoke("clean", str(root), "-o", str(tmp_path / "o"))[0] == 0
    changes = [json.loads(line) for line in (tmp_path / "o" / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    comments = next(c for c in changes if c["text"].startswith("Comments"))
    (root / "dedup.toml").write_text(f'[accept]\nids = ["{comments["id"]}"]\n', encoding="utf-8")
    assert invoke("clean", str(root), "-o", str(tmp_path / "o2"))[0] == 0
    assert read_tree(tmp_path / "o2" / "corpus")["x.txt"] == f"{PROSE}\nComments\n".encode()
    (root / "dedup.toml").write_text('[accept]\npatterns = ["^share this"]\n', encoding="utf-8")
    assert invoke("clean", str(root), "-o", str(tmp_path / "o3"))[0] == 0
    assert read_tree(tmp_path / "o3" / "corpus")["x.txt"] == f"{PROSE}\nShare this article\n".encode()


def test_ids_survive_edits_elsewhere(tmp_path: Path) -> None:
    def comment_id(text: str, out: str) -> str:
        root = write_corpus(tmp_path / out / "in", {"x.txt": text})
        assert invoke("clean", str(root), "-o", str(tmp_path / out / "o"))[0] == 0
        log = (tmp_path / out / "o" / "changes.jsonl").read_text(encoding="utf-8").splitlines()
        return str(next(c["id"] for c in map(json.loads, log) if c["text"].strip() == "Comments"))

    assert comment_id(f"{PROSE}\nComments\n", "a") == comment_id(f"Intro line.\n{PROSE2}\n{PROSE}\n\nComments", "b")


def test_sigterm_mid_run_leaves_previous_output_and_no_temporary_files(tmp_path: Path) -> None:
    """A scheduler's SIGTERM unwinds like Ctrl-C: exit 130, old OUT intact, spill folders removed."""
    import signal
    import time

    from test_scale import generated

    corpus = generated(tmp_path / "corpus", 1500)
    out = tmp_path / "out"
    write_corpus(out, {"previous.txt": "the previous output\n"})
    spill = tmp_path / "spill"
    spill.mkdir()
    env = {**os.environ, "TMPDIR": str(spill)}
    dedup = str(Path(sys.executable).with_name("dedup"))
    proc = subprocess.Popen([dedup, "clean", str(corpus), "-o", str(out), "-q", "-j", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(spill.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # finished before the signal landed: then the new output is complete
        assert (out / "summary.json").is_file()
    else:
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
        assert read_tree(out) == {"previous.txt": b"the previous output\n"}
    assert list(spill.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
