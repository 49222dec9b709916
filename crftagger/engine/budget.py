"""A memory budget for training, checked before anything is allocated.

The parts of training that grow with the number of labels ``L`` are the
transition weights (``L**2`` for a first-order model, ``L**2 + L**3`` for a
second-order one), repeated in the optimiser's memory and in every thread's
gradient buffer, and each thread's lattice (``T * L`` cells for a first-order
model, ``T * L**2`` for a second-order one, ``T`` the longest sequence).
Their sum is a lower bound of what training takes: with thousands of labels it
is gigabytes (3,000 labels, 2 threads: 1.4 GB), and each iteration costs
``tokens * L**2`` label-pair steps (``tokens * L**3`` for a second-order
model; 3,000 labels over 5,000 tokens: 4.5e10 steps, minutes per iteration).
:func:`check_training_budget` refuses a problem whose memory bound or work per
pass exceeds its budget, with the figures and how to raise it:
``memory_budget=`` / ``work_budget=`` in :meth:`crftagger.Tagger.train`,
``--memory-budget`` / ``--work-budget`` on the command line, or the
``CRFTAGGER_MEMORY_BUDGET`` (bytes, or a number with K, M, G or T) and
``CRFTAGGER_WORK_BUDGET`` (steps, e.g. ``1e11``) environment variables.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re

from crftagger.errors import TrainingError

#: The budget when none is given: 4 GiB.
DEFAULT_BUDGET = 4 * 2**30

ENV = "CRFTAGGER_MEMORY_BUDGET"

#: Label-pair steps per pass over the data when none is given (tens of seconds
#: per gradient evaluation on one core; CoNLL-2003 NER in IOB2 takes 1.6e7,
#: CoNLL-2000's 44 POS tags 4e8, ATIS's 120 slot tags 7e8).
DEFAULT_WORK = 2 * 10**10

WORK_ENV = "CRFTAGGER_WORK_BUDGET"

_OVERRIDE: contextvars.ContextVar = contextvars.ContextVar("crftagger_memory_budget", default=None)
_WORK_OVERRIDE: contextvars.ContextVar = contextvars.ContextVar(
    "crftagger_work_budget", default=None
)

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_budget(value, what: str = "memory budget") -> int:
    """Bytes from an int or a string such as ``"8G"``, ``"512M"`` or ``"1000000"``."""
    if isinstance(value, bool):
        raise TrainingError(f"{what}: found {value!r}, expected bytes or a size such as '8G'")
    if isinstance(value, int):
        n = value
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", str(value), re.IGNORECASE)
        if not m:
            raise TrainingError(
                f"{what}: found {value!r}, expected bytes or a size such as '8G' or '512M'"
            )
        n = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if n <= 0:
        raise TrainingError(f"{what}: found {value!r}, expected a positive size")
    return n


def resolve_budget(budget=None) -> int:
    """The budget given, else the one of an enclosing :func:`memory_budget` block, else
    ``$CRFTAGGER_MEMORY_BUDGET``, else :data:`DEFAULT_BUDGET`."""
    if budget is not None:
        return parse_budget(budget)
    if _OVERRIDE.get() is not None:
        return _OVERRIDE.get()
    env = os.environ.get(ENV)
    if env:
        return parse_budget(env, f"${ENV}")
    return DEFAULT_BUDGET


def training_bytes(
    n_labels: int, max_len: int, *, order: int = 1, threads: int = 1, memories: int = 6
) -> int:
    """A lower bound of the label-dependent bytes that training allocates."""
    L = int(n_labels)
    trans = L * L if order == 1 else L * L + L * L * L
    copies = 2 * int(memories) + 3 + 2 * max(1, int(threads))  # optimiser + per-thread grads
    lattice = (4 * max_len * L) if order == 1 else (4 * max_len * L * L)
    return 8 * (trans * copies + max(1, int(threads)) * lattice)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def parse_work(value, what: str = "work budget") -> int:
    """Steps from an int or a string such as ``"1e11"``."""
    try:
        n = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        n = float("nan")
    if not (n > 0 and n < 1e30):
        raise TrainingError(
            f"{what}: found {value!r}, expected a positive number of steps such as 1e11"
        )
    return int(n)


def resolve_work(work=None) -> int:
    """The work budget given, else an enclosing block's, else ``$CRFTAGGER_WORK_BUDGET``,
    else :data:`DEFAULT_WORK`."""
    if work is not None:
        return parse_work(work)
    if _WORK_OVERRIDE.get() is not None:
        return _WORK_OVERRIDE.get()
    env = os.environ.get(WORK_ENV)
    if env:
        return parse_work(env, f"${WORK_ENV}")
    return DEFAULT_WORK


def check_training_budget(
    n_labels: int,
    max_len: int,
    n_tokens: int,
    *,
    order: int = 1,
    threads: int | None = 1,
    memories: int | None = 6,
    budget=None,
    work=None,
) -> int:
    """Refuse a training problem whose label-dependent memory or work exceeds its budget.

    Returns the estimated bytes. Raises :class:`TrainingError` naming the
    labels, the estimate, the work per iteration and how to raise the budget.
    """
    steps = int(n_tokens) * int(n_labels) ** (order + 1)
    work_limit = resolve_work(work)
    if steps > work_limit:
        raise TrainingError(
            f"training with {n_labels} labels over {n_tokens} tokens (order {order}) takes "
            f"about {steps:.2g} label-{'pair' if order == 1 else 'triple'} steps per pass over "
            f"the data, several passes per iteration; found a work budget of {work_limit:.2g} "
            f"steps. Expected fewer labels (merge rare ones), or raise the budget: work_budget= "
            f"in Tagger.train, --work-budget on the command line or ${WORK_ENV} (e.g. '1e12')"
        )
    limit = resolve_budget(budget)
    need = training_bytes(
        n_labels, max_len, order=order, threads=threads or 1, memories=memories or 6
    )
    if need > limit:
        raise TrainingError(
            f"training with {n_labels} labels (order {order}, longest sequence {max_len}, "
            f"{threads or 1} thread(s)) needs at least {_size(need)} for the transition weights, "
            f"the optimiser and the lattices, and about {steps:.2g} label-{'pair' if order == 1 else 'triple'} "
            f"steps per iteration; found a memory budget of {_size(limit)}. Expected fewer labels "
            f"(merge rare ones), or raise the budget: memory_budget= in Tagger.train, "
            f"--memory-budget on the command line or ${ENV} (e.g. '16G')"
        )
    return need


@contextlib.contextmanager
def training_budgets(memory=None, work=None):
    """Within the block, training uses these budgets unless given its own; None keeps the
    enclosing rule (an outer block's, the environment's or the default)."""
    tokens = []
    if memory is not None:
        tokens.append((_OVERRIDE, _OVERRIDE.set(parse_budget(memory))))
    if work is not None:
        tokens.append((_WORK_OVERRIDE, _WORK_OVERRIDE.set(parse_work(work))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
