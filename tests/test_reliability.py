"""Nothing lost, ever: real runs interrupted at random points, killed workers, leftovers of killed
runs, a full disk and an unwritable output folder.

Every test here checks the same promise from a different side: the input is untouched, ``OUT`` is
either the previous complete output or the new complete output (never a mix, never missing), and
the user gets one plain line saying what happened.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import read_tree, write_corpus
from test_scale import generated

from dedup import corpus as corpus_module
from dedup import leftovers
from dedup.cli import main

DEDUP = str(Path(sys.executable).with_name("dedup"))
#: Kill points per signal; four signals, so 4 × this many interrupted runs.
KILLS_PER_SIGNAL = 6
SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL", "SIGKILL-worker")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _processes(part: str) -> Iterator[tuple[int, bytes]]:
    """Every process's pid and its ``/proc/PID/<part>`` file (processes that ended are left out)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield int(entry), Path(f"/proc/{entry}/{part}").read_bytes()
            except OSError:
                continue


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    return sorted(p for p, stat in _processes("stat") if int(stat.rsplit(b")", 1)[1].split()[1]) == pid)


def running_with(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (a run's unique output path)."""
    return [p for p, cmdline in _processes("cmdline") if marker.encode() in cmdline]


def leftovers_of(spill: Path, out: Path) -> list[str]:
    beside = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    return sorted([p.name for p in spill.iterdir()] + beside)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A corpus of 1,000 documents (a run takes 1-2 s with -j 2), its output with other settings
    (the *previous* output) and its reference output."""
    base = tmp_path_factory.mktemp("kills")
    corpus = generated(base / "corpus", 1000)
    previous, reference = base / "previous", base / "reference"
    subprocess.run([DEDUP, "clean", str(corpus), "-o", str(previous), "-q", "-j", "2", "--threshold", "0.9"],
                   check=True)
    start = time.monotonic()
    subprocess.run([DEDUP, "clean", str(corpus), "-o", str(reference), "-q", "-j", "2"], check=True)
    duration = time.monotonic() - start
    prev_tree, ref_tree = read_tree(previous), read_tree(reference)
    assert prev_tree != ref_tree
    return {"corpus": corpus, "previous": previous, "prev": prev_tree, "ref": ref_tree, "duration": duration,
            "input": read_tree(corpus)}


def test_runs_killed_at_random_points_leave_old_or_new_output(runs: dict[str, object], tmp_path: Path) -> None:
    """24 real runs (-j 2), each sent SIGINT, SIGTERM or SIGKILL, or with a worker SIGKILLed, after a
    seeded random delay: OUT is always the previous or the new complete output; the message is one
    line; a run killed outright leaves folders that the next run removes, saying so."""
    corpus, previous = runs["corpus"], runs["previous"]
    assert isinstance(corpus, Path) and isinstance(previous, Path)
    duration = runs["duration"]
    assert isinstance(duration, float)
    rng = random.Random(20260408)
    outcomes: dict[str, list[str]] = {name: [] for name in SIGNALS}
    for i in range(KILLS_PER_SIGNAL * len(SIGNALS)):
        kind = SIGNALS[i % len(SIGNALS)]
        delay = rng.uniform(0.05, duration * 1.1)
        case = tmp_path / f"k{i:02d}"
        spill = case / "spill"
        spill.mkdir(parents=True)
        out = case / "out"
        shutil.copytree(previous, out)
        env = {**os.environ, "TMPDIR": str(spill)}
        proc = subprocess.Popen([DEDUP, "clean", str(corpus), "-o", str(out), "-q", "-j", "2"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        target = proc.pid
        if kind == "SIGKILL-worker":
            workers = children(proc.pid)
            target = workers[0] if workers else -1
        sent = target > 0 and proc.poll() is None
        if sent:
            os.kill(target, {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}.get(kind, signal.SIGKILL))
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - the failure this test exists for
            proc.kill()
            pytest.fail(f"kill point {i} ({kind} after {delay:.2f}s): the run hung")
        tree = read_tree(out)
        state = "new" if tree == runs["ref"] else "previous" if tree == runs["prev"] else "MIXED"
        assert state != "MIXED", f"kill point {i} ({kind} after {delay:.2f}s): OUT is neither old nor new"
        assert "Traceback" not in err, err
        assert len(err.strip().splitlines()) <= 1, err
        outcomes[kind].append(f"{delay:.2f}s:{proc.returncode}/{state}{'' if sent else '/not-sent'}")
        if proc.returncode == 0:
            assert state == "new"
        elif kind in ("SIGINT", "SIGTERM") and proc.returncode < 0:
            # sent while the interpreter was still starting, before any handler (or any dedup code)
            # existed, or while it was shutting down after the run, when Python has put the default
            # handlers back: the default action ends it, silently, having touched nothing yet
            # (the previous output) or nothing more (the new one, published whole)
            assert proc.returncode == -{"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}[kind], err
            assert err == "" and state in ("previous", "new") and not leftovers_of(spill, out)
        elif kind in ("SIGINT", "SIGTERM"):
            assert proc.returncode == 130 and "interrupted" in err and state == "previous", err
        elif kind == "SIGKILL-worker":
            assert proc.returncode == 2 and "worker process" in err and "died" in err, err
            assert state == "previous"
        else:
            assert proc.returncode == -signal.SIGKILL
        if kind != "SIGKILL":  # every way out but SIGKILL of the main process cleans up after itself
            assert leftovers_of(spill, out) == [], f"kill point {i} ({kind}): temporary files left"
            continue
        deadline = time.monotonic() + 10  # orphaned workers die with their parent
        while running_with(str(out)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running_with(str(out)) == [], "workers outlived the killed main process"
        left = leftovers_of(spill, out)
        again = subprocess.run([DEDUP, "clean", str(corpus), "-o", str(out), "-q", "-j", "2"], env=env,
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert read_tree(out) == runs["ref"]
        assert leftovers_of(spill, out) == []
        for name in left:  # each leftover is named in a one-line notice
            assert f"{name}, the " in again.stderr, (name, again.stderr)
        assert all(line.startswith("dedup: note: removed ") for line in again.stderr.splitlines()), again.stderr
    assert read_tree(corpus) == runs["input"], "the input was modified"
    interrupted = sum(":0/" not in o for found in outcomes.values() for o in found)
    print(f"kill points: {outcomes}")
    assert interrupted >= len(SIGNALS) * KILLS_PER_SIGNAL // 2, f"most kills should land mid-run: {outcomes}"


def test_killed_worker_stops_the_run_in_process(tmp_path: Path) -> None:
    """The library side: a worker SIGKILLed while its task runs raises WorkerError, not a hang."""
    from dedup import workers
    from dedup.errors import WorkerError

    before = set(children(os.getpid()))
    pool = workers.WatchedPool(2, _noop_init, ())
    try:
        results = pool.imap(time.sleep, [30])
        victim = sorted(set(children(os.getpid())) - before)[0]
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(WorkerError, match=rf"worker process {victim} died \(killed by SIGKILL\)"):
            next(results)
    finally:
        pool.terminate()


_MASK_AT_INIT: set[int] = set()


def _record_mask() -> None:
    _MASK_AT_INIT.update(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def _masks(_: object) -> tuple[set[int], set[int]]:
    return set(_MASK_AT_INIT), set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks")
def test_workers_hold_stop_signals_until_their_handlers_are_set() -> None:
    """A worker takes SIGINT and SIGTERM only once its initializer has set its handlers (the main
    process's SIGTERM handler raised KeyboardInterrupt in a worker stopped before that, which
    printed its exception header); the main process's mask is as it was."""
    from dedup import workers

    held = {int(s) for s in workers.HELD_SIGNALS}
    before = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    pool = workers.WatchedPool(1, _record_mask, ())
    try:
        at_init, running = next(pool.imap(_masks, [None]))
    finally:
        pool.terminate()
    assert held <= {int(s) for s in at_init}
    assert not held & {int(s) for s in running}
    assert set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) == before


def _large(n: int) -> bytes:
    return bytes(n)


@pytest.mark.skipif(sys.platform != "linux", reason="the pool forks its workers here; other platforms spawn them")
def test_the_pools_maintenance_thread_sleeps_while_results_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stock pool wakes its worker-maintenance thread whenever a result waits to be read, and
    the thread spins until it is (a sixth of the main process's CPU on a large run). The quiet pool
    wakes it for shutdown, an emptied cache or a dead worker only: here, a handful of times for
    two hundred results of a megabyte (the stock pool: thousands)."""
    import multiprocessing
    import multiprocessing.pool

    from dedup import workers

    wakes = 0
    wait = multiprocessing.pool.wait  # type: ignore[attr-defined]

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal wakes
        wakes += 1
        return wait(*args, **kwargs)

    monkeypatch.setattr(multiprocessing.pool, "wait", counted)  # the maintenance thread's only wait
    pool = workers.QuietPool(2, context=multiprocessing.get_context("fork"))
    try:
        sizes = [len(found) for found in pool.imap(_large, [1 << 20] * 200)]
    finally:
        pool.terminate()
    assert sizes == [1 << 20] * 200
    assert wakes <= 10, wakes


def _noop_init() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_a_signal_while_the_spill_folder_is_made_leaves_nothing(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C landing just after the spill folder exists (before the code that removes it is in
    place) is held until it is: the folder is removed and the interrupt still ends the run."""
    import tempfile

    made = tempfile.mkdtemp

    def mkdtemp_then_interrupted(*args: object, **kwargs: object) -> str:
        folder = made(*args, **kwargs)  # type: ignore[call-overload]
        os.kill(os.getpid(), signal.SIGINT)
        return str(folder)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp_then_interrupted)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(KeyboardInterrupt), leftovers.spill_folder():
        pytest.fail("the interrupt was not delivered")
    assert list(tmp_path.iterdir()) == []


def test_stale_spill_folders_of_dead_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"dedup-{dead.pid}-12345-abc123"
    stale.mkdir()
    (stale / "band0.u64").write_bytes(b"\0" * 64)
    live = tmp_path / f"dedup-{leftovers.owner_tag()}-xyz"
    live.mkdir()
    other = tmp_path / "dedup-bench"  # not ours: never touched
    other.mkdir()
    notices = leftovers.sweep_spill(tmp_path)
    assert [n.path for n in notices] == [stale]
    assert "earlier run" in notices[0].message and str(dead.pid) in notices[0].message
    assert not stale.exists() and live.exists() and other.exists()


def test_pid_reused_by_another_process_is_not_the_owner(tmp_path: Path) -> None:
    """A folder tagged with a live pid but another start time belongs to a dead run."""
    pid = os.getpid()
    reused = tmp_path / f"dedup-{pid}-1-abc"
    reused.mkdir()
    if leftovers.owner_tag().endswith("-0"):  # pragma: no cover - no /proc: pids alone are trusted
        pytest.skip("process start times are not available here")
    assert [n.path for n in leftovers.sweep_spill(tmp_path)] == [reused]


def test_output_moved_aside_by_a_killed_swap_is_put_back(tmp_path: Path) -> None:
    """Where the swap is two renames, a run killed between them leaves OUT missing and the old
    output beside it: the next run puts it back before anything else."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    write_corpus(tmp_path / f".out.old-{dead.pid}-99", {"corpus/a.txt": "previous\n"})
    write_corpus(tmp_path / f".out.tmp-{dead.pid}-99", {"corpus/a.txt": "half"})
    notices = leftovers.sweep_output(out)
    assert read_tree(out) == {"corpus/a.txt": b"previous\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert any("put back" in n.message for n in notices) and any("unfinished output" in n.message for n in notices)


def test_publish_without_atomic_exchange_restores_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-rename fallback: a failure after OUT was moved aside puts it back."""
    out = write_corpus(tmp_path / "out", {"a.txt": "previous\n"})
    monkeypatch.setattr(corpus_module, "_exchange", lambda a, b: False)
    real_replace = os.replace
    calls: list[str] = []

    def replace_then_fail(src: object, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 2:  # the second rename (new output into place) fails
            raise KeyboardInterrupt
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(corpus_module.os, "replace", replace_then_fail)
    with pytest.raises(KeyboardInterrupt):
        corpus_module.publish_dir(out, lambda tmp: (tmp / "a.txt").write_text("new\n"))
    monkeypatch.setattr(corpus_module.os, "replace", real_replace)
    assert read_tree(out) == {"a.txt": b"previous\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_publish_swaps_atomically(tmp_path: Path) -> None:
    out = write_corpus(tmp_path / "out", {"a.txt": "previous\n"})
    corpus_module.publish_dir(out, lambda tmp: (tmp / "b.txt").write_text("new\n"))
    assert read_tree(out) == {"b.txt": b"new\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    if sys.platform.startswith("linux"):
        a, b = write_corpus(tmp_path / "x", {"x": "x"}), write_corpus(tmp_path / "y", {"y": "y"})
        assert corpus_module._exchange(a, b)
        assert read_tree(a) == {"y": b"y"} and read_tree(b) == {"x": b"x"}


# ---- a full disk, an unwritable folder --------------------------------------------------------

PROSE = ("Meta has officially unveiled Muse Spark, its latest artificial intelligence model, and the "
         "company says it is the first of many.")


@pytest.mark.parametrize("where", ["text", "jsonl", "summary"])
def test_disk_full_while_writing_keeps_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           where: str) -> None:
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\nComments\n",
                                          "b.jsonl": '{"id": 1, "text": "x y z"}\n{"id": 2, "text": "Comments"}\n'})
    out = tmp_path / "out"
    assert invoke("clean", str(root), "-o", str(out))[0] == 0
    before = read_tree(out)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "text":
        monkeypatch.setattr(Path, "write_bytes", full)
    elif where == "jsonl":
        monkeypatch.setattr("dedup.formats.JsonlWriter.line", full)
    else:
        monkeypatch.setattr(Path, "write_text", full)
    code, _, err = invoke("clean", str(root), "-o", str(out))
    assert code == 2, err
    assert "No space left on device" in err and "intact" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    monkeypatch.undo()
    assert read_tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def _without_dac_override() -> None:
    """In the child, before exec: give up root's power to write into read-only folders."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE
        os._exit(99)


def test_unwritable_output_parent_is_a_clear_error(tmp_path: Path) -> None:
    """A real permission error: the output's parent is read-only (as root, the run gives up the
    capability that ignores permissions)."""
    root = write_corpus(tmp_path / "in", {"a.txt": f"{PROSE}\n"})
    locked = tmp_path / "locked"
    write_corpus(locked / "out", {"previous.txt": "previous\n"})
    locked.chmod(0o555)
    try:
        proc = subprocess.run([DEDUP, "clean", str(root), "-o", str(locked / "out"), "-q"], capture_output=True,
                              text=True, timeout=60, preexec_fn=_without_dac_override if os.geteuid() == 0 else None)
    finally:
        locked.chmod(0o755)
    if proc.returncode == 99:  # pragma: no cover
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here")
    assert proc.returncode == 2, proc.stderr
    assert "Permission denied" in proc.stderr and "locked" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert read_tree(locked) == {"out/previous.txt": b"previous\n"}
    assert read_tree(root) == {"a.txt": f"{PROSE}\n".encode()}


def test_terminating_a_pool_whose_idle_worker_was_killed_does_not_hang() -> None:
    """Found by the kill test under load: a worker SIGKILLed while idle can die holding the task
    queue's lock, and ``Pool.terminate`` then waits for that lock forever (the run hung at its end)."""
    import threading

    from dedup import workers

    before = set(children(os.getpid()))
    pool = workers.WatchedPool(2, _noop_init, ())
    time.sleep(0.5)  # both workers idle, one of them waiting for tasks with the lock held
    for victim in sorted(set(children(os.getpid())) - before):
        os.kill(victim, signal.SIGKILL)
    time.sleep(0.2)
    stopper = threading.Thread(target=pool.terminate, daemon=True)
    stopper.start()
    stopper.join(60)
    assert not stopper.is_alive(), "terminate hung"
