"""``crftagger evaluate --model M``: score a trained model on a corpus split, a CoNLL or a CoNLL-U file.

Prints conlleval's report (lenient span scores), the strict span scores in
the model's scheme, the per-type table and the token confusion matrix.
Gold tags the model never saw count as errors. A file's format is read from
its content unless ``--format`` says it; CoNLL-U gold labels are the field
``--label`` (default: the one the model was trained on, else UPOS).
"""

from __future__ import annotations

import argparse
import sys


def add_model_arguments(p) -> None:
    """Options of ``evaluate`` that score a model instead of a conlleval file."""
    g = p.add_argument_group("evaluating a model (instead of a conlleval file)")
    g.add_argument(
        "--model",
        "-m",
        default=None,
        help="model file written by `crftagger train`, or a CRFsuite model with --feature-set",
    )
    g.add_argument(
        "--feature-set",
        default=None,
        help="for a CRFsuite model file: the feature set that computes its attributes (a name, "
        "a feature-set JSON file or a template file)",
    )
    g.add_argument("--corpus", default=None, help="registered corpus to evaluate on")
    g.add_argument("--split", default="test", help="split of --corpus (default: test)")
    add_gold_file_arguments(g)
    g.add_argument("--limit", type=int, default=None, help="score only the first N sentences")
    g.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")


def add_gold_file_arguments(g) -> None:
    """How a gold CoNLL or CoNLL-U file is read (``--columns``, ``--label-column``,
    ``--format``, ``--label``, ``--no-column-check``), as :func:`read_gold` reads them."""
    g.add_argument(
        "--columns",
        default=None,
        help="with FILE: its column names, comma-separated (default: word, the feature "
        "set's columns, then the gold tags)",
    )
    g.add_argument(
        "--label-column",
        default=None,
        help="gold tag column (default: the corpus', or the last column besides word)",
    )
    g.add_argument(
        "--format",
        choices=("auto", "conll", "conllu"),
        default="auto",
        help="with FILE: its format, auto (default: read from the content), conll or conllu",
    )
    g.add_argument(
        "--label",
        choices=("upos", "xpos"),
        default=None,
        help="with a CoNLL-U FILE: the gold field (default: the model's, else upos)",
    )
    g.add_argument(
        "--no-column-check",
        action="store_true",
        help="score even when the token column looks like tags and the gold column like words",
    )


def run_model(args) -> int:
    from crftagger.io.open import open_tagger

    tagger = open_tagger(args.model, getattr(args, "feature_set", None))
    if args.corpus:
        if args.file not in (None, "-"):
            raise ValueError("give either --corpus or an input file, not both")
        sentences, label_column = read_corpus_gold(args, args.corpus)
        where = f"{args.corpus} {args.split}"
    else:
        if args.file in (None, "-"):
            raise ValueError(
                "--model needs --corpus NAME (with --split) or a CoNLL or CoNLL-U file to evaluate"
            )
        sentences, label_column = read_gold(args, tagger)
        where = args.file
    if args.limit:
        sentences = sentences[: args.limit]
    ev = tagger.evaluate(sentences, label_column=label_column)
    out = sys.stdout
    out.write(f"# {args.model} on {where}: {len(sentences)} sentences\n")
    out.write(ev.report(labels=args.labels, confusion=True))
    return 0


def read_corpus_gold(args, corpus: str) -> tuple[list, str]:
    """The ``args.split`` sentences of a registered corpus and their gold label column
    (``args.label_column``, default the corpus')."""
    from crftagger.corpora import load, registry

    info = registry.get(corpus)
    sentences = load(corpus, args.split, getattr(args, "data_dir", None))
    return sentences, args.label_column or info.label_column


def read_gold(args, tagger) -> tuple[list, str]:
    """The gold sentences of ``args.file`` (CoNLL or CoNLL-U) and their label column."""
    from crftagger.cli.train import CONLLU_LABELS, check_columns, conllu_label
    from crftagger.corpora import read_conll, read_conllu
    from crftagger.corpora.detect import resolve_format

    fmt = resolve_format(args.file, getattr(args, "format", None), ("conll", "conllu"))
    if fmt == "conllu":
        if args.columns:
            raise ValueError(
                f"{args.file}: --columns names the columns of CoNLL files; CoNLL-U has fixed "
                "fields: choose the gold labels with --label upos|xpos"
            )
        trained = tagger.info.get("label_column")
        if args.label is None and args.label_column is None and trained in CONLLU_LABELS:
            label = trained
        else:
            label = conllu_label(args.label, args.label_column)
        return list(read_conllu(args.file, columns=(label,), label=label)), label
    if args.label is not None:
        raise ValueError(
            f"--label {args.label} picks a CoNLL-U field; {args.file} is a CoNLL file: name its "
            "gold column with --columns and --label-column"
        )
    cols = (
        [c.strip() for c in args.columns.split(",")]
        if args.columns
        else ["word", *tagger.feature_set.columns, "gold"]
    )
    sentences = list(read_conll(args.file, cols))
    others = [c for c in cols if c != "word"]
    if not args.label_column and not others:
        raise ValueError(f"--columns {','.join(cols)}: no gold column besides the words (word)")
    label_column = args.label_column or others[-1]  # the last column that is not the tokens
    if sentences and not args.no_column_check:
        check_columns(sentences, label_column, [args.file], ",".join(cols), "scores")
    return sentences, label_column
