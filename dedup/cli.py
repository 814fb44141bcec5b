"""The command line: parse, call the library, print. No cleaning logic lives here.

Exit status: 0 success; 1 reserved for checks that find something; 2 usage or input errors
(including a run that skipped unreadable files); 3 a bug in dedup; 130 interrupted.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .config import Config, discover, merge_accept, validate
from .corpus import corpus_root, printable
from .errors import DedupError, UsageError


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"dedup: error: {printable(message)}", err=True)
    sys.exit(code)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _Command(click.Command):
    """Turns library errors into one-line messages with the right exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        # A SIGTERM (a job scheduler's stop, `kill`) unwinds like Ctrl-C, so temporary folders and
        # half-built output are removed and the previous output stays as it was.
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().invoke(ctx)
        except DedupError as exc:
            _fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted; the previous output, if any, is intact", 130)
        except BrokenPipeError:  # `dedup diff out | head`: the reader left, which is not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:  # a full disk, a read-only folder: the environment, not a bug
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}; free space or fix permissions and rerun "
                  "(the input and any previous output are intact)", 2)
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


def _batch_gc() -> None:
    """Tune Python's cyclic garbage collector for a batch run, in this process and the workers it
    forks next.

    A run allocates millions of short-lived tuples and dataclass instances, almost none of them in
    a reference cycle (reference counting frees them), yet the collector scanned the youngest ones
    every 700 allocations, and its older generations held every object imported at start. Those are
    frozen (the workers fork with them, and a collection there no longer writes to the pages they
    share), and the youngest generation is collected every 10,000 allocations: on the planted 10k
    corpus at ``-j 1``, 0.03 s spent collecting instead of 0.12 s.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


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
    for key in ("format", "text_field", "id_field", "source_field", "follow_symlinks"):
        if flags.get(key):
            top[key] = flags[key]
    rules = config.rules
    if flags.get("disable_rule"):
        rules = replace(rules, disable=(*rules.disable, *flags["disable_rule"]))
    if flags.get("enable_rule"):
        rules = replace(rules, enable=(*rules.enable, *flags["enable_rule"]))
    config = replace(config, neardup=replace(config.neardup, **nd), rules=rules, **top)
    validate(config, "command line")
    return config


def _tree(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _sweep(out: Path, spill: bool) -> None:
    """Remove what killed runs left behind (their spill folders, half-built output) and say so."""
    from .leftovers import sweep_output, sweep_spill

    for notice in [*(sweep_spill() if spill else []), *sweep_output(out)]:
        click.echo(f"dedup: note: {notice.message}", err=True)


#: Records of one shard skipped for one problem that are listed one by one; the rest are counted.
SKIPPED_SHOWN = 3


def _skipped_lines(skipped: list[dict[str, str]]) -> Iterator[str]:
    """One line per skipped file or record, except that a shard whose records all fail the same way
    (a Parquet file without the text field) gives a few lines and a count, not one line per row."""
    groups: dict[tuple[str, str], int] = {}
    for entry in skipped:
        shard = entry["path"].rsplit("#", 1)[0] if "#" in entry["path"] else entry["path"]
        key = (shard, entry["problem"])
        groups[key] = groups.get(key, 0) + 1
        if groups[key] <= SKIPPED_SHOWN:
            yield f"dedup: skipped {entry['path']}: {entry['problem']}; {entry['hint']}"
    for (shard, problem), count in groups.items():
        if count > SKIPPED_SHOWN:
            yield (f"dedup: skipped {count - SKIPPED_SHOWN} more records of {shard} for the same problem "
                   f"({problem}); all are listed in summary.json")


def _report(summary: dict[str, Any], out: Path | str, quiet: bool) -> None:
    for warning in summary["warnings"]:
        click.echo(f"dedup: warning: {printable(warning)}", err=True)
    for line in _skipped_lines(summary["skipped"]):
        click.echo(printable(line), err=True)
    if quiet:
        return
    docs, kinds = summary["documents"], summary["changes"]["by_kind"]
    removed_chars = sum(d["chars_removed"] for d in summary["per_document"].values())
    read = docs["read"]
    dataset = isinstance(out, str)
    reports = ", report.html, report.md" if not dataset and (Path(out) / "report.html").exists() else \
        "" if dataset else " (reports skipped for a corpus this size: `dedup report` builds them)"
    skipped = f", skipped {docs['skipped']}" if docs["skipped"] else ""
    click.echo(f"dedup: read {read} document{'s' * (read != 1)}{skipped}")
    click.echo(f"  boilerplate removed: {kinds.get('boilerplate', 0)} passages")
    click.echo(f"  duplicates removed:  {kinds.get('duplicate', 0)} passages in {summary['clusters']['count']} "
               f"clusters, {kinds.get('document-duplicate', 0)} whole documents")
    click.echo(f"  repairs:             {kinds.get('repair', 0)}")
    click.echo(f"  suspects kept:       {summary['suspects']['count']} (listed in summary.json)")
    click.echo(f"  characters removed:  {removed_chars}")
    log = "changes/" if dataset else "changes.jsonl"
    click.echo(f"wrote {out}/: corpus/ ({docs['written']} documents), {log}, summary.json{reports}")


@main.command(cls=_Command)
@click.argument("paths", nargs=-1, type=str)
@click.option("-o", "--output", help="Output folder (default: out); with --engine spark also a URL "
              "(hdfs://, s3a://, ...): a dataset written by Spark.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file (TOML).")
@click.option("--include", multiple=True, help="Glob of files to read (repeatable; default *.txt, *.md).")
@click.option("--exclude", multiple=True, help="Glob of files to skip (repeatable).")
@click.option("--format", "format", type=click.Choice(["text", "jsonl", "parquet"]),
              help="Read every file in this format (default: by extension: .jsonl[.gz|.zst], .parquet, else text).")
@click.option("--text-field", help="JSONL/Parquet: the field holding the text (default: text).")
@click.option("--id-field", help="JSONL/Parquet: the field naming each record (default: id; else its row).")
@click.option("--source-field", help="JSONL/Parquet: the field naming the source; a URL counts by host "
              "(default: url; else the folder).")
@click.option("--follow-symlinks", is_flag=True, default=None,
              help="Follow symbolic links inside the corpus folders (default: report them and read nothing "
              "through them).")
@click.option("--report/--no-report", "report", default=None,
              help="Build report.html and report.md (default: when there are at most 20,000 documents).")
@click.option("--disable-rule", multiple=True, metavar="NAME", help="Turn a rule off (repeatable).")
@click.option("--enable-rule", multiple=True, metavar="NAME", help="Turn a rule on (repeatable).")
@click.option("--threshold", type=float, help="Jaccard similarity for near-duplicates (default 0.75).")
@click.option("--num-perm", type=int, help="MinHash permutations (default 128).")
@click.option("--ngram", type=int, help="Word n-gram size for long passages (default 2).")
@click.option("--min-words", type=int, help="Shortest passage removable as a duplicate (default 5).")
@click.option("--seed", type=int, help="MinHash seed (default 1).")
@click.option("--keep", type=click.Choice(["first", "longest"]), help="Which copy of a duplicate is kept.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Processes for the per-document stages "
              "(default: all cores on large corpora). The output is the same for every value.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Where the run happens: this machine's cores, or Apache Spark (needs dedup[spark]).")
@click.option("--spark-master", metavar="URL", help="Spark master (local[4], spark://host:7077, yarn, k8s://...); "
              "default: the one spark-submit set, else local[*].")
@click.option("--spark-conf", "spark_conf", multiple=True, metavar="KEY=VALUE",
              help="A Spark setting, e.g. spark.executor.memory=8g (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors (no progress bar).")
@click.option("--accept", "accept_files", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="Review decisions to obey (TOML with [accept] ids/patterns, as report.html exports); repeatable.")
@click.option("--fail-if-changed", is_flag=True,
              help="Exit 1 when OUT differed from what this run wrote (a stale lock file); for hooks and CI.")
def clean(paths: tuple[str, ...], output: str | None, config_file: Path | None, quiet: bool,
          fail_if_changed: bool, accept_files: tuple[Path, ...], jobs: int | None, report: bool | None,
          engine: str, spark_master: str | None, spark_conf: tuple[str, ...], **flags: Any) -> None:
    """Clean PATHS (files or folders; default: seeds) into OUT (default: out).

    Writes OUT/corpus/ (cleaned documents, mirroring the input paths), OUT/changes.jsonl (every
    change, enough to restore the input) and OUT/summary.json. The input is never modified.
    """
    from .output import write_items
    from .progress import Progress
    from .stream import run

    urls = [p for p in paths if "://" in p]
    if urls and engine != "spark":
        raise UsageError(f"{urls[0]}: URLs (hdfs://, s3a://, file://, ...) are read by the Spark engine; "
                         "add --engine spark")
    local_paths = [Path(p) for p in paths if "://" not in p]
    config, found = _load_config(local_paths, config_file) if local_paths or not urls else (
        discover(config_file, []), [])
    input_paths: list[str | Path] = [*found, *urls]
    config = _overrides(config, **flags)
    for accept_file in accept_files:
        config = merge_accept(config, accept_file)
    dataset = output if output and "://" in output else None
    if engine != "spark" and (spark_master or spark_conf or dataset):
        raise UsageError("--spark-master, --spark-conf and an OUT URL need --engine spark")
    if engine == "spark" and jobs:
        raise UsageError("--jobs is for the local engine; give Spark its cores with --spark-master local[N] "
                         "or --spark-conf")
    if dataset and (fail_if_changed or report):
        raise UsageError(f"{dataset}: --fail-if-changed and --report need OUT on a local or shared folder")
    out = Path(output or config.output)
    if not dataset:
        _sweep(out, spill=True)
    progress = Progress(0, enabled=None if not quiet else False)
    clusters: list[tuple[str, ...]] = []
    items = None
    try:
        before = _tree(out) if fail_if_changed else {}
        if engine == "spark":
            from . import spark

            with spark.session(spark_master, spark_conf, quiet) as session:
                if dataset:
                    summary = spark.write_dataset(input_paths, config, dataset, session, progress)
                else:
                    results = spark.run(input_paths, config, out, session, progress=progress, clusters=clusters)
                    try:
                        summary = write_items(results, out, config, lambda: clusters, report)
                    finally:  # release the run's cached data while the session is still up
                        results.close()
        else:
            _batch_gc()
            items = run(input_paths, config, out, jobs=jobs, progress=progress, clusters=clusters)
            summary = write_items(items, out, config, lambda: clusters, report)
    finally:
        if isinstance(items, Generator):  # stop the workers and remove the spill now, whatever happened
            items.close()
        progress.close()
    _report(summary, dataset or out, quiet)
    if fail_if_changed and _tree(out) != before:
        click.echo(f"dedup: {out}/ was out of date and has been rebuilt; stage it with your change", err=True)
        sys.exit(1)
    if summary["skipped"]:
        click.echo(f"dedup: {len(summary['skipped'])} file(s) or record(s) skipped; the rest was cleaned "
                   "(see summary.json)", err=True)
        sys.exit(2)


@main.command(cls=_Command)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(path_type=Path),
              help="Corpus root: duplicates are judged against every document under it (default: first of `paths`).")
@click.option("--fix", is_flag=True, help="Rewrite the files with the cleaner's edits; log them. Still exits 1.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="Report format: text for people, json for tools, github for workflow annotations.")
@click.option("--log", "log_file", type=click.Path(path_type=Path),
              help="Change log that --fix appends to (default: ROOT/.dedup/fixes.jsonl).")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="Config file (TOML).")
def check(files: tuple[Path, ...], root: Path | None, fix: bool, fmt: str, log_file: Path | None,
          config_file: Path | None) -> None:
    """Check FILES (default: the whole corpus) for boilerplate, repairs and near-duplicates.

    Exit status 0 when clean, 1 when something was found (or fixed). Built for pre-commit.
    """
    from .check import check as run_check
    from .check import render

    base, _ = _load_config([], config_file)
    corpus_root = root or Path(base.paths[0])
    config, _ = _load_config([corpus_root], config_file)
    report = run_check(list(files), corpus_root, config, fix=fix, log=log_file)
    text = render(report, fmt)
    if text:
        click.echo(text)
    if fmt == "text":
        n = len(report.findings)
        if n or report.fixed:
            files_hit = len({f.path for f in report.findings})
            click.echo(f"dedup check: {n} finding{'s' * (n != 1)} in {files_hit} file{'s' * (files_hit != 1)} "
                       f"(checked {report.checked} against {report.corpus} documents; cache {report.cache})", err=True)
            if report.fixed:
                click.echo(f"dedup check: fixed {', '.join(report.fixed)}; review and stage the changes "
                           f"(removed text is in the change log)", err=True)
            else:
                click.echo("  fix: `dedup check --fix FILE` (removed text goes to the change log), or accept a "
                           "finding: add its id to [tool.dedup.accept] ids in pyproject.toml or dedup.toml", err=True)
    if report.findings or report.fixed:
        sys.exit(1)


@main.command(cls=_Command)
@click.argument("out", type=click.Path(path_type=Path))
@click.option("-o", "--output", "target", type=click.Path(path_type=Path), required=True,
              help="Folder to rebuild the original corpus in.")
def restore(out: Path, target: Path) -> None:
    """Rebuild the original corpus, byte for byte, from OUT/corpus and OUT/changes.jsonl."""
    from .output import restore as run_restore

    _sweep(target, spill=False)
    written = run_restore(out, target)
    click.echo(f"dedup: restored {len(written)} files into {target}/")


@main.command(cls=_Command)
@click.argument("out", type=click.Path(path_type=Path), default="out")
def report(out: Path) -> None:
    """Rebuild OUT/report.html and OUT/report.md from OUT (default: out)."""
    from .output import write_reports

    write_reports(out)
    click.echo(f"dedup: wrote {out}/report.html and {out}/report.md")


@main.command(cls=_Command)
@click.argument("out", type=click.Path(path_type=Path), default="out")
@click.argument("docs", nargs=-1)
@click.option("--color/--no-color", "colour", default=None,
              help="Colour the diff (default: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).")
def diff(out: Path, docs: tuple[str, ...], colour: bool | None) -> None:
    """Show what the cleaner changed in OUT as a unified diff, with the reason on each hunk.

    DOCS limits it to some documents (paths relative to the corpus root). Paged like `git diff`
    on a terminal, plain otherwise.
    """
    from .report import load, terminal

    data = load(out)
    known = {d.doc for d in data.documents}
    unknown = [d for d in docs if d not in known]
    if unknown:
        raise UsageError(f"{unknown[0]}: not a document of {out}; `dedup diff {out}` lists them all")
    tty = sys.stdout.isatty()
    painted = terminal.use_colour(tty) if colour is None else colour
    lines = terminal.render(data, docs, painted)
    if tty:
        click.echo_via_pager(line + "\n" for line in lines)
    else:
        for line in lines:
            click.echo(line, color=painted)


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
