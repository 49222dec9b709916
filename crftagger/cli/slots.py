"""``crftagger slots``: the intent and slots of each line of text, as JSON lines.

Reads the files given (default: standard input), one utterance per line,
and writes one JSON object per line: ``{"intent", "intent_confidence",
"slots": [{"slot", "value", "start", "end", "confidence"}]}``, the offsets
being character offsets into that line. ``--tokens`` reads each line as
tokens separated by white space (the offsets then index the tokens joined
by single spaces). The model is a file written by ``crftagger train --task
slots`` (or ``SlotFiller.save``).

``crftagger train --task slots CORPUS|FILE -o MODEL`` trains one: a
registered corpus with intents (``atis``, ``snips``; its recipe, its dev
split scored) or a user's file of token<TAB>tag lines with a ``# intent =
NAME`` comment line before each utterance (``--intents FILE`` instead reads
one intent per line from a separate file); see :mod:`crftagger.slots`.
"""

from __future__ import annotations

import json
import sys


def _print_frame_scores(name: str, s: dict, out) -> None:
    print(
        f"{name}: slot F1 {100 * s['slot_f1']:.2f} (precision {100 * s['slot_precision']:.2f}, "
        f"recall {100 * s['slot_recall']:.2f}), intent accuracy {100 * s['intent_accuracy']:.2f}, "
        f"frame accuracy {100 * s['frame_accuracy']:.2f} on {s['n_utterances']} utterances",
        file=out,
    )


def train_slots(args) -> int:
    """``crftagger train --task slots``: train and save a :class:`~crftagger.slots.SlotFiller`."""
    from crftagger.cli.train import _literal, crf_params
    from crftagger.corpora import registry
    from crftagger.slots import SlotFiller, read_user_file
    from crftagger.slots.data import INTENT_CORPORA

    out = sys.stdout
    data_dir = getattr(args, "data_dir", None)
    if len(args.data) != 1:
        raise ValueError(
            f"--task slots trains on one corpus name or one file, found {len(args.data)}: "
            f"{' '.join(args.data)}"
        )
    source = args.data[0]
    for opt in ("template", "columns", "label_column", "train_scheme", "dev_fraction"):
        if getattr(args, opt, None):
            raise ValueError(f"--{opt.replace('_', '-')} is not an option of --task slots")
    corpus = source if source in registry.names() else None
    if corpus is not None:
        if corpus not in INTENT_CORPORA:
            raise ValueError(
                f"--task slots: the corpus {corpus!r} has no intents; corpora with intents: "
                f"{', '.join(INTENT_CORPORA)} (or give a file with '# intent = NAME' lines)"
            )
        if args.intents:
            raise ValueError("--intents is for your own files; a registered corpus has its own")
        from crftagger.slots import load_split

        train, intents = load_split(corpus, "train", data_dir)
        dev_spec = args.dev if args.dev is not None else "dev"
        dev, dev_i = (None, None) if dev_spec == "none" else load_split(corpus, dev_spec, data_dir)
        test_spec = args.test
        test = (
            load_split(corpus, test_spec, data_dir) if test_spec and test_spec != "none" else None
        )
    else:
        train, intents = read_user_file(source, args.intents)
        dev, dev_i = read_user_file(args.dev) if args.dev not in (None, "none") else (None, None)
        test = read_user_file(args.test) if args.test not in (None, "none") else None
    if args.limit:
        train, intents = train[: args.limit], intents[: args.limit]
    from crftagger.recipes import RECIPES

    recipe = None
    if args.recipe is not None:
        recipe = corpus if args.recipe is True else args.recipe
        if recipe not in RECIPES:
            raise ValueError(
                f"--recipe: {recipe or source!r} is not a registered corpus with a recipe; name "
                "one (--recipe atis or --recipe snips)"
            )
    feature_set = args.feature_set
    params = {}
    for kv in args.feature_param or ():
        if "=" not in kv:
            raise ValueError(f"--feature-param: found {kv!r}; expected NAME=VALUE")
        k, v = kv.split("=", 1)
        params[k] = _literal(v)
    if params:
        feature_set = {"name": feature_set or "slots", **params}
    if recipe is None and feature_set is None and corpus in RECIPES:
        recipe = corpus  # a registered corpus trains with its recipe unless told otherwise
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    filler = SlotFiller.train(
        train,
        intents,
        dev=dev,
        dev_intents=dev_i,
        feature_set=feature_set,
        recipe=recipe,
        data_dir=data_dir,
        progress=progress,
        engine=args.engine,
        threads=args.threads,
        order=args.order,
        **crf_params(args),
    )
    filler.info["corpus"] = corpus
    secs = filler.info["seconds"]
    jk = secs.get("jackknife", 0.0)
    jk_note = ""
    if filler.info.get("jackknife"):
        jk_note = (
            f"; slot spans for the intent from {filler.info['jackknife']['folds']} jackknife "
            f"CRFs {jk:.1f} s"
        )
    print(
        f"trained on {len(train)} utterances in {secs['crf'] + jk + secs['intent']:.1f} s "
        f"(slot CRF {secs['crf']:.1f} s: {len(filler.tagger.labels)} labels{jk_note}; intent "
        f"classifier {secs['intent']:.1f} s: {len(filler.intents.classes)} intents, "
        f"C={filler.intents.info['C']:g})",
        file=out,
    )
    if dev is not None:
        _print_frame_scores("dev", filler.info["scores"]["dev"], out)
    if test is not None:
        s = filler.evaluate(*test).summary()
        filler.info["scores"]["test"] = s
        _print_frame_scores("test", s, out)
    path = filler.save(args.output)
    print(f"model written to {path}", file=out)
    return 0


def run(args) -> int:
    from crftagger.corpora.base import iter_lines
    from crftagger.slots import SlotFiller

    filler = SlotFiller.load(args.model)
    out = sys.stdout

    def lines():
        if not args.files:
            for line in sys.stdin:
                yield line.rstrip("\r\n")
            return
        for path in args.files:
            for _n, text in iter_lines(path):
                yield text

    batch: list[str] = []

    def flush() -> None:
        if args.tokens:
            frames = [
                filler.parse_tokens(t.split()) if t.split() else filler.parse("") for t in batch
            ]
        else:
            frames = filler.parse_many(batch)
        for f in frames:
            out.write(json.dumps(f.to_dict(), ensure_ascii=False) + "\n")
        batch.clear()

    for text in lines():
        batch.append(text)
        if len(batch) >= args.batch_size:
            flush()
    if batch:
        flush()
    return 0


def register(sub):
    p = sub.add_parser(
        "slots",
        help="intent and slots of each line of text (JSON lines)",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("files", nargs="*", help="text files, one utterance per line (default: stdin)")
    p.add_argument("-m", "--model", required=True, help="a model of `crftagger train --task slots`")
    p.add_argument(
        "--tokens",
        action="store_true",
        help="each line is tokens separated by white space (not raw text)",
    )
    p.add_argument("--batch-size", type=int, default=64, help="lines decoded together")
    p.set_defaults(func=run)
