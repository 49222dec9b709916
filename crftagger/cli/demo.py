"""``crftagger demo``: train, evaluate and use a tagger, with no data to download.

Without ``--corpus``: generates the synthetic personal-data corpus (names,
places, organisations, e-mail addresses, phone numbers, dates, amounts, URLs
and ID numbers in English template sentences; fixed seed), trains a tagger
with the ``pii`` feature set on the training part, prints conlleval's report
on the held-out part (names, places and templates the model never saw), and
masks the personal data in a few new sentences.

With ``--corpus NAME``: trains on that registered corpus' train split (found
through ``--data-dir`` / ``$CRFTAGGER_DATA``), evaluates on its test split and
tags a few test sentences.
"""

from __future__ import annotations

import argparse
import sys
import time


def mask_text(text: str, spans, token_offsets) -> str:
    """``text`` with the characters of each span replaced by ``[TYPE]``."""
    out, pos = [], 0
    for sp in spans:
        a, b = token_offsets[sp.start][0], token_offsets[sp.end - 1][1]
        out.append(text[pos:a])
        out.append(f"[{sp.type}]")
        pos = b
    out.append(text[pos:])
    return "".join(out)


def run(args) -> int:
    from crftagger.api.tagger import Tagger

    out = sys.stdout
    t0 = time.perf_counter()
    params = {"c1": args.c1, "c2": args.c2, "max_iterations": args.max_iterations}
    if args.corpus:
        return _run_corpus(args, params, out, t0)
    from crftagger.corpora import synthetic

    splits = synthetic.make_splits(args.n_train, args.n_dev, args.n_test, seed=args.seed)
    n_tok = sum(len(s) for s in splits.train)
    out.write(
        f"Synthetic personal-data corpus (seed {args.seed}): {len(splits.train)} training, "
        f"{len(splits.dev)} dev and {len(splits.test)} held-out test sentences "
        f"({n_tok} training tokens), made in {time.perf_counter() - t0:.1f} s\n"
    )
    t1 = time.perf_counter()
    tagger = Tagger.train(
        splits.train,
        "pii",
        label_column="ner",
        scheme="iob2",
        train_scheme="bioes",
        dev=splits.dev or None,
        progress=args.progress,
        threads=args.threads,
        **params,
    )
    log = tagger.info["training_log"]
    out.write(
        f"Trained a CRF (feature set 'pii', BIOES inside, {len(tagger.labels)} labels, "
        f"{tagger.model.n_features} features) in {time.perf_counter() - t1:.1f} s, "
        f"{len(log)} L-BFGS iterations\n"
    )
    ev = tagger.evaluate(splits.test, label_column="ner")
    tagger.info["scores"]["test"] = ev.summary()
    out.write("\nHeld-out test set (conlleval report):\n")
    out.write(ev.report(confusion=False))
    out.write(
        "\nMasking personal data in new sentences (templates and values never seen in training):\n"
    )
    for s in synthetic.examples(args.examples, seed=args.seed + 1):
        text = s.meta["text"]
        found = tagger.spans(s.tokens)
        masked = mask_text(text, found, synthetic.token_spans(text))
        out.write(f"\n  original: {text}\n  masked:   {masked}\n")
        if found:
            out.write(
                "  spans:    "
                + "; ".join(f"{sp.type} {sp.text!r} p={sp.confidence:.3f}" for sp in found)
                + "\n"
            )
    if args.output:
        tagger.save(args.output)
        out.write(
            f"\nModel written to {args.output} (try: crftagger tag -m {args.output} --spans)\n"
        )
    out.write(f"\nDone in {time.perf_counter() - t0:.1f} s.\n")
    return 0


def _run_corpus(args, params, out, t0) -> int:
    from crftagger.api.tagger import Tagger
    from crftagger.corpora import load, registry

    info = registry.get(args.corpus)
    data_dir = getattr(args, "data_dir", None)
    train = load(args.corpus, "train", data_dir)
    if args.n_train:
        train = train[: args.n_train]
    test_split = "test" if "test" in info.splits else info.splits[-1]
    test = load(args.corpus, test_split, data_dir)
    if args.n_test:
        test = test[: args.n_test]
    feature_set = {"ner": "ner", "chunk": "chunk", "pos": "pos", "slots": "slots"}.get(
        info.task, "ner"
    )
    out.write(
        f"{info.title}: {len(train)} training and {len(test)} {test_split} sentences "
        f"(feature set '{feature_set}')\n"
    )
    t1 = time.perf_counter()
    tagger = Tagger.train(
        train,
        feature_set,
        label_column=info.label_column,
        scheme=info.scheme,
        train_scheme="bioes" if info.scheme else None,
        progress=args.progress,
        threads=args.threads,
        **params,
    )
    out.write(f"Trained in {time.perf_counter() - t1:.1f} s\n")
    ev = tagger.evaluate(test, label_column=info.label_column)
    out.write(f"\n{test_split} set (conlleval report):\n")
    out.write(ev.report(confusion=False))
    out.write("\nExamples:\n")
    for s in test[: args.examples]:
        tags = tagger.tag(s)
        out.write("  " + " ".join(f"{w}/{t}" for w, t in zip(s.tokens, tags, strict=True)) + "\n")
    if args.output:
        tagger.save(args.output)
        out.write(f"\nModel written to {args.output}\n")
    out.write(f"\nDone in {time.perf_counter() - t0:.1f} s.\n")
    return 0


def register(sub):
    p = sub.add_parser(
        "demo",
        help="train and evaluate a personal-data tagger on generated data",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument(
        "--corpus", default=None, help="use this registered corpus instead of generated data"
    )
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="folder holding the corpora")
    p.add_argument(
        "--n-train",
        type=int,
        default=None,
        help="training sentences (default: 2000 generated; all of --corpus)",
    )
    p.add_argument("--n-dev", type=int, default=200, help="generated dev sentences (default 200)")
    p.add_argument(
        "--n-test",
        type=int,
        default=None,
        help="test sentences (default: 500 generated; all of --corpus)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the generated corpus (default 0)")
    p.add_argument("--examples", type=int, default=5, help="example sentences shown (default 5)")
    p.add_argument("--c1", type=float, default=0.05)
    p.add_argument("--c2", type=float, default=0.01)
    p.add_argument("--max-iterations", type=int, default=100)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--progress", action="store_true", help="show a training progress bar")
    p.add_argument("-o", "--output", default=None, help="also save the model there")
    p.set_defaults(func=_with_defaults)


def _with_defaults(args) -> int:
    if not args.corpus:
        args.n_train = 2000 if args.n_train is None else args.n_train
        args.n_test = 500 if args.n_test is None else args.n_test
    return run(args)
