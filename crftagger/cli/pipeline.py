"""``crftagger pipeline``: taggers run in turn in one model file (:mod:`crftagger.api.pipeline`).

``crftagger pipeline train CORPUS -o FILE [--folds K]`` trains the pipeline of
a registered corpus: a tagger for each column its recipe's model reads (for
CoNLL-2003 part of speech, then chunks reading the predicted part of speech),
then the recipe's model reading the predicted columns. The columns each step
is trained on are jackknifed (predicted for each of K folds of the documents
by a model trained on the other folds), never gold. Prints the jackknifed
scores of the column fillers and every step's score on the dev split (and
``--test``) with predicted columns.

``crftagger pipeline build -o FILE MODEL...`` puts saved taggers (``crftagger
train`` files), in order, into one pipeline file; each fills the column it
was trained on (``--columns`` to name them). Every column a model reads must
be filled by an earlier one.
"""

from __future__ import annotations

import argparse
import sys


def _scores_line(name: str, column: str, s: dict) -> str:
    if "f1" in s:
        return f"{name} {column}: F1 {100 * s['f1']:.2f}, token accuracy {100 * s['accuracy']:.2f}"
    return f"{name} {column}: token accuracy {100 * s['accuracy']:.2f}"


def run_train(args) -> int:
    from crftagger.api.pipeline import Pipeline, default_steps
    from crftagger.corpora import load, registry
    from crftagger.io.container import check_destination

    check_destination(args.output)  # before training, not after

    data_dir = getattr(args, "data_dir", None)
    if args.corpus not in registry.names():
        raise ValueError(
            f"{args.corpus!r} is not a registered corpus (see `crftagger corpora list`)"
        )
    info = registry.get(args.corpus)
    params = {}
    if args.max_iterations is not None:
        params["max_iterations"] = args.max_iterations
    steps = default_steps(args.corpus)
    out = sys.stdout
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    pipe = Pipeline.train(
        args.corpus,
        steps,
        folds=args.folds,
        limit=args.limit,
        data_dir=data_dir,
        threads=args.threads,
        progress=bool(args.progress),
        log=log,
        **params,
    )
    print(
        f"trained {pipe!r} on {pipe.info['n_sentences']} sentences with {args.folds} jackknife "
        f"folds in {pipe.info['seconds']:.1f} s",
        file=out,
    )
    for note in pipe.info["steps"]:
        if "jackknife" in note:
            print(_scores_line("jackknifed train", note["column"], note["jackknife"]), file=out)
    for opt, default in ((args.dev, "dev"), (args.test, None)):
        split = opt if opt is not None else (default if default in info.splits else None)
        if not split or split == "none":
            continue
        sentences = load(args.corpus, split, data_dir)
        for column, ev in pipe.evaluate_steps(sentences).items():
            summary = ev.summary()
            pipe.info.setdefault("scores", {}).setdefault(split, {})[column] = {
                k: summary[k] for k in ("accuracy", "f1") if k in summary
            }
            print(_scores_line(split, column, summary), file=out)
    path = pipe.save(args.output)
    print(f"pipeline written to {path}", file=out)
    return 0


def run_build(args) -> int:
    from crftagger.api.pipeline import Pipeline
    from crftagger.io.container import check_destination

    check_destination(args.output)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    pipe = Pipeline.from_files(args.models, columns=columns)
    path = pipe.save(args.output)
    print(f"{pipe!r} written to {path}", file=sys.stdout)
    return 0


def register(sub):
    p = sub.add_parser(
        "pipeline",
        help="train or build a pipeline of taggers (POS, chunks, then entities) in one file",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    psub = p.add_subparsers(dest="pipeline_command", metavar="ACTION")
    p.set_defaults(func=lambda args: p.print_help() or 2)

    t = psub.add_parser(
        "train",
        help="train a registered corpus' pipeline with jackknifed columns",
        description="Train the pipeline of a registered corpus (see `crftagger pipeline --help`).",
    )
    t.add_argument("corpus", help="registered corpus, e.g. conll2003")
    t.add_argument("-o", "--output", required=True, help="pipeline file to write")
    t.add_argument(
        "--folds", type=int, default=10, help="jackknife folds of the documents (default: 10)"
    )
    t.add_argument(
        "--limit", type=int, default=None, help="use only the first N training sentences"
    )
    t.add_argument(
        "--max-iterations",
        type=int,
        default=None,
        help="L-BFGS iterations of every step (default: the recipe's, 150)",
    )
    t.add_argument(
        "--dev", default=None, help="split scored at the end (default: the corpus' dev; 'none')"
    )
    t.add_argument("--test", default=None, help="another split scored at the end")
    t.add_argument(
        "--threads", type=int, default=None, help="numba threads (results do not depend on it)"
    )
    t.add_argument("--progress", action="store_true", help="show a progress bar per model")
    t.add_argument(
        "-v", "--verbose", action="store_true", help="report each model trained on stderr"
    )
    t.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")
    t.set_defaults(func=run_train)

    b = psub.add_parser(
        "build",
        help="put saved taggers into one pipeline file",
        description="Put saved taggers, in order, into one pipeline file.",
    )
    b.add_argument("models", nargs="+", help="tagger files, column fillers first")
    b.add_argument("-o", "--output", required=True, help="pipeline file to write")
    b.add_argument(
        "--columns",
        default=None,
        help="the column each model fills, comma-separated (default: each model's label column)",
    )
    b.set_defaults(func=run_build)
