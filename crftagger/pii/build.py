"""The default English PII model, and the scores of detections on held-out text.

:func:`build_model` trains a :class:`crftagger.Tagger` as ``crftagger demo``
does (feature set ``pii``, BIOES inside, L-BFGS) on the synthetic
personal-data corpus (:mod:`crftagger.corpora.synthetic`: training templates
and seen values), optionally with PER/LOC/ORG sentences of CoNLL-2003's
training split mixed in (MISC tagged O), and scores it on the corpus'
held-out dev and test splits (held-out templates, half the values held out).

The model reads raw text with its own tokenizer (``treebank``, with the
abbreviations of the training tokens), so the training sentences are
re-tokenized with that tokenizer from their raw text and character spans
(:func:`retokenize`): at tagging time the model sees the tokens it was
trained on. The model file's header records what it was built from under
``info["pii"]``: corpora, sizes, seed, unseen rate, dev scores.

:func:`gold_spans` gives the character spans of a synthetic sentence (types
renamed as the analyzer names them: PER -> PERSON, LOC -> LOCATION, ORG ->
ORGANIZATION); :func:`evaluate` scores an analyzer against them (exact
type, start and end), per type, with :data:`EVAL_TYPES` folding the
pattern types that the corpus tags as ``ID`` (IBAN, SSN, NINO, card
numbers) into ``ID``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from crftagger.pii.analyzer import DEFAULT_LABELS, Analyzer
from crftagger.pii.masker import PIIMasker
from crftagger.pii.recognizers import PIIError

#: Detection types scored as another type (the synthetic corpus tags these as ``ID``).
EVAL_TYPES: dict[str, str] = {
    "IBAN": "ID",
    "US_SSN": "ID",
    "UK_NINO": "ID",
    "CREDIT_CARD": "ID",
}

#: Training settings of the default model (those of ``crftagger demo``).
DEFAULT_C1, DEFAULT_C2, DEFAULT_MAX_ITERATIONS = 0.05, 0.01, 100


def _iob2_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    spans: list[tuple[str, int, int]] = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (not spans or spans[-1][2] != i)):
            spans.append((tag[2:], i, i + 1))
        elif tag.startswith("I-") and spans[-1][0] == tag[2:]:
            spans[-1] = (spans[-1][0], spans[-1][1], i + 1)
        elif tag.startswith("I-"):
            spans.append((tag[2:], i, i + 1))
    return spans


def gold_spans(sentence, rename: bool = True) -> list[tuple[str, int, int]]:
    """Character spans ``(type, start, end)`` of a synthetic sentence (``meta["text"]``)."""
    from crftagger.corpora import synthetic

    text = sentence.meta["text"]
    offsets = synthetic.token_spans(text)
    out = []
    for type_, a, b in _iob2_spans(sentence.columns["ner"]):
        t = (DEFAULT_LABELS.get(type_) or type_) if rename else type_
        out.append((t, offsets[a][0], offsets[b - 1][1]))
    return out


def retokenize(text: str, spans: Iterable[tuple[str, int, int]], tokenizer):
    """``(tokens, iob2_tags)`` sequences of ``text`` cut by ``tokenizer``, tagged from ``spans``.

    Returns the sequences (one per sentence of the tokenizer, sentences joined
    when a span crosses their boundary) and the number of spans whose ends
    fall inside a token (those tokens are tagged with the span all the same).
    """
    sents = tokenizer.sentences(text)
    spans = sorted(spans, key=lambda s: s[1])
    # join sentences that a span crosses
    merged: list[list[tuple[int, int]]] = []
    for sent in sents:
        if not sent:
            continue
        if merged and any(a < merged[-1][-1][1] and b > sent[0][0] for _, a, b in spans):
            merged[-1].extend(sent)
        else:
            merged.append(list(sent))
    misaligned = 0
    out = []
    for sent in merged:
        tags = ["O"] * len(sent)
        for type_, a, b in spans:
            inside = [k for k, (s, e) in enumerate(sent) if s < b and e > a]
            if not inside:
                continue
            if sent[inside[0]][0] != a or sent[inside[-1]][1] != b:
                misaligned += 1
            tags[inside[0]] = f"B-{type_}"
            for k in inside[1:]:
                tags[k] = f"I-{type_}"
        out.append(([text[s:e] for s, e in sent], tags))
    return out, misaligned


def _conll_sentences(n: int, data_dir=None) -> list[tuple[list[str], list[str]]]:
    from crftagger import schemes
    from crftagger.corpora import load

    out = []
    for s in load("conll2003", "train", data_dir):
        if s.tokens and s.tokens[0] == "-DOCSTART-":
            continue
        tags = schemes.convert(s.columns["ner"], "iob1", "iob2", repair="begin")
        tags = ["O" if t.endswith("-MISC") else t for t in tags]
        if any(t != "O" for t in tags):
            out.append((list(s.tokens), tags))
        if len(out) >= n:
            break
    return out


def build_model(
    n_train: int = 2000,
    n_dev: int = 200,
    n_test: int = 500,
    seed: int = 0,
    unseen_rate: float = 0.5,
    conll_sentences: int = 0,
    data_dir=None,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    c1: float = DEFAULT_C1,
    c2: float = DEFAULT_C2,
    progress: bool = False,
):
    """Train the default PII tagger (see the module docstring); returns the :class:`Tagger`.

    ``info["pii"]`` of the tagger (saved in the model file's header) records
    the corpora, sizes, seed and the scores on the dev split.
    """
    from crftagger.api.tagger import Tagger
    from crftagger.corpora import synthetic
    from crftagger.text.tokenize import get_tokenizer, learn_abbreviations

    for name, value in (("n_train", n_train), ("n_dev", n_dev), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PIIError(f"{name}: found {value!r}; expected a count >= 0")
    if n_train < 1:
        raise PIIError(f"n_train: found {n_train}; expected at least 1 sentence")
    t0 = time.perf_counter()
    splits = synthetic.make_splits(n_train, n_dev, n_test, seed=seed, unseen_rate=unseen_rate)
    tokenizer = get_tokenizer(
        "treebank", abbreviations=learn_abbreviations(s.tokens for s in splits.train)
    )

    def convert(sentences):
        seqs, bad = [], 0
        for s in sentences:
            got, m = retokenize(s.meta["text"], gold_spans(s, rename=False), tokenizer)
            seqs.extend(got)
            bad += m
        return seqs, bad

    train, bad_train = convert(splits.train)
    dev, _ = convert(splits.dev)
    conll = _conll_sentences(conll_sentences, data_dir) if conll_sentences else []
    tagger = Tagger.train(
        train + conll,
        "pii",
        scheme="iob2",
        train_scheme="bioes",
        dev=dev or None,
        tokenizer=tokenizer,
        progress=progress,
        c1=c1,
        c2=c2,
        max_iterations=max_iterations,
    )
    tagger.info["corpus"] = "synthetic" + ("+conll2003" if conll else "")
    tagger.info["pii"] = {
        "built_from": {
            "synthetic": {
                "n_train": n_train,
                "n_dev": n_dev,
                "n_test": n_test,
                "seed": seed,
                "unseen_rate": unseen_rate,
                "train_sequences": len(train),
                "misaligned_spans": bad_train,
            },
            "conll2003": {"split": "train", "n_sentences": len(conll), "misc": "O"}
            if conll
            else None,
        },
        "params": {"c1": c1, "c2": c2, "max_iterations": max_iterations},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return tagger


def held_out_test(n_test: int = 500, seed: int = 0, unseen_rate: float = 0.5):
    """The held-out test split of the synthetic corpus that :func:`build_model` sets aside."""
    from crftagger.corpora import synthetic

    return synthetic.make_splits(0, 0, n_test, seed=seed, unseen_rate=unseen_rate).test


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0

    def f(beta: float) -> float:
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0

    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f(1), "f2": f(2)}


def score_spans(
    gold: Sequence[Iterable[tuple[str, int, int]]],
    pred: Sequence[Iterable[tuple[str, int, int]]],
    types: Mapping[str, str] | None = None,
) -> dict[str, dict[str, float | int]]:
    """Per-type and ``ALL`` (micro) precision, recall, F1, F2 of exact ``(type, start, end)`` matches.

    ``types`` renames predicted types before matching (default :data:`EVAL_TYPES`).
    """
    ren = EVAL_TYPES if types is None else types
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    if len(gold) != len(pred):
        raise PIIError(f"score_spans: found {len(pred)} predictions for {len(gold)} texts")
    for g, p in zip(gold, pred, strict=True):
        gs = set(g)
        ps = {(ren.get(t, t), a, b) for t, a, b in p}
        for s in gs & ps:
            tp[s[0]] += 1
        for s in ps - gs:
            fp[s[0]] += 1
        for s in gs - ps:
            fn[s[0]] += 1
    out = {t: _prf(tp[t], fp[t], fn[t]) for t in sorted(set(tp) | set(fp) | set(fn))}
    out["ALL"] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return out


def evaluate(analyzer: Analyzer | PIIMasker, sentences, batch_size: int = 64) -> dict:
    """Score ``analyzer`` (or a :class:`PIIMasker`) on synthetic sentences (see :func:`score_spans`)."""
    an = analyzer.analyzer if isinstance(analyzer, PIIMasker) else analyzer
    texts = [s.meta["text"] for s in sentences]
    found = an.analyze_many(texts, batch_size=batch_size)
    pred = [[(d.type, d.start, d.end) for d in ds] for ds in found]
    return score_spans([gold_spans(s) for s in sentences], pred)
