"""Where the errors are: every gold/predicted span pair classified, with examples in context.

Spans are read as :func:`crftagger.metrics.span_scores` reads them, so the
number of ``correct`` pairs is the number of correct phrases ``crftagger
evaluate`` prints. Within one sentence (spans never cross sentences):

``correct``
    a predicted span equal to a gold span (type, start, end).
``wrong_type``
    same start and end, another type.
``wrong_boundary``
    overlapping, same type, other start or end.
``wrong_type_and_boundary``
    overlapping, another type and other start or end.
``missed``
    a gold span that no predicted span overlaps.
``spurious``
    a predicted span that overlaps no gold span.

The first four are pairs (one gold span that overlaps two predictions makes
two pairs); a pair and a missed span count under the gold span's type, a
spurious span under its own. The span-type confusion matrix has gold types
as rows and predicted types as columns, each overlapping pair adding one to
its cell, with an ``O`` row for spurious and an ``O`` column for missed
spans; its diagonal is ``correct + wrong_boundary``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crftagger.analysis.exceptions import MissingPlotPackage
from crftagger.errors import LengthMismatchError
from crftagger.metrics import check_lengths, spans_by_sentence
from crftagger.schemes import OUTSIDE, Span

__all__ = [
    "ERROR_CLASSES",
    "ErrorReport",
    "Example",
    "SpanPair",
    "classify_spans",
    "error_report",
]

ERROR_CLASSES = (
    "correct",
    "wrong_type",
    "wrong_boundary",
    "wrong_type_and_boundary",
    "missed",
    "spurious",
)
#: Class names as the text report prints them.
CLASS_TITLES = {
    "correct": "correct",
    "wrong_type": "wrong type",
    "wrong_boundary": "wrong boundary",
    "wrong_type_and_boundary": "wrong type and boundary",
    "missed": "missed",
    "spurious": "spurious",
}


@dataclass(frozen=True)
class SpanPair:
    """A classified pair; ``gold`` is ``None`` for spurious, ``pred`` for missed spans."""

    kind: str
    sentence: int
    gold: Span | None
    pred: Span | None

    @property
    def type(self) -> str:
        """The type it counts under: the gold span's, or the prediction's when spurious."""
        span = self.gold if self.gold is not None else self.pred
        assert span is not None
        return span.type


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def classify_spans(gold: Sequence[Span], pred: Sequence[Span], sentence: int = 0) -> list[SpanPair]:
    """Classify the spans of one sentence (see the module docstring), in order of position."""
    pset = set(pred)
    gset = set(gold)
    out: list[SpanPair] = []
    for g in gold:
        if g in pset:
            out.append(SpanPair("correct", sentence, g, g))
            continue
        hit = False
        for p in pred:
            if p in gset or not _overlap(g, p):
                continue
            hit = True
            same_bounds = (p.start, p.end) == (g.start, g.end)
            if same_bounds:
                kind = "wrong_type"
            elif p.type == g.type:
                kind = "wrong_boundary"
            else:
                kind = "wrong_type_and_boundary"
            out.append(SpanPair(kind, sentence, g, p))
        if not hit:
            out.append(SpanPair("missed", sentence, g, None))
    for p in pred:
        if not any(_overlap(g, p) for g in gold):
            out.append(SpanPair("spurious", sentence, None, p))

    def key(x: SpanPair):
        s = x.gold if x.gold is not None else x.pred
        assert s is not None
        return (s.start, s.end, x.pred.start if x.pred is not None else -1)

    out.sort(key=key)
    return out


@dataclass(frozen=True)
class Example:
    """A pair in context: ``gold`` and ``pred`` are the same tokens with the pair's span marked."""

    kind: str
    type: str
    sentence: int
    gold: str
    pred: str
    line: int | None = None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "type": self.type,
            "sentence": self.sentence,
            "line": self.line,
            "gold": self.gold,
            "pred": self.pred,
        }


def _marked(tokens: Sequence[str], span: Span | None, lo: int, hi: int) -> str:
    words = []
    for i in range(lo, hi):
        if span is not None and i == span.start:
            words.append(f"[{span.type}")
        words.append(tokens[i])
        if span is not None and i == span.end - 1:
            words[-1] += "]"
    text = " ".join(words)
    if lo > 0:
        text = "... " + text
    if hi < len(tokens):
        text += " ..."
    return text


def _example(pair: SpanPair, tokens: Sequence[str], context: int, line: int | None) -> Example:
    spans = [s for s in (pair.gold, pair.pred) if s is not None]
    lo = max(0, min(s.start for s in spans) - context)
    hi = min(len(tokens), max(s.end for s in spans) + context)
    return Example(
        pair.kind,
        pair.type,
        pair.sentence,
        _marked(tokens, pair.gold, lo, hi),
        _marked(tokens, pair.pred, lo, hi),
        line,
    )


@dataclass
class ErrorReport:
    """Result of :func:`error_report`.

    ``counts[type][kind]``: number of pairs of each class per type;
    ``confusion``: int64 ``[K + 1, K + 1]`` over ``labels`` (``types`` then
    ``O``), rows gold, columns predicted; ``examples``: up to
    ``max_examples`` per (class, type), in corpus order; ``pairs``: every
    classified pair.
    """

    types: list[str]
    counts: dict[str, dict[str, int]]
    labels: list[str]
    confusion: np.ndarray
    examples: list[Example]
    pairs: list[SpanPair] = field(repr=False, default_factory=list)
    n_sentences: int = 0

    @property
    def totals(self) -> dict[str, int]:
        return {k: sum(self.counts[t][k] for t in self.types) for k in ERROR_CLASSES}

    # ------------------------------------------------------------------ renderers

    def to_dict(self, pairs: bool = False) -> dict[str, Any]:
        """A JSON-ready dictionary; ``pairs=True`` adds every pair (kind, sentence, spans)."""
        d: dict[str, Any] = {
            "sentences": self.n_sentences,
            "classes": list(ERROR_CLASSES),
            "types": list(self.types),
            "counts": {t: dict(self.counts[t]) for t in self.types},
            "totals": self.totals,
            "confusion": {
                "labels": list(self.labels),
                "rows": "gold",
                "columns": "predicted",
                "matrix": self.confusion.tolist(),
            },
            "examples": [e.to_dict() for e in self.examples],
        }
        if pairs:

            def span(s: Span | None):
                return None if s is None else {"type": s.type, "start": s.start, "end": s.end}

            d["pairs"] = [
                {"kind": p.kind, "sentence": p.sentence, "gold": span(p.gold), "pred": span(p.pred)}
                for p in self.pairs
            ]
        return d

    def to_json(self, pairs: bool = False, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(pairs), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        """Counts per type and class, the confusion matrix, and the examples."""
        kinds = list(ERROR_CLASSES)
        heads = [CLASS_TITLES[k] for k in kinds]
        width = max([len("type"), len("total")] + [len(t) for t in self.types])
        colw = [max(len(h), 6) for h in heads]
        lines = [
            f"span errors over {self.n_sentences} sentences "
            "(pairs counted under the gold type; spurious under the predicted type)",
            "",
            f"{'type':<{width}}  "
            + "  ".join(f"{h:>{w}}" for h, w in zip(heads, colw, strict=True)),
        ]
        rows = [(t, self.counts[t]) for t in self.types] + [("total", self.totals)]
        for name, c in rows:
            lines.append(
                f"{name:<{width}}  "
                + "  ".join(f"{c[k]:>{w}d}" for k, w in zip(kinds, colw, strict=True))
            )
        lines += ["", "span-type confusion (rows gold, columns predicted; O = no span)"]
        corner = "gold\\pred"
        lw = max([len(corner)] + [len(x) for x in self.labels])
        cells = [[str(int(x)) for x in r] for r in self.confusion]
        cw = [max(len(lab), *(len(r[j]) for r in cells)) for j, lab in enumerate(self.labels)]
        lines.append(
            f"{corner:<{lw}}  "
            + "  ".join(f"{x:>{w}}" for x, w in zip(self.labels, cw, strict=True))
        )
        for lab, r in zip(self.labels, cells, strict=True):
            lines.append(
                f"{lab:<{lw}}  " + "  ".join(f"{x:>{w}}" for x, w in zip(r, cw, strict=True))
            )
        current = None
        for e in self.examples:
            if e.kind == "correct":
                continue
            if (e.kind, e.type) != current:
                current = (e.kind, e.type)
                lines += ["", f"{CLASS_TITLES[e.kind]}, {e.type}:"]
            where = f"sentence {e.sentence}" if e.line is None else f"line {e.line}"
            lines.append(f"  {where}")
            lines.append(f"    gold: {e.gold}")
            lines.append(f"    pred: {e.pred}")
        return "\n".join(lines) + "\n"

    def plot(self, path, dpi: int = 120) -> None:
        """Write a PNG: the classes per type (stacked bars) and the confusion matrix.

        Needs matplotlib (``pip install matplotlib``); raises
        :class:`~crftagger.analysis.exceptions.MissingPlotPackage` without it.
        """
        n = len(self.labels)
        fig = new_figure(path, (6 + 0.6 * n, 4.5 + 0.25 * max(len(self.types), 1)))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.plot_classes(ax1)
        self.plot_confusion(ax2)
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)

    def plot_classes(self, ax) -> None:
        """The error classes per type as stacked horizontal bars, on a matplotlib ``ax``."""
        y = np.arange(len(self.types))
        left = np.zeros(len(self.types))
        for k in ERROR_CLASSES[1:]:  # the errors; "correct" would dwarf them
            v = np.array([self.counts[t][k] for t in self.types], dtype=float)
            ax.barh(y, v, left=left, label=CLASS_TITLES[k])
            left += v
        ax.set_yticks(y, self.types)
        ax.invert_yaxis()
        ax.set_xlabel("span pairs")
        ax.set_title(f"errors by class ({self.totals['correct']} correct)")
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)

    def plot_confusion(self, ax) -> None:
        """The span-type confusion matrix on a matplotlib ``ax`` (the no-span corner left blank)."""
        plot_matrix(ax, self.labels, self.confusion, "span-type confusion", skip_corner=True)


def new_figure(path, size: tuple[float, float]):
    """A matplotlib figure with the Agg canvas (no display needed) for writing ``path``.

    Raises :class:`~crftagger.analysis.exceptions.MissingPlotPackage` when
    matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingPlotPackage(
            f"writing {path} needs matplotlib, which is not installed ({exc}); "
            "install it with `pip install matplotlib`, or use the text or JSON report"
        ) from None
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def plot_matrix(ax, labels: Sequence[str], matrix: np.ndarray, title: str, skip_corner=False):
    """A count matrix (rows gold, columns predicted) as a log-scaled heat map with its counts.

    ``skip_corner``: leave the bottom-right cell (no span on either side) blank.
    """
    n = len(labels)
    m = np.asarray(matrix, dtype=float)
    ax.imshow(np.log1p(m), cmap="Blues")
    ax.set_xticks(np.arange(n), labels, rotation=45, ha="right")
    ax.set_yticks(np.arange(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    top = np.log1p(m.max()) if m.size else 0.0
    size = "small" if n <= 20 else "xx-small"
    for i in range(n):
        for j in range(n):
            if skip_corner and i == j == n - 1:
                continue  # not counted
            ax.text(
                j,
                i,
                str(int(m[i, j])),
                ha="center",
                va="center",
                fontsize=size,
                color="white" if top and np.log1p(m[i, j]) > 0.6 * top else "black",
            )


def error_report(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    tokens: Sequence[Sequence[str]] | None = None,
    mode: str = "conlleval",
    scheme: str | None = None,
    repair: str = "outside",
    context: int = 3,
    max_examples: int = 5,
    lines: Sequence[int] | None = None,
) -> ErrorReport:
    """Classify every gold/predicted span pair of ``gold`` and ``pred`` (tag sequences).

    ``tokens``: the words of each sentence, for the examples (``None``: token
    positions stand in for them); ``context`` tokens are shown either side
    of a pair; ``mode``, ``scheme``, ``repair``: the span reading of
    :func:`crftagger.metrics.span_scores`; ``lines``: the line number of each
    sentence's first token in its file (one token per line), so that each
    example gives the line of its span's first token.
    Sentences are numbered from 0.
    """
    check_lengths(gold, pred)
    if lines is not None and len(lines) != len(gold):
        raise LengthMismatchError(
            f"lines has {len(lines)} entries but there are {len(gold)} sentences; "
            "expected one line number per sentence"
        )
    if tokens is not None:
        if len(tokens) != len(gold):
            raise LengthMismatchError(
                f"tokens has {len(tokens)} sentences but the tags have {len(gold)}; "
                "expected the same number"
            )
        for k, (w, g) in enumerate(zip(tokens, gold, strict=True)):
            if len(w) != len(g):
                raise LengthMismatchError(
                    f"sentence {k}: {len(w)} tokens but {len(g)} tags; expected equal lengths"
                )
    if context < 0 or max_examples < 0:
        raise ValueError(f"context and max_examples must be >= 0, not {context} and {max_examples}")
    gs = spans_by_sentence(gold, mode, scheme, repair)
    ps = spans_by_sentence(pred, mode, scheme, repair)
    pairs: list[SpanPair] = []
    for k, (g_spans, p_spans) in enumerate(zip(gs, ps, strict=True)):
        pairs.extend(classify_spans(g_spans, p_spans, k))
    types = sorted({s.type for x in pairs for s in (x.gold, x.pred) if s is not None})
    counts = {t: dict.fromkeys(ERROR_CLASSES, 0) for t in types}
    labels = types + [OUTSIDE if OUTSIDE not in types else "(none)"]
    index = {t: i for i, t in enumerate(labels)}
    out = len(types)
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    examples: list[Example] = []
    shown: dict[tuple[str, str], int] = {}
    for x in pairs:
        counts[x.type][x.kind] += 1
        i = index[x.gold.type] if x.gold is not None else out
        j = index[x.pred.type] if x.pred is not None else out
        confusion[i, j] += 1
        key = (x.kind, x.type)
        if shown.get(key, 0) < max_examples:
            shown[key] = shown.get(key, 0) + 1
            words = (
                tokens[x.sentence]
                if tokens is not None
                else [str(i) for i in range(len(gold[x.sentence]))]
            )
            first = x.gold if x.gold is not None else x.pred
            assert first is not None
            # one token per line: the span's first token is that many lines further down
            line = None if lines is None else int(lines[x.sentence]) + first.start
            examples.append(_example(x, words, context, line))
    order = {k: n for n, k in enumerate(ERROR_CLASSES)}
    examples.sort(key=lambda e: (order[e.kind], e.type))
    return ErrorReport(types, counts, labels, confusion, examples, pairs, len(gold))
