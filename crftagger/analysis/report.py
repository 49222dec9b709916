"""A report a person can look at: one model on one test set, as a static HTML page.

:func:`build_report` tags the test sentences with the model and gathers what
``crftagger evaluate``, ``crftagger evaluate --errors`` and ``crftagger
inspect`` print; :meth:`Report.write` writes a folder holding

``index.html``
    the page (static: no server, no network; open it in any browser): the
    summary, the training curve, the scores per type, the confusion matrix,
    the error table with examples in context, the heaviest features of each
    label and the model's training settings;
``training.png``
    loss and dev score per iteration, from the training log stored in the
    model file (when it has one: CRFsuite files have none);
``scores.png``
    precision, recall and F1 per span type (span tags) or per label (plain
    tags such as part-of-speech tags);
``confusion.png``
    the span-type confusion matrix (rows gold, columns predicted, ``O`` for
    no span) or, for plain tags, the token confusion matrix;
``errors.png``
    span tags: the error classes per type (stacked bars); plain tags: the most
    frequent gold -> predicted confusions;
``report.json``
    every number of the page.

Span scores follow :meth:`crftagger.Tagger.evaluate` (conlleval's reading;
the strict reading of the model's scheme beside it); the error classes are
those of :mod:`crftagger.analysis.errors`. The figures need matplotlib
(``pip install "crftagger[compare]"``).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crftagger.analysis.errors import (
    CLASS_TITLES,
    ERROR_CLASSES,
    ErrorReport,
    error_report,
    new_figure,
    plot_matrix,
)

__all__ = ["FIGURES", "HEADINGS", "Report", "TagConfusion", "build_report"]

#: The figure files of a report folder, in the order the page shows them.
FIGURES = ("training.png", "scores.png", "confusion.png", "errors.png")
#: The section headings of the page, in order.
HEADINGS = (
    "Summary",
    "Training curve",
    "Scores per type",
    "Confusion matrix",
    "Errors",
    "Heaviest features per label",
    "Model",
)


@dataclass
class TagConfusion:
    """Plain tags: one gold -> predicted confusion, its count and examples (marked token in context)."""

    gold: str
    pred: str
    count: int
    examples: list[str] = field(default_factory=list)


@dataclass
class Report:
    """What the page shows; :meth:`write` renders it. Built by :func:`build_report`."""

    title: str
    model: str
    test: str
    kind: str  # "spans" or "tags"
    summary: dict[str, Any]
    scores: dict[str, dict[str, float]]  # type or label -> precision/recall/f1/support
    confusion_labels: list[str]
    confusion: np.ndarray
    training_log: list[dict]
    features: dict[str, dict[str, list[tuple[str, float]]]]  # label -> positive/negative
    settings: dict[str, Any]
    errors: ErrorReport | None = None
    tag_confusions: list[TagConfusion] = field(default_factory=list)
    created: str = ""
    locations: list[str | None] = field(default_factory=list, repr=False)  # file:line per sentence

    # ------------------------------------------------------------------ data

    @property
    def dev_key(self) -> str | None:
        """The dev score the training log records (``dev_f1`` before ``dev_accuracy``), if any."""
        for key in ("dev_f1", "dev_accuracy"):
            if any(key in r for r in self.training_log):
                return key
        return None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "title": self.title,
            "model": self.model,
            "test": self.test,
            "kind": self.kind,
            "created": self.created,
            "summary": self.summary,
            "scores": self.scores,
            "confusion": {
                "labels": list(self.confusion_labels),
                "rows": "gold",
                "columns": "predicted",
                "matrix": np.asarray(self.confusion).tolist(),
            },
            "training_log": self.training_log,
            "features": {
                lab: {k: [[a, w] for a, w in v] for k, v in d.items()}
                for lab, d in self.features.items()
            },
            "settings": self.settings,
        }
        if self.errors is not None:
            d["errors"] = self.errors.to_dict()
        else:
            d["tag_confusions"] = [
                {"gold": c.gold, "pred": c.pred, "count": c.count, "examples": c.examples}
                for c in self.tag_confusions
            ]
        return d

    # ------------------------------------------------------------------ files

    def write(self, folder, dpi: int = 110) -> list[Path]:
        """Write the figures, ``report.json`` and ``index.html`` into ``folder`` (created if
        missing; these files are replaced, nothing else is touched). Returns the paths written."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"{folder}: exists and is not a folder; expected a folder")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        drawers = {
            "training.png": self._plot_training,
            "scores.png": self._plot_scores,
            "confusion.png": self._plot_confusion,
            "errors.png": self._plot_errors,
        }
        for name in FIGURES:
            path = folder / name
            drawers[name](path, dpi)
            written.append(path)
        path = folder / "report.json"
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        written.append(path)
        path = folder / "index.html"
        path.write_text(self.to_html(), encoding="utf-8")
        written.append(path)
        return written

    # ------------------------------------------------------------------ figures

    def _plot_training(self, path, dpi) -> None:
        fig = new_figure(path, (7.5, 3.8))
        ax = fig.add_subplot()
        log = self.training_log
        its = [r["iteration"] for r in log if "loss" in r]
        loss = [r["loss"] for r in log if "loss" in r]
        handles = []
        if its:
            (h,) = ax.plot(its, loss, color="tab:blue", label="training loss")
            handles.append(h)
            if min(loss) > 0 and max(loss) / min(loss) > 20:
                ax.set_yscale("log")
            ax.set_ylabel("training loss")
        ax.set_xlabel("iteration")
        key = self.dev_key
        if key is not None:
            ax2 = ax.twinx()
            dev = [(r["iteration"], 100 * r[key]) for r in log if key in r]
            name = "dev span F1" if key == "dev_f1" else "dev token accuracy"
            (h,) = ax2.plot(*zip(*dev, strict=True), color="tab:orange", label=name)
            handles.append(h)
            ax2.set_ylabel(f"{name} (%)")
        if handles:
            ax.legend(handles=handles, loc="center right", fontsize="small")
            ax.set_title("training curve (from the model file's training log)")
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "the model file holds no training log", ha="center", va="center")
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)

    def _plot_scores(self, path, dpi) -> None:
        names = list(self.scores)
        fig = new_figure(path, (max(6.0, 1.0 + 0.55 * len(names)), 3.8))
        ax = fig.add_subplot()
        x = np.arange(len(names))
        for k, (key, color) in enumerate(
            (("precision", "tab:blue"), ("recall", "tab:green"), ("f1", "tab:orange"))
        ):
            v = [100 * self.scores[n][key] for n in names]
            ax.bar(
                x + (k - 1) * 0.27, v, width=0.27, label=key if key != "f1" else "F1", color=color
            )
        ax.set_xticks(
            x,
            names,
            rotation=45 if len(names) > 8 else 0,
            ha="right" if len(names) > 8 else "center",
        )
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        what = "span type" if self.kind == "spans" else "label (tokens)"
        ax.set_title(f"precision, recall and F1 per {what}")
        ax.legend(fontsize="small", loc="lower right")
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)

    def _plot_confusion(self, path, dpi) -> None:
        n = len(self.confusion_labels)
        side = min(14.0, 3.0 + 0.45 * n)
        fig = new_figure(path, (side + 1.0, side))
        ax = fig.add_subplot()
        if self.errors is not None:
            self.errors.plot_confusion(ax)
        else:
            plot_matrix(ax, self.confusion_labels, self.confusion, "token confusion")
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)

    def _plot_errors(self, path, dpi) -> None:
        if self.errors is not None:
            fig = new_figure(path, (7.5, 3.5 + 0.3 * max(len(self.errors.types), 1)))
            self.errors.plot_classes(fig.add_subplot())
        else:
            top = self.tag_confusions[:15]
            fig = new_figure(path, (7.5, 2.0 + 0.3 * max(len(top), 1)))
            ax = fig.add_subplot()
            y = np.arange(len(top))
            ax.barh(y, [c.count for c in top], color="tab:red")
            ax.set_yticks(y, [f"{c.gold} -> {c.pred}" for c in top])
            ax.invert_yaxis()
            ax.set_xlabel("tokens")
            ax.set_title("most frequent confusions (gold -> predicted)")
            if not top:
                ax.text(0.5, 0.5, "no errors", ha="center", va="center", transform=ax.transAxes)
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)

    # ------------------------------------------------------------------ page

    def to_html(self) -> str:
        """The page (figures referenced by their file names in the same folder)."""
        e = html.escape
        s = self.summary
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(self.title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
            f'<p class="meta">model <code>{e(self.model)}</code> on <code>{e(self.test)}</code>; '
            f"{e(self.created)}</p>",
            '<p id="figure-warning" class="warning" hidden></p>',
            f"<h2>{HEADINGS[0]}</h2>",
            _table(["", "value"], [[k, v] for k, v in _summary_rows(s, self.kind)]),
            f"<h2>{HEADINGS[1]}</h2>",
            _figure("training.png", "training loss and dev score per iteration"),
            _training_note(self.training_log, self.dev_key),
            f"<h2>{HEADINGS[2]}</h2>",
            _figure("scores.png", "precision, recall and F1 per type"),
            _table(
                ["type" if self.kind == "spans" else "label", "precision", "recall", "F1", "gold"],
                [
                    [n, _pct(v["precision"]), _pct(v["recall"]), _pct(v["f1"]), int(v["support"])]
                    for n, v in self.scores.items()
                ],
                numeric=True,
            ),
            f"<h2>{HEADINGS[3]}</h2>",
            _figure("confusion.png", "confusion matrix, rows gold, columns predicted"),
            _table(
                ["gold \\ predicted", *self.confusion_labels],
                [
                    [lab, *(int(x) for x in row)]
                    for lab, row in zip(self.confusion_labels, self.confusion, strict=True)
                ],
                numeric=True,
                css="matrix",
                scroll=True,
            ),
            f"<h2>{HEADINGS[4]}</h2>",
            _figure("errors.png", "errors by class"),
            self._errors_html(),
            f"<h2>{HEADINGS[5]}</h2>",
            self._features_html(),
            f"<h2>{HEADINGS[6]}</h2>",
            _table(["setting", "value"], [[k, _short(v)] for k, v in self.settings.items()]),
            f"<script>{_SCRIPT}</script>",
            "</body></html>",
        ]
        return "\n".join(parts) + "\n"

    def _errors_html(self) -> str:
        e = html.escape
        if self.errors is not None:
            r = self.errors
            heads = ["type", *(CLASS_TITLES[k] for k in ERROR_CLASSES)]
            rows: list[list[Any]] = [[t, *(r.counts[t][k] for k in ERROR_CLASSES)] for t in r.types]
            rows.append(["total", *(r.totals[k] for k in ERROR_CLASSES)])
            out = [
                "<p>Every gold/predicted span pair, counted under the gold span's type "
                "(spurious spans under the predicted type).</p>",
                _table(heads, rows, numeric=True),
                "<h3>Examples in context</h3>",
            ]
            shown = [x for x in r.examples if x.kind != "correct"]
            if not shown:
                out.append("<p>No errors.</p>")
            items = []
            for x in shown:
                items.append(
                    f"<tr><td>{e(CLASS_TITLES[x.kind])}</td><td>{e(x.type)}</td>"
                    f"<td>{e(self._where(x.sentence))}</td>"
                    f'<td class="ex">gold: {e(x.gold)}<br>pred: {e(x.pred)}</td></tr>'
                )
            if items:
                out.append(
                    '<table class="examples"><tr><th>class</th><th>type</th><th>where</th>'
                    "<th>gold and prediction</th></tr>" + "".join(items) + "</table>"
                )
            return "\n".join(out)
        if not self.tag_confusions:
            return "<p>No errors.</p>"
        rows = [
            [c.gold, c.pred, c.count, "<br>".join(e(x) for x in c.examples)]
            for c in self.tag_confusions
        ]
        return (
            "<p>The most frequent token confusions, with examples (the token in brackets).</p>"
            + _table(["gold", "predicted", "tokens", "examples"], rows, numeric=True, raw_last=True)
        )

    def _where(self, sentence: int) -> str:
        loc = self.locations[sentence] if sentence < len(self.locations) else None
        if loc:
            return loc
        return f"sentence {sentence + 1}"

    def _features_html(self) -> str:
        if not self.features:
            return "<p>The model's weights are not readable here.</p>"
        e = html.escape
        out = [
            "<p>The largest positive state weights of each label (attributes that push a token "
            "towards it) and the most negative ones (that push away from it).</p>",
            '<table class="features"><tr><th>label</th><th>heaviest positive</th>'
            "<th>most negative</th></tr>",
        ]
        for lab, d in self.features.items():
            cells = [
                "<br>".join(f"<code>{e(a)}</code> {w:+.3f}" for a, w in d.get(k, []))
                for k in ("positive", "negative")
            ]
            out.append(f"<tr><td>{e(lab)}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>")
        out.append("</table>")
        return "\n".join(out)


# ---------------------------------------------------------------------- building


def build_report(
    tagger,
    sentences: Sequence,
    label_column: str | None = None,
    model_name: str = "model",
    test_name: str = "test",
    title: str | None = None,
    top: int = 8,
    max_examples: int = 5,
    context: int = 3,
    confusions: int = 20,
) -> Report:
    """Tag ``sentences`` (labelled :class:`~crftagger.sentence.Sentence` objects, or
    ``(tokens, tags)`` pairs) with ``tagger`` and gather the report.

    ``top``: features per label and sign; ``max_examples``: examples per
    error class and type (span tags) or per confusion (plain tags);
    ``context``: tokens either side of an example; ``confusions``: plain
    tags, how many gold -> predicted pairs the error table lists.
    """
    from crftagger.analysis.weights import top_features

    sentences = list(sentences)
    if not sentences:
        raise ValueError(f"{test_name}: no sentences to report on; expected labelled sentences")
    label_column = label_column or tagger.info.get("label_column")
    tokens, gold = tagger._split_labelled(sentences, label_column, "test")
    ev = tagger.evaluate(tokens, gold=gold)
    locations = [_location(s) for s in sentences]
    summary = dict(ev.summary())
    summary["scheme"] = tagger.scheme
    if ev.lenient is not None:
        kind = "spans"
        errors = error_report(ev.gold, ev.pred, tokens, context=context, max_examples=max_examples)
        scores = {
            t: {"precision": v.precision, "recall": v.recall, "f1": v.f1, "support": v.gold}
            for t, v in ev.lenient.per_type.items()
        }
        labels, matrix = errors.labels, errors.confusion
        tag_conf: list[TagConfusion] = []
    else:
        from crftagger import metrics

        kind, errors = "tags", None
        per = metrics.label_scores(ev.gold, ev.pred)
        scores = {
            lab: {"precision": v.precision, "recall": v.recall, "f1": v.f1, "support": v.gold}
            for lab, v in per.items()
        }
        labels, matrix = metrics.confusion_matrix(ev.gold, ev.pred)
        tag_conf = _tag_confusions(
            tokens, ev.gold, ev.pred, confusions, max_examples, context, locations
        )
    model = getattr(tagger, "model", None)
    features: dict[str, dict[str, list[tuple[str, float]]]] = {}
    if model is not None and hasattr(model, "state_weights"):
        pos = top_features(model, top)
        neg = top_features(model, top, sign=-1)
        features = {lab: {"positive": pos[lab], "negative": neg[lab]} for lab in pos}
    log = [
        {k: v for k, v in r.items() if _plain(v)} for r in (tagger.info.get("training_log") or [])
    ]
    return Report(
        title=title or f"{Path(model_name).name} on {test_name}",
        model=model_name,
        test=test_name,
        kind=kind,
        summary=summary,
        scores=scores,
        confusion_labels=list(labels),
        confusion=np.asarray(matrix),
        training_log=log,
        features=features,
        settings=_settings(tagger),
        errors=errors,
        tag_confusions=tag_conf,
        created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        locations=locations,
    )


def _location(s) -> str | None:
    src, line = getattr(s, "source", None), getattr(s, "line", None)
    if src is None or line is None:
        return None
    return f"{Path(str(src)).name}:{line}"


def _tag_confusions(tokens, gold, pred, n, max_examples, context, locations) -> list[TagConfusion]:
    counts: Counter = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for k, (w, g, p) in enumerate(zip(tokens, gold, pred, strict=True)):
        where = locations[k] or f"sentence {k + 1}"
        for i, (a, b) in enumerate(zip(g, p, strict=True)):
            if a == b:
                continue
            counts[a, b] += 1
            ex = examples.setdefault((a, b), [])
            if len(ex) < max_examples:
                lo, hi = max(0, i - context), min(len(w), i + context + 1)
                words = [f"[{x}]" if j == i else x for j, x in enumerate(w[lo:hi], lo)]
                text = ("... " if lo else "") + " ".join(words) + (" ..." if hi < len(w) else "")
                ex.append(f"{where}: {text}")
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [TagConfusion(a, b, c, examples[a, b]) for (a, b), c in top]


def _plain(v) -> bool:
    return isinstance(v, (int, float, str, bool)) and not (isinstance(v, float) and math.isnan(v))


def _settings(tagger) -> dict[str, Any]:
    info = tagger.info
    out: dict[str, Any] = {
        "labels": len(tagger.labels),
        "scheme": tagger.scheme,
        "feature set": getattr(tagger.feature_set, "name", None) or "(custom)",
    }
    model = getattr(tagger, "model", None)
    if model is not None and hasattr(model, "attributes"):
        out["attributes"] = len(model.attributes)
        out["state features"] = int(model.n_state_features)
        out["order"] = int(getattr(model, "order", 1))
    for k in ("corpus", "recipe", "engine", "label_column", "n_sentences", "n_tokens"):
        if info.get(k) is not None:
            out[k] = info[k]
    for k, v in (info.get("training") or {}).items():
        out[f"training: {k}"] = v
    for split, sc in (info.get("scores") or {}).items():
        if isinstance(sc, dict) and "f1" in sc:
            out[f"{split} F1 at training"] = _pct(sc["f1"])
        elif isinstance(sc, dict) and "accuracy" in sc:
            out[f"{split} accuracy at training"] = _pct(sc["accuracy"])
    return out


# ---------------------------------------------------------------------- html pieces


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def _short(v) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def _summary_rows(s: dict, kind: str) -> list[tuple[str, str]]:
    rows = [
        ("sentences", f"{s['n_sentences']:,}"),
        ("tokens", f"{s['n_tokens']:,}"),
        ("token accuracy", _pct(s["accuracy"])),
    ]
    if kind == "spans":
        rows += [
            ("span precision (conlleval)", _pct(s["precision"])),
            ("span recall (conlleval)", _pct(s["recall"])),
            ("span F1 (conlleval)", _pct(s["f1"])),
        ]
        if "strict_f1" in s:
            rows.append((f"span F1, strict {s.get('scheme')}", _pct(s["strict_f1"])))
    return rows


def _training_note(log: list[dict], dev_key: str | None) -> str:
    if not log:
        return "<p>The model file holds no training log.</p>"
    last = log[-1]
    seconds = sum(float(r.get("seconds", 0.0)) for r in log)
    text = f"{len(log)} iterations, {seconds:.1f} s of training"
    if "loss" in last:
        text += f"; final loss {last['loss']:.4g}"
    if dev_key is not None:
        best = max((r for r in log if dev_key in r), key=lambda r: r[dev_key])
        name = "dev span F1" if dev_key == "dev_f1" else "dev token accuracy"
        text += f"; best {name} {_pct(best[dev_key])} at iteration {best['iteration']}"
    return f"<p>{html.escape(text)}.</p>"


def _figure(name: str, alt: str) -> str:
    return f'<figure><img src="{name}" alt="{html.escape(alt)}"></figure>'


def _table(
    heads, rows, numeric: bool = False, css: str = "", raw_last: bool = False, scroll=False
) -> str:
    e = html.escape
    cls = f' class="{css}"' if css else ""
    out = [f"<table{cls}><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in heads) + "</tr>"]
    for row in rows:
        cells = []
        for j, v in enumerate(row):
            text = v if raw_last and j == len(row) - 1 else e(str(v))
            num = numeric and j > 0 and isinstance(v, (int, float, np.integer))
            num = num or (numeric and j > 0 and isinstance(v, str) and _is_number(v))
            cells.append(f'<td class="n">{text}</td>' if num else f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    text = "\n".join(out)
    return f'<div class="scroll">{text}</div>' if scroll else text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.matrix td, table.matrix th { font-size: 0.85em; padding: 0.15em 0.4em; }
td.ex, table.features td { font-family: ui-monospace, monospace; font-size: 0.9em; }
figure { margin: 1em 0; } figure img { max-width: min(100%, 60em); height: auto; }
.scroll { overflow-x: auto; }
.warning { background: #fee; border: 1px solid #c00; padding: 0.5em; }
"""

# Counts the figures that loaded (data-figures="loaded/total" on <body>) and
# names any that did not, so a broken or missing file shows on the page.
_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, ok = 0, bad = [];
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
    else { bad.push(imgs[i].getAttribute("src")); }
  }
  document.body.setAttribute("data-figures", ok + "/" + imgs.length);
  if (bad.length) {
    var w = document.getElementById("figure-warning");
    w.textContent = "figures that did not load: " + bad.join(", ");
    w.hidden = false;
  }
});
"""
