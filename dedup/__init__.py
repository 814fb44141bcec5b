"""dedup: clean and deduplicate a corpus of extracted web documents, with a lossless change log.

Library use::

    from dedup import clean, write, Config
    result = clean(["seeds"], Config())
    write(result, Path("out"), Config())

The names are loaded on first use, so that the command line (:mod:`dedup.__main__`) can answer
Ctrl-C plainly from its first instant rather than after the library has been imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .config import Config
    from .pipeline import clean, restore, write

__all__ = ["Config", "__version__", "clean", "restore", "write"]


def __getattr__(name: str) -> Any:
    if name == "Config":
        from .config import Config

        return Config
    if name in ("clean", "restore", "write"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'dedup' has no attribute {name!r}")
