"""Slot filling with intents on ATIS and SNIPS: :class:`crftagger.slots.SlotFiller`.

For each corpus, ``SlotFiller.train(corpus)`` trains the corpus' recipe
CRF (``crftagger.recipes``: ``slots`` v5 with word clusters learned from
train/dev text) and the intent classifier (a linear SVM over TF-IDF word
1-3 grams, character 2-5 grams, the slot types present and word 1-3 grams
of the utterance delexicalised by the CRF's slot spans, jackknifed on train with 5 CRFs of at
most 40 iterations; its scores made probabilities by a fitted softmax
temperature; the variant and ``C`` chosen by 5-fold cross-validation on
train + dev, :data:`CV`, ``benchmarks/intent_cv.py``), on the train split.
Dev scores come from training; the test split is scored once, at the end.
Slot F1 uses conlleval's rules; intent accuracy counts a multi-intent label
(``atis_flight#atis_airfare``) right only when the whole label is; frame
accuracy needs the intent and every slot span right::

    NUMBA_NUM_THREADS=1 python benchmarks/slots.py [--corpora atis snips]
        [--out benchmarks/slots.md] [--max-iterations N]
    python benchmarks/slots.py --render   # rewrite the .md from benchmarks/slots.json

The run's figures go to ``benchmarks/slots.json``; the hand-written notes section of an
existing ``slots.md`` is kept.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Published figures (test, percent) quoted for reference.
REFERENCE = {
    "atis": {"intent": 97.5, "frame": 88.2, "slot_f1": 96.1},
    "snips": {"intent": 98.6, "frame": 92.8, "slot_f1": 97.0},
}
#: The intent accuracy a classical pipeline should reach (test, percent).
GOALS = {"atis": 97.0, "snips": 98.0}

#: Intent classifier variants, 5-fold cross-validation on train + dev (stratified on the
#: intent, labels with fewer than 5 utterances pooled into one stratum, shuffled with seed 0;
#: lower-cased tokens; the vocabulary and idf fitted on each training part): mean accuracy
#: (percent) by C, from a run on 2026-12-03. No test utterance took part. ``slot types (gold)``
#: adds word 1-3 grams of the utterance with each slot value replaced by its gold slot type: an
#: upper bound of what the CRF's predicted tags could give, not a usable variant as measured.
CV = {
    "bag of token attributes, binary, logistic regression (before)": {
        "atis": {1: 96.91, 3: 97.15, 10: 97.19, 30: 97.05},
        "snips": {1: 98.67, 3: 98.62, 10: 98.60, 30: 98.67},
    },
    "TF-IDF words 1-3 + chars 2-5, logistic regression": {
        "atis": {10: 96.63, 30: 97.11, 100: 97.17},
        "snips": {10: 98.74, 30: 98.74, 100: 98.77},
    },
    "TF-IDF, logistic regression, class_weight balanced": {
        "atis": {10: 95.68, 30: 96.32, 100: 96.93},
        "snips": {10: 98.77, 30: 98.78, 100: 98.77},
    },
    "TF-IDF, linear SVM (chosen on 2026-12-03)": {
        "atis": {0.3: 96.08, 1: 97.37, 3: 97.67, 10: 97.69},
        "snips": {0.3: 98.67, 1: 98.76, 3: 98.79, 10: 98.78},
    },
    "TF-IDF + slot types (gold tags), logistic regression": {
        "atis": {10: 96.99, 30: 97.27, 100: 97.39},
        "snips": {10: 99.54, 30: 99.57, 100: 99.56},
    },
}
#: The rows measured later by ``benchmarks/intent_cv.py`` (``collect`` writes the file): the
#: same folds, every variant with the SVM unless named; ``(crf40)``: the CRF's spans jackknifed
#: over the same 5 folds with CRFs of at most 40 iterations, ``(crf150)``: the recipe's cap.
CV_FILE = REPO / "benchmarks" / "intent_cv.json"
#: The variant ``SlotFiller.train`` uses (``features="tfidf+slots"``), a row of :data:`CV_FILE`.
CHOSEN = "svm + slot types + delex 1-3 (crf40)"
#: The chosen variant's C per corpus: its best mean CV accuracy (the smallest C on a tie).
INTENT_C = {"atis": 30.0, "snips": 3.0}


def cv_rows() -> dict:
    """:data:`CV` and the rows of :data:`CV_FILE` (the chosen one marked)."""
    import json

    rows = dict(CV)
    if CV_FILE.is_file():
        for variant, by in json.loads(CV_FILE.read_text())["rows"].items():
            name = variant + (" (chosen)" if variant == CHOSEN else "")
            rows[name] = {k: {float(c): a for c, a in g.items()} for k, g in by.items()}
    return rows


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", nargs="+", default=["atis", "snips"])
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "slots.md"))
    ap.add_argument("--max-iterations", type=int, default=None, help="CRF cap (default: recipe)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument(
        "--rows", default=str(REPO / "benchmarks" / "slots.json"), help="the run's figures (JSON)"
    )
    ap.add_argument(
        "--render",
        action="store_true",
        help="no training: write --out from the figures of --rows and the CV files",
    )
    args = ap.parse_args(argv)
    if args.render:
        import json

        saved = json.loads(Path(args.rows).read_text())
        _write(
            args,
            saved["rows"],
            saved["commit"],
            saved["started"],
            saved["total"],
            saved.get("machine"),
        )
        return 0

    from crftagger.slots import SlotFiller

    commit = _commit()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t_all = time.perf_counter()
    rows = []
    for name in args.corpora:
        _log(f"{name}: training")
        params = {} if args.max_iterations is None else {"max_iterations": args.max_iterations}
        t0 = time.perf_counter()
        filler = SlotFiller.train(name, data_dir=args.data_dir, C=INTENT_C.get(name), **params)
        seconds = time.perf_counter() - t0
        dev = filler.info["scores"]["dev"]
        _log(f"{name}: dev {dev}")
        t1 = time.perf_counter()
        test = filler.evaluate("test", data_dir=args.data_dir)
        tag_seconds = time.perf_counter() - t1
        s = test.summary()
        _log(f"{name}: test {s}")
        rows.append(
            {
                "corpus": name,
                "dev": dev,
                "test": s,
                "seconds": seconds,
                "crf_seconds": filler.info["seconds"]["crf"],
                "jackknife_seconds": filler.info["seconds"].get("jackknife", 0.0),
                "intent_seconds": filler.info["seconds"]["intent"],
                "C": filler.intents.info["C"],
                "dev_by_C": filler.intents.info["dev_accuracy_by_C"],
                "n_intents": len(filler.intents.classes),
                "n_train": filler.info["n_utterances"],
                "n_test": s["n_utterances"],
                "tag_seconds": tag_seconds,
            }
        )
    total = time.perf_counter() - t_all
    import json

    Path(args.rows).write_text(
        json.dumps(
            {
                "commit": commit,
                "started": started,
                "total": total,
                "machine": _machine(),
                "rows": rows,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    _write(args, rows, commit, started, total, _machine())
    return 0


def _machine() -> str:
    return (
        f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}, "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}"
    )


def _write(args, rows, commit, started, total, machine=None) -> None:
    def pct(x: float) -> str:
        return f"{100 * x:.2f}"

    cmd = "NUMBA_NUM_THREADS=1 python benchmarks/slots.py" + (
        "" if args.corpora == ["atis", "snips"] else " --corpora " + " ".join(args.corpora)
    )
    if args.max_iterations is not None:
        cmd += f" --max-iterations {args.max_iterations}"
    lines = [
        "# Slot filling with intents: ATIS and SNIPS",
        "",
        f"Generated by `{cmd}` (do not edit by hand).",
        "",
        f"- commit: `{commit}` (at the start of the run); date {started}; total time "
        f"{total / 60:.1f} min",
        f"- machine: {machine or _machine()}",
        "- model: `SlotFiller.train(corpus)`: the corpus' recipe CRF for the slots "
        "(`crftagger.recipes`) and, for the intent, a linear SVM over TF-IDF (sublinear tf) of "
        "word 1-3 grams, character 2-5 grams within words, the slot types present and word 1-3 "
        "grams of the utterance with each slot span replaced by its type "
        "(`features='tfidf+slots'`; on train the spans "
        "of 5 jackknife CRFs of at most 40 iterations, each tagging the fold it did not see; at "
        "prediction the full CRF's), its scores made probabilities by "
        "one softmax temperature fitted on 3-fold cross-validated scores; the variant and `C` "
        "chosen by 5-fold cross-validation on train + dev (below): "
        + ", ".join(f"{k} C = {v:g}" for k, v in INTENT_C.items())
        + "; both models trained on the train split only",
        "- scores on the test split, once; slot F1 with conlleval's rules; a multi-intent label "
        "(`a#b`) is one class; frame accuracy: the intent and every slot span right",
        "",
        "## Test",
        "",
        "| corpus | utterances (train / test) | intents | slot F1 | intent accuracy | "
        "frame accuracy | training time (CRF + jackknife + intent) | intent goal | met |",
        "|---|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        s = r["test"]
        goal = GOALS.get(r["corpus"])
        met = "-" if goal is None else ("yes" if 100 * s["intent_accuracy"] >= goal else "**no**")
        lines.append(
            f"| {r['corpus']} | {r['n_train']} / {r['n_test']} | {r['n_intents']} | "
            f"{pct(s['slot_f1'])} | {pct(s['intent_accuracy'])} | {pct(s['frame_accuracy'])} | "
            f"{r['seconds']:.1f} s ({r['crf_seconds']:.1f} + {r['jackknife_seconds']:.1f} + "
            f"{r['intent_seconds']:.1f}) | "
            f"{'-' if goal is None else f'>= {goal:g}'} | {met} |"
        )
    lines += [
        "",
        "## Dev",
        "",
        "| corpus | slot F1 | intent accuracy | frame accuracy | intent C | "
        "dev intent accuracy by C |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        d = r["dev"]
        by_c = ", ".join(f"{float(c):g}: {100 * a:.1f}" for c, a in r["dev_by_C"].items())
        lines.append(
            f"| {r['corpus']} | {pct(d['slot_f1'])} | {pct(d['intent_accuracy'])} | "
            f"{pct(d['frame_accuracy'])} | {r['C']:g} | {by_c or '- (C from the CV)'} |"
        )
    lines += [
        "",
        "## Intent classifier variants, 5-fold CV on train+dev",
        "",
        "Mean accuracy over the 5 folds (percent) at the best C of each variant's grid "
        "(stratified folds, seed 0; no test data); '-': not measured. The first five rows are "
        "from 2026-12-03, the others from `benchmarks/intent_cv.py` (2026-12-04, "
        "`benchmarks/intent_cv.json`; the SVM unless named). `(gold)` rows read the gold tags, "
        "an upper bound; `(crf40)` / `(crf150)` rows read the CRF's spans jackknifed over the "
        "same 5 folds (CRFs of at most 40 / 150 iterations). `atoms`: one-vs-rest SVMs per "
        "atomic intent of `a#b` labels, predicting the atoms scoring above the threshold (0 "
        "unless named; the best atom when none does); `hybrid`: the single-label SVM's answer "
        "unless two atoms or more score above the threshold in a combination unseen in "
        "training; `ens`: the mean of the tempered SVM's and logistic regression's (C x 10) "
        "probabilities; `sqrt-balanced`: class weights (n / (k n_c))^0.5; `crammer-singer`: "
        "scikit-learn's multi-class SVM formulation.",
        "",
        "| variant | ATIS | SNIPS | ATIS by C | SNIPS by C |",
        "|---|---:|---:|---|---|",
    ]
    for variant, by in cv_rows().items():

        def best(grid: dict | None) -> str:
            if not grid:
                return "-"
            c = max(grid, key=lambda k: (grid[k], -k))
            return f"{grid[c]:.2f} (C={c:g})"

        def all_c(grid: dict | None) -> str:
            if not grid:
                return "-"
            return ", ".join(f"{c:g}: {a:.2f}" for c, a in sorted(grid.items()))

        lines.append(
            f"| {variant} | {best(by.get('atis'))} | {best(by.get('snips'))} | "
            f"{all_c(by.get('atis'))} | {all_c(by.get('snips'))} |"
        )
    lines += [
        "",
        "## Reference points (test, published)",
        "",
        "| corpus | system | slot F1 | intent accuracy | frame accuracy |",
        "|---|---|---:|---:|---:|",
    ]
    for r in rows:
        ref = REFERENCE.get(r["corpus"])
        if ref:
            lines.append(
                f"| {r['corpus']} | joint BERT (Chen et al. 2019) | {ref['slot_f1']} | "
                f"{ref['intent']} | {ref['frame']} |"
            )
        s = r["test"]
        lines.append(
            f"| {r['corpus']} | this run | {pct(s['slot_f1'])} | {pct(s['intent_accuracy'])} | "
            f"{pct(s['frame_accuracy'])} |"
        )
    misses = [
        f"{r['corpus']}: test intent accuracy {pct(r['test']['intent_accuracy'])}, below the "
        f"goal of {GOALS[r['corpus']]:g} (dev {pct(r['dev']['intent_accuracy'])})"
        for r in rows
        if r["corpus"] in GOALS and 100 * r["test"]["intent_accuracy"] < GOALS[r["corpus"]]
    ]
    if misses:
        lines += ["", "## Goals missed", ""] + [f"- {m}" for m in misses]
    notes = _notes(Path(args.out))
    Path(args.out).write_text("\n".join(lines) + "\n" + notes, encoding="utf-8")
    _log(f"written {args.out}")


NOTES = "## Notes (written after the run, not generated)"


def _notes(path: Path) -> str:
    """The hand-written notes section of the existing file, kept as it is."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    k = text.find(NOTES)
    return "" if k < 0 else "\n" + text[k:]


if __name__ == "__main__":
    sys.exit(main())
