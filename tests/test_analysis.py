"""crftagger.analysis: significance tests and span error classes, against plain-Python twins."""

from __future__ import annotations

import json
import random
import sys

import numpy as np
import pytest

from crftagger.analysis import AnalysisInputError, MissingPlotPackage, compare, error_report
from crftagger.analysis.errors import ERROR_CLASSES, classify_spans
from crftagger.analysis.significance import (
    bootstrap_differences,
    document_units,
    f1_from_counts,
    randomisation_differences,
    unit_counts,
)
from crftagger.errors import LengthMismatchError
from crftagger.metrics import span_scores, spans_by_sentence
from crftagger.schemes import Span

TYPES = ("PER", "LOC", "ORG")


def random_tags(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            out.append("O")
        else:
            out.append(f"{rng.choice('BI')}-{rng.choice(TYPES)}")
    return out


def random_corpus(seed: int, n_sent: int = 15, max_len: int = 8):
    rng = random.Random(seed)
    lengths = [rng.randint(1, max_len) for _ in range(n_sent)]
    return [[random_tags(rng, n) for n in lengths] for _ in range(3)]


# --------------------------------------------------------------------------- plain-Python twins


def twin_scores(gold, pred, types):
    """Per type F1 and overall F1 in the order of ``types`` + overall, from span_scores."""
    s = span_scores(gold, pred, zero_division=0)
    return [s.per_type[t].f1 if t in s.per_type else 0.0 for t in types] + [s.micro.f1]


@pytest.mark.parametrize("seed", range(6))
def test_unit_counts_match_span_scores_per_unit(seed):
    gold, a, _ = random_corpus(seed)
    units = np.array([i // 4 for i in range(len(gold))])
    types = sorted({s.type for ss in spans_by_sentence(gold + a) for s in ss})
    c = unit_counts(spans_by_sentence(gold), spans_by_sentence(a), units, units.max() + 1, types)
    for u in range(units.max() + 1):
        members = [i for i in range(len(gold)) if units[i] == u]
        s = span_scores([gold[i] for i in members], [a[i] for i in members], zero_division=0)
        for k, t in enumerate(types):
            v = s.per_type.get(t)
            tp, pr, gd = (v.correct, v.predicted, v.gold) if v else (0, 0, 0)
            assert c[u, k].tolist() == [tp, pr - tp, gd - tp]


@pytest.mark.parametrize("seed", range(6))
def test_bootstrap_differences_match_twin(seed):
    gold, a, b = random_corpus(seed)
    types = sorted({s.type for ss in spans_by_sentence(gold + a + b) for s in ss})
    units = np.arange(len(gold))
    gs = spans_by_sentence(gold)
    ca = unit_counts(gs, spans_by_sentence(a), units, len(gold), types)
    cb = unit_counts(gs, spans_by_sentence(b), units, len(gold), types)
    idx = np.random.default_rng(seed).integers(0, len(gold), size=(12, len(gold)))
    fast = bootstrap_differences(ca, cb, idx)
    for r in range(idx.shape[0]):
        g = [gold[i] for i in idx[r]]
        fa = twin_scores(g, [a[i] for i in idx[r]], types)
        fb = twin_scores(g, [b[i] for i in idx[r]], types)
        np.testing.assert_allclose(fast[r], np.subtract(fa, fb), atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_randomisation_differences_match_twin(seed):
    gold, a, b = random_corpus(seed)
    types = sorted({s.type for ss in spans_by_sentence(gold + a + b) for s in ss})
    units = np.arange(len(gold))
    gs = spans_by_sentence(gold)
    ca = unit_counts(gs, spans_by_sentence(a), units, len(gold), types)
    cb = unit_counts(gs, spans_by_sentence(b), units, len(gold), types)
    swaps = np.random.default_rng(seed).random((12, len(gold))) < 0.5
    fast = randomisation_differences(ca, cb, swaps)
    for r in range(swaps.shape[0]):
        sa = [b[i] if swaps[r, i] else a[i] for i in range(len(gold))]
        sb = [a[i] if swaps[r, i] else b[i] for i in range(len(gold))]
        np.testing.assert_allclose(
            fast[r],
            np.subtract(twin_scores(gold, sa, types), twin_scores(gold, sb, types)),
            atol=1e-12,
        )


def test_f1_from_counts_zero_denominator_and_formula():
    c = np.array([[0, 0, 0], [3, 1, 2], [0, 4, 0]])
    np.testing.assert_allclose(f1_from_counts(c), [0.0, 6 / 9, 0.0])


def test_document_units():
    assert document_units([False, True, False, True]).tolist() == [0, 0, 0, 1]
    assert document_units([]).tolist() == []


# --------------------------------------------------------------------------- compare()


def test_compare_figures_are_span_scores():
    gold, a, b = random_corpus(3, n_sent=30)
    c = compare(gold, a, b, samples=200, seed=1)
    sa, sb = span_scores(gold, a, zero_division=0), span_scores(gold, b, zero_division=0)
    assert c.overall.a == sa.micro and c.overall.b == sb.micro
    for t, row in c.rows.items():
        assert row.a.f1 == sa.per_type[t].f1
        assert row.difference == pytest.approx(sa.per_type[t].f1 - sb.per_type[t].f1)
    d = c.to_dict()
    assert json.loads(json.dumps(d))["overall"]["a"]["f1"] == sa.micro.f1


def test_compare_identical_systems_p_one_and_zero_interval():
    gold, a, _ = random_corpus(4, n_sent=30)
    c = compare(gold, a, [list(s) for s in a], samples=300, seed=2)
    for row in [*c.rows.values(), c.overall]:
        assert row.difference == 0.0
        assert row.p_value == 1.0
        assert row.ci_low == row.ci_high == 0.0


def test_compare_reproducible_with_seed_and_differs_with_another():
    gold, a, b = random_corpus(5, n_sent=40)
    c1 = compare(gold, a, b, samples=300, seed=7)
    c2 = compare(gold, a, b, samples=300, seed=7)
    c3 = compare(gold, a, b, samples=300, seed=8)
    assert c1.to_dict() == c2.to_dict()
    assert (c1.overall.ci_low, c1.overall.p_value) != (c3.overall.ci_low, c3.overall.p_value)


def test_interval_contains_observed_and_shrinks_with_more_data():
    gold, a, b = random_corpus(6, n_sent=60)
    small = compare(gold, a, b, samples=2000, seed=0)
    big = compare(gold * 9, a * 9, b * 9, samples=2000, seed=0)
    for c in (small, big):
        assert c.overall.ci_low <= c.overall.difference <= c.overall.ci_high
    w_small = small.overall.ci_high - small.overall.ci_low
    w_big = big.overall.ci_high - big.overall.ci_low
    assert w_big == pytest.approx(w_small / 3, rel=0.25)  # width ~ 1 / sqrt(n)
    assert big.overall.difference == pytest.approx(small.overall.difference)


def test_document_units_resample_whole_documents():
    gold, a, b = random_corpus(7, n_sent=20)
    units = [i // 5 for i in range(20)]
    c = compare(gold, a, b, units=units, unit="document", samples=500)
    assert c.n_units == 4 and c.n_sentences == 20
    assert "4 documents (20 sentences)" in c.to_text()
    # with 4 units there are at most 35 distinct resamples
    types = c.types
    gs = spans_by_sentence(gold)
    ca = unit_counts(gs, spans_by_sentence(a), np.array(units), 4, types)
    cb = unit_counts(gs, spans_by_sentence(b), np.array(units), 4, types)
    idx = np.random.default_rng(0).integers(0, 4, size=(2000, 4))
    assert len(np.unique(bootstrap_differences(ca, cb, idx)[:, -1])) <= 35


def test_compare_bad_input():
    gold, a, b = random_corpus(8)
    with pytest.raises(LengthMismatchError, match="system B"):
        compare(gold, a, b[:-1])
    with pytest.raises(LengthMismatchError, match="one unit id per sentence"):
        compare(gold, a, b, units=[0, 1])
    with pytest.raises(AnalysisInputError, match="samples must be"):
        compare(gold, a, b, samples=0)
    with pytest.raises(AnalysisInputError, match="level must be"):
        compare(gold, a, b, level=1.0)
    with pytest.raises(AnalysisInputError, match="no sentences"):
        compare([], [], [])


def read_conll2003_test(data_dir):
    """Tokens and NER tags (last column) of CoNLL-2003 test, and which sentences open a document."""
    path = data_dir / "conll2003" / "eng.testb"
    tokens, tags, starts = [], [], []
    w, t, new_doc = [], [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if not f or f[0] == "-DOCSTART-":
            if w:
                tokens.append(w)
                tags.append(t)
                starts.append(new_doc)
                w, t, new_doc = [], [], False
            if f:
                new_doc = True
            continue
        w.append(f[0])
        t.append(f[-1])
    if w:
        tokens.append(w)
        tags.append(t)
        starts.append(new_doc)
    return tokens, tags, starts


def drop_spans(tags, rate, seed):
    """Gold tags with a fraction ``rate`` of the spans erased (a system that misses them)."""
    rng = random.Random(seed)
    out = []
    for seq in tags:
        s = list(seq)
        for span in spans_by_sentence([seq])[0]:
            if rng.random() < rate:
                s[span.start : span.end] = ["O"] * (span.end - span.start)
        out.append(s)
    return out


@pytest.mark.corpora
def test_clearly_better_system_on_conll2003_is_significant(data_dir):
    _, gold, starts = read_conll2003_test(data_dir)
    assert len(gold) == 3453
    better = drop_spans(gold, 0.10, seed=1)
    worse = drop_spans(gold, 0.14, seed=2)
    c = compare(gold, better, worse, samples=2000, seed=0)
    assert c.overall.difference > 0
    assert c.overall.p_value < 0.05
    assert 0 < c.overall.ci_low <= c.overall.difference <= c.overall.ci_high
    docs = compare(gold, better, worse, units=document_units(starts), unit="document", samples=2000)
    assert docs.n_units == 231
    assert docs.overall.p_value < 0.05
    assert docs.overall.ci_low <= docs.overall.difference <= docs.overall.ci_high
    # two systems of the same strength: no significant difference overall
    same = compare(gold, better, drop_spans(gold, 0.10, seed=3), samples=2000, seed=0)
    assert same.overall.ci_low < 0 < same.overall.ci_high or same.overall.p_value > 0.05


# --------------------------------------------------------------------------- error classes


def S(t, a, b):
    return Span(t, a, b)


def test_each_error_class_by_hand():
    tokens = [["Peter", "Smith", "met", "John", "in", "New", "York", "City", "at", "IBM", "today"]]
    gold = [["B-PER", "I-PER", "O", "B-PER", "O", "B-LOC", "I-LOC", "I-LOC", "O", "B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG", "O", "B-LOC", "I-LOC", "B-ORG", "O", "O", "B-MISC"]]
    r = error_report(gold, pred, tokens, context=1, max_examples=5)
    kinds = {(p.kind, p.gold, p.pred) for p in r.pairs}
    assert kinds == {
        ("correct", S("PER", 0, 2), S("PER", 0, 2)),
        ("wrong_type", S("PER", 3, 4), S("ORG", 3, 4)),
        ("wrong_boundary", S("LOC", 5, 8), S("LOC", 5, 7)),
        ("wrong_type_and_boundary", S("LOC", 5, 8), S("ORG", 7, 8)),
        ("missed", S("ORG", 9, 10), None),
        ("spurious", None, S("MISC", 10, 11)),
    }
    assert r.counts["LOC"]["wrong_boundary"] == 1
    assert r.counts["LOC"]["wrong_type_and_boundary"] == 1
    assert r.counts["MISC"]["spurious"] == 1 and r.counts["ORG"]["missed"] == 1
    assert r.totals == dict.fromkeys(ERROR_CLASSES, 1)
    lab = r.labels
    assert lab == ["LOC", "MISC", "ORG", "PER", "O"]
    m = r.confusion
    assert m[lab.index("LOC"), lab.index("LOC")] == 1
    assert m[lab.index("LOC"), lab.index("ORG")] == 1
    assert m[lab.index("PER"), lab.index("ORG")] == 1
    assert m[lab.index("ORG"), lab.index("O")] == 1
    assert m[lab.index("O"), lab.index("MISC")] == 1
    assert m.sum() == 6
    ex = {e.kind: e for e in r.examples}
    assert ex["wrong_boundary"].gold == "... in [LOC New York City] at ..."
    assert ex["wrong_boundary"].pred == "... in [LOC New York] City at ..."
    assert ex["missed"].pred == "... at IBM today"
    assert ex["spurious"].gold == "... IBM today"
    assert ex["spurious"].pred == "... IBM [MISC today]"
    text = r.to_text()
    assert "wrong type and boundary, LOC:\n  sentence 0\n" in text
    lined = error_report(gold, pred, tokens, lines=[40]).to_text()
    assert "wrong type and boundary, LOC:\n  line 45\n" in lined  # token 5 of the sentence
    assert "    pred: ... in New York [ORG City] at ..." in text


def test_one_gold_span_split_in_two_makes_two_pairs():
    pairs = classify_spans([S("LOC", 0, 4)], [S("LOC", 0, 2), S("LOC", 2, 4)])
    assert [p.kind for p in pairs] == ["wrong_boundary", "wrong_boundary"]
    pairs = classify_spans([S("A", 0, 1), S("B", 1, 2)], [S("A", 0, 2)])
    assert [(p.kind, p.gold.type) for p in pairs] == [
        ("wrong_boundary", "A"),
        ("wrong_type_and_boundary", "B"),
    ]
    assert classify_spans([], []) == []


def twin_classify(gold, pred):
    """Classes from token position sets, written independently of classify_spans."""
    out = []
    for g in gold:
        gt = set(range(g.start, g.end))
        if any(p == g for p in pred):
            out.append(("correct", g, g))
            continue
        over = [p for p in pred if gt & set(range(p.start, p.end)) and p not in gold]
        for p in over:
            same = set(range(p.start, p.end)) == gt
            kind = (
                "wrong_type"
                if same
                else ("wrong_boundary" if p.type == g.type else "wrong_type_and_boundary")
            )
            out.append((kind, g, p))
        if not over:
            out.append(("missed", g, None))
    for p in pred:
        pt = set(range(p.start, p.end))
        if not any(pt & set(range(g.start, g.end)) for g in gold):
            out.append(("spurious", None, p))
    return sorted(out, key=repr)


@pytest.mark.parametrize("seed", range(20))
def test_classes_match_twin_and_span_scores(seed):
    gold, pred, _ = random_corpus(seed, n_sent=25, max_len=10)
    r = error_report(gold, pred)
    gs, ps = spans_by_sentence(gold), spans_by_sentence(pred)
    for k in range(len(gold)):
        fast = sorted(((p.kind, p.gold, p.pred) for p in r.pairs if p.sentence == k), key=repr)
        assert fast == twin_classify(gs[k], ps[k])
    s = span_scores(gold, pred, zero_division=0)
    assert r.totals["correct"] == s.micro.correct
    # each gold span is correct, missed, or in at least one pair; each prediction likewise
    n_gold_in_pairs = len({(p.sentence, p.gold) for p in r.pairs if p.gold is not None})
    n_pred_in_pairs = len({(p.sentence, p.pred) for p in r.pairs if p.pred is not None})
    assert n_gold_in_pairs == s.micro.gold and n_pred_in_pairs == s.micro.predicted
    diag = np.trace(r.confusion[:-1, :-1])
    assert diag == r.totals["correct"] + r.totals["wrong_boundary"]
    assert r.confusion[:-1, -1].sum() == r.totals["missed"]
    assert r.confusion[-1, :-1].sum() == r.totals["spurious"]


def test_strict_mode_reads_spans_as_metrics_do():
    gold = [["B-PER", "I-PER", "O"]]
    pred = [["I-PER", "I-PER", "O"]]  # invalid in IOB2: read as O in strict mode
    assert error_report(gold, pred).totals["correct"] == 1
    strict = error_report(gold, pred, mode="strict", scheme="iob2")
    assert strict.totals["correct"] == 0 and strict.totals["missed"] == 1


def test_json_and_examples_limit():
    gold, pred, _ = random_corpus(11, n_sent=40)
    r = error_report(gold, pred, max_examples=2)
    d = json.loads(r.to_json(pairs=True))
    assert d["totals"] == r.totals
    assert len(d["pairs"]) == len(r.pairs)
    assert d["confusion"]["matrix"] == r.confusion.tolist()
    per_key: dict = {}
    for e in d["examples"]:
        per_key[(e["kind"], e["type"])] = per_key.get((e["kind"], e["type"]), 0) + 1
    assert max(per_key.values()) <= 2
    # token positions stand in for missing tokens
    assert all("[" in e["gold"] or "[" in e["pred"] for e in d["examples"])


def test_error_report_bad_input():
    with pytest.raises(LengthMismatchError, match="sentence 0: 1 tokens but 2 tags"):
        error_report([["O", "O"]], [["O", "O"]], [["a"]])
    with pytest.raises(LengthMismatchError, match="sentence 0"):
        error_report([["O", "O"]], [["O"]])


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    gold, pred, _ = random_corpus(12, n_sent=30)
    out = tmp_path / "errors.png"
    error_report(gold, pred).plot(out)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_plot_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = error_report([["B-PER"]], [["O"]])
    with pytest.raises(MissingPlotPackage, match="needs matplotlib"):
        r.plot(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.corpora
@pytest.mark.slow
def test_two_trained_taggers_on_conll2000(data_dir):
    from crftagger import Tagger
    from crftagger.corpora import load

    train = load("conll2000", "train", data_dir)
    test = load("conll2000", "test", data_dir)[:500]
    strong = Tagger.train(train[:800], feature_set="chunk", label_column="chunk", max_iterations=30)
    weak = Tagger.train(train[:100], feature_set="chunk", label_column="chunk", max_iterations=8)
    gold = [s.columns["chunk"] for s in test]
    pa, pb = strong.tag(test), weak.tag(test)
    c = compare(gold, pa, pb, samples=2000, seed=0)
    assert c.overall.a.f1 == span_scores(gold, pa, zero_division=0).micro.f1
    assert c.overall.difference > 0 and c.overall.p_value < 0.05
    assert 0 < c.overall.ci_low <= c.overall.difference <= c.overall.ci_high
    same = compare(gold, pa, strong.tag(test), samples=500)
    assert same.overall.p_value == 1.0 and same.overall.difference == 0.0
