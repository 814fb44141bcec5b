"""The README must document every rule, repair, command, option, config key and output field.

Like sqlite-utils' documentation tests: adding a rule or key without documenting it fails here.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from dedup.changes import FIELDS
from dedup.cli import main
from dedup.config import KEYS
from dedup.normalize import REPAIR_RULES
from dedup.rules import CATALOGUE
from dedup.summary import SUMMARY_KEYS

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [r.name for r in CATALOGUE] + list(REPAIR_RULES))
def test_rule_is_documented(name: str) -> None:
    assert f"| `{name}` |" in README, f"rule {name} is missing from the README's rule catalogue"


@pytest.mark.parametrize("key", list(KEYS))
def test_config_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("field", list(FIELDS))
def test_change_log_field_is_documented(field: str) -> None:
    assert f"| `{field}` |" in README


@pytest.mark.parametrize("key", list(SUMMARY_KEYS))
def test_summary_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in README


@pytest.mark.parametrize("command", sorted(main.commands))
def test_command_is_documented(command: str) -> None:
    assert f"`dedup {command}" in README


@pytest.mark.parametrize(
    "option",
    sorted({opt for cmd in main.commands.values() for p in cmd.params for opt in p.opts if opt.startswith("--")}
           - {"--help"}),
)
def test_option_is_documented(option: str) -> None:
    assert f"`{option}" in README


def test_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    lines = blocks[0].strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("dedup clean")
    assert "'.[test]'" in lines[1] and lines[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in ci, ".ci/run must take its test command from the README"


def test_summary_fields_are_the_documented_ones() -> None:
    import json

    summary = json.loads((ROOT / "out" / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) == set(SUMMARY_KEYS)
    changes = [json.loads(line) for line in (ROOT / "out" / "changes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert changes and all(set(c) <= set(FIELDS) for c in changes)


@pytest.mark.parametrize("section", ["A tour of the output", "Commands", "Reviewing a run", "Use as a pre-commit hook",
                                     "The change log: `changes.jsonl`", "The summary: `summary.json`",
                                     "How it decides", "Configuration", "Rule catalogue", "Running on a cluster",
                                     "Benchmarks"])
def test_readme_section_exists(section: str) -> None:
    assert f"\n## {section}\n" in README


def _test_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        names.update(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), flags=re.M))
    return names


def _reliability_rows() -> list[str]:
    section = README.split("\n## Reliability\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and "`test_" in line]


def test_reliability_section_lists_a_proof_for_each_guarantee() -> None:
    rows = _reliability_rows()
    assert len(rows) >= 15
    assert all(re.search(r"`test_\w+`\s*\|$", row) for row in rows), "each guarantee ends with its tests"


@pytest.mark.parametrize("name", sorted({n for row in _reliability_rows() for n in re.findall(r"`(test_\w+)`", row)}))
def test_every_test_named_in_the_reliability_section_exists(name: str) -> None:
    assert name in _test_names(), f"README's Reliability section names {name}, which is not a test"


def test_the_readmes_relative_links_point_at_files_that_exist() -> None:
    """A link to another file of the project (benchmarks/HISTORY.md, the quality benchmark's README)
    must not go stale when a file moves; anchors and web addresses are not checked."""
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README) if "://" not in t]
    assert "benchmarks/HISTORY.md" in targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"
