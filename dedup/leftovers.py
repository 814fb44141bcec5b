"""What a run leaves behind when it cannot clean up, and how the next run recognises and removes it.

Ctrl-C and SIGTERM unwind and remove a run's temporary folders; SIGKILL, a crash of the machine
or the kernel's out-of-memory killer do not. Two kinds of folder can then stay behind:

* the *spill* folder in ``TMPDIR`` (``dedup-PID-START-xxxx``), which holds gigabytes on a large
  corpus and is useless once its run is gone;
* the half-built output beside ``OUT`` (``.OUT.tmp-PID-START``) and, if the run died between the
  two renames of the fallback swap, the previous output moved aside (``.OUT.old-PID-START``).

Every such folder is named after the process that owns it: its pid and its start time (so a new
process that happens to get the same pid is not mistaken for the owner). A folder whose owner is
gone is stale: the next run removes it (or, for a moved-aside previous output with no ``OUT`` in
its place, puts it back) and says so in one line. Folders that do not carry such a name (another
tool's, or a benchmark's ``dedup-bench``) are never touched, and neither is a folder whose owner is
still running.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: ``dedup-PID-START-random``: a spill folder in TMPDIR.
_SPILL = re.compile(r"dedup-(\d+)-(\d+)-[A-Za-z0-9_]+")
#: ``.NAME.tmp-PID-START`` or ``.NAME.old-PID-START`` beside an output folder (``-START`` is
#: missing on folders of versions that named them by pid alone).
_SIBLING = r"\.{name}\.(tmp|old)-(\d+)(?:-(\d+))?"


def _start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after the last ')'
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return int(fields[19])  # field 22 of the full line
    except (IndexError, ValueError):
        return None


@lru_cache(maxsize=1)
def owner_tag() -> str:
    """``PID-START`` of this process, the suffix of every temporary folder it creates."""
    pid = os.getpid()
    return f"{pid}-{_start_time(pid) or 0}"


def alive(pid: int, start: int | None) -> bool:
    """Whether the process that created a folder tagged ``pid`` (and ``start``) still runs."""
    if pid == os.getpid() and (start is None or start == (_start_time(pid) or 0)):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    if start is None or start == 0:
        return True
    now = _start_time(pid)
    return now is None or now == start


@dataclass(frozen=True)
class Notice:
    """One stale folder dealt with, and what was done, for the user."""

    path: Path
    message: str


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while something is created on disk and taken charge of.

    The handlers raise ``KeyboardInterrupt`` at any point, also between a file's creation and the
    ``try`` that removes it. Python's own first look for TMPDIR creates and removes a probe file,
    and a SIGTERM landing between the two left it behind (seen in the kill test). Here the Python
    handlers only note a signal; it is raised again when the block ends, where the caller's
    cleanup is in place. (Masking the signal would not do: Python runs handlers in the main thread
    for a signal any thread receives, and the worker pool's threads do not mask it.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {signum: signal.signal(signum, lambda number, _frame: caught.append(number))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        if caught:
            signal.raise_signal(caught[0])


def temp_root() -> Path:
    """TMPDIR as Python finds it (the first call probes it with a file), with signals held."""
    with _signals_held():
        return Path(tempfile.gettempdir())


def sweep_spill(tmpdir: Path | None = None) -> list[Notice]:
    """Remove the spill folders of dedup runs that are gone from ``tmpdir`` (default: TMPDIR)."""
    folder = Path(tmpdir) if tmpdir else temp_root()
    notices: list[Notice] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return notices
    for entry in entries:
        found = _SPILL.fullmatch(entry.name)
        if found is None or not entry.is_dir() or entry.is_symlink():
            continue
        pid, start = int(found[1]), int(found[2])
        if alive(pid, start):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            notices.append(Notice(entry, f"removed {entry}, the temporary folder of an earlier run (pid {pid}) "
                                         "that was killed; this run starts from scratch"))
    return notices


def sweep_output(target: Path) -> list[Notice]:
    """Deal with what dead runs left beside the output folder ``target``.

    A half-built ``.NAME.tmp-*`` is removed (this run builds its own). A moved-aside previous
    output ``.NAME.old-*`` is put back when ``target`` is missing (the run died between the two
    renames of a swap), else removed (the swap completed).
    """
    target = target.absolute()
    pattern = re.compile(_SIBLING.format(name=re.escape(target.name)))
    notices: list[Notice] = []
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return notices
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or entry.is_symlink():
            continue
        pid, start = int(found[2]), int(found[3]) if found[3] else None
        if alive(pid, start):
            continue
        if found[1] == "old" and not target.exists():
            os.replace(entry, target)
            notices.append(Notice(entry, f"put back {target}: an earlier run (pid {pid}) was killed while "
                                         f"replacing it, and had moved it to {entry.name}"))
            continue
        shutil.rmtree(entry, ignore_errors=True)
        what = "unfinished output" if found[1] == "tmp" else "replaced output"
        notices.append(Notice(entry, f"removed {entry}, the {what} of an earlier run (pid {pid}) that was "
                                     "killed; this run starts from scratch"))
    return notices


@contextmanager
def spill_folder() -> Iterator[Path]:
    """A temporary folder in TMPDIR named after this process, removed on the way out.

    The name lets a later run tell a folder whose run was killed (and could not remove it) from
    one still in use by a run in progress.
    """
    folder: Path | None = None
    try:
        with _signals_held():  # created and in this try's charge before a signal can land
            folder = Path(tempfile.mkdtemp(prefix=f"dedup-{owner_tag()}-", dir=temp_root()))
        yield folder
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
