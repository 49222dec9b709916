"""``crftagger demo``: train, evaluate and use a tagger, with no data to download.

Without ``--corpus``: generates the synthetic personal-data corpus (names,
places, organisations, e-mail addresses, phone numbers, dates, amounts, URLs
and ID numbers in English template sentences; fixed seed), trains a tagger
with the ``pii`` feature set on the training part, prints conlleval's report
on the held-out part (names, places and templates the model never saw), and
masks the personal data in a few new raw texts (:class:`crftagger.pii.PIIMasker`:
the tagger's spans and validated patterns for cards, IBANs, IP addresses...).

With ``--corpus NAME``: trains on that registered corpus' train split (found
through ``--data-dir`` / ``$CRFTAGGER_DATA``), evaluates on its test split and
tags a few test sentences.
"""

from __future__ import annotations

import argparse
import sys
import time


def run(args) -> int:
    from crftagger.api.tagger import Tagger

    out = sys.stdout
    if args.output:
        from crftagger.io.container import check_destination

        check_destination(args.output)  # before training, not after
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
    _mask_demo(tagger, args, out)
    if args.slots:
        _slots_demo(args, out)
    if args.output:
        tagger.save(args.output)
        out.write(
            f"\nModel written to {args.output} (try: crftagger tag -m {args.output} --spans)\n"
        )
    out.write(f"\nDone in {time.perf_counter() - t0:.1f} s.\n")
    return 0


def _mask_demo(tagger, args, out) -> None:
    """Mask raw text with the tagger and the validated patterns (:mod:`crftagger.pii`)."""
    from crftagger.corpora import synthetic
    from crftagger.pii import PIIMasker

    masker = PIIMasker(tagger=tagger, operators={"PERSON": "pseudonym", "DEFAULT": "redact"})
    out.write(
        "\nMasking personal data in raw text (templates and values never seen in training; "
        "names get consistent pseudonyms, the rest is redacted):\n"
    )
    texts = [s.meta["text"] for s in synthetic.examples(args.examples, seed=args.seed + 1)]
    texts.append("Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, from 192.168.0.12.")
    session = masker.session()
    for text in texts:
        res = masker.mask(text, session)
        out.write(f"\n  original: {text}\n  masked:   {res.text}\n")
        if res.items:
            out.write(
                "  found:    "
                + "; ".join(f"{i.type} {i.text!r} ({i.source}, {i.score:.2f})" for i in res.items)
                + "\n"
            )


SLOT_EXAMPLES = (
    "show me flights from boston to denver on monday morning",
    "what is the cheapest fare from new york to san francisco",
    "i need a ticket to dallas tomorrow on american airlines",
)


def _slots_demo(args, out) -> None:
    """Slot filling with intents on ATIS (when the corpus is at hand)."""
    from crftagger.corpora import registry
    from crftagger.errors import CorpusNotFoundError
    from crftagger.slots import SlotFiller

    data_dir = getattr(args, "data_dir", None)
    try:
        registry.locate(registry.get("atis"), "train", data_dir)
    except CorpusNotFoundError:
        out.write(
            "\nSlot filling: skipped, ATIS is not here (get it with `crftagger corpora download "
            "atis`, or point --data-dir / $CRFTAGGER_DATA at a folder holding atis/).\n"
        )
        return
    t0 = time.perf_counter()
    # the plain slots feature set and at most 50 iterations keep the demo short; the
    # ATIS recipe (crftagger train --task slots atis) scores higher (benchmarks/slots.md)
    filler = SlotFiller.train(
        "atis",
        data_dir=data_dir,
        recipe=None,
        feature_set="slots",
        max_iterations=min(args.max_iterations, 50),
        threads=args.threads,
    )
    ev = filler.evaluate("test", data_dir=data_dir).summary()
    out.write(
        f"\nSlot filling with intents (ATIS, trained in {time.perf_counter() - t0:.1f} s): "
        f"test slot F1 {100 * ev['slot_f1']:.2f}, intent accuracy "
        f"{100 * ev['intent_accuracy']:.2f}, frame accuracy {100 * ev['frame_accuracy']:.2f}\n"
    )
    for text in SLOT_EXAMPLES:
        r = filler(text).to_dict()
        slots = ", ".join(f"{x['slot']}={x['value']!r}" for x in r["slots"])
        out.write(
            f"\n  text:    {text}\n  intent:  {r['intent']} "
            f"(p={r['intent_confidence']:.2f})\n  slots:   {slots}\n"
        )


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
    p.add_argument(
        "--no-slots",
        dest="slots",
        action="store_false",
        help="leave out slot filling on ATIS (run when the corpus is found)",
    )
    p.set_defaults(func=_with_defaults)


def _with_defaults(args) -> int:
    if not args.corpus:
        args.n_train = 2000 if args.n_train is None else args.n_train
        args.n_test = 500 if args.n_test is None else args.n_test
    return run(args)
