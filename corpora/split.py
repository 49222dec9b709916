"""A development split carved from training sentences, the same way wherever it is needed.

:func:`carve_dev` takes every n-th sentence for a fraction ``1/n`` (sentences
``n-1, 2n-1, ...``, 0-based), and spreads any other fraction evenly: sentence
``i`` goes to dev when ``floor((i + 1) * f) > floor(i * f)``, computed
exactly on the fraction's decimal value. For ``f = 0.1`` that is every 10th
sentence, the dev split the benchmark carves for corpora without one
(``crftagger.benchmarks.suite.DEV_EVERY``) and on which the recipes of those
corpora were tuned (``benchmarks/experiments.md``); ``crftagger train
--dev-fraction`` uses it too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import TypeVar

T = TypeVar("T")

#: The largest fraction that may be carved off (dev never outgrows train).
MAX_FRACTION = 0.5


def dev_fraction(value) -> Fraction:
    """``value`` (a number or its text) as an exact fraction in ``(0, MAX_FRACTION]``."""
    try:
        f = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"dev fraction: found {value!r}; expected a number such as 0.1") from None
    if not 0 < f <= Fraction(str(MAX_FRACTION)):
        raise ValueError(
            f"dev fraction: found {value}; expected a number above 0 and at most {MAX_FRACTION} "
            "(e.g. 0.1 for every 10th sentence)"
        )
    return f


def is_dev(i: int, fraction: Fraction) -> bool:
    """Whether 0-based sentence ``i`` belongs to the dev split carved with ``fraction``."""
    return math.floor((i + 1) * fraction) > math.floor(i * fraction)


def carve_dev(sentences: Sequence[T], fraction=0.1) -> tuple[list[T], list[T]]:
    """``(train, dev)``: ``sentences`` split by :func:`is_dev`, both in their original order.

    Raises :class:`ValueError` for a fraction outside ``(0, 0.5]`` and when
    either part would be empty (too few sentences for the fraction).
    """
    f = dev_fraction(fraction)
    train: list[T] = []
    dev: list[T] = []
    for i, s in enumerate(sentences):
        (dev if is_dev(i, f) else train).append(s)
    if not dev or not train:
        raise ValueError(
            f"dev fraction {fraction}: {len(sentences)} sentences give a dev split of "
            f"{len(dev)} and a training split of {len(train)}; expected at least one sentence "
            f"in each (at least {math.ceil(1 / f)} sentences)"
        )
    return train, dev
