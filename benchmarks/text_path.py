"""What tagging raw text costs: CoNLL-2003 test on gold tokens vs detokenised and tagged as text.

Each test document is detokenised to plain text (tokens joined by spaces,
none before closing punctuation or after opening brackets), its gold spans
mapped to character offsets, and the text tagged through
:meth:`crftagger.Tagger.pipe` (the model's own tokeniser and sentence
splitter). Span F1 is exact match of character offsets and type (on gold
tokens the same as conlleval's). Two layouts of the text: ``paragraph``
(sentences joined by a space, so the splitter must find them) and ``lines``
(one sentence per line, the splitter told so). Speed: both paths tag the
same documents with span confidences, three runs each, median.

The model reads words only (the CoNLL-2003 recipe without the POS and
chunk columns), since raw text has no such columns::

    python benchmarks/text_path.py [--model FILE] [--out benchmarks/text_path.md]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "'s", "n't", "%", "'", "''"}
NO_SPACE_AFTER = {"(", "[", "{", "$", "``"}


def detokenise(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Plain text of ``tokens`` and each token's character offsets in it."""
    out, offsets, pos = [], [], 0
    for i, tok in enumerate(tokens):
        if i and tok not in NO_SPACE_BEFORE and tokens[i - 1] not in NO_SPACE_AFTER:
            out.append(" ")
            pos += 1
        offsets.append((pos, pos + len(tok)))
        out.append(tok)
        pos += len(tok)
    return "".join(out), offsets


def documents(sentences, sep: str):
    """``(text, gold char spans)`` of each document of ``sentences``."""
    from crftagger.schemes import extract_spans as scheme_spans

    docs, cur, key = [], [], object()
    for s in sentences:
        if s.doc_id != key and cur:
            docs.append(cur)
            cur = []
        key = s.doc_id
        cur.append(s)
    if cur:
        docs.append(cur)
    out = []
    for doc in docs:
        parts, gold, pos = [], set(), 0
        for s in doc:
            text, offs = detokenise(s.tokens)
            for sp in scheme_spans(s.columns["ner"], None):
                gold.add((sp.type, pos + offs[sp.start][0], pos + offs[sp.end - 1][1]))
            parts.append(text)
            pos += len(text) + len(sep)
        out.append((sep.join(parts), gold))
    return out


def f1(gold: set, pred: set) -> tuple[float, float, float]:
    tp = len(gold & pred)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def words_only_model(path: Path):
    from crftagger import Tagger
    from crftagger.features import feature_set
    from crftagger.recipes import cluster_file, recipe

    if path.exists():
        return Tagger.load(path)
    r = recipe("conll2003")
    fs = feature_set(
        "ner", **r.feature_params, clusters=str(cluster_file("conll2003", None, r)), columns=[]
    )
    t = Tagger.train("conll2003", feature_set=fs, recipe="conll2003", dev="dev")
    t.save(path)
    return t


def _set_tokenizer(model, tokenizer) -> None:
    """Give ``model`` (a Tagger, or a Pipeline through its final tagger) ``tokenizer``."""
    getattr(model, "final", model).tokenizer = tokenizer


def measure(model, test, repeat: int) -> list[tuple]:
    """Rows ``(input, P, R, F1, chars/s, tokens/s)`` of ``model`` on gold tokens and on text."""
    from crftagger.schemes import extract_spans as scheme_spans
    from crftagger.text.tokenize import get_tokenizer

    rows = []
    sents = [s for s in test if s.tokens]
    gold_pred, gold_all, times = set(), set(), []
    found: list = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = model.spans(sents)
        times.append(time.perf_counter() - t0)
    n_tokens = sum(len(s) for s in sents)
    for k, (s, f) in enumerate(zip(sents, found, strict=True)):
        gold_all |= {(sp.type, k, sp.start, sp.end) for sp in scheme_spans(s.columns["ner"], None)}
        gold_pred |= {(sp.type, k, sp.start, sp.end) for sp in f}
    p, r, f_ = f1(gold_all, gold_pred)
    rows.append(("gold tokens", p, r, f_, None, n_tokens / statistics.median(times)))
    base = model.tokenizer.to_dict()
    try:
        for layout, sep, lines in (("text, paragraph", " ", False), ("text, lines", "\n", True)):
            docs = documents(test, sep)
            _set_tokenizer(model, get_tokenizer({**base, "lines": lines}))
            times, out = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                out = list(model.pipe([d for d, _g in docs], batch_size=16))
                times.append(time.perf_counter() - t0)
            gold, pred = set(), set()
            for k, ((_text, g), doc) in enumerate(zip(docs, out, strict=True)):
                gold |= {(k, *x) for x in g}
                pred |= {(k, sp.label, sp.start, sp.end) for sp in doc.spans}
            p, r, f_ = f1(gold, pred)
            sec = statistics.median(times)
            n_chars = sum(len(d) for d, _g in docs)
            n_tok = sum(len(doc) for doc in out)
            rows.append((layout, p, r, f_, n_chars / sec, n_tok / sec))
    finally:
        _set_tokenizer(model, get_tokenizer(base))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--model", default=str(Path.home() / ".cache/crftagger/conll2003-words.crftagger")
    )
    ap.add_argument(
        "--pipeline",
        help="also measure a saved POS -> chunk -> NER Pipeline "
        "(benchmarks/pipeline.py --save FILE)",
    )
    ap.add_argument("--out", default=str(Path(__file__).with_name("text_path.md")))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from crftagger.corpora import load

    test = load("conll2003", "test")
    models = [(f"words only ({Path(args.model).name})", words_only_model(Path(args.model)))]
    if args.pipeline:
        from crftagger.api.pipeline import Pipeline

        models.append((f"pipeline ({Path(args.pipeline).name})", Pipeline.load(args.pipeline)))
    rows = [(name, *row) for name, m in models for row in measure(m, test, args.repeat)]
    lines_out = [
        "# CoNLL-2003 test: gold tokens vs raw text",
        "",
        "Models: the CoNLL-2003 recipe reading words only"
        + (
            "; the POS -> chunk -> NER pipeline of `benchmarks/pipeline.py` (its NER step reads "
            "the POS and chunk columns its own taggers predict)"
            if args.pipeline
            else ""
        )
        + ". Command: `python benchmarks/text_path.py"
        + (" --pipeline FILE" if args.pipeline else "")
        + "`.",
        f"Median of {args.repeat} runs, same process; spans with confidences on every path.",
        "",
        "| model | input | precision | recall | span F1 | characters/s | tokens/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, name, p, r, f_, cps, tps in rows:
        c = "-" if cps is None else f"{cps:,.0f}"
        lines_out.append(
            f"| {model} | {name} | {100 * p:.2f} | {100 * r:.2f} | {100 * f_:.2f} | {c} "
            f"| {tps:,.0f} |"
        )
    Path(args.out).write_text("\n".join(lines_out) + "\n")
    print("\n".join(lines_out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
