"""Feature extraction speed: crftagger.features versus plain Python dicts.

Two measurements, in one run:

1. The ``ner`` feature set, version 1 (with the POS and chunk columns and
   the four data-package gazetteers; ``word2features`` below is its plain
   Python twin, so the version is pinned), on CoNLL-2003 train and test,
   computed

   * by crftagger: ``FeatureExtractor.transform`` to CSR attribute arrays.
     On train the attribute vocabulary is built (a fresh extractor each
     repeat, so every cache starts cold); on test the vocabulary is frozen,
     as when tagging, either in the extractor that built it or handed to a
     fresh extractor as a model file gives it (its first pass names every
     distinct key to look it up; later passes hit the cache).
     ``to_dicts`` (the same attributes as sklearn-crfsuite dicts) is timed too;
   * by the sklearn-crfsuite way: a straightforward per-token Python
     function building a ``{name: 1.0}`` dict of strings (below,
     ``word2features``), and the same dicts then encoded to ids with
     ``crftagger.engine.encoding.encode_dicts`` (what a CRF needs).

   The dicts of both ways are checked to be identical for every token. The
   speed-up column compares each crftagger row with the Python row above it
   (train: also with dicts + ``encode_dicts``, which is what a CRF needs).

2. CRFsuite's chunking attributes (``crfsuite-chunking``) on CoNLL-2000
   train (vocabulary built) and test (frozen), against the per-token Python
   version of CRFsuite's ``apply_templates``.

Timings are medians over ``--repeats`` runs, as wall-clock and as process
CPU time (the CPU figure is steadier on a shared machine); the runs compared
in one table section alternate, so they see the same machine load.
crftagger reads the ``Sentence`` objects of ``crftagger.corpora``, the
Python functions the same sentences as token tuples (both converted outside
the timed regions). Gazetteer lists are loaded once, outside the timed
regions, for both ways.

Usage::

    python benchmarks/bench_features.py [--data-dir DIR] [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

from crftagger import config
from crftagger.engine.encoding import Vocabulary, encode_dicts
from crftagger.features import feature_set, from_source
from crftagger.features.featuresets import NER_GAZETTEERS
from crftagger.features.text import (
    all_caps,
    first_pattern,
    has_digit,
    has_hyphen,
    length_bucket,
    mixed_alnum,
    punct_only,
    shape,
    short_shape,
    title_case,
)

# --------------------------------------------------------------------------- data


def read_columns(path: Path, n_cols: int) -> list[list[tuple[str, ...]]]:
    """Minimal CoNLL reader (used when crftagger.corpora cannot load the corpus)."""
    sents, cur = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if not parts:
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            if parts[0] == "-DOCSTART-":
                continue
            if len(parts) != n_cols:
                raise ValueError(
                    f"{path}: found {len(parts)} columns in {line!r}; expected {n_cols}"
                )
            cur.append(tuple(parts))
    if cur:
        sents.append(cur)
    return sents


def load(name: str, split: str, data_dir: Path, fallback: tuple[str, int]):
    """Sentences as crftagger.corpora Sentence objects (or token tuples from the fallback reader)."""
    try:
        from crftagger.corpora import load as corpora_load

        return corpora_load(name, split, data_dir)
    except ImportError:
        return read_columns(data_dir / name / fallback[0], fallback[1])


def as_rows(sents, columns: tuple[str, ...]) -> list[list[tuple[str, ...]]]:
    """Token tuples ``(word, col...)``, the input of the plain Python functions."""
    if sents and isinstance(sents[0], list):
        return sents
    return [list(zip(s.tokens, *(s.columns[c] for c in columns), strict=True)) for s in sents]


# --------------------------------------------------------------------------- plain Python: ner

LEN_BUCKET = length_bucket()


def match_gazetteer(entries: set, longest: int, words: list[str]) -> list[str | None]:
    """Longest-first, left-to-right gazetteer matching with B/I/E/S positions."""
    tags: list[str | None] = [None] * len(words)
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + n]) in entries:
                tags[i : i + n] = ["S"] if n == 1 else ["B"] + ["I"] * (n - 2) + ["E"]
                i += n
                break
        else:
            i += 1
    return tags


def word2features(sent, i, gaz_tags):
    """The ``ner`` set (v1, columns pos and chunk) for token ``i`` as a dict of strings."""
    n = len(sent)

    def at(j, f):
        # value of f at position j, or the padding value outside the sentence
        if j < 0:
            return f"_B-{-j}"
        if j >= n:
            return f"_B+{j - n + 1}"
        return f(j)

    def word(j):
        return sent[j][0]

    def low(j):
        return sent[j][0].lower()

    def shp(j):
        return shape(sent[j][0])

    def sshp(j):
        return short_shape(sent[j][0])

    def pre3(j):
        w = sent[j][0]
        return w[:3] if len(w) >= 3 else None

    def suf3(j):
        w = sent[j][0]
        return w[-3:] if len(w) >= 3 else None

    def title(j):
        return title_case(sent[j][0])

    def caps(j):
        return all_caps(sent[j][0])

    def pos(j):
        return sent[j][1]

    def chunk(j):
        return sent[j][2]

    f = {}

    def add(name, *values):
        if None not in values:
            f[name + "=" + "|".join(values)] = 1.0

    w = sent[i][0]
    add("w[0]", w)
    for o in (-2, -1, 0, 1, 2):
        add(f"lw[{o}]", at(i + o, low))
    add("lw[-1]|lw[0]", at(i - 1, low), low(i))
    add("lw[0]|lw[1]", low(i), at(i + 1, low))
    for o in (-1, 0, 1):
        add(f"shape[{o}]", at(i + o, shp))
    for o in (-2, -1, 0, 1, 2):
        add(f"sshape[{o}]", at(i + o, sshp))
    add("sshape[-1]|sshape[0]", at(i - 1, sshp), sshp(i))
    add("sshape[0]|sshape[1]", sshp(i), at(i + 1, sshp))
    for k in (1, 2, 3, 4):
        add(f"p{k}[0]", w[:k] if len(w) >= k else None)
    for k in (1, 2, 3, 4):
        add(f"s{k}[0]", w[-k:] if len(w) >= k else None)
    add("s3[-1]", at(i - 1, suf3))
    add("s3[1]", at(i + 1, suf3))
    add("p3[-1]", at(i - 1, pre3))
    add("p3[1]", at(i + 1, pre3))
    for o in (-1, 0, 1):
        add(f"title[{o}]", at(i + o, title))
    for o in (-1, 0, 1):
        add(f"allcap[{o}]", at(i + o, caps))
    add("title[-1]|title[0]", at(i - 1, title), title(i))
    add("title[0]|title[1]", title(i), at(i + 1, title))
    add("hasdigit[0]", has_digit(w))
    add("alldigit[0]", "1" if w.isdecimal() else None)
    add("alnum[0]", mixed_alnum(w))
    add("hyphen[0]", has_hyphen(w))
    add("punct[0]", punct_only(w))
    add("len[0]", LEN_BUCKET(w))
    add("pattern[0]", first_pattern(w))
    add("lw[-1]|sshape[0]", at(i - 1, low), sshp(i))
    add("sshape[0]|lw[1]", sshp(i), at(i + 1, low))
    for o in (-1, 0, 1):
        add(f"pos[{o}]", at(i + o, pos))
    add("pos[-1]|pos[0]", at(i - 1, pos), pos(i))
    add("pos[0]|pos[1]", pos(i), at(i + 1, pos))
    add("pos[0]|sshape[0]", pos(i), sshp(i))
    for o in (-1, 0, 1):
        add(f"chunk[{o}]", at(i + o, chunk))
    add("chunk[0]|pos[0]", chunk(i), pos(i))
    for name, tags in gaz_tags.items():
        for o in (-1, 0, 1):
            add(f"{name}[{o}]", at(i + o, tags.__getitem__))
    if i == 0:
        f["__BOS__"] = 1.0
    if i == n - 1:
        f["__EOS__"] = 1.0
    return f


def sent2features(sent, gazetteers):
    words = [r[0] for r in sent]
    gaz_tags = {
        name: match_gazetteer(entries, longest, words) for name, entries, longest in gazetteers
    }
    return [word2features(sent, i, gaz_tags) for i in range(len(sent))]


# --------------------------------------------------------------------------- plain Python: chunking

CHUNK_TEMPLATES = [
    [("w", -2)],
    [("w", -1)],
    [("w", 0)],
    [("w", 1)],
    [("w", 2)],
    [("w", -1), ("w", 0)],
    [("w", 0), ("w", 1)],
    [("pos", -2)],
    [("pos", -1)],
    [("pos", 0)],
    [("pos", 1)],
    [("pos", 2)],
    [("pos", -2), ("pos", -1)],
    [("pos", -1), ("pos", 0)],
    [("pos", 0), ("pos", 1)],
    [("pos", 1), ("pos", 2)],
    [("pos", -2), ("pos", -1), ("pos", 0)],
    [("pos", -1), ("pos", 0), ("pos", 1)],
    [("pos", 0), ("pos", 1), ("pos", 2)],
]
FIELD = {"w": 0, "pos": 1}


def chunk_sent2features(sent):
    """CRFsuite's example attributes, per token, as a dict of strings."""
    n = len(sent)
    out = []
    for i in range(n):
        f = {}
        for tmpl in CHUNK_TEMPLATES:
            values = []
            for field, off in tmpl:
                j = i + off
                if j < 0 or j >= n:
                    break
                values.append(sent[j][FIELD[field]])
            else:
                f["|".join(f"{a}[{o}]" for a, o in tmpl) + "=" + "|".join(values)] = 1.0
        if i == 0:
            f["__BOS__"] = 1.0
        if i == n - 1:
            f["__EOS__"] = 1.0
        out.append(f)
    return out


# --------------------------------------------------------------------------- timing


def timed(fn):
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    res = fn()
    return res, time.perf_counter() - w0, time.process_time() - c0


def median_run(fn, repeats):
    walls, cpus = [], []
    res = None
    for _ in range(repeats):
        res = None
        res, w, c = timed(fn)
        walls.append(w)
        cpus.append(c)
    return res, statistics.median(walls), statistics.median(cpus)


def paired_runs(fns, repeats):
    """Run the functions in turn, ``repeats`` rounds, so that all see the same machine load.

    Returns ``[(last result, median wall, median CPU), ...]`` in the order of ``fns``.
    """
    times = [([], []) for _ in fns]
    results = [None] * len(fns)
    for r in range(repeats):
        for k, fn in enumerate(fns):
            res, w, c = timed(fn)
            # only the last round's results are kept: millions of live dicts from earlier
            # runs would slow down every garbage collection of the runs after them
            if r == repeats - 1:
                results[k] = res
            del res
            times[k][0].append(w)
            times[k][1].append(c)
    return [
        (results[k], statistics.median(w), statistics.median(c)) for k, (w, c) in enumerate(times)
    ]


def row(table, what, n_tokens, wall, cpu, ref=None):
    r = {
        "what": what,
        "tokens": n_tokens,
        "wall": wall,
        "cpu": cpu,
        "tps_wall": n_tokens / wall,
        "tps_cpu": n_tokens / cpu,
    }
    if ref is not None:
        r["x_wall"] = ref["wall"] / wall
        r["x_cpu"] = ref["cpu"] / cpu
    table.append(r)
    return r


def print_table(title, table):
    print(f"\n### {title}\n")
    print("| run | tokens | wall s | tok/s (wall) | CPU s | tok/s (CPU) | speed-up (wall / CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in table:
        x = f"{r['x_wall']:.1f}x / {r['x_cpu']:.1f}x" if "x_wall" in r else ""
        print(
            f"| {r['what']} | {r['tokens']:,} | {r['wall']:.3f} | {r['tps_wall']:,.0f} | "
            f"{r['cpu']:.3f} | {r['tps_cpu']:,.0f} | {x} |"
        )


def check_same(ours, theirs, what):
    for s, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if a != b:
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    raise SystemExit(
                        f"{what}: sentence {s}, token {i} differs:\n"
                        f"only crftagger: {sorted(set(x) - set(y))[:10]}\n"
                        f"only Python: {sorted(set(y) - set(x))[:10]}"
                    )
    print(f"{what}: identical attributes on all {sum(len(s) for s in ours):,} tokens")


def bench_ner(data_dir, repeats, quick):
    train = load("conll2003", "train", data_dir, ("eng.train", 4))
    test = load("conll2003", "test", data_dir, ("eng.testb", 4))
    if quick:
        train, test = train[:2000], test[:500]
    cols = ("pos", "chunk")
    train_rows, test_rows = as_rows(train, cols), as_rows(test, cols)
    n_train = sum(len(s) for s in train_rows)
    n_test = sum(len(s) for s in test_rows)
    fs = feature_set("ner", version=1, columns=cols)
    gazetteers = []
    for name, src in NER_GAZETTEERS.items():
        g = from_source(src)
        gazetteers.append((name, set(g.entries), max(len(e) for e in g.entries)))

    # warm up: numba kernels are compiled (or loaded from the cache) once per process
    fs.extractor().transform(test[:50])

    def fit():
        fx = fs.extractor()
        return fx, fx.transform(train)

    # crftagger reads the corpus' Sentence objects, the Python functions their token tuples:
    # each way gets its natural input, converted outside the timed regions
    (py_train, w0, c0), ((fx, X), w1, c1) = paired_runs(
        [lambda: [sent2features(s, gazetteers) for s in train_rows], fit], repeats
    )
    table = []
    ref_train = row(table, "Python dicts, train", n_train, w0, c0)
    _, w, c = median_run(lambda: encode_dicts(py_train, Vocabulary()), repeats)
    ref_enc = row(table, "Python dicts + encode_dicts, train", n_train, w0 + w, c0 + c)
    row(table, "crftagger arrays, train (vocabulary built)", n_train, w1, c1, ref_train)
    row(table, "  the same, against Python dicts + encode_dicts", n_train, w1, c1, ref_enc)
    fx.freeze()

    loaded = Vocabulary(fx.attributes.items).freeze()
    (py_test, w0, c0), (Xt, w1, c1), (_, w3, c3), (ours_test, w2, c2) = paired_runs(
        [
            lambda: [sent2features(s, gazetteers) for s in test_rows],
            lambda: fx.transform(test),
            lambda: fs.extractor(loaded).transform(test),
            lambda: fs.extractor().to_dicts(test),
        ],
        repeats,
    )
    ref_test = row(table, "Python dicts, test", n_test, w0, c0)
    row(table, "crftagger arrays, test (frozen vocabulary)", n_test, w1, c1, ref_test)
    row(table, "crftagger arrays, test (vocabulary loaded, first pass)", n_test, w3, c3, ref_test)
    row(table, "crftagger to_dicts, test", n_test, w2, c2, ref_test)

    check_same(ours_test, py_test, "ner test dicts")
    check_same(fs.extractor().to_dicts(train), py_train, "ner train dicts")
    print(
        f"ner: {len(fs.templates)} templates, {len(fx.attributes):,} attributes on train, "
        f"{len(X.attr_ids):,} / {len(Xt.attr_ids):,} attribute instances (train / test)"
    )
    return table


def bench_chunking(data_dir, repeats, quick):
    train = load("conll2000", "train", data_dir, ("train.txt", 3))
    test = load("conll2000", "test", data_dir, ("test.txt", 3))
    if quick:
        train, test = train[:2000], test[:500]
    train_rows, test_rows = as_rows(train, ("pos",)), as_rows(test, ("pos",))
    n_train = sum(len(s) for s in train_rows)
    n_test = sum(len(s) for s in test_rows)
    fs = feature_set("crfsuite-chunking")
    fs.extractor().transform(test[:50])

    def fit():
        fx = fs.extractor()
        return fx, fx.transform(train)

    (py_train, w0, c0), ((fx, X), w1, c1) = paired_runs(
        [lambda: [chunk_sent2features(s) for s in train_rows], fit], repeats
    )
    table = []
    ref_train = row(table, "Python dicts, train", n_train, w0, c0)
    _, w, c = median_run(lambda: encode_dicts(py_train, Vocabulary()), repeats)
    ref_enc = row(table, "Python dicts + encode_dicts, train", n_train, w0 + w, c0 + c)
    row(table, "crftagger arrays, train (vocabulary built)", n_train, w1, c1, ref_train)
    row(table, "  the same, against Python dicts + encode_dicts", n_train, w1, c1, ref_enc)
    fx.freeze()
    both = list(train) + list(test)
    loaded = Vocabulary(fx.attributes.items).freeze()
    (py_test, w0, c0), (_, w1, c1), (_, w3, c3), (_, w2, c2) = paired_runs(
        [
            lambda: [chunk_sent2features(s) for s in test_rows],
            lambda: fx.transform(test),
            lambda: fs.extractor(loaded).transform(test),
            lambda: fx.transform(both),
        ],
        repeats,
    )
    ref_test = row(table, "Python dicts, test", n_test, w0, c0)
    row(table, "crftagger arrays, test (frozen vocabulary)", n_test, w1, c1, ref_test)
    row(table, "crftagger arrays, test (vocabulary loaded, first pass)", n_test, w3, c3, ref_test)
    # train + test in one pass through the fitted extractor, as a tagger sees them
    row(table, "crftagger arrays, train+test (frozen vocabulary)", n_train + n_test, w2, c2)
    check_same(fs.extractor().to_dicts(test), py_test, "crfsuite-chunking test dicts")
    check_same(fs.extractor().to_dicts(train), py_train, "crfsuite-chunking train dicts")
    print(f"crfsuite-chunking: {len(fx.attributes):,} attributes on train")
    return table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data-dir",
        default=None,
        help="corpora folder (default: $CRFTAGGER_DATA, ../shared/corpora)",
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2,000 train / 500 test sentences")
    args = ap.parse_args(argv)
    d = config.data_dir(args.data_dir)
    if d is None:
        d = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
    if not d.is_dir():
        raise SystemExit(f"corpora folder {d} not found; pass --data-dir or set {config.DATA_ENV}")
    os.environ.setdefault(config.DATA_ENV, str(d))
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, repeats {args.repeats}, data {d}"
    )
    ner = bench_ner(d, args.repeats, args.quick)
    chunk = bench_chunking(d, args.repeats, args.quick)
    print_table(
        "ner feature set, CoNLL-2003 (speed-up: against the Python dicts of the same split)", ner
    )
    print_table("crfsuite-chunking, CoNLL-2000", chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
