"""Scheme-constrained decoding and span confidences against brute force (tests/oracle.py)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import oracle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crftagger import schemes
from crftagger.decode import constrained
from crftagger.decode.constrained import DecodingError, Lattice, build_constraints

#: Label sets small enough to enumerate every path, per scheme.
LABELS = {
    "iob2": ["O", "B-A", "I-A", "B-B", "I-B"],
    "iob1": ["O", "I-A", "B-A", "I-B"],
    "ioe1": ["O", "I-A", "E-A", "I-B"],
    "ioe2": ["O", "I-A", "E-A", "E-B"],
    "bioes": ["O", "B-A", "I-A", "E-A", "S-A", "S-B"],
    "bilou": ["O", "B-A", "I-A", "L-A", "U-A"],
    "io": ["O", "I-A", "I-B"],
}


def _valid_by_schemes(tags, scheme) -> bool:
    try:
        schemes.validate(tags, scheme)
    except schemes.SchemeError:
        return False
    return True


@pytest.mark.parametrize("scheme", sorted(LABELS))
def test_tables_agree_with_scheme_validation(scheme):
    labels = LABELS[scheme]
    c = build_constraints(labels, scheme)
    for T in range(1, 4):
        for path in itertools.product(range(len(labels)), repeat=T):
            tags = [labels[i] for i in path]
            assert c.is_valid(path) == _valid_by_schemes(tags, scheme), tags


@pytest.mark.parametrize("scheme", sorted(LABELS))
def test_spans_of_equals_strict_decoding_on_valid_paths(scheme):
    labels = LABELS[scheme]
    c = build_constraints(labels, scheme)
    for path in itertools.product(range(len(labels)), repeat=4):
        if c.is_valid(path):
            tags = [labels[i] for i in path]
            assert constrained.spans_of(path, c) == schemes.extract_spans(tags, scheme), tags


def test_lenient_tables_read_spans_as_conlleval():
    labels = ["O", "B-A", "I-A", "I-B", "E-A", "S-B"]
    c = build_constraints(labels, None)
    assert c.unconstrained
    for path in itertools.product(range(len(labels)), repeat=4):
        tags = [labels[i] for i in path]
        assert constrained.spans_of(path, c) == schemes.extract_spans(tags), tags


def test_unknown_prefix_is_refused_with_its_name():
    with pytest.raises(DecodingError, match="'E-A'"):
        build_constraints(["O", "B-A", "E-A"], "iob2")
    plain = build_constraints(["NN", "VB"], None)
    assert not plain.span_labels


def _random_lattice(rng, T, L, neg_inf_rate=0.0):
    E = rng.normal(size=(T, L)) * 2 + rng.uniform(-1e-6, 1e-6, size=(T, L))
    Tr = rng.normal(size=(L, L)) * 2
    if neg_inf_rate:
        Tr[rng.random((L, L)) < neg_inf_rate] = -np.inf
    return E, Tr


def _brute(E, Tr, c, fixed=None):
    """``[(probability, path)]`` over allowed paths, probabilities renormalised."""
    T, L = E.shape
    items = []
    for y in itertools.product(range(L), repeat=T):
        if not c.is_valid(y):
            continue
        if fixed and any(y[t] not in ids for t, ids in fixed.items()):
            continue
        s = oracle.score(E, Tr, y)
        if s != -math.inf:
            items.append((s, y))
    if not items:
        return []
    m = max(s for s, _ in items)
    z = sum(math.exp(s - m) for s, _ in items)
    return [(math.exp(s - m) / z, y, s) for s, y in items]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=st.sampled_from(sorted(LABELS)),
    T=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    neg=st.sampled_from([0.0, 0.3]),
)
def test_decoding_never_yields_an_invalid_sequence(scheme, T, seed, neg):
    rng = np.random.default_rng(seed)
    labels = LABELS[scheme]
    c = build_constraints(labels, scheme)
    E, Tr = _random_lattice(rng, T, len(labels), neg)
    lat = Lattice(E, Tr, c)
    brute = _brute(E, Tr, c)
    if not brute:
        with pytest.raises(DecodingError):
            lat.best()
        return
    path, score = lat.best()
    assert c.is_valid(path.tolist())
    best = max(brute, key=lambda r: r[2])
    assert score == pytest.approx(best[2], abs=1e-9)
    for cand_path, _s, _p in lat.kbest(4):
        assert c.is_valid(cand_path.tolist())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=st.sampled_from([*sorted(LABELS), None]),
    T=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_span_confidence_equals_sum_over_label_sequences(scheme, T, seed):
    rng = np.random.default_rng(seed)
    labels = LABELS[scheme] if scheme else ["O", "B-A", "I-A", "I-B"]
    c = build_constraints(labels, scheme)
    E, Tr = _random_lattice(rng, T, len(labels))
    lat = Lattice(E, Tr, c)
    brute = _brute(E, Tr, c)
    span_prob: dict = {}
    marg = np.zeros((T, len(labels)))
    for p, y, _s in brute:
        for sp in schemes.extract_spans([labels[i] for i in y], scheme):
            span_prob[sp] = span_prob.get(sp, 0.0) + p
        for t, lab in enumerate(y):
            marg[t, lab] += p
    types = sorted({t for t in c.span_type if t})
    for typ in types:
        for start in range(T):
            for end in range(start + 1, T + 1):
                want = span_prob.get(schemes.Span(typ, start, end), 0.0)
                assert lat.span_probability(typ, start, end) == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(lat.marginals(), marg, atol=1e-9)
    total = sum(p for p, _y, _s in brute)
    assert sum(p for _path, _s, p in lat.kbest(len(labels) ** T)) == pytest.approx(total)


def test_span_confidence_is_not_a_product_of_token_marginals():
    labels = LABELS["iob2"]
    c = build_constraints(labels, "iob2")
    rng = np.random.default_rng(3)
    E, Tr = _random_lattice(rng, 4, len(labels))
    lat = Lattice(E, Tr, c)
    m = lat.marginals()
    conf = lat.span_probability("A", 1, 3)
    assert 0 <= conf <= min(m[1, 1], m[2, 2]) + 1e-12


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 4))
def test_forced_labels_are_honoured(seed, T):
    rng = np.random.default_rng(seed)
    labels = LABELS["bioes"]
    c = build_constraints(labels, "bioes")
    E, Tr = _random_lattice(rng, T, len(labels))
    pos = int(rng.integers(0, T))
    lab = int(rng.integers(0, len(labels)))
    fixed = {pos: [lab]}
    brute = _brute(E, Tr, c, fixed)
    lat = Lattice(E, Tr, c, fixed)
    if not brute:
        with pytest.raises(DecodingError, match="forced"):
            lat.best()
        return
    path, score = lat.best()
    assert path[pos] == lab and c.is_valid(path.tolist())
    assert score == pytest.approx(max(r[2] for r in brute))


def test_decode_batch_matches_the_single_sentence_lattice():
    rng = np.random.default_rng(0)
    labels = LABELS["bioes"]
    L = len(labels)
    seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, _y = oracle.random_corpus(
        rng, 30, L, 12
    )
    seq_ptr = np.concatenate([seq_ptr[:5], [seq_ptr[4]], seq_ptr[5:]]).astype(
        np.int64
    )  # an empty one
    w = rng.normal(size=len(feat_label) + L * L)
    c = build_constraints(labels, "bioes")
    out = np.empty(int(seq_ptr[-1]), dtype=np.int32)
    constrained.decode_batch(
        seq_ptr,
        item_ptr,
        attr_ids,
        attr_vals,
        feat_ptr,
        feat_label,
        w,
        L,
        c.allowed_trans,
        c.allowed_start,
        c.allowed_end,
        out,
    )
    from crftagger.engine import kernels

    Tr = w[len(feat_label) :].reshape(L, L)
    for s in range(len(seq_ptr) - 1):
        i0, i1 = seq_ptr[s], seq_ptr[s + 1]
        E = np.zeros((i1 - i0, L))
        kernels.emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
        path, _ = Lattice(E, Tr, c).best()
        assert out[i0:i1].tolist() == path.tolist()
        assert c.is_valid(out[i0:i1].tolist())


def test_compatible_labels_across_schemes():
    bioes = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    ids = constrained.compatible_labels("B-PER", bioes, "iob2", "bioes")
    assert [bioes[i] for i in ids] == ["B-PER", "S-PER"]
    ids = constrained.compatible_labels("I-PER", bioes, "iob2", "bioes")
    assert [bioes[i] for i in ids] == ["I-PER", "E-PER"]
    assert constrained.compatible_labels("O", bioes, "iob2", "bioes") == [0]
    assert constrained.compatible_labels("B-LOC", bioes, "iob2", "bioes") == []


def test_long_sentence_lattice_is_finite():
    rng = np.random.default_rng(1)
    labels = LABELS["iob2"]
    c = build_constraints(labels, "iob2")
    E, Tr = _random_lattice(rng, 10_000, len(labels))
    lat = Lattice(E * 5, Tr * 5, c)
    path, score = lat.best()
    assert len(path) == 10_000 and math.isfinite(score) and c.is_valid(path.tolist())
    m = lat.marginals()
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-9)
    sp = constrained.spans_of(path.tolist(), c)[0]
    assert 0 < lat.span_probability(sp.type, sp.start, sp.end) <= 1


# --------------------------------------------------------------------------- forced tags of the answers

FORCED_LABELS = {
    "iob2": ["O", "B-A", "I-A", "B-B", "I-B"],
    "iob1": ["O", "I-A", "B-A", "I-B", "B-B"],
    "ioe1": ["O", "I-A", "E-A", "I-B", "E-B"],
    "ioe2": ["O", "I-A", "E-A", "I-B", "E-B"],
    "bioes": ["O", "B-A", "I-A", "E-A", "S-A", "S-B"],
    "bilou": ["O", "B-A", "I-A", "L-A", "U-A", "U-B"],
    "io": ["O", "I-A", "I-B"],
}
ANSWER_PREFIXES = {"io": "I", "iob1": "IB", "iob2": "BI", "ioe1": "IE", "ioe2": "IE"}
ANSWER_PREFIXES.update(bioes="BIES", bilou="BILU")


def _answers(model, answer, T, seed):
    """Random lattice over ``model``'s labels and every valid path with its answer tags."""
    labels = FORCED_LABELS[model]
    c = build_constraints(labels, model)
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(T, len(labels)))
    Tr = rng.normal(size=(len(labels), len(labels)))
    out = []
    for y in itertools.product(range(len(labels)), repeat=T):
        if not c.is_valid(y):
            continue
        tags = [labels[i] for i in y]
        if answer != model:
            tags = schemes.convert(tags, model, answer, lossy_ok=True)
        score = E[np.arange(T), list(y)].sum() + sum(
            Tr[a, b] for a, b in zip(y[:-1], y[1:], strict=True)
        )
        out.append((score, y, tags))
    return labels, c, E, Tr, out


def _answer_tags(answer):
    return ["O"] + [f"{p}-{t}" for p in ANSWER_PREFIXES[answer] for t in "AB"]


def _write(labels, path, model, answer):
    tags = [labels[i] for i in path]
    return tags if answer == model else schemes.convert(tags, model, answer, lossy_ok=True)


@pytest.mark.parametrize("model", sorted(FORCED_LABELS))
@pytest.mark.parametrize("answer", sorted(FORCED_LABELS))
def test_forced_answer_tags_are_exact_on_every_scheme(model, answer):
    # the best valid path whose answer shows the forced tag(s), by enumeration, or a refusal
    # exactly when there is none
    T = 3
    labels, c, E, Tr, paths = _answers(model, answer, T, seed=len(model) * 7 + len(answer))
    tags = _answer_tags(answer)
    queries = [{p: tag} for p in range(T) for tag in tags]
    queries += [{0: a, 2: b} for a in tags for b in tags[:3]] + [{1: t, 2: t} for t in tags]
    n_answered = 0
    for fixed in queries:
        agree = [x for x in paths if all(x[2][p] == t for p, t in fixed.items())]
        try:
            lat = constrained.ForcedLattice(E, Tr, c, fixed, answer)
            path, score = lat.best()
        except DecodingError:
            assert not agree, (fixed, max(agree))
            continue
        n_answered += 1
        got = _write(labels, path, model, answer)
        assert all(got[p] == t for p, t in fixed.items()), (fixed, got)
        assert c.is_valid(path.tolist())
        assert score == pytest.approx(max(agree)[0], abs=1e-9), fixed
        assert lat.marginals().sum(axis=1) == pytest.approx(np.ones(T))
        assert lat.kbest(len(agree) + 1)[0][1] == pytest.approx(score)
        assert len(lat.kbest(len(agree) + 1)) == len(agree)
    assert n_answered > len(queries) // 4


@pytest.mark.parametrize("model", sorted(FORCED_LABELS))
@pytest.mark.parametrize("answer", sorted(FORCED_LABELS))
def test_forced_labels_show_in_the_answer_or_are_refused(model, answer):
    # the tagger's path: one position's labels from compatible_labels; the answer shows the
    # forced tag, or the call refuses; never an answer without it
    T = 3
    labels, c, E, Tr, paths = _answers(model, answer, T, seed=len(model) + len(answer))
    n_answered = n_refused_with_answer = 0
    for p in range(T):
        for tag in _answer_tags(answer):
            agree = [x for x in paths if x[2][p] == tag]
            try:
                ids = constrained.compatible_labels(tag, labels, answer, model)
                if not ids:
                    raise DecodingError("no label")
                path, _ = Lattice(E, Tr, c, {p: ids}).best()
            except DecodingError:
                n_refused_with_answer += bool(agree)
                continue
            n_answered += 1
            assert _write(labels, path, model, answer)[p] == tag, (p, tag)
    assert n_answered > 0
    if answer == model or (answer, model) in {("iob2", "bioes"), ("iob2", "bilou")}:
        assert n_refused_with_answer == 0  # labels that settle the answer's tags alone


def test_iob1_answers_forced_b_tag_appear_or_refuse():
    # a BIOES model with IOB1 answers: "B-LOC" needs a LOC token before it
    labels = ["O", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "S-PER", "B-PER", "E-PER"]
    c = build_constraints(labels, "bioes")
    E = np.zeros((4, len(labels)))
    E[:, 0] = 2.0  # O is best everywhere
    Tr = np.zeros((len(labels), len(labels)))
    with pytest.raises(DecodingError, match="depends on the neighbouring tokens"):
        constrained.compatible_labels("B-LOC", labels, "iob1", "bioes")
    with pytest.raises(DecodingError, match="not a iob1 tag"):
        constrained.compatible_labels("S-LOC", labels, "iob1", "bioes")
    path, _ = constrained.ForcedLattice(E, Tr, c, {2: "B-LOC"}, "iob1").best()
    answer = schemes.convert([labels[i] for i in path], "bioes", "iob1")
    assert answer[2] == "B-LOC" and answer[1] == "I-LOC"
    # B- of IOB1 never opens a sentence: refused, not answered with I-PER
    with pytest.raises(DecodingError, match="forced tags"):
        constrained.ForcedLattice(E, Tr, c, {0: "B-PER"}, "iob1").best()
    path, _ = constrained.ForcedLattice(E, Tr, c, {0: "I-PER"}, "iob1").best()
    assert schemes.convert([labels[i] for i in path], "bioes", "iob1")[0] == "I-PER"
    with pytest.raises(DecodingError, match="position 4, outside the sentence of 4 tokens"):
        constrained.ForcedLattice(E, Tr, c, {4: "O"}, "iob1")


def test_decode_batch_in_parallel_chunks_matches_the_lattice_and_one_thread():
    from crftagger.engine import kernels
    from crftagger.engine.model import numba_threads

    rng = np.random.default_rng(1)
    labels = LABELS["bioes"]
    L = len(labels)
    S = 3 * kernels.BATCH_CHUNK + 5  # several chunks, the last one short
    seq_ptr, item_ptr, attr_ids, attr_vals, feat_ptr, feat_label, _y = oracle.random_corpus(
        rng, S, L, 9
    )
    w = rng.normal(size=len(feat_label) + L * L)
    c = build_constraints(labels, "bioes")
    bias = rng.normal(size=L)
    outs = []
    for threads in (1, 2):
        out = np.empty(int(seq_ptr[-1]), dtype=np.int32)
        with numba_threads(threads):
            constrained.decode_batch(
                seq_ptr,
                item_ptr,
                attr_ids,
                attr_vals,
                feat_ptr,
                feat_label,
                w,
                L,
                c.allowed_trans,
                c.allowed_start,
                c.allowed_end,
                out,
                bias,
            )
        outs.append(out)
    assert np.array_equal(outs[0], outs[1])
    Tr = w[len(feat_label) :].reshape(L, L)
    for s in range(S):
        i0, i1 = seq_ptr[s], seq_ptr[s + 1]
        E = np.zeros((i1 - i0, L))
        kernels.emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
        path, _ = Lattice(E + bias, Tr, c).best()
        assert outs[0][i0:i1].tolist() == path.tolist()


def _span_log_probability_numpy(lat, type_, start, end):
    """The span recursion written with numpy log-sum-exp, as a second reading of the kernel."""
    from crftagger.decode.constrained import _log_mask, _lse

    c = lat.constraints
    alpha, beta, log_z = lat.forward_backward()
    type_mask = _log_mask(np.array([t == type_ for t in c.span_type]))
    log_b, log_c = _log_mask(c.boundary), _log_mask(c.continues)
    Ec, Trc = lat.Ec, lat.Trc
    if start == 0:
        a = Ec[0] + type_mask
    else:
        a = Ec[start] + type_mask + _lse(alpha[start - 1][:, None] + Trc + log_b, axis=0)
    for t in range(start + 1, end):
        a = Ec[t] + type_mask + _lse(a[:, None] + Trc + log_c, axis=0)
    if end == lat.T:
        return _lse(a) - log_z
    return _lse(a[:, None] + Trc + log_b + (Ec[end] + beta[end])[None, :]) - log_z


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes", "bilou", None])
def test_span_kernel_matches_the_numpy_recursion_on_long_sentences(scheme):
    rng = np.random.default_rng(7)
    labels = LABELS[scheme] if scheme else ["O", "B-A", "I-A", "I-B"]
    c = build_constraints(labels, scheme)
    T = 40
    E, Tr = _random_lattice(rng, T, len(labels))
    E = 3 * E  # peaked distributions: probabilities from near 1 to far below 1e-100
    lat = Lattice(E, Tr, c)
    types = sorted({t for t in c.span_type if t})
    checked = 0
    for _ in range(200):
        typ = types[rng.integers(len(types))]
        start = int(rng.integers(T))
        end = int(rng.integers(start + 1, min(T, start + 6) + 1))
        want = _span_log_probability_numpy(lat, typ, start, end)
        got = lat.span_log_probability(typ, start, end)
        if want == -np.inf:
            assert got == -np.inf
        else:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
            checked += 1
    assert checked > 50
    assert lat.span_log_probability("NOPE", 0, 1) == -np.inf
