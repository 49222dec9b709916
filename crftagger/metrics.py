"""Evaluation: span precision/recall/F1, token accuracy, per-label scores, confusion matrix.

The ``flat_*`` functions and :func:`sequence_accuracy_score` are those of
``sklearn_crfsuite.metrics`` (scikit-learn's token scores on flattened
sequences), so ``from crftagger import metrics`` replaces that module.

Inputs are parallel lists of tag sequences ``gold`` and ``pred`` (one list of
tags per sentence); :func:`check_lengths` rejects sequences of different
lengths, naming the sentence.

Span scores come in three modes:

``mode="conlleval"`` (default)
    both sides decoded leniently (:func:`crftagger.schemes.extract_spans`
    without a scheme). On tags whose prefixes are B and I (IOB1, IOB2) or I
    and E (IOE1, IOE2) the counts are those of conlleval.pl: an ``I-X`` after
    ``O`` or another type starts a phrase, a type change ends one, and
    sentences never share a phrase. ``S-X`` is a one-token phrase and ``E-X``
    ends one, so on tags with the prefixes B, I, E, S the numbers are those
    of seqeval's default mode, but not conlleval.pl's, which has no rule for
    ``S-`` and reads ``E-X B-X`` as one phrase. ``L-`` and ``U-`` are read as
    BILOU's ``E-`` and ``S-``; seqeval's default mode has no rule for them
    (``U-X U-X`` is one entity there), so on BILOU tags this mode does not
    equal seqeval's default: use ``mode="strict", scheme="bilou"``.
``mode="strict"`` (needs ``scheme``)
    both sides decoded with the scheme's rules; a malformed fragment is not a
    span (``repair="outside"``). For IOB2, IOE2, BIOES and BILOU this equals
    seqeval's ``mode="strict"``. For IOB1 and IOE1 it equals seqeval's strict
    mode with the patterns that seqeval's tables lack: IOB1 has no end
    pattern for ``B-X`` before ``B-Y`` (``I-A B-A B-B`` loses the span
    ``B-A`` there), IOE1 no start pattern for ``E-X`` after ``O``, ``I-Y`` or
    ``E-Y`` (``E-A I-A``, two one-token spans as IOE1 writes them, gives only
    the second there). Pass ``repair="error"`` to reject invalid sequences
    instead.
``mode="conlleval.pl"``
    conlleval.pl's own counting, rule by rule, whatever the prefixes (its
    figures on B/I/E/S files, where the other modes differ from it).

Tags are read by :func:`normalise_tags` first: ``suffix=True`` reads
suffix-style tags (``PER-B``) as seqeval's ``suffix=True`` does, and a tag
that is only a prefix (``B``, ``I``, as in one-type data) has the type ``_``,
as in seqeval. conlleval.pl gives such tags an empty type name (and prints
its line once per table it is found in, where ``mode="conlleval.pl"``
prints it once); ``mode="conlleval.pl"`` keeps the empty name, the other
modes print ``_``, so typeless files are the one case
where the default report's text is not conlleval.pl's on B/I/O tags (the
counts are).

Precision, recall and F1 are fractions in ``[0, 1]``. A ratio whose
denominator is zero is ``zero_division``: with the default ``"warn"`` it is 0
and an ``UndefinedMetricWarning`` (scikit-learn's) names the span types, as
seqeval and scikit-learn do; ``0`` or ``1`` give that value silently
(:func:`conlleval_report` uses 0, as conlleval prints it). The micro average
pools the counts of all types; the macro average is the unweighted mean over
the types seen in gold or prediction (``zero_division`` when there are none,
where seqeval gives nan); the weighted average weighs each type by its number
of gold spans (seqeval's ``average="weighted"``). :func:`conlleval_report`
prints them in conlleval.pl's layout and number format.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from crftagger.errors import LengthMismatchError
from crftagger.schemes import LENIENT_ROLES, OUTSIDE, Span, decode, get_scheme, split_tag

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
    "normalise_tags",
    "raw_tags",
    "sequence_accuracy_score",
    "span_scores",
    "spans_by_sentence",
    "token_accuracy",
]

PERL = "conlleval.pl"
MODES = ("conlleval", "strict", PERL)
#: The type of a tag that is only a prefix (``"B"``, ``"I"``), as seqeval names it.
UNTYPED = "_"


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
    def from_counts(
        cls, correct: int, predicted: int, gold: int, zero_division: float = 0.0
    ) -> PRF:
        """Scores from counts; a ratio with a zero denominator is ``zero_division``."""
        p = correct / predicted if predicted else float(zero_division)
        r = correct / gold if gold else float(zero_division)
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
    weighted: PRF | None = None  # per-type scores averaged with gold counts as weights

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


def _zero_value(zero_division) -> float:
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
    elif not isinstance(zero_division, bool) and zero_division in (0, 1):
        return float(zero_division)
    raise ValueError(f"zero_division must be 'warn', 0 or 1, not {zero_division!r}")


def normalise_tags(tags: Sequence[str], suffix: bool = False) -> list[str]:
    """Tags as ``PREFIX-TYPE``: suffix-style tags turned round, typeless tags given type ``_``.

    ``suffix=True`` reads ``"PER-B"`` as ``"B-PER"`` (seqeval's ``suffix=True``;
    the prefix is the part after the *last* hyphen, so ``"creative-work-B"``
    is ``"B-creative-work"``). A tag that is only a prefix letter (``"B"``,
    ``"I"``, ``"E"``, ``"S"``, ``"L"``, ``"U"``, as in one-type data) gets the
    type ``"_"``, the name seqeval gives it. ``"O"`` and every other tag are
    left alone (an unknown tag is refused later, by the decoder).
    """
    out = []
    for t in tags:
        if isinstance(t, str) and t != OUTSIDE:
            if suffix:
                typ, sep, prefix = t.rpartition("-")
                if sep and typ:
                    t = f"{prefix}-{typ}"
            if t in LENIENT_ROLES:
                t = f"{t}-{UNTYPED}"
        out.append(t)
    return out


def spans_by_sentence(
    sequences: Iterable[Sequence[str]],
    mode: str = "conlleval",
    scheme: str | None = None,
    repair: str = "outside",
    suffix: bool = False,
) -> list[list[Span]]:
    """Decode each sequence with the mode's rules (see the module docstring).

    Tags go through :func:`normalise_tags` first (``suffix``, typeless tags).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == PERL:
        raise ValueError(
            f"mode={PERL!r} counts phrases with conlleval.pl's state machine and gives no "
            "spans; use span_scores, or mode='conlleval' for spans"
        )
    if mode == "strict":
        if scheme is None:
            raise ValueError("mode='strict' needs a scheme (e.g. scheme='iob2')")
        sch = get_scheme(scheme)
        return [decode(normalise_tags(s, suffix), sch, repair) for s in sequences]
    return [decode(normalise_tags(s, suffix), None) for s in sequences]


def _located(exc: ValueError, side: str, k: int) -> ValueError:
    return type(exc)(f"{side} sentence {k}: {exc}")


# conlleval.pl's endOfChunk and startOfChunk, rule by rule (2004-01-26 version)
_PL_END = {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O"), ("E", "E"), ("E", "I"), ("E", "O")}
_PL_START = {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I"), ("E", "E"), ("E", "I"), ("O", "E")}


def _pl_split(tag: str) -> tuple[str, str]:
    prefix, sep, typ = tag.partition("-")
    return (prefix, typ) if sep else (tag, "")


def _pl_end(prev: str, cur: str, prev_type: str, cur_type: str) -> bool:
    return (
        (prev, cur) in _PL_END
        or (prev not in ("O", ".") and prev_type != cur_type)
        or prev in ("[", "]")
    )


def _pl_start(prev: str, cur: str, prev_type: str, cur_type: str) -> bool:
    return (
        (prev, cur) in _PL_START
        or (cur not in ("O", ".") and prev_type != cur_type)
        or cur in ("[", "]")
    )


def _perl_counts(gold, pred) -> tuple[dict[str, list[int]], int, int]:
    """conlleval.pl's counting, step by step; each sentence is followed by a boundary.

    Returns ``({type: [correct, predicted, gold]}, n_tokens, n_correct_tokens)``.
    """
    counts: dict[str, list[int]] = {}
    n_tokens = n_ok = 0
    last_c, last_ct, last_g, last_gt = "O", "", "O", ""
    in_correct = False

    def steps():
        for g, p in zip(gold, pred, strict=True):
            for a, b in zip(g, p, strict=True):
                yield a, b, False
            yield OUTSIDE, OUTSIDE, True

    for a, b, boundary in steps():
        c, ct = _pl_split(a)
        g, gt = _pl_split(b)
        if in_correct:
            end_c = _pl_end(last_c, c, last_ct, ct)
            end_g = _pl_end(last_g, g, last_gt, gt)
            if end_c and end_g and last_gt == last_ct:
                in_correct = False
                counts.setdefault(last_ct, [0, 0, 0])[0] += 1
            elif end_c != end_g or gt != ct:
                in_correct = False
        start_c = _pl_start(last_c, c, last_ct, ct)
        start_g = _pl_start(last_g, g, last_gt, gt)
        if start_c and start_g and gt == ct:
            in_correct = True
        if start_c:
            counts.setdefault(ct, [0, 0, 0])[2] += 1
        if start_g:
            counts.setdefault(gt, [0, 0, 0])[1] += 1
        if not boundary:
            n_ok += c == g and ct == gt
            n_tokens += 1
        last_c, last_ct, last_g, last_gt = c, ct, g, gt
    if in_correct:
        counts.setdefault(last_ct, [0, 0, 0])[0] += 1
    return counts, n_tokens, n_ok


def _span_counts(gold, pred, mode, scheme, repair, suffix):
    counts: dict[str, list[int]] = {}  # type -> [correct, predicted, gold]
    n_tokens = n_ok = 0
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        try:
            gs = spans_by_sentence([g], mode, scheme, repair, suffix)[0]
        except ValueError as exc:
            raise _located(exc, "gold", k) from None
        try:
            ps = spans_by_sentence([p], mode, scheme, repair, suffix)[0]
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
    return counts, n_tokens, n_ok


def _warn_undefined(per_type: dict[str, PRF], tot: list[int]) -> None:
    from sklearn.exceptions import UndefinedMetricWarning

    no_pred = [t for t, v in per_type.items() if not v.predicted]
    no_gold = [t for t, v in per_type.items() if not v.gold]
    parts = []
    if no_pred:
        parts.append(f"precision for span types with no predicted span: {', '.join(no_pred)}")
    if no_gold:
        parts.append(f"recall for span types with no gold span: {', '.join(no_gold)}")
    if not per_type:
        parts.append("precision and recall of the micro average (no span on either side)")
    if parts:
        warnings.warn(
            "ill-defined and set to 0.0: "
            + "; ".join(parts)
            + ". Pass zero_division=0 or 1 to choose the value without this warning",
            UndefinedMetricWarning,
            stacklevel=3,
        )


def span_scores(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    mode: str = "conlleval",
    scheme: str | None = None,
    repair: str = "outside",
    *,
    zero_division: str | int = "warn",
    suffix: bool = False,
) -> SpanScores:
    """Span precision, recall and F1 per type with micro, macro and weighted averages.

    ``zero_division`` is the value of a ratio whose denominator is 0:
    ``"warn"`` (default, as seqeval and scikit-learn) gives 0 and an
    ``sklearn.exceptions.UndefinedMetricWarning`` naming the types, ``0`` or
    ``1`` give that value silently. ``suffix=True`` reads suffix-style tags
    (``PER-B``). See the module docstring for the modes.
    """
    check_lengths(gold, pred)
    zd = _zero_value(zero_division)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == PERL:
        if suffix:
            gold = [normalise_tags(s, True) for s in gold]
            pred = [normalise_tags(s, True) for s in pred]
        counts, n_tokens, n_ok = _perl_counts(gold, pred)
    else:
        counts, n_tokens, n_ok = _span_counts(gold, pred, mode, scheme, repair, suffix)
    types = sorted(counts)
    per_type = {
        t: PRF.from_counts(counts[t][0], counts[t][1], counts[t][2], zero_division=zd)
        for t in types
    }
    tot = [sum(c[i] for c in counts.values()) for i in range(3)]
    micro = PRF.from_counts(tot[0], tot[1], tot[2], zero_division=zd)
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
        macro = PRF.from_counts(0, 0, 0, zero_division=zd)
    if tot[2]:
        w = [v.gold for v in per_type.values()]
        weighted = PRF(
            tot[0],
            tot[1],
            tot[2],
            float(np.average([v.precision for v in per_type.values()], weights=w)),
            float(np.average([v.recall for v in per_type.values()], weights=w)),
            float(np.average([v.f1 for v in per_type.values()], weights=w)),
        )
    else:  # no gold span: seqeval's values
        nothing_found = tot[1] == 0
        weighted = PRF(
            tot[0], tot[1], tot[2], zd if nothing_found else 0.0, zd, zd if nothing_found else 0.0
        )
    if zero_division == "warn":
        _warn_undefined(per_type, tot)
    return SpanScores(
        per_type,
        micro,
        macro,
        n_tokens,
        n_ok,
        mode,
        get_scheme(scheme).name if scheme is not None else None,
        types,
        weighted,
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
    sc = scores if scores is not None else span_scores(gold, pred, mode, scheme, zero_division=0)
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
