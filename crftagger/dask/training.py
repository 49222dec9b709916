"""Data-parallel L-BFGS training on Dask workers, bit-identical to local training.

:func:`train` trains the same tagger as :meth:`crftagger.Tagger.train` on the
same sentences (first-order CRF, ``algorithm="lbfgs"``, with or without
``c1``), while the sentences stay on the workers:

1. Each *partition* (a CoNLL file, a slice of a registered corpus cut at a
   document boundary, or a slice of an in-memory list) is read and encoded
   on a worker, with a vocabulary of its own.
2. The driver merges the partitions' attribute and label lists in partition
   order, keeping the first occurrence: since a vocabulary numbers its
   strings in first-seen order, this is the numbering that encoding all the
   partitions one after the other gives, i.e. the local one. The workers
   renumber their arrays to it.
3. The feature index is merged from per-partition (attribute, label) pair
   counts and transition counts (sums of counts, so exact), by the rules of
   :meth:`~crftagger.engine.model.FeatureIndex.build`.
4. The driver cuts the sequences into the local objective's chunks
   (:func:`~crftagger.engine.objective.balanced_chunks` over the sentence
   lengths, into :func:`~crftagger.engine.objective.default_chunks` chunks,
   as :class:`~crftagger.engine.objective.Objective` does) and each chunk is assembled on one worker, consecutive
   chunks on the same worker. The observed counts are added chunk after
   chunk (:func:`~crftagger.engine.objective.add_observed_counts`), in the
   local order.
5. At every evaluation the weights are sent to the workers, each chunk's
   gradient buffer is computed where the chunk lives
   (:func:`~crftagger.engine.objective.chunk_nll_grad`; one task per worker
   for its consecutive chunks, the workers in parallel) and the buffers are
   added in chunk order along a chain of one task per worker (the running
   sum crosses from one worker to the next); the driver finishes the sum
   (:func:`~crftagger.engine.objective.finish_nll_grad`) and runs the same
   L-BFGS as local training. Every float operation is the local one in the
   local order, so the weights and the loss of every iteration are the same
   bits.

The driver holds the vocabularies, the feature index, the weights and the
sentence lengths, never the sentences. Not available here: dev data,
feature sets that learn a tag dictionary from the labels (``tagdict``
extractors, ``span_dictionary``), order 2 and the other algorithms. A
document must not be split across two files (local training would read two
files' consecutive sentences with the same document id as one document).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crftagger.dask import DaskError
from crftagger.engine.encoding import AttributeSequences

#: Option names of ``Tagger.train`` that :func:`train` does not take.
_REFUSED = ("dev", "recipe", "order", "engine", "threads", "progress")


# --------------------------------------------------------------------------- worker side


@dataclass
class _Part:
    """One partition as read on a worker: tokens, tags and what the feature extractor reads."""

    tokens: list
    tags: list
    features_in: list


@dataclass
class _Encoded:
    attributes: list
    labels: list
    data: AttributeSequences


@dataclass
class _Box:
    """A value that travels as one pickle."""

    value: Any


@dataclass
class _Chunk:
    data: AttributeSequences
    work: np.ndarray
    work_t: np.ndarray
    work_ll: np.ndarray


def _read(spec: tuple, label_column: str | None) -> _Part:
    from crftagger.api.tagger import Tagger

    kind = spec[0]
    if kind == "file":
        from crftagger.corpora.conll import read_conll

        _, path, columns, sep = spec
        sents = list(read_conll(path, columns, sep=sep))
    elif kind == "corpus":
        from crftagger.corpora import load

        _, name, split, data_dir, i, n = spec
        every = load(name, split, data_dir)
        cuts = _document_cuts(every, n)
        sents = every[cuts[i] : cuts[i + 1]]
    else:
        sents = list(spec[1].value)
    tokens, tags = Tagger._split_labelled(sents, label_column, "training")
    return _Part(tokens, tags, Tagger._feature_input(sents, tokens))


def _document_cuts(sents: list, n: int) -> list[int]:
    """``n + 1`` cut points of ``sents`` near equal parts, each at a document (or sentence) start."""
    S = len(sents)
    starts = [
        i
        for i in range(1, S)
        if getattr(sents[i], "doc_id", None) is None
        or getattr(sents[i], "doc_id", None) != getattr(sents[i - 1], "doc_id", None)
    ]
    cuts = [0]
    for k in range(1, n):
        target = k * S // n
        j = int(np.searchsorted(starts, target)) if starts else 0
        c = starts[j] if j < len(starts) else S
        cuts.append(max(c, cuts[-1]))
    cuts.append(S)
    return cuts


def _stats(part: _Part) -> dict:
    from crftagger import schemes

    counts: Counter[str] = Counter()
    for toks in part.tokens:  # learn_abbreviations' counts, merged on the driver
        for tok in list(toks)[:-1]:
            if len(tok) > 1 and tok.endswith(".") and any(c.isalpha() for c in tok):
                counts[tok[:-1].lower()] += 1
    lengths = np.array([len(t) for t in part.tokens], dtype=np.int64)
    return {
        "lengths": lengths,
        "n_tokens": int(lengths.sum()),
        "abbreviations": counts,
        # additive over sentences: merged on the driver into detect_scheme's answer
        "violations": schemes.scheme_violations(part.tags, list(schemes.DETECT_PRECEDENCE)),
    }


def _encode(part: _Part, fs_dict: dict, scheme: str | None, model_scheme: str | None) -> _Encoded:
    from crftagger import schemes
    from crftagger.api.tagger import _resolve_feature_set
    from crftagger.engine.encoding import Vocabulary

    tags = part.tags
    if model_scheme != scheme and scheme is not None and model_scheme is not None:
        tags = [schemes.convert(t, scheme, model_scheme, repair="begin") for t in tags]
    fx = _resolve_feature_set(fs_dict).extractor()
    labels = Vocabulary()
    data = fx.transform(part.features_in, y=tags, labels=labels)
    return _Encoded(list(fx.attributes.items), list(labels.items), data)


def _vocab(enc: _Encoded) -> tuple[list, list]:
    return enc.attributes, enc.labels


def _renumber(enc: _Encoded, attributes: _Box, labels: _Box) -> AttributeSequences:
    """The partition's arrays in the merged numbering, empty sequences dropped."""
    from crftagger.engine.model import _nonempty_seq_ptr

    a_index = {a: i for i, a in enumerate(attributes.value)}
    l_index = {lab: i for i, lab in enumerate(labels.value)}
    a_map = np.array([a_index[a] for a in enc.attributes] or [0], dtype=np.int32)
    l_map = np.array([l_index[lab] for lab in enc.labels] or [0], dtype=np.int32)
    d = enc.data
    ids = d.attr_ids
    known = ids >= 0
    attr_ids = np.where(known, a_map[np.where(known, ids, 0)], -1).astype(np.int32)
    seq_ptr, _ = _nonempty_seq_ptr(d.seq_ptr)
    assert d.y is not None
    y = l_map[d.y].astype(np.int32)
    return AttributeSequences(seq_ptr, d.item_ptr, attr_ids, d.attr_vals, y)


def _pair_counts(data: AttributeSequences, L: int) -> tuple:
    """``(codes, freq, binary, trans_freq)``: the state pairs ``attr * L + label`` seen, with the
    sums of their values, and the transition counts, as :meth:`FeatureIndex.build` computes them."""
    assert data.y is not None
    codes = data.attr_ids.astype(np.int64) * L + np.repeat(
        data.y.astype(np.int64), np.diff(data.item_ptr)
    )
    vals = data.attr_vals
    known = data.attr_ids >= 0
    codes, vals = codes[known], vals[known]
    binary = bool(np.all(vals == 1.0))
    order = np.argsort(codes, kind="stable")
    codes, vals = codes[order], vals[order]
    if len(codes):
        new = np.empty(len(codes), dtype=bool)
        new[0] = True
        np.not_equal(codes[1:], codes[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        uniq = codes[starts]
        freq = np.add.reduceat(vals, starts)
    else:
        uniq, freq = np.zeros(0, np.int64), np.zeros(0)
    y = data.y.astype(np.int64)
    tcodes = []
    for s in range(data.n_sequences):
        i0, i1 = int(data.seq_ptr[s]), int(data.seq_ptr[s + 1])
        if i1 - i0 > 1:
            tcodes.append(y[i0 : i1 - 1] * L + y[i0 + 1 : i1])
    tc = np.concatenate(tcodes) if tcodes else np.zeros(0, np.int64)
    return uniq, freq, binary, np.bincount(tc, minlength=L * L).astype(np.float64)


def slice_sequences(data: AttributeSequences, s0: int, s1: int) -> AttributeSequences:
    """Sequences ``s0 .. s1-1`` of ``data`` as a corpus of their own (pointers from 0)."""
    i0, i1 = int(data.seq_ptr[s0]), int(data.seq_ptr[s1])
    p0, p1 = int(data.item_ptr[i0]), int(data.item_ptr[i1])
    return AttributeSequences(
        data.seq_ptr[s0 : s1 + 1] - i0,
        data.item_ptr[i0 : i1 + 1] - p0,
        data.attr_ids[p0:p1],
        data.attr_vals[p0:p1],
        None if data.y is None else data.y[i0:i1],
    )


def concat_sequences(parts: Sequence[AttributeSequences]) -> AttributeSequences:
    """The sequences of ``parts`` one after the other."""
    if not parts:
        z = np.zeros(1, np.int64)
        return AttributeSequences(
            z, z.copy(), np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int32)
        )
    seq_ptr, item_ptr = [np.zeros(1, np.int64)], [np.zeros(1, np.int64)]
    n_items = n_vals = 0
    for d in parts:
        seq_ptr.append(d.seq_ptr[1:] + n_items)
        item_ptr.append(d.item_ptr[1:] + n_vals)
        n_items += d.n_items
        n_vals += int(d.item_ptr[-1])
    return AttributeSequences(
        np.ascontiguousarray(np.concatenate(seq_ptr), dtype=np.int64),
        np.ascontiguousarray(np.concatenate(item_ptr), dtype=np.int64),
        np.ascontiguousarray(np.concatenate([d.attr_ids for d in parts]), dtype=np.int32),
        np.ascontiguousarray(np.concatenate([d.attr_vals for d in parts]), dtype=np.float64),
        np.ascontiguousarray(np.concatenate([d.y for d in parts]), dtype=np.int32),
    )


def _make_chunk(pieces: list[tuple[int, int]], L: int, *datas: AttributeSequences) -> _Chunk:
    data = concat_sequences(
        [slice_sequences(d, s0, s1) for d, (s0, s1) in zip(datas, pieces, strict=True)]
    )
    tmax = max(int(data.lengths().max()) if data.n_sequences else 1, 1)
    return _Chunk(data, np.zeros((4, tmax, L)), np.zeros(tmax), np.zeros((L, L)))


def _add_observed(prev, chunk: _Chunk, index: _Box, L: int) -> np.ndarray:
    from crftagger.engine.objective import add_observed_counts

    feat_ptr, feat_label = index.value
    out = np.zeros(len(feat_label) + L * L) if prev is None else prev.copy()
    d = chunk.data
    add_observed_counts(
        out, d.seq_ptr, d.item_ptr, d.attr_ids, d.attr_vals, d.y, feat_ptr, feat_label, L
    )
    return out


def _chunk_gradient(chunk: _Chunk, w_box: _Box, index: _Box, L: int) -> tuple[float, np.ndarray]:
    from crftagger.engine.objective import chunk_nll_grad

    feat_ptr, feat_label = index.value
    w = w_box.value
    d = chunk.data
    g = np.empty(len(w))
    lz = chunk_nll_grad(
        w,
        d.seq_ptr,
        d.item_ptr,
        d.attr_ids,
        d.attr_vals,
        feat_ptr,
        feat_label,
        L,
        g,
        chunk.work,
        chunk.work_t,
        chunk.work_ll,
    )
    return float(lz), g


def _group_gradients(w_box: _Box, index: _Box, L: int, *chunks: _Chunk) -> list:
    """``[(sum log Z, gradient buffer)]`` of consecutive chunks held by one worker."""
    return [_chunk_gradient(c, w_box, index, L) for c in chunks]


def _accumulate(prev, group: list) -> tuple[np.ndarray, list]:
    """``(acc, logz)`` with a group's chunks added in order to the sum so far.

    ``acc`` starts from zeros and every buffer is added in chunk order, the
    sum :func:`~crftagger.engine.objective.nll_grad` forms.
    """
    if prev is None:
        acc, logz = np.zeros(len(group[0][1])), []
    else:
        acc, logz = prev[0].copy(), list(prev[1])
    for lz, g in group:
        acc += g
        logz.append(lz)
    return acc, logz


# --------------------------------------------------------------------------- driver side


def _scatter(client, obj, broadcast: bool = True):
    """One future of ``obj`` in a :class:`_Box` (``client.scatter`` would make a future of
    every item of a list, and dask serialises a bare list item by item)."""
    return client.scatter([_Box(obj)], broadcast=broadcast, hash=False)[0]


def _merge_first_seen(lists) -> list:
    seen: dict = {}
    for items in lists:
        for it in items:
            if it not in seen:
                seen[it] = None
    return list(seen)


def _merge_index(counts: list[tuple], A: int, L: int, features: dict):
    """The :class:`FeatureIndex` of the whole data from the partitions' :func:`_pair_counts`."""
    from crftagger.engine.model import FeatureIndex

    min_freq = float(features.get("min_freq") or 0.0)
    codes = np.concatenate([c[0] for c in counts]) if counts else np.zeros(0, np.int64)
    freqs = np.concatenate([c[1] for c in counts]) if counts else np.zeros(0)
    uniq, inverse = np.unique(codes, return_inverse=True)
    freq = np.zeros(len(uniq))
    np.add.at(freq, inverse, freqs)  # partition order; exact for counts (binary values)
    if features.get("all_possible_states"):
        full = np.zeros(A * L)
        full[uniq] = freq
        keep = full >= min_freq
        uniq, freq = np.flatnonzero(keep).astype(np.int64), full[keep]
    else:
        keep = freq >= min_freq
        uniq, freq = uniq[keep], freq[keep]
    feat_attr = uniq // L
    feat_label = np.ascontiguousarray((uniq - feat_attr * L).astype(np.int32))
    feat_ptr = np.zeros(A + 1, dtype=np.int64)
    np.cumsum(np.bincount(feat_attr, minlength=A), out=feat_ptr[1:])
    trans_freq = np.sum([c[3] for c in counts], axis=0) if counts else np.zeros(L * L)
    active = (trans_freq > 0) | bool(features.get("all_possible_transitions"))
    trans_mask = (active & (trans_freq >= min_freq)).astype(np.uint8)
    return FeatureIndex(
        feat_ptr=feat_ptr,
        feat_label=feat_label,
        trans_mask=trans_mask,
        state_freq=np.ascontiguousarray(freq, dtype=np.float64),
        trans_freq=trans_freq,
    )


def _detect_scheme(stats: list[dict], tolerance: float = 0.001) -> str | None:
    """What ``Tagger.train``'s scheme detection answers for the union of the partitions.

    :func:`crftagger.schemes.detect_scheme` from the partitions' violation
    counts: a scheme missing a prefix in one partition misses it in all,
    the counts of invalid positions add up.
    """
    from crftagger import schemes

    total: dict = {}
    for st in stats:
        for name, v in st["violations"].items():
            if name in total and total[name] is None:
                continue
            total[name] = None if v is None else total.get(name, 0) + v
    limit = tolerance * sum(st["n_tokens"] for st in stats)
    order = list(schemes.DETECT_PRECEDENCE)
    fitting = [
        (c, order.index(name), name) for name, c in total.items() if c is not None and c <= limit
    ]
    return min(fitting)[2] if fitting else None


class DistributedObjective:
    """``f(w), grad(w)`` of :class:`~crftagger.engine.objective.Objective`, from chunks on workers.

    Has the attributes :func:`~crftagger.engine.optimisers.lbfgs` reads
    (``n_params``, ``n_features``, ``trans_mask``, ``n_evaluations``);
    ``seconds`` lists the wall time of every evaluation.
    """

    def __init__(self, client, chunks, workers, index_future, observed, index, L, c2):
        self.client = client
        # consecutive chunks on one worker: one task computes their buffers, one adds them
        self.groups: list[tuple[str, list]] = []
        for chunk, where in zip(chunks, workers, strict=True):
            if self.groups and self.groups[-1][0] == where:
                self.groups[-1][1].append(chunk)
            else:
                self.groups.append((where, [chunk]))
        self.index_future = index_future
        self.observed = observed
        self.n_labels = L
        self.n_features = K = len(index.feat_label)
        self.n_params = K + L * L
        self.trans_mask = np.ascontiguousarray(index.trans_mask != 0, dtype=np.uint8)
        self.c2 = float(c2)
        self.n_evaluations = 0
        self.seconds: list[float] = []

    def __call__(self, w):
        from crftagger.engine.objective import check_weights, finish_nll_grad

        t0 = time.perf_counter()
        w = check_weights(w, self.n_params)
        client = self.client
        w_future = _scatter(client, w)
        acc = None
        for where, group in self.groups:
            grads = client.submit(
                _group_gradients,
                w_future,
                self.index_future,
                self.n_labels,
                *group,
                workers=[where],
                allow_other_workers=False,
                pure=False,
            )
            acc = client.submit(
                _accumulate, acc, grads, workers=[where], allow_other_workers=False, pure=False
            )
        total, logz = client.gather(acc)
        grad = np.empty(self.n_params)
        f = finish_nll_grad(
            w,
            total,
            self.observed,
            self.c2,
            self.trans_mask,
            self.n_features,
            self.n_labels,
            np.asarray(logz, dtype=np.float64),
            grad,
        )
        del acc, w_future
        self.n_evaluations += 1
        self.seconds.append(time.perf_counter() - t0)
        return float(f), grad


def _partitions(corpus, client, partitions, columns, sep, data_dir) -> tuple[list, str | None]:
    """``(specs, corpus name)``: what each worker reads."""
    if isinstance(corpus, str):
        from crftagger.corpora import registry

        try:
            registry.get(corpus)
        except (KeyError, ValueError) as exc:
            raise DaskError(f"corpus: {exc}") from None
        n = partitions or max(1, len(client.scheduler_info()["workers"]))
        return [("corpus", corpus, "train", data_dir, i, n) for i in range(n)], corpus
    items = list(corpus)
    if not items:
        raise DaskError("corpus: no file and no sentence given")
    if all(isinstance(x, str) or hasattr(x, "__fspath__") for x in items):
        import os

        cols = tuple(c.strip() for c in columns.split(",")) if isinstance(columns, str) else columns
        specs = []
        for p in items:
            path = os.path.abspath(os.fspath(p))
            if not os.path.isfile(path):
                raise DaskError(f"{p}: no such training file")
            specs.append(("file", path, None if cols is None else tuple(cols), sep))
        return specs, None
    n = partitions or max(1, len(client.scheduler_info()["workers"]))
    bounds = _document_cuts(items, n)
    return [
        ("memory", _scatter(client, items[bounds[k] : bounds[k + 1]], broadcast=False))
        for k in range(n)
        if bounds[k + 1] > bounds[k]
    ], None


def train(
    client,
    corpus,
    feature_set="ner",
    *,
    scheme: str | None = "auto",
    train_scheme: str | None = None,
    label_column: str | None = None,
    columns=None,
    sep: str = "auto",
    data_dir=None,
    partitions: int | None = None,
    tokenizer=None,
    output_scheme: str | None = "default",
    o_bias: float | None = None,
    **crf_params,
):
    """Train a :class:`~crftagger.Tagger` on the workers of ``client`` (see the module docstring).

    Parameters
    ----------
    client : distributed.Client
    corpus : str or list
        A registered corpus name (its train split, read on the workers in
        ``partitions`` slices cut at document boundaries, default one per
        worker), a list of CoNLL file paths (one partition each, read on the
        workers: they must see the same paths), or training sentences
        (Sentences or ``(tokens, tags)`` pairs, sent to the workers in
        ``partitions`` slices cut at document boundaries).
    feature_set, scheme, train_scheme, label_column, tokenizer, output_scheme, o_bias
        As :meth:`Tagger.train <crftagger.api.tagger.Tagger.train>`.
    columns, sep
        Column names and separator of CoNLL files (:func:`crftagger.corpora.read_conll`).
    **crf_params
        :class:`crftagger.CRF` parameters of the L-BFGS trainer (``c1``, ``c2``,
        ``max_iterations``, ``min_freq``, ``all_possible_transitions``, ...).

    The tagger's ``info["dask"]`` holds the workers, the partitions, the
    chunks and the seconds of every objective evaluation.
    """
    from crftagger.api.crf import CRF
    from crftagger.api.tagger import Tagger, _resolve_feature_set, resolve_schemes
    from crftagger.engine import optimisers
    from crftagger.engine.encoding import Vocabulary
    from crftagger.engine.model import LinearChainCRF, _log_record
    from crftagger.engine.objective import balanced_chunks, default_chunks
    from crftagger.errors import TaggerError
    from crftagger.text.tokenize import (
        ABBREVIATIONS,
        corpus_tokenizer,
        get_tokenizer,
    )

    for k in _REFUSED:
        if k in crf_params:
            raise DaskError(f"{k}: not available in data-parallel training")
    est = CRF(engine="numba", **crf_params)
    algorithm, options = est.check_params()
    if algorithm != "lbfgs":
        raise DaskError(
            f"data-parallel training runs L-BFGS (algorithm='lbfgs'), found {algorithm!r}"
        )
    fs = _resolve_feature_set(feature_set)
    learned = [
        n for n in fs.used_extractors() if fs.extractor_def(n)["kind"] in ("tagdict", "spandict")
    ]
    if learned or fs.extractor().tag_dictionary is not None:
        raise DaskError(
            f"the feature set {fs.name!r} learns a table from the labels ({', '.join(learned)}); "
            "data-parallel training takes feature sets without one"
        )
    fs_dict = fs.to_dict()
    t_start = time.perf_counter()
    specs, corpus_name = _partitions(corpus, client, partitions, columns, sep, data_dir)
    if corpus_name is not None:
        from crftagger.corpora import registry

        cinfo = registry.get(corpus_name)
        label_column = label_column or cinfo.label_column
        if scheme == "auto":
            scheme = cinfo.scheme
    parts = [client.submit(_read, spec, label_column, pure=False) for spec in specs]
    stats = client.gather([client.submit(_stats, p, pure=False) for p in parts])
    phases = {"read": time.perf_counter() - t_start}
    lengths = np.concatenate([s["lengths"] for s in stats])
    if not lengths.sum():
        raise TaggerError("the training data hold no token")
    if scheme == "auto":
        scheme = _detect_scheme(stats)
    scheme, model_scheme = resolve_schemes(scheme, train_scheme)
    encoded = [client.submit(_encode, p, fs_dict, scheme, model_scheme, pure=False) for p in parts]
    del parts
    vocabs = client.gather([client.submit(_vocab, e, pure=False) for e in encoded])
    phases["encode"] = time.perf_counter() - t_start
    attributes = Vocabulary.from_list(_merge_first_seen(v[0] for v in vocabs))
    labels = Vocabulary.from_list(_merge_first_seen(v[1] for v in vocabs))
    attributes.freeze()
    labels.freeze()
    del vocabs
    A, L = len(attributes), len(labels)
    a_future = _scatter(client, list(attributes.items))
    l_future = _scatter(client, list(labels.items))
    datas = [client.submit(_renumber, e, a_future, l_future, pure=False) for e in encoded]
    del encoded
    features = {
        "min_freq": est.min_freq,
        "all_possible_states": est.all_possible_states,
        "all_possible_transitions": est.all_possible_transitions,
    }
    counts = client.gather([client.submit(_pair_counts, d, L, pure=False) for d in datas])
    index = _merge_index(counts, A, L, features)
    phases["index"] = time.perf_counter() - t_start
    del counts
    index_future = _scatter(client, (index.feat_ptr, index.feat_label))

    # the local objective's chunks, each assembled on one worker
    part_lengths = [s["lengths"][s["lengths"] > 0] for s in stats]
    seq_ptr = np.zeros(sum(len(p) for p in part_lengths) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(part_lengths), out=seq_ptr[1:])
    S = len(seq_ptr) - 1
    n_params = len(index.feat_label) + L * L
    bounds = balanced_chunks(seq_ptr, default_chunks(n_params, S))
    part_start = np.concatenate([[0], np.cumsum([len(p) for p in part_lengths])])
    addresses = sorted(client.scheduler_info()["workers"])
    if not addresses:
        raise DaskError("the Dask cluster has no worker")
    C = len(bounds) - 1
    chunks, where = [], []
    for c in range(C):
        g0, g1 = int(bounds[c]), int(bounds[c + 1])
        pieces, deps = [], []
        for p in range(len(datas)):
            a, b = max(g0, part_start[p]), min(g1, part_start[p + 1])
            if b > a:
                pieces.append((int(a - part_start[p]), int(b - part_start[p])))
                deps.append(datas[p])
        addr = addresses[c * len(addresses) // C]
        chunks.append(
            client.submit(
                _make_chunk,
                pieces,
                L,
                *deps,
                workers=[addr],
                allow_other_workers=False,
                pure=False,
            )
        )
        where.append(addr)
    observed = None
    for chunk, addr in zip(chunks, where, strict=True):
        observed = client.submit(
            _add_observed,
            observed,
            chunk,
            index_future,
            L,
            workers=[addr],
            allow_other_workers=False,
            pure=False,
        )
    observed_w = client.gather(observed)
    del datas, observed
    setup_seconds = time.perf_counter() - t_start

    params = {k: v for k, v in options.items() if v is not None}
    c2 = params.pop("c2", 1.0)
    objective = DistributedObjective(client, chunks, where, index_future, observed_w, index, L, c2)
    start = time.perf_counter()
    result = optimisers.lbfgs(objective, None, callback=None, **params)
    seconds = time.perf_counter() - start
    del chunks

    model = LinearChainCRF(labels, attributes)
    model.index = index
    model._install(index, np.ascontiguousarray(result.w, dtype=np.float64))
    model.training_log = [_log_record(e) for e in result.log]
    model.training_status = result.status
    model.n_evaluations = result.n_evaluations
    model.training_seconds = seconds
    model.training_params = dict(
        algorithm=result.algorithm,
        **result.params,
        all_possible_states=bool(features["all_possible_states"]),
        all_possible_transitions=bool(features["all_possible_transitions"]),
        min_freq=float(features["min_freq"] or 0.0),
        order=1,
    )
    n_tokens = int(sum(s["n_tokens"] for s in stats))
    abbreviations: Counter[str] = Counter()
    for s in stats:
        abbreviations.update(s["abbreviations"])
    info = {
        "corpus": corpus_name,
        "recipe": None,
        "label_column": label_column,
        "n_sentences": int(sum(len(s["lengths"]) for s in stats)),
        "n_tokens": n_tokens,
        "engine": "numba",
        "training": {
            "algorithm": algorithm,
            **options,
            "order": 1,
            "min_freq": est.min_freq,
            "all_possible_states": bool(est.all_possible_states),
            "all_possible_transitions": bool(est.all_possible_transitions),
            "train_scheme": model_scheme,
            "seconds": round(seconds, 3),
        },
        "training_log": list(model.training_log),
        "scores": {},
        "dask": {
            "workers": len(addresses),
            "partitions": len(specs),
            "chunks": C,
            "setup_seconds": round(setup_seconds, 3),
            "setup_phases": {k: round(v, 3) for k, v in phases.items()},
            "evaluation_seconds": [round(x, 4) for x in objective.seconds],
        },
    }
    if tokenizer is None or isinstance(tokenizer, str):
        abbrevs = sorted(w for w, n in abbreviations.items() if n >= 2 and w not in ABBREVIATIONS)
        try:
            tokenizer = get_tokenizer(
                tokenizer or corpus_tokenizer(corpus_name), abbreviations=abbrevs
            )
        except ValueError as exc:
            raise TaggerError(str(exc)) from None
    tagger = Tagger(
        model,
        fs,
        scheme=scheme,
        model_scheme=model_scheme,
        info=info,
        output_scheme=output_scheme,
        tokenizer=tokenizer,
    )
    if o_bias and "O" in tagger.labels:
        tagger.o_bias = o_bias
    return tagger
