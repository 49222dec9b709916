"""``crftagger report MODEL TEST -o DIR``: a static HTML page of a model on a test set.

TEST is a CoNLL or CoNLL-U file with gold tags (read as ``crftagger evaluate
--model`` reads it: ``--columns``, ``--label-column``, ``--format``,
``--label``) or the name of a registered corpus (``--split``, default
``test``). DIR receives ``index.html`` (open it in a browser; no server is
needed), its figures ``training.png`` (loss and dev score per iteration from
the model's training log), ``scores.png`` (P/R/F1 per type), ``confusion.png``
and ``errors.png``, and ``report.json`` with every number
(:mod:`crftagger.analysis.report`). The figures need matplotlib (``pip
install "crftagger[compare]"``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crftagger.errors import UserError


def run(args) -> int:
    from crftagger.analysis.report import build_report
    from crftagger.cli.evaluate_model import read_corpus_gold, read_gold
    from crftagger.io.open import open_tagger

    for name in ("top", "examples", "limit"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise UserError(f"--{name} must be at least 1, not {v}")
    if args.context < 0:
        raise UserError(f"--context must be 0 or more, not {args.context}")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out}: exists and is not a folder; expected a folder to write into")
    tagger = open_tagger(args.model, args.feature_set)
    test = args.test
    corpus = args.corpus
    if corpus is None and test is not None and not Path(test).exists():
        from crftagger.corpora import registry

        if test in registry.names():
            corpus = test
        else:
            raise UserError(
                f"{test}: no such file, and not a registered corpus; expected a CoNLL or "
                f"CoNLL-U file with gold tags, or one of {', '.join(registry.names())}"
            )
    if corpus is not None:
        if args.corpus is not None and test is not None:
            raise UserError("give either TEST or --corpus, not both")
        sentences, label_column = read_corpus_gold(args, corpus)
        where = f"{corpus} {args.split}"
    elif test is None:
        raise UserError("give the test data: a CoNLL or CoNLL-U file, or a corpus name")
    else:
        args.file = test
        sentences, label_column = read_gold(args, tagger)
        where = test
    sentences = list(sentences)
    if args.limit:
        sentences = sentences[: args.limit]
    report = build_report(
        tagger,
        sentences,
        label_column,
        model_name=str(args.model),
        test_name=where,
        title=args.title,
        top=args.top,
        max_examples=args.examples,
        context=args.context,
    )
    written = report.write(out)
    s = report.summary
    score = (
        f"span F1 {100 * s['f1']:.2f}"
        if report.kind == "spans"
        else f"token accuracy {100 * s['accuracy']:.2f}"
    )
    sys.stdout.write(
        f"{args.model} on {where}: {s['n_sentences']} sentences, {score}\n"
        f"report written to {out / 'index.html'} ({len(written)} files in {out})\n"
    )
    return 0


def register(sub):
    p = sub.add_parser(
        "report",
        help="an HTML page of a model on a test set: curves, scores, confusion, errors, weights",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("model", help="model file written by `crftagger train` (or a CRFsuite file)")
    p.add_argument(
        "test", nargs="?", default=None, help="CoNLL / CoNLL-U file with gold tags, or a corpus"
    )
    p.add_argument("-o", "--output", required=True, help="folder to write the page and figures to")
    p.add_argument("--corpus", default=None, help="registered corpus to report on (or give TEST)")
    p.add_argument("--split", default="test", help="split of the corpus (default: test)")
    p.add_argument(
        "--feature-set",
        default=None,
        help="for a CRFsuite model file: the feature set that computes its attributes",
    )
    from crftagger.cli.evaluate_model import add_gold_file_arguments

    add_gold_file_arguments(p)
    p.add_argument("--limit", type=int, default=None, help="only the first N sentences")
    p.add_argument("--top", type=int, default=8, help="features shown per label (default: 8)")
    p.add_argument(
        "--examples", type=int, default=5, help="examples per error class and type (default: 5)"
    )
    p.add_argument("--context", type=int, default=3, help="tokens either side of an example")
    p.add_argument("--title", default=None, help="page title (default: MODEL on TEST)")
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")
    p.set_defaults(func=run)
