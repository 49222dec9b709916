"""Evaluation: span precision/recall/F1, token accuracy, per-label scores, confusion matrix.

The ``flat_*`` functions and :func:`sequence_accuracy_score` are those of
``sklearn_crfsuite.metrics`` (scikit-learn's token scores on flattened
sequences), so ``from crftagger import metrics`` replaces that module.

Inputs are parallel lists of tag sequences ``gold`` and ``pred`` (one list of
tags per sentence); :func:`check_lengths` rejects sequences of different
lengths, naming the sentence.

Span scores come in two modes:

``mode="conlleval"``
    both sides decoded leniently (:func:`crftagger.schemes.extract_spans`
    without a scheme). On IOB1 and IOB2 tags the counts are those of
    conlleval.pl: an ``I-X`` after ``O`` or another type starts a phrase, a
    type change ends one, and sentences never share a phrase. These are also
    the numbers of seqeval's default mode.
``mode="strict"`` (needs ``scheme``)
    both sides decoded with the scheme's rules; a malformed fragment is not a
    span (``repair="outside"``). For IOB2, IOE2, BIOES and BILOU this equals
    seqeval's ``mode="strict"``. Pass ``repair="error"`` to reject invalid
    sequences instead.

Precision, recall and F1 are fractions in ``[0, 1]``; a ratio whose
denominator is zero is 0 (as conlleval prints it). The micro average pools the
counts of all types, the macro average is the unweighted mean over the types
seen in gold or prediction. :func:`conlleval_report` prints them in
conlleval.pl's layout and number format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from crftagger.errors import LengthMismatchError
from crftagger.schemes import OUTSIDE, Span, decode, get_scheme, split_tag

__all__ = [
    "LengthMismatchError",
    "PRF",
    "SpanScores",
    "check_lengths",
    "confusion_matrix",
    "flat_accuracy_score",
    "flat_classification_report",
    "flat_f1_score",
    "flat_fbeta_score",
    "flat_precision_score",
    "flat_recall_score",
    "conlleval_report",
    "format_confusion",
    "label_report",
    "label_scores",
    "raw_tags",
    "sequence_accuracy_score",
    "span_scores",
    "spans_by_sentence",
    "token_accuracy",
]

MODES = ("conlleval", "strict")


@dataclass(frozen=True)
class PRF:
    """Counts and scores for one span type or label (fractions, not percent)."""

    correct: int
    predicted: int
    gold: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, correct: int, predicted: int, gold: int) -> PRF:
        p = correct / predicted if predicted else 0.0
        r = correct / gold if gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(correct, predicted, gold, p, r, f)


@dataclass
class SpanScores:
    """Span-level results: ``per_type`` (sorted by type), ``micro``, ``macro``."""

    per_type: dict[str, PRF]
    micro: PRF
    macro: PRF
    n_tokens: int
    n_correct_tokens: int
    mode: str
    scheme: str | None = None
    types: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.n_correct_tokens / self.n_tokens if self.n_tokens else 0.0


def check_lengths(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> None:
    """Raise :class:`LengthMismatchError` unless ``gold`` and ``pred`` line up."""
    if len(gold) != len(pred):
        raise LengthMismatchError(
            f"gold has {len(gold)} sentences but prediction has {len(pred)}; "
            "expected the same number"
        )
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if isinstance(g, str) or isinstance(p, str):
            raise LengthMismatchError(
                f"sentence {k}: expected a list of tags, found a string; "
                "pass a list of sentences, each a list of tags"
            )
        if len(g) != len(p):
            raise LengthMismatchError(
                f"sentence {k}: gold has {len(g)} tags but prediction has {len(p)}; "
                "expected equal lengths"
            )


def raw_tags(tags: Sequence[str], outside: str = OUTSIDE) -> list[str]:
    """conlleval's ``-r``: every tag other than ``outside`` is a one-token phrase (``B-tag``)."""
    return [OUTSIDE if t == outside else f"B-{t}" for t in tags]


def spans_by_sentence(
    sequences: Iterable[Sequence[str]],
    mode: str = "conlleval",
    scheme: str | None = None,
    repair: str = "outside",
) -> list[list[Span]]:
    """Decode each sequence with the mode's rules (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == "strict":
        if scheme is None:
            raise ValueError("mode='strict' needs a scheme (e.g. scheme='iob2')")
        sch = get_scheme(scheme)
        return [decode(s, sch, repair) for s in sequences]
    return [decode(s, None) for s in sequences]


def _located(exc: ValueError, side: str, k: int) -> ValueError:
    return type(exc)(f"{side} sentence {k}: {exc}")


def span_scores(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    mode: str = "conlleval",
    scheme: str | None = None,
    repair: str = "outside",
) -> SpanScores:
    """Span precision, recall and F1 per type with micro and macro averages."""
    check_lengths(gold, pred)
    counts: dict[str, list[int]] = {}  # type -> [correct, predicted, gold]
    n_tokens = n_ok = 0
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        try:
            gs = spans_by_sentence([g], mode, scheme, repair)[0]
        except ValueError as exc:
            raise _located(exc, "gold", k) from None
        try:
            ps = spans_by_sentence([p], mode, scheme, repair)[0]
        except ValueError as exc:
            raise _located(exc, "predicted", k) from None
        for s in gs:
            counts.setdefault(s.type, [0, 0, 0])[2] += 1
        for s in ps:
            counts.setdefault(s.type, [0, 0, 0])[1] += 1
        for s in set(gs) & set(ps):
            counts[s.type][0] += 1
        n_tokens += len(g)
        n_ok += sum(a == b for a, b in zip(g, p, strict=True))
    types = sorted(counts)
    per_type = {t: PRF.from_counts(*counts[t]) for t in types}
    tot = [sum(c[i] for c in counts.values()) for i in range(3)]
    micro = PRF.from_counts(*tot)
    if per_type:
        macro = PRF(
            tot[0],
            tot[1],
            tot[2],
            float(np.mean([v.precision for v in per_type.values()])),
            float(np.mean([v.recall for v in per_type.values()])),
            float(np.mean([v.f1 for v in per_type.values()])),
        )
    else:
        macro = PRF.from_counts(0, 0, 0)
    return SpanScores(
        per_type,
        micro,
        macro,
        n_tokens,
        n_ok,
        mode,
        get_scheme(scheme).name if scheme is not None else None,
        types,
    )


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Fraction of tokens whose predicted tag equals the gold tag (0 for no tokens)."""
    check_lengths(gold, pred)
    n = sum(len(g) for g in gold)
    ok = sum(a == b for g, p in zip(gold, pred, strict=True) for a, b in zip(g, p, strict=True))
    return ok / n if n else 0.0


def _default_labels(gold, pred) -> list[str]:
    seen = {t for s in gold for t in s} | {t for s in pred for t in s}
    # group B-X, I-X, ... by type; O last
    return sorted(seen, key=lambda t: (t == OUTSIDE, split_tag(t)[1], split_tag(t)[0]))


def label_scores(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str] | None = None,
) -> dict[str, PRF]:
    """Token-level precision, recall and F1 of each label (a label is a full tag)."""
    check_lengths(gold, pred)
    labels = list(labels) if labels is not None else _default_labels(gold, pred)
    n_gold: Counter = Counter()
    n_pred: Counter = Counter()
    n_ok: Counter = Counter()
    for g, p in zip(gold, pred, strict=True):
        for a, b in zip(g, p, strict=True):
            n_gold[a] += 1
            n_pred[b] += 1
            if a == b:
                n_ok[a] += 1
    return {lab: PRF.from_counts(n_ok[lab], n_pred[lab], n_gold[lab]) for lab in labels}


def confusion_matrix(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str] | None = None,
) -> tuple[list[str], np.ndarray]:
    """Token confusion counts ``C[i, j]`` = tokens with gold ``labels[i]`` predicted ``labels[j]``.

    Returns ``(labels, C)`` with ``C`` int64 ``[n_labels, n_labels]``, rows =
    gold, columns = prediction. Default label order: tags grouped by type
    (``B-LOC, I-LOC, B-PER, ...``), ``O`` last. With explicit ``labels`` a
    tag outside the list raises ``ValueError``.
    """
    check_lengths(gold, pred)
    labels = list(labels) if labels is not None else _default_labels(gold, pred)
    index = {lab: i for i, lab in enumerate(labels)}
    if len(index) != len(labels):
        raise ValueError("labels must be distinct")
    c = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        for i, (a, b) in enumerate(zip(g, p, strict=True)):
            try:
                c[index[a], index[b]] += 1
            except KeyError as exc:
                raise ValueError(
                    f"sentence {k}, position {i}: tag {exc.args[0]!r} is not among the "
                    f"{len(labels)} labels given; expected one of {labels}"
                ) from None
    return labels, c


def _pct(x: float) -> str:
    return f"{x:6.2f}"


def conlleval_report(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    mode: str = "conlleval",
    scheme: str | None = None,
    raw: bool = False,
    outside: str = OUTSIDE,
    scores: SpanScores | None = None,
) -> str:
    """The text conlleval.pl prints, with its numbers and layout.

    ``raw=True`` is conlleval's ``-r`` (every tag other than ``outside`` is a
    one-token phrase). Percentages are computed as conlleval does (F1 from
    the percentages) and printed with two decimals.
    """
    if raw:
        gold = [raw_tags(s, outside) for s in gold]
        pred = [raw_tags(s, outside) for s in pred]
    elif outside != OUTSIDE:
        gold = [[OUTSIDE if t == outside else t for t in s] for s in gold]
        pred = [[OUTSIDE if t == outside else t for t in s] for s in pred]
    sc = scores if scores is not None else span_scores(gold, pred, mode, scheme)
    m = sc.micro
    lines = [
        f"processed {sc.n_tokens} tokens with {m.gold} phrases; "
        f"found: {m.predicted} phrases; correct: {m.correct}."
    ]
    p, r, f = _percent_prf(m)
    if sc.n_tokens > 0:
        acc = 100 * sc.n_correct_tokens / sc.n_tokens
        lines.append(
            f"accuracy: {_pct(acc)}%; precision: {_pct(p)}%; recall: {_pct(r)}%; FB1: {_pct(f)}"
        )
    for t in sc.types:
        v = sc.per_type[t]
        p, r, f = _percent_prf(v)
        lines.append(
            f"{t:>17s}: precision: {_pct(p)}%; recall: {_pct(r)}%; FB1: {_pct(f)}  {v.predicted}"
        )
    return "\n".join(lines) + "\n"


def _percent_prf(v: PRF) -> tuple[float, float, float]:
    """Precision, recall, F1 in percent, F1 computed from the percentages as conlleval does."""
    p = 100 * v.correct / v.predicted if v.predicted else 0.0
    r = 100 * v.correct / v.gold if v.gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def label_report(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str] | None = None,
) -> str:
    """Token-level table: one line per label with precision, recall, F1 (percent) and counts."""
    scores = label_scores(gold, pred, labels)
    width = max([len("label")] + [len(lab) for lab in scores])
    lines = [
        f"{'label':>{width}}  {'precision':>9}  {'recall':>9}  {'FB1':>7}  {'gold':>7}  predicted"
    ]
    for lab, v in scores.items():
        p, r, f = (f"{100 * x:.2f}" for x in (v.precision, v.recall, v.f1))
        lines.append(
            f"{lab:>{width}}  {p + '%':>9}  {r + '%':>9}  {f:>7}  {v.gold:7d}  {v.predicted:9d}"
        )
    return "\n".join(lines) + "\n"


def format_confusion(labels: Sequence[str], matrix: np.ndarray) -> str:
    """Text table of a confusion matrix: rows gold, columns predicted."""
    cells = [[str(int(x)) for x in row] for row in matrix]
    corner = "gold\\pred"
    width = max([len(corner)] + [len(lab) for lab in labels])
    colw = [
        max(len(lab), *(len(r[j]) for r in cells)) if cells else len(lab)
        for j, lab in enumerate(labels)
    ]
    head = f"{corner:<{width}} " + " ".join(
        f"{lab:>{w}}" for lab, w in zip(labels, colw, strict=True)
    )
    lines = [head]
    for lab, row in zip(labels, cells, strict=True):
        lines.append(
            f"{lab:<{width}} " + " ".join(f"{c:>{w}}" for c, w in zip(row, colw, strict=True))
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- sklearn-crfsuite
# ``sklearn_crfsuite.metrics``: token-level scores of scikit-learn on the
# flattened sequences, and the fraction of whole sequences predicted exactly.
# Keyword arguments go to scikit-learn unchanged (``average``, ``labels``,
# ``zero_division``, ...); ``beta`` and ``labels`` are passed by name, as
# current scikit-learn requires.


def _flatten(y_true, y_pred) -> tuple[list, list]:
    check_lengths(y_true, y_pred)
    return [t for s in y_true for t in s], [t for s in y_pred for t in s]


def flat_accuracy_score(y_true, y_pred) -> float:
    """Token accuracy over all sequences (sklearn-crfsuite's ``flat_accuracy_score``)."""
    from sklearn import metrics as skm

    return float(skm.accuracy_score(*_flatten(y_true, y_pred)))


def flat_precision_score(y_true, y_pred, **kwargs):
    """scikit-learn's ``precision_score`` on the flattened sequences."""
    from sklearn import metrics as skm

    return skm.precision_score(*_flatten(y_true, y_pred), **kwargs)


def flat_recall_score(y_true, y_pred, **kwargs):
    """scikit-learn's ``recall_score`` on the flattened sequences."""
    from sklearn import metrics as skm

    return skm.recall_score(*_flatten(y_true, y_pred), **kwargs)


def flat_f1_score(y_true, y_pred, **kwargs):
    """scikit-learn's ``f1_score`` on the flattened sequences."""
    from sklearn import metrics as skm

    return skm.f1_score(*_flatten(y_true, y_pred), **kwargs)


def flat_fbeta_score(y_true, y_pred, beta, **kwargs):
    """scikit-learn's ``fbeta_score`` on the flattened sequences (``beta`` by name or position)."""
    from sklearn import metrics as skm

    return skm.fbeta_score(*_flatten(y_true, y_pred), beta=beta, **kwargs)


def flat_classification_report(y_true, y_pred, labels=None, **kwargs):
    """scikit-learn's ``classification_report`` on the flattened sequences."""
    from sklearn import metrics as skm

    return skm.classification_report(*_flatten(y_true, y_pred), labels=labels, **kwargs)


def sequence_accuracy_score(y_true, y_pred) -> float:
    """Fraction of sequences whose every tag is right; 0 when there are no sequences.

    >>> sequence_accuracy_score([["B-A", "O"], ["O"]], [["B-A", "O"], ["B-A"]])
    0.5
    """
    check_lengths(y_true, y_pred)
    if not len(y_true):
        return 0
    hits = sum(list(g) == list(p) for g, p in zip(y_true, y_pred, strict=True))
    return hits / len(y_true)
