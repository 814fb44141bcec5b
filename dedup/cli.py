"""The command line: parse, call the library, print. No cleaning logic lives here.

Exit status: 0 success; 1 reserved for checks that find something; 2 usage or input errors
(including a run that skipped unreadable files); 3 a bug in dedup; 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .config import Config, discover, validate
from .corpus import corpus_root
from .errors import DedupError
from .model import Result


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"dedup: error: {message}", err=True)
    sys.exit(code)


class _Command(click.Command):
    """Turns library errors into one-line messages with the right exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DedupError as exc:
            _fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; the previous output, if any, is intact", 130)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as exc:  # a bug: say so plainly, without a traceback unless asked
            if os.environ.get("DEDUP_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); rerun with DEDUP_DEBUG=1 and report it", 3)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Clean and deduplicate a corpus of extracted web documents, with a lossless change log."""


def _load_config(paths: Sequence[Path], config_file: Path | None) -> tuple[Config, list[Path]]:
    if not paths:
        base = discover(config_file, [])
        paths = [Path(p) for p in base.paths]
    roots = [corpus_root(list(paths))] if all(p.exists() for p in paths) else []
    return discover(config_file, roots), list(paths)


def _overrides(config: Config, **flags: Any) -> Config:
    nd = {k: v for k, v in flags.items() if v is not None and k in
          ("threshold", "num_perm", "ngram", "seed", "keep", "min_words")}
    top: dict[str, Any] = {}
    if flags.get("include"):
        top["include"] = tuple(flags["include"])
    if flags.get("exclude"):
        top["exclude"] = (*config.exclude, *flags["exclude"])
    rules = config.rules
    if flags.get("disable_rule"):
        rules = replace(rules, disable=(*rules.disable, *flags["disable_rule"]))
    if flags.get("enable_rule"):
        rules = replace(rules, enable=(*rules.enable, *flags["enable_rule"]))
    config = replace(config, neardup=replace(config.neardup, **nd), rules=rules, **top)
    validate(config, "command line")
    return config


def _report(result: Result, out: Path, quiet: bool) -> None:
    for warning in result.warnings:
        click.echo(f"dedup: warning: {warning}", err=True)
    for skipped in result.skipped:
        click.echo(f"dedup: skipped {skipped.message()}", err=True)
    if quiet:
        return
    kinds: dict[str, int] = {}
    removed_chars = 0
    for change in result.changes:
        kinds[change.kind] = kinds.get(change.kind, 0) + 1
        removed_chars += len(change.text) - len(change.replacement)
    read = len(result.documents)
    dropped = sum(1 for d in result.documents if d.output is None)
    click.echo(f"dedup: read {read} document{'s' * (read != 1)}"
               f"{f', skipped {len(result.skipped)}' if result.skipped else ''}")
    click.echo(f"  boilerplate removed: {kinds.get('boilerplate', 0)} passages")
    click.echo(f"  duplicates removed:  {kinds.get('duplicate', 0)} passages in {len(result.clusters)} clusters, "
               f"{kinds.get('document-duplicate', 0)} whole documents")
    click.echo(f"  repairs:             {kinds.get('repair', 0)}")
    click.echo(f"  suspects kept:       {len(result.suspects)} (listed in summary.json)")
    click.echo(f"  characters removed:  {removed_chars}")
    click.echo(f"wrote {out}/: corpus/ ({read - dropped} documents), changes.jsonl, summary.json")


@main.command(cls=_Command)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output folder (default: out).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file (TOML).")
@click.option("--include", multiple=True, help="Glob of files to read (repeatable; default *.txt, *.md).")
@click.option("--exclude", multiple=True, help="Glob of files to skip (repeatable).")
@click.option("--disable-rule", multiple=True, metavar="NAME", help="Turn a rule off (repeatable).")
@click.option("--enable-rule", multiple=True, metavar="NAME", help="Turn a rule on (repeatable).")
@click.option("--threshold", type=float, help="Jaccard similarity for near-duplicates (default 0.8).")
@click.option("--num-perm", type=int, help="MinHash permutations (default 128).")
@click.option("--ngram", type=int, help="Word n-gram size for long passages (default 5).")
@click.option("--min-words", type=int, help="Shortest passage removable as a duplicate (default 5).")
@click.option("--seed", type=int, help="MinHash seed (default 1).")
@click.option("--keep", type=click.Choice(["first", "longest"]), help="Which copy of a duplicate is kept.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
def clean(paths: tuple[Path, ...], output: Path | None, config_file: Path | None, quiet: bool,
          **flags: Any) -> None:
    """Clean PATHS (files or folders; default: seeds) into OUT (default: out).

    Writes OUT/corpus/ (cleaned documents, mirroring the input paths), OUT/changes.jsonl (every
    change, enough to restore the input) and OUT/summary.json. The input is never modified.
    """
    from .pipeline import clean as run_clean
    from .pipeline import write

    config, input_paths = _load_config(paths, config_file)
    config = _overrides(config, **flags)
    out = output or Path(config.output)
    result = run_clean(input_paths, config, out)
    write(result, out, config)
    _report(result, out, quiet)
    if result.skipped:
        click.echo(f"dedup: {len(result.skipped)} file(s) skipped; the rest was cleaned (see summary.json)", err=True)
        sys.exit(2)


@main.command(cls=_Command)
@click.argument("out", type=click.Path(path_type=Path))
@click.option("-o", "--output", "target", type=click.Path(path_type=Path), required=True,
              help="Folder to rebuild the original corpus in.")
def restore(out: Path, target: Path) -> None:
    """Rebuild the original corpus, byte for byte, from OUT/corpus and OUT/changes.jsonl."""
    from .pipeline import restore as run_restore

    written = run_restore(out, target)
    click.echo(f"dedup: restored {len(written)} documents into {target}/")


@main.command(cls=_Command)
def rules() -> None:
    """List the boilerplate and repair rules."""
    from .normalize import REPAIR_RULES
    from .rules import CATALOGUE

    for rule in CATALOGUE:
        flags = [rule.category, rule.zone if rule.zone != "any" else "",
                 rule.strength if rule.strength == "weak" else "",
                 "structural" if rule.structural else "", "" if rule.enabled else "off by default"]
        click.echo(f"{rule.name:24} [{', '.join(f for f in flags if f)}] {rule.description}")
    for name, description in REPAIR_RULES.items():
        click.echo(f"{name:24} [repair] {description}")


if __name__ == "__main__":  # pragma: no cover
    main()
