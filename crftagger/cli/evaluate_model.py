"""``crftagger evaluate --model M``: score a trained model on a corpus split or a CoNLL file.

Prints conlleval's report (lenient span scores), the strict span scores in
the model's scheme, the per-type table and the token confusion matrix.
Gold tags the model never saw count as errors.
"""

from __future__ import annotations

import argparse
import sys


def add_model_arguments(p) -> None:
    """Options of ``evaluate`` that score a model instead of a conlleval file."""
    g = p.add_argument_group("evaluating a model (instead of a conlleval file)")
    g.add_argument("--model", "-m", default=None, help="model file written by `crftagger train`")
    g.add_argument("--corpus", default=None, help="registered corpus to evaluate on")
    g.add_argument("--split", default="test", help="split of --corpus (default: test)")
    g.add_argument(
        "--columns",
        default=None,
        help="with FILE: its column names, comma-separated (default: word, the feature "
        "set's columns, then the gold tags)",
    )
    g.add_argument(
        "--label-column", default=None, help="gold tag column (default: the corpus' or the last)"
    )
    g.add_argument("--limit", type=int, default=None, help="score only the first N sentences")
    g.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")


def run_model(args) -> int:
    from crftagger.api.tagger import Tagger

    tagger = Tagger.load(args.model)
    if args.corpus:
        if args.file not in (None, "-"):
            raise ValueError("give either --corpus or an input file, not both")
        from crftagger.corpora import load, registry

        info = registry.get(args.corpus)
        sentences = load(args.corpus, args.split, getattr(args, "data_dir", None))
        label_column = args.label_column or info.label_column
        where = f"{args.corpus} {args.split}"
    else:
        if args.file in (None, "-"):
            raise ValueError(
                "--model needs --corpus NAME (with --split) or a CoNLL file to evaluate"
            )
        from crftagger.corpora import read_conll

        cols = (
            [c.strip() for c in args.columns.split(",")]
            if args.columns
            else ["word", *tagger.feature_set.columns, "gold"]
        )
        sentences = list(read_conll(args.file, cols))
        label_column = args.label_column or cols[-1]
        where = args.file
    if args.limit:
        sentences = sentences[: args.limit]
    ev = tagger.evaluate(sentences, label_column=label_column)
    out = sys.stdout
    out.write(f"# {args.model} on {where}: {len(sentences)} sentences\n")
    out.write(ev.report(labels=args.labels, confusion=True))
    return 0
