"""dedup: clean and deduplicate a corpus of extracted web documents, with a lossless change log.

Library use::

    from dedup import clean, write, Config
    result = clean(["seeds"], Config())
    write(result, Path("out"), Config())
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Config
from .pipeline import clean, restore, write

__all__ = ["Config", "__version__", "clean", "restore", "write"]
