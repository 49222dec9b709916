"""Is system A's span F1 really different from system B's on the same gold data?

Both tests resample *units* (sentences, or documents) and keep each unit's
spans together, since the errors inside one sentence or one document are not
independent. Spans are read as :func:`crftagger.metrics.span_scores` reads
them (``mode="conlleval"`` or ``mode="strict"`` with a scheme), so the F1 of
each system is the one ``crftagger evaluate`` prints.

Counts: for unit ``u`` and type ``k`` let ``C[u, k] = (tp, fp, fn)``. The F1
of a set of units ``S`` is ``2 tp / (2 tp + fp + fn)`` with the counts summed
over ``S`` (0 when the denominator is 0), which is conlleval's
``2 P R / (P + R)``; "overall" pools all types (the micro average).

Paired bootstrap (Koehn 2004; Berg-Kirkpatrick et al. 2012)
    draw ``U`` units with replacement, the same draw for both systems, and
    record ``d* = F1_A* - F1_B*``; repeated ``samples`` times. The
    confidence interval at ``level`` is the percentile interval of ``d*``.
Approximate randomisation (Noreen 1989; Yeh 2000)
    under the null hypothesis the two systems' outputs are exchangeable: for
    each unit swap A's and B's counts with probability 1/2, and record
    ``|F1_A' - F1_B'|``; ``r`` of ``R`` shuffles reaching the observed
    ``|F1_A - F1_B|`` give ``p = (r + 1) / (R + 1)``.

Both run on count matrices, ``samples`` at a time in chunks, so 10,000
resamples of the CoNLL-2003 test set take about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from crftagger.analysis.exceptions import AnalysisInputError
from crftagger.errors import LengthMismatchError
from crftagger.metrics import PRF, check_lengths, span_scores, spans_by_sentence
from crftagger.schemes import Span

__all__ = [
    "Comparison",
    "TypeComparison",
    "bootstrap_differences",
    "compare",
    "document_units",
    "f1_from_counts",
    "randomisation_differences",
    "unit_counts",
]

#: Absolute tolerance when a shuffled difference is compared with the observed one, so
#: that equal F1 values computed in a different order still count as "reaching" it.
TIE_TOLERANCE = 1e-12
#: Largest number of (resample, unit) cells held in memory at once.
CHUNK_CELLS = 4_000_000


def document_units(starts: Sequence[bool]) -> np.ndarray:
    """Unit id of each sentence when ``starts[i]`` says that sentence ``i`` opens a document.

    Sentences before the first start belong to the first document.

    >>> document_units([True, False, True, False, False]).tolist()
    [0, 0, 1, 1, 1]
    """
    s = np.asarray(starts, dtype=bool)
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    ids = np.cumsum(s) - 1
    return np.maximum(ids, 0).astype(np.int64)


def unit_counts(
    gold_spans: Sequence[Sequence[Span]],
    pred_spans: Sequence[Sequence[Span]],
    units: np.ndarray,
    n_units: int,
    types: Sequence[str],
) -> np.ndarray:
    """Count matrix ``C`` int64 ``[n_units, n_types, 3]``: ``(tp, fp, fn)`` per unit and type.

    ``gold_spans[i]``, ``pred_spans[i]``: the spans of sentence ``i``;
    ``units[i]``: its unit id in ``[0, n_units)``; axis 1 follows ``types``.
    A true positive is a predicted span equal to a gold span (type, start, end).
    """
    index = {t: k for k, t in enumerate(types)}
    c = np.zeros((n_units, len(types), 3), dtype=np.int64)
    for i, (gs, ps) in enumerate(zip(gold_spans, pred_spans, strict=True)):
        u = units[i]
        gset = set(gs)
        pset = set(ps)
        for s in pset:
            c[u, index[s.type], 0 if s in gset else 1] += 1
        for s in gset - pset:
            c[u, index[s.type], 2] += 1
    return c


def f1_from_counts(c: np.ndarray) -> np.ndarray:
    """F1 from counts ``c[..., 3] = (tp, fp, fn)``: ``2 tp / (2 tp + fp + fn)``, 0 for ``0 / 0``."""
    c = np.asarray(c, dtype=np.float64)
    num = 2.0 * c[..., 0]
    den = num + c[..., 1] + c[..., 2]
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _with_overall(sums: np.ndarray) -> np.ndarray:
    """``[..., K, 3]`` counts to ``[..., K + 1]`` F1: each type, then all types pooled."""
    return np.concatenate(
        [f1_from_counts(sums), f1_from_counts(sums.sum(axis=-2))[..., None]], axis=-1
    )


def bootstrap_differences(
    counts_a: np.ndarray, counts_b: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """``F1_A - F1_B`` on each bootstrap resample, float64 ``[R, K + 1]``.

    ``counts_a``, ``counts_b``: ``[U, K, 3]`` (see :func:`unit_counts`);
    ``indices`` int ``[R, U]``: row ``r`` lists the units drawn for resample
    ``r``. Column ``K`` is the overall (micro) F1 difference.
    """
    n_units, n_types, _ = counts_a.shape
    r = indices.shape[0]
    # weights[r, u] = how often unit u was drawn in resample r
    flat = (indices + (np.arange(r) * n_units)[:, None]).ravel()
    weights = np.bincount(flat, minlength=r * n_units).reshape(r, n_units).astype(np.float64)
    both = np.concatenate([counts_a, counts_b], axis=1).reshape(n_units, -1).astype(np.float64)
    sums = (weights @ both).reshape(r, 2, n_types, 3)
    f1 = _with_overall(sums)
    return f1[:, 0] - f1[:, 1]


def randomisation_differences(
    counts_a: np.ndarray, counts_b: np.ndarray, swaps: np.ndarray
) -> np.ndarray:
    """``F1_A' - F1_B'`` after swapping the systems' counts on the units where ``swaps`` is true.

    ``swaps`` bool ``[R, U]``; returns float64 ``[R, K + 1]`` (column ``K``:
    overall).
    """
    n_units, n_types, _ = counts_a.shape
    delta = (counts_b - counts_a).reshape(n_units, -1).astype(np.float64)
    moved = (swaps.astype(np.float64) @ delta).reshape(-1, n_types, 3)
    sum_a = counts_a.sum(axis=0).astype(np.float64)
    sum_b = counts_b.sum(axis=0).astype(np.float64)
    return _with_overall(sum_a + moved) - _with_overall(sum_b - moved)


@dataclass(frozen=True)
class TypeComparison:
    """One row of a comparison: a span type, or ``"overall"`` (micro average).

    ``a`` and ``b`` are the systems' scores (fractions); ``difference`` is
    ``a.f1 - b.f1``; ``ci_low``/``ci_high`` the bootstrap interval of the
    difference; ``p_value`` the approximate-randomisation p-value.
    """

    type: str
    a: PRF
    b: PRF
    difference: float
    ci_low: float
    ci_high: float
    p_value: float

    def to_dict(self) -> dict:
        def prf(v: PRF) -> dict:
            return {
                "precision": v.precision,
                "recall": v.recall,
                "f1": v.f1,
                "correct": v.correct,
                "predicted": v.predicted,
                "gold": v.gold,
            }

        return {
            "type": self.type,
            "a": prf(self.a),
            "b": prf(self.b),
            "difference": self.difference,
            "ci": [self.ci_low, self.ci_high],
            "p_value": self.p_value,
        }


@dataclass
class Comparison:
    """Result of :func:`compare`: ``rows`` per type (sorted) and ``overall``."""

    rows: dict[str, TypeComparison]
    overall: TypeComparison
    unit: str
    n_units: int
    samples: int
    permutations: int
    seed: int
    level: float
    mode: str
    scheme: str | None = None
    names: tuple[str, str] = ("A", "B")
    n_sentences: int = 0
    types: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "systems": {"a": self.names[0], "b": self.names[1]},
            "unit": self.unit,
            "units": self.n_units,
            "sentences": self.n_sentences,
            "mode": self.mode,
            "scheme": self.scheme,
            "bootstrap": {"samples": self.samples, "level": self.level},
            "randomisation": {"shuffles": self.permutations},
            "seed": self.seed,
            "types": [self.rows[t].to_dict() for t in self.types],
            "overall": self.overall.to_dict(),
        }

    def to_text(self) -> str:
        """A table in percent: F1 of A and B, A - B, the interval and the p-value per row."""
        pct = f"{100 * self.level:g}%"
        sentences = f" ({self.n_sentences} sentences)" if self.unit != "sentence" else ""
        lines = [
            f"A: {self.names[0]}",
            f"B: {self.names[1]}",
            f"{self.n_units} {self.unit}s{sentences}; paired bootstrap: "
            f"{self.samples} samples, {pct} interval; approximate randomisation: "
            f"{self.permutations} shuffles; seed {self.seed}",
            "",
        ]
        width = max([len("overall"), len("type")] + [len(t) for t in self.types])
        head = (
            f"{'type':<{width}}  {'gold':>6}  {'F1 A':>6}  {'F1 B':>6}  {'A - B':>6}  "
            f"{pct + ' interval':>17}  {'p':>6}"
        )
        lines.append(head)
        for row in [self.rows[t] for t in self.types] + [self.overall]:
            interval = f"[{100 * row.ci_low:+.2f}, {100 * row.ci_high:+.2f}]"
            lines.append(
                f"{row.type:<{width}}  {row.a.gold:>6d}  {100 * row.a.f1:6.2f}  "
                f"{100 * row.b.f1:6.2f}  {100 * row.difference:+6.2f}  {interval:>17}  "
                f"{row.p_value:6.4f}"
            )
        return "\n".join(lines) + "\n"


def _check_parameters(samples: int, permutations: int, level: float) -> None:
    for name, value in (("samples", samples), ("permutations", permutations)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise AnalysisInputError(f"{name} must be a whole number >= 1, not {value!r}")
    if not 0.0 < float(level) < 1.0:
        raise AnalysisInputError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")


def _units(units, n_sentences: int) -> tuple[np.ndarray, int]:
    if units is None:
        return np.arange(n_sentences, dtype=np.int64), n_sentences
    u = np.asarray(units)
    if u.shape != (n_sentences,):
        raise LengthMismatchError(
            f"units has {u.size} entries but there are {n_sentences} sentences; "
            "expected one unit id per sentence"
        )
    if n_sentences and (not np.issubdtype(u.dtype, np.integer) or u.min() < 0):
        raise AnalysisInputError("units must be non-negative integer ids, one per sentence")
    # renumber to 0..U-1 in order of first appearance
    _, first, inverse = np.unique(u, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse].astype(np.int64), len(first)


def _chunks(total: int, n_units: int):
    size = max(1, CHUNK_CELLS // max(n_units, 1))
    done = 0
    while done < total:
        n = min(size, total - done)
        yield n
        done += n


def compare(
    gold: Sequence[Sequence[str]],
    pred_a: Sequence[Sequence[str]],
    pred_b: Sequence[Sequence[str]],
    units: Sequence[int] | np.ndarray | None = None,
    unit: str = "sentence",
    samples: int = 10_000,
    permutations: int | None = None,
    seed: int = 0,
    level: float = 0.95,
    mode: str = "conlleval",
    scheme: str | None = None,
    repair: str = "outside",
    names: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Span F1 of two systems, their difference, a bootstrap interval and a p-value.

    Parameters
    ----------
    gold, pred_a, pred_b
        Tag sequences, one list per sentence, of the same lengths.
    units
        Unit id of each sentence (e.g. :func:`document_units`); ``None``: each
        sentence is its own unit. ``unit`` names the unit in the report.
    samples, permutations
        Number of bootstrap resamples and of random shuffles (``permutations``
        defaults to ``samples``).
    seed
        Seeds both draws (independent streams), so a result is reproducible.
    level
        Coverage of the percentile interval.
    mode, scheme, repair
        Span reading, as :func:`crftagger.metrics.span_scores`.
    """
    permutations = samples if permutations is None else permutations
    _check_parameters(samples, permutations, level)
    try:
        check_lengths(gold, pred_a)
    except LengthMismatchError as exc:
        raise LengthMismatchError(f"system A: {exc}") from None
    try:
        check_lengths(gold, pred_b)
    except LengthMismatchError as exc:
        raise LengthMismatchError(f"system B: {exc}") from None
    if not gold:
        raise AnalysisInputError("no sentences to compare; expected at least one")
    uid, n_units = _units(units, len(gold))
    score_a = span_scores(gold, pred_a, mode, scheme, repair, zero_division=0)
    score_b = span_scores(gold, pred_b, mode, scheme, repair, zero_division=0)
    types = sorted(set(score_a.types) | set(score_b.types))
    gs = spans_by_sentence(gold, mode, scheme, repair)
    ca = unit_counts(gs, spans_by_sentence(pred_a, mode, scheme, repair), uid, n_units, types)
    cb = unit_counts(gs, spans_by_sentence(pred_b, mode, scheme, repair), uid, n_units, types)

    seq_boot, seq_perm = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(seq_boot)
    boot = np.concatenate(
        [
            bootstrap_differences(ca, cb, rng.integers(0, n_units, size=(n, n_units)))
            for n in _chunks(samples, n_units)
        ]
    )
    rng = np.random.default_rng(seq_perm)
    observed = np.abs(_with_overall(ca.sum(axis=0)) - _with_overall(cb.sum(axis=0)))
    reached = np.zeros(len(types) + 1, dtype=np.int64)
    for n in _chunks(permutations, n_units):
        d = randomisation_differences(ca, cb, rng.random((n, n_units)) < 0.5)
        reached += (np.abs(d) >= observed - TIE_TOLERANCE).sum(axis=0)
    p_values = (reached + 1) / (permutations + 1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha], axis=0)

    def row(k: int, name: str, a: PRF, b: PRF) -> TypeComparison:
        return TypeComparison(
            name, a, b, a.f1 - b.f1, float(low[k]), float(high[k]), float(p_values[k])
        )

    empty = PRF.from_counts(0, 0, 0)
    rows = {
        t: row(k, t, score_a.per_type.get(t, empty), score_b.per_type.get(t, empty))
        for k, t in enumerate(types)
    }
    return Comparison(
        rows,
        row(len(types), "overall", score_a.micro, score_b.micro),
        unit,
        n_units,
        samples,
        permutations,
        seed,
        level,
        mode,
        score_a.scheme,
        names,
        len(gold),
        types,
    )
