"""How fast this machine runs right now, so a benchmark table carries its context.

Shared cloud machines drift: the 10k scale run took 6.2 s in one sitting and 7.9 s in another,
with no change between them that a side-by-side run could see. A fixed pure-Python loop (20
million additions, about 1.0 s on this project's quietest days) measured before and after a
benchmark says which kind of hour its figures come from; the README quotes it beside every table.
It is a yardstick for the interpreter's speed, not a model of dedup's (which is part numpy):
compare figures only between runs whose loops agree.
"""

from __future__ import annotations

import time

#: The loop as the README's figures measured it: a script's top level, so ``s`` and ``i`` are global
#: (dict) variables. The same loop in a function, on fast local variables, takes about 0.6 times as
#: long and would not compare with those figures.
_LOOP = compile("s = 0\nfor i in range(20_000_000):\n    s += i\n", "<machine loop>", "exec")


def loop_seconds() -> float:
    """Seconds the fixed loop of 20 million additions takes here, now."""
    start = time.perf_counter()
    exec(_LOOP, {})
    return time.perf_counter() - start


def machine_line(before: float, after: float) -> str:
    """The sentence a table is printed with."""
    return (f"machine: a fixed loop of 20M additions took {before:.2f} s before this run and {after:.2f} s after it "
            "(about 1.0 s on the quietest days)")


if __name__ == "__main__":
    print(f"{loop_seconds():.2f}")
