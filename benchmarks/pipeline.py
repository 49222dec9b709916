"""CoNLL-2003 NER from tokens alone: the POS -> chunk -> NER pipeline against gold columns.

The CoNLL-2003 recipe's model reads the corpus' part-of-speech and chunk
columns besides the words. Text has neither, so
:class:`crftagger.api.pipeline.Pipeline` predicts them: a POS tagger (the
``pos`` feature set on the ``pos`` column), a chunk tagger (the ``chunk``
feature set on the IOB1 ``chunk`` column, reading predicted POS), then the
recipe's NER model reading both predicted columns. The columns each step
trains on are jackknifed over ``--folds`` folds of the training documents.

Rows (span F1 with conlleval's rules in the corpus scheme, IOB1; dev and test):

(a) the recipe's NER model trained and tagging on the gold POS/chunk columns
    (what ``crftagger benchmark`` measures);
(b) the pipeline on gold tokens: predicted columns, NER trained on jackknifed columns;
(c) the model of (a) fed the pipeline's predicted columns (trained on gold
    columns, tagging predicted ones: what jackknifing is for);
(d) the recipe's model reading words only (no POS or chunk column).

Also the pipeline's POS accuracy and chunk F1 (on predicted POS) on dev and
test, the chunk tagger on gold POS, and the jackknifed train scores. Nothing
is tuned here; the fillers' iteration cap only bounds the running time::

    NUMBA_NUM_THREADS=1 python benchmarks/pipeline.py [--folds 5] [--filler-iterations 100]
        [--save FILE] [--out benchmarks/pipeline.md] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _log(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def words_only_feature_set():
    from crftagger.features import feature_set
    from crftagger.recipes import cluster_file, recipe

    r = recipe("conll2003")
    return feature_set(
        "ner", **r.feature_params, clusters=str(cluster_file("conll2003", None, r)), columns=[]
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--filler-iterations",
        type=int,
        default=100,
        help="L-BFGS iteration cap of the POS and chunk steps (the NER step: the recipe's 150)",
    )
    ap.add_argument("--limit", type=int, default=None, help="first N training sentences (smoke)")
    ap.add_argument("--save", default=None, help="write the trained pipeline to this file")
    ap.add_argument("--out", default=str(Path(__file__).with_name("pipeline.md")))
    args = ap.parse_args(argv)

    from crftagger import Tagger
    from crftagger.api.pipeline import Pipeline, Step
    from crftagger.corpora import load

    t_start = time.perf_counter()
    commit = _commit()  # the code that runs, before anyone commits during the run
    train = load("conll2003", "train")
    if args.limit:
        train = train[: args.limit]
    splits = {name: load("conll2003", name) for name in ("dev", "test")}
    filler = {"max_iterations": args.filler_iterations}
    steps = [
        Step("pos", "pos", params=filler),
        Step("chunk", "chunk", params=filler),
        Step("ner", recipe="conll2003"),
    ]
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    pipe = Pipeline.train(train, steps, folds=args.folds, log=_log)
    times["pipeline"] = time.perf_counter() - t0
    _log(f"pipeline trained in {times['pipeline']:.0f} s: {pipe.info['steps']}")
    if args.save:
        pipe.save(args.save)

    t0 = time.perf_counter()
    gold_ner = Tagger.train(train, recipe="conll2003", label_column="ner", scheme="iob1")
    times["gold"] = time.perf_counter() - t0
    _log(f"NER on gold columns trained in {times['gold']:.0f} s")
    t0 = time.perf_counter()
    words = Tagger.train(
        train,
        words_only_feature_set(),
        recipe="conll2003",
        label_column="ner",
        scheme="iob1",
    )
    times["words"] = time.perf_counter() - t0
    _log(f"NER on words only trained in {times['words']:.0f} s")

    (_, pos), (_, chunk), _ = pipe.steps
    gold_on_predicted = Pipeline([("pos", pos), ("chunk", chunk), ("ner", gold_ner)])
    results: dict[str, dict] = {}
    for name, sents in splits.items():
        r: dict = {}
        r["a"] = gold_ner.evaluate(sents).summary()
        t0 = time.perf_counter()
        per_step = {c: ev.summary() for c, ev in pipe.evaluate_steps(sents).items()}
        r["b_seconds"] = time.perf_counter() - t0
        r["b"], r["pos"], r["chunk"] = per_step["ner"], per_step["pos"], per_step["chunk"]
        r["c"] = gold_on_predicted.evaluate(sents).summary()
        r["d"] = words.evaluate(sents).summary()
        r["chunk_gold_pos"] = chunk.evaluate(sents).summary()
        r["n_tokens"] = sum(len(s) for s in sents)
        results[name] = r
        _log(f"{name}: {json.dumps({k: v for k, v in r.items() if isinstance(v, dict)})}")
    total = time.perf_counter() - t_start

    def f1(split, row):
        return f"{100 * results[split][row]['f1']:.2f}"

    jk = {n["column"]: n.get("jackknife", {}) for n in pipe.info["steps"]}
    lines = [
        "# CoNLL-2003 NER through a POS -> chunk -> NER pipeline",
        "",
        "Generated by `NUMBA_NUM_THREADS=1 python benchmarks/pipeline.py"
        + (f" --folds {args.folds}" if args.folds != 5 else "")
        + (
            f" --filler-iterations {args.filler_iterations}"
            if args.filler_iterations != 100
            else ""
        )
        + (f" --limit {args.limit}" if args.limit else "")
        + "` (do not edit by hand).",
        "",
        f"- commit: `{commit}` (at the start of the run); date {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; "
        f"total time {total / 60:.1f} min",
        f"- machine: {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}, NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset')}",
        f"- training: {len(train)} CoNLL-2003 train sentences; jackknife folds: {args.folds} "
        "(documents dealt to the folds in turn); POS step: `pos` feature set on the `pos` "
        "column, chunk step: `chunk` feature set (reads `pos`) on the IOB1 `chunk` column, both "
        f"c1 = c2 = 0.1 and at most {args.filler_iterations} L-BFGS iterations; NER step: "
        '`recipe="conll2003"` (ner v3 reading `pos` and `chunk`, BIOES, 150 iterations)',
        f"- training time: pipeline {times['pipeline'] / 60:.1f} min ({2 * (args.folds + 1) + 1} "
        f"models), NER on gold columns {times['gold'] / 60:.1f} min, words only "
        f"{times['words'] / 60:.1f} min",
        "- span F1: conlleval rules (lenient), in the corpus scheme (IOB1), percent",
        "",
        "## NER span F1",
        "",
        "| row | NER model | POS / chunk columns it reads | dev F1 | test F1 | test P | test R |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    rows = [
        ("a", "recipe, trained on gold columns", "gold"),
        ("b", "pipeline: recipe trained on jackknifed columns", "predicted by the pipeline"),
        ("c", "recipe, trained on gold columns", "predicted by the pipeline"),
        ("d", "recipe without the columns (words only)", "none"),
    ]
    for key, model, cols in rows:
        t = results["test"][key]
        lines.append(
            f"| ({key}) | {model} | {cols} | {f1('dev', key)} | {f1('test', key)} | "
            f"{100 * t['precision']:.2f} | {100 * t['recall']:.2f} |"
        )
    lines += [
        "",
        "## The column fillers",
        "",
        "| step | measure | jackknifed train | dev | test |",
        "|---|---|---:|---:|---:|",
        f"| POS | token accuracy | {100 * jk['pos']['accuracy']:.2f} | "
        f"{100 * results['dev']['pos']['accuracy']:.2f} | "
        f"{100 * results['test']['pos']['accuracy']:.2f} |",
        f"| chunk (on predicted POS) | span F1 | {100 * jk['chunk']['f1']:.2f} | "
        f"{f1('dev', 'chunk')} | {f1('test', 'chunk')} |",
        f"| chunk (on gold POS) | span F1 | - | {f1('dev', 'chunk_gold_pos')} | "
        f"{f1('test', 'chunk_gold_pos')} |",
        "",
        f"Pipeline speed on test (gold tokens, three taggers, features included): "
        f"{results['test']['n_tokens'] / results['test']['b_seconds']:,.0f} tokens/s.",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
