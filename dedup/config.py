"""Configuration: defaults, then one config file, then command-line flags.

The file is the first found of: ``--config FILE``; ``dedup.toml`` or ``pyproject.toml``
(``[tool.dedup]``) at the corpus root; the same two in the current directory. Only the keys a file
sets override the defaults (trafilatura's settings do the same), and an unknown key is an error,
because a misspelt key that is silently ignored is a rule that silently never runs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import regex

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

KeepPolicy = Literal["first", "longest"]
Zone = Literal["any", "head", "tail", "edge"]


@dataclass(frozen=True)
class CustomRule:
    """A boilerplate rule added from configuration: a regex matched against whole lines."""

    name: str
    pattern: str
    description: str = "custom rule from configuration"
    category: str = "custom"
    zone: Zone = "any"
    max_words: int = 40


@dataclass(frozen=True)
class RulesConfig:
    disable: tuple[str, ...] = ()
    enable: tuple[str, ...] = ()
    custom: tuple[CustomRule, ...] = ()
    #: a document may lose at most this fraction of its characters to boilerplate rules;
    #: past it only the unambiguous widget rules apply and the document is reported as a suspect.
    max_removed_fraction: float = 0.8


@dataclass(frozen=True)
class NeardupConfig:
    # Word bigrams at Jaccard 0.75, chosen on the labelled harness (benchmarks/quality): paragraphs
    # with 5 % of their words changed are found 97-98 % of the time, against 1 % with word 5-grams
    # at 0.8, with no false duplicate and no unique content lost on either template set.
    threshold: float = 0.75
    num_perm: int = 128
    ngram: int = 2  # word n-grams for passages of at least ``word_from_words`` words
    char_ngram: int = 5  # character n-grams for shorter passages (titles, one-liners)
    char_below_words: int = 24  # passages with fewer words get character shingles
    word_from_words: int = 16  # passages with at least this many words get word shingles
    min_words: int = 5  # passages with fewer words are never removed as duplicates
    seed: int = 1
    keep: KeepPolicy = "first"
    target_recall: float = 0.99  # LSH bands are chosen so a pair at the threshold is found this often
    within_documents: bool = True
    across_documents: bool = True
    documents: bool = True  # also drop whole documents that near-duplicate an earlier one
    lsh: str = "sorted"  # candidate search: "sorted" band keys (fast) or datasketch's "minhashlsh" index


@dataclass(frozen=True)
class EvidenceConfig:
    """Cross-document evidence: lines a source prints around many different articles."""

    min_documents: int = 3  # distinct articles of one source a line must appear in
    max_words: int = 30  # longer lines are content (quotes, syndicated paragraphs), never evidence
    source: str = "top"  # what names a document's source: its "top" folder under the root, or its "parent"


@dataclass(frozen=True)
class AcceptConfig:
    """Findings a reviewer has accepted: by stable change id, or by a pattern over the passage text."""

    ids: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    paths: tuple[str, ...] = ("seeds",)
    output: str = "out"
    include: tuple[str, ...] = ("*.txt", "*.md", "*.jsonl", "*.jsonl.gz", "*.jsonl.zst", "*.ndjson", "*.parquet")
    exclude: tuple[str, ...] = ()
    format: str = ""  # "" = by extension
    text_field: str = "text"
    id_field: str = "id"
    source_field: str = "url"
    #: follow symbolic links found in the corpus (off: a link cannot make dedup read outside the corpus)
    follow_symlinks: bool = False
    rules: RulesConfig = field(default_factory=RulesConfig)
    neardup: NeardupConfig = field(default_factory=NeardupConfig)
    accept: AcceptConfig = field(default_factory=AcceptConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    source: str = "defaults"  # where the configuration came from, for the summary


#: Every configuration key with a one-line description; the README documents each (a test checks).
KEYS: dict[str, str] = {
    "paths": "inputs read when `dedup clean` is given no PATH",
    "output": "output folder when no `-o` is given",
    "include": "glob patterns of files to read inside folders",
    "exclude": "glob patterns of files to skip",
    "format": "read every file as `text`, `jsonl` or `parquet` (empty: by extension)",
    "text_field": "JSONL/Parquet records: the field holding the document text",
    "id_field": "JSONL/Parquet records: the field naming a record in the change log (else its row)",
    "source_field": "JSONL/Parquet records: the field naming its source (a URL counts by host; else the folder)",
    "follow_symlinks": "follow symbolic links found in the corpus folders (off: they are reported and not read)",
    "rules.disable": "names of catalogue rules to turn off",
    "rules.enable": "names of catalogue rules to turn on (rules that are off by default)",
    "rules.custom": "extra rules: tables with name, pattern, description, category, zone, max_words",
    "rules.max_removed_fraction": "most of a document that boilerplate rules may remove",
    "neardup.threshold": "Jaccard similarity at or above which two passages are duplicates",
    "neardup.num_perm": "MinHash permutations",
    "neardup.ngram": "word n-gram size for long passages",
    "neardup.char_ngram": "character n-gram size for short passages",
    "neardup.char_below_words": "passages with fewer words are compared on character n-grams",
    "neardup.word_from_words": "passages with at least this many words are compared on word n-grams",
    "neardup.min_words": "passages with fewer words are never removed as duplicates",
    "neardup.seed": "MinHash seed",
    "neardup.keep": "which copy of a duplicate cluster is kept: first or longest",
    "neardup.target_recall": "probability that LSH proposes a pair at the threshold",
    "neardup.within_documents": "remove duplicate passages inside one document",
    "neardup.across_documents": "remove duplicate passages across documents",
    "neardup.documents": "drop whole documents whose shingle Jaccard with a kept one reaches the threshold",
    "neardup.lsh": "candidate search: `sorted` band keys (fast) or `minhashlsh` (datasketch's index); same output",
    "evidence.min_documents": "a line in at least this many different articles of one source is boilerplate",
    "evidence.max_words": "lines longer than this are never boilerplate by recurrence (quotes are content)",
    "evidence.source": "what names a document's source: `top` (first folder under the root) or `parent` folder",
    "accept.ids": "stable ids of changes a reviewer accepted: they are not made (clean) or flagged (check)",
    "accept.patterns": "regexes: a passage they match (searched, case-insensitive) is never removed",
}


SECTIONS = ("rules", "neardup", "accept", "evidence")


def _type_error(origin: str, key: str, expected: str, value: object) -> ConfigError:
    return ConfigError(f"{origin}: key '{key}' must be {expected}, got {value!r}; fix the value")


def _check(origin: str, key: str, value: object, default: object) -> object:
    """Coerce ``value`` to the type of ``default`` or raise a ConfigError naming the key."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise _type_error(origin, key, "true or false", value)
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(origin, key, "a whole number", value)
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(origin, key, "a number", value)
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise _type_error(origin, key, "a string", value)
        return value
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _type_error(origin, key, "a list of strings", value)
        return tuple(value)
    raise AssertionError(key)  # pragma: no cover


def _custom_rules(origin: str, value: object) -> tuple[CustomRule, ...]:
    if not isinstance(value, list):
        raise _type_error(origin, "rules.custom", "a list of tables ([[tool.dedup.rules.custom]])", value)
    rules = []
    allowed = {f.name for f in fields(CustomRule)}
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _type_error(origin, f"rules.custom[{i}]", "a table", item)
        unknown = set(item) - allowed
        if unknown:
            raise ConfigError(
                f"{origin}: unknown key 'rules.custom[{i}].{sorted(unknown)[0]}'; "
                f"known keys: {', '.join(sorted(allowed))}"
            )
        for required in ("name", "pattern"):
            if not isinstance(item.get(required), str) or not item[required]:
                raise ConfigError(f"{origin}: rules.custom[{i}] needs a non-empty string '{required}'")
        zone = item.get("zone", "any")
        if zone not in ("any", "head", "tail", "edge"):
            raise _type_error(origin, f"rules.custom[{i}].zone", "one of any, head, tail, edge", zone)
        max_words = item.get("max_words", 40)
        if isinstance(max_words, bool) or not isinstance(max_words, int):
            raise _type_error(origin, f"rules.custom[{i}].max_words", "a whole number", max_words)
        rules.append(
            CustomRule(
                name=item["name"],
                pattern=item["pattern"],
                description=str(item.get("description", CustomRule.description)),
                category=str(item.get("category", "custom")),
                zone=zone,
                max_words=max_words,
            )
        )
    return tuple(rules)


def _apply_section(origin: str, prefix: str, obj: Any, table: Mapping[str, object]) -> Any:
    changes: dict[str, object] = {}
    known = {f.name for f in fields(obj)}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if key not in known or full not in KEYS:
            raise ConfigError(
                f"{origin}: unknown key '{full}'; known keys: {', '.join(sorted(KEYS))} (see README)"
            )
        if full == "rules.custom":
            changes[key] = _custom_rules(origin, value)
        else:
            changes[key] = _check(origin, full, value, getattr(obj, key))
    return replace(obj, **changes)


def from_mapping(table: Mapping[str, object], origin: str, base: Config | None = None) -> Config:
    """Build a Config from a ``[tool.dedup]``-shaped mapping, overriding only the keys it sets."""
    config: Config = _apply_section(origin, "", base or Config(),
                                    {k: v for k, v in table.items() if k not in SECTIONS})
    for section in SECTIONS:
        if section in table:
            sub = table[section]
            if not isinstance(sub, dict):
                raise _type_error(origin, section, "a table", sub)
            config = replace(config, **{section: _apply_section(origin, f"{section}.", getattr(config, section), sub)})
    validate(config, origin)
    return replace(config, source=origin)


def validate(config: Config, origin: str) -> None:
    """Reject values that would make a run meaningless rather than fail deep inside a stage."""
    if config.format not in ("", "text", "jsonl", "parquet"):
        raise ConfigError(f"{origin}: format must be text, jsonl or parquet (or empty), got {config.format!r}")
    if not config.text_field:
        raise ConfigError(f"{origin}: text_field must not be empty")
    nd = config.neardup
    if not 0.0 < nd.threshold <= 1.0:
        raise ConfigError(f"{origin}: neardup.threshold must be in (0, 1], got {nd.threshold}")
    if not 0.5 <= nd.target_recall < 1.0:
        raise ConfigError(f"{origin}: neardup.target_recall must be in [0.5, 1), got {nd.target_recall}")
    for key in ("num_perm", "ngram", "char_ngram"):
        if getattr(nd, key) < 1:
            raise ConfigError(f"{origin}: neardup.{key} must be at least 1, got {getattr(nd, key)}")
    if nd.word_from_words > nd.char_below_words:
        raise ConfigError(
            f"{origin}: neardup.word_from_words ({nd.word_from_words}) must not exceed "
            f"neardup.char_below_words ({nd.char_below_words}), or some passages get no shingles"
        )
    if config.evidence.source not in ("top", "parent"):
        raise ConfigError(f"{origin}: evidence.source must be 'top' or 'parent', got {config.evidence.source!r}")
    if config.evidence.min_documents < 2:
        raise ConfigError(f"{origin}: evidence.min_documents must be at least 2, got {config.evidence.min_documents}")
    if nd.lsh not in ("sorted", "minhashlsh"):
        raise ConfigError(f"{origin}: neardup.lsh must be 'sorted' or 'minhashlsh', got {nd.lsh!r}")
    if nd.keep not in ("first", "longest"):
        raise ConfigError(f"{origin}: neardup.keep must be 'first' or 'longest', got {nd.keep!r}")
    for pattern in config.accept.patterns:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise ConfigError(f"{origin}: accept.patterns: {pattern!r} is not a valid regex ({exc})") from None
    if not 0.0 < config.rules.max_removed_fraction <= 1.0:
        raise ConfigError(
            f"{origin}: rules.max_removed_fraction must be in (0, 1], got {config.rules.max_removed_fraction}"
        )


def read_file(path: Path) -> tuple[Mapping[str, object], str] | None:
    """The dedup table of a TOML file, or None when a pyproject.toml has no ``[tool.dedup]``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror}); check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("dedup") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.dedup] must be a table")
        return table, f"{path} [tool.dedup]"
    return data, str(path)


def discover(explicit: Path | None, roots: list[Path]) -> Config:
    """Load the configuration that applies to a run over ``roots``."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found; check the --config path")
        found = read_file(explicit)
        if found is None:
            raise ConfigError(f"{explicit}: has no [tool.dedup] table; add one or pass another file")
        return from_mapping(found[0], found[1])
    candidates: list[Path] = []
    for root in [*roots, Path.cwd()]:
        for name in ("dedup.toml", "pyproject.toml"):
            candidates.append(root / name)
    seen: set[Path] = set()
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved in seen or not candidate.is_file():
            continue
        seen.add(resolved)
        found = read_file(candidate)
        if found is not None:
            return from_mapping(found[0], found[1])
    return Config()


def as_dict(config: object) -> dict[str, object]:
    """A configuration (or one of its sections) as plain data (recorded in summary.json)."""

    def plain(value: object) -> object:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if hasattr(value, "__dataclass_fields__"):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}  # type: ignore[arg-type]
        return value

    data = plain(config)
    assert isinstance(data, dict)
    data.pop("source", None)
    return data


def merge_accept(config: Config, path: Path) -> Config:
    """Add the ``[accept]`` ids and patterns of a review file (as report.html exports) to ``config``."""
    if not path.is_file():
        raise ConfigError(f"{path}: review file not found; export it from report.html or check the path")
    found = read_file(path)
    table = found[0] if found else {}
    unknown = set(table) - {"accept"}
    if unknown:
        raise ConfigError(f"{path}: a review file holds only an [accept] table, found '{sorted(unknown)[0]}'")
    accept = table.get("accept", {})
    if not isinstance(accept, dict):
        raise ConfigError(f"{path}: [accept] must be a table")
    extra = _apply_section(str(path), "accept.", AcceptConfig(), accept)
    merged = AcceptConfig(ids=(*config.accept.ids, *extra.ids), patterns=(*config.accept.patterns, *extra.patterns))
    config = replace(config, accept=merged)
    validate(config, str(path))
    return config
