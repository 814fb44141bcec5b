"""The ``dedup`` command (and ``python -m dedup``, and the file ``spark-submit`` runs: ``spark-submit
.../dedup/__main__.py clean ...``): the CLI, with interruptions answered from the start.

A Ctrl-C or SIGTERM that lands while Python is still importing the program would otherwise end
it with a traceback (SIGINT) or silently (SIGTERM). Nothing has been read or written yet then, so
the answer is the same one-line message and exit status 130 as for a run interrupted later, where
:mod:`dedup.cli` unwinds and cleans up.
"""

from __future__ import annotations

import signal
import sys
from typing import NoReturn


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _interrupted() -> NoReturn:
    sys.stderr.write("dedup: error: interrupted; the previous output, if any, is intact\n")
    sys.exit(130)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    try:
        from dedup.cli import main as cli  # absolute: spark-submit runs this file as a script
    except KeyboardInterrupt:
        _interrupted()
    cli()


if __name__ == "__main__":
    main()
