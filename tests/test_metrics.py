"""Metrics against seqeval (default and strict modes), sklearn, and hand-computed conlleval cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score as sq_f1
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support as sq_prfs
from seqeval.metrics.v1 import precision_recall_fscore_support as sq_prfs_strict
from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, IOE2, Tokens
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import precision_recall_fscore_support as sk_prfs

from crftagger.metrics import (
    LengthMismatchError,
    check_lengths,
    confusion_matrix,
    conlleval_report,
    label_scores,
    span_scores,
    token_accuracy,
)
from crftagger.schemes import SchemeError, Span, convert, extract_spans

# --------------------------------------------------------------------------- hand-computed


def test_iob1_report_exact_text():
    # gold: PER(0,2) PER(2,3) LOC(4,5); pred: PER(0,3) LOC(4,5); 3 of 5 tags equal
    gold = [["I-PER", "I-PER", "B-PER", "O", "I-LOC"]]
    pred = [["I-PER", "I-PER", "I-PER", "O", "B-LOC"]]
    assert conlleval_report(gold, pred) == (
        "processed 5 tokens with 3 phrases; found: 2 phrases; correct: 1.\n"
        "accuracy:  60.00%; precision:  50.00%; recall:  33.33%; FB1:  40.00\n"
        "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
        "              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
    )


def test_conlleval_rules_by_hand():
    # I- start after O, B- between same types, type change without B-
    gold = [["I-A", "I-A", "B-A", "I-B", "O", "I-A"]]  # A(0,2) A(2,3) B(3,4) A(5,6)
    pred = [["B-A", "I-A", "I-A", "I-B", "O", "I-B"]]  # A(0,3) B(3,4) B(5,6)
    s = span_scores(gold, pred)
    assert (s.micro.gold, s.micro.predicted, s.micro.correct) == (4, 3, 1)
    assert (s.per_type["A"].gold, s.per_type["A"].predicted, s.per_type["A"].correct) == (3, 1, 0)
    assert (s.per_type["B"].gold, s.per_type["B"].predicted, s.per_type["B"].correct) == (1, 2, 1)
    assert s.micro.precision == pytest.approx(1 / 3) and s.micro.recall == pytest.approx(1 / 4)
    assert s.macro.f1 == pytest.approx((0 + 2 * 0.5 * 1 / 1.5) / 2)
    assert s.accuracy == pytest.approx(3 / 6)


def test_sentence_boundaries_separate_phrases():
    gold = [["I-A"], ["I-A"]]
    pred = [["I-A", "I-A"]]
    with pytest.raises(LengthMismatchError, match="gold has 2 sentences but prediction has 1"):
        span_scores(gold, pred)
    s = span_scores(gold, [["I-A"], ["I-A"]])
    assert (s.micro.gold, s.micro.correct) == (2, 2)
    assert span_scores([["I-A", "I-A"]], [["I-A", "I-A"]]).micro.gold == 1


def test_length_mismatch_names_sentence_and_lengths():
    with pytest.raises(
        LengthMismatchError, match="sentence 1: gold has 2 tags but prediction has 3"
    ):
        check_lengths([["O"], ["O", "O"]], [["O"], ["O", "O", "O"]])
    with pytest.raises(LengthMismatchError, match="found a string"):
        token_accuracy(["O O"], ["O O"])


def test_bad_tags_name_side_and_sentence():
    with pytest.raises(SchemeError, match="predicted sentence 1: position 0: tag 'NN'"):
        span_scores([["O"], ["B-X"]], [["O"], ["NN"]])
    with pytest.raises(ValueError, match="needs a scheme"):
        span_scores([["O"]], [["O"]], mode="strict")
    with pytest.raises(ValueError, match="unknown mode"):
        span_scores([["O"]], [["O"]], mode="exact")


def test_empty_and_no_phrases_report():
    assert conlleval_report([], []) == (
        "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n"
    )
    assert conlleval_report([["O", "O"]], [["O", "B-X"]]) == (
        "processed 2 tokens with 0 phrases; found: 1 phrases; correct: 0.\n"
        "accuracy:  50.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
        "                X: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
    )


def test_raw_mode_and_outside_tag():
    gold = [["NN", "NN", "VB"]]
    pred = [["NN", "VB", "VB"]]
    report = conlleval_report(gold, pred, raw=True)
    assert report.startswith("processed 3 tokens with 3 phrases; found: 3 phrases; correct: 2.")
    assert "               NN: precision: 100.00%; recall:  50.00%; FB1:  66.67  1\n" in report
    rep = conlleval_report([["x", "B-A"]], [["x", "B-A"]], outside="x")
    assert "with 1 phrases" in rep and "FB1: 100.00" in rep


def test_strict_mode_by_hand_and_error_repair():
    gold = [["B-A", "I-A", "O"]]
    pred = [["O", "I-A", "O"]]  # orphan I-A: a phrase for conlleval, none in strict IOB2
    assert span_scores(gold, pred).micro.predicted == 1
    assert span_scores(gold, pred, mode="strict", scheme="iob2").micro.predicted == 0
    with pytest.raises(SchemeError, match="predicted sentence 0: position 1"):
        span_scores(gold, pred, mode="strict", scheme="iob2", repair="error")


def test_seqeval_iob1_strict_divergence_documented():
    # A well-formed IOB1 span B-B(3,4) followed by B-A: seqeval's IOB1 tables miss
    # the end of the B-B span; ours keep it (and drop only the invalid B-A).
    tags = ["I-B", "B-B", "I-B", "B-B", "B-A", "I-A"]
    ours = extract_spans(tags, "iob1", repair="outside")
    theirs = [Span(e.tag, e.start, e.end) for e in Tokens(tags, IOB1).entities]
    assert Span("B", 3, 4) in ours and Span("B", 3, 4) not in theirs


# --------------------------------------------------------------------------- token level


def test_token_scores_and_confusion_match_sklearn():
    gold = [["B-A", "I-A", "O", "B-B"], ["O", "O"]]
    pred = [["B-A", "O", "O", "B-A"], ["I-A", "O"]]
    labels, cm = confusion_matrix(gold, pred)
    assert labels == ["B-A", "I-A", "B-B", "O"]
    flat_g = [t for s in gold for t in s]
    flat_p = [t for s in pred for t in s]
    assert np.array_equal(cm, sk_confusion(flat_g, flat_p, labels=labels))
    assert cm.sum() == 6 and cm.dtype == np.int64
    scores = label_scores(gold, pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, sup = sk_prfs(flat_g, flat_p, labels=labels, zero_division=0)
    for i, lab in enumerate(labels):
        assert scores[lab].precision == pytest.approx(p[i])
        assert scores[lab].recall == pytest.approx(r[i])
        assert scores[lab].f1 == pytest.approx(f[i])
        assert scores[lab].gold == sup[i]
    assert token_accuracy(gold, pred) == pytest.approx(3 / 6)
    with pytest.raises(
        ValueError, match="sentence 0, position 1: tag 'I-A' is not among the 2 labels"
    ):
        confusion_matrix(gold, pred, labels=["B-A", "O"])


# --------------------------------------------------------------------------- against seqeval

LENIENT_TAGS = ["O"] + [f"{p}-{t}" for p in "BIES" for t in ("A", "B", "creative-work")]


def _sentences(tags, max_sent=4, max_len=8):
    return st.lists(
        st.lists(st.sampled_from(tags), max_size=max_len), min_size=1, max_size=max_sent
    )


@st.composite
def gold_pred(draw, tags):
    gold = draw(_sentences(tags))
    pred = [draw(st.lists(st.sampled_from(tags), min_size=len(g), max_size=len(g))) for g in gold]
    return gold, pred


def _assert_same(ours, p, r, f, support):
    types = ours.types
    assert len(types) == len(p)
    for i, t in enumerate(types):
        v = ours.per_type[t]
        assert v.precision == pytest.approx(p[i], abs=1e-12)
        assert v.recall == pytest.approx(r[i], abs=1e-12)
        assert v.f1 == pytest.approx(f[i], abs=1e-12)
        assert v.gold == support[i]


@settings(max_examples=700, deadline=None)
@given(gold_pred(LENIENT_TAGS))
def test_conlleval_mode_equals_seqeval_default(data):
    gold, pred = data
    ours = span_scores(gold, pred, zero_division=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, support = sq_prfs(gold, pred, average=None, zero_division=0)
        micro = sq_f1(gold, pred, average="micro", zero_division=0)
        macro = sq_f1(gold, pred, average="macro", zero_division=0)
    _assert_same(ours, p, r, f, support)
    assert ours.micro.f1 == pytest.approx(micro, abs=1e-12)
    if ours.types:
        assert ours.macro.f1 == pytest.approx(macro, abs=1e-12)


STRICT = {
    "iob2": (IOB2, "BI"),
    "ioe2": (IOE2, "IE"),
    "bioes": (IOBES, "BIES"),
    "bilou": (BILOU, "BILU"),
}


@pytest.mark.parametrize("scheme", sorted(STRICT))
@settings(max_examples=350, deadline=None)
@given(data=st.data())
def test_strict_mode_equals_seqeval_strict(scheme, data):
    cls, prefixes = STRICT[scheme]
    tags = ["O"] + [f"{p}-{t}" for p in prefixes for t in ("A", "B")]
    gold, pred = data.draw(gold_pred(tags))
    # gold is mostly valid (as real annotations are): valid ones come from spans
    if data.draw(st.booleans()):
        gold = [convert(g, None, scheme, lossy_ok=True) for g in gold]
    ours = span_scores(gold, pred, mode="strict", scheme=scheme, zero_division=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, support = sq_prfs_strict(gold, pred, average=None, zero_division=0, scheme=cls)
        micro = sq_f1(gold, pred, average="micro", mode="strict", scheme=cls, zero_division=0)
    _assert_same(ours, p, r, f, support)
    assert ours.micro.f1 == pytest.approx(micro, abs=1e-12)


# --------------------------------------------------------------------------- real data


def _read_tags(path):
    sents, cur = [], []
    for line in open(path, encoding="utf-8"):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if cur:
                sents.append(cur)
                cur = []
            continue
        cur.append(fields[-1])
    if cur:
        sents.append(cur)
    return sents


def test_conll2003_test_gold_vs_gold_and_iob2(data_dir):
    gold = _read_tags(data_dir / "conll2003" / "eng.testb")
    s = span_scores(gold, gold)
    assert (s.micro.gold, s.micro.predicted, s.micro.correct) == (5648, 5648, 5648)
    assert s.micro.f1 == 1.0 and s.n_tokens == 46435
    assert {t: v.gold for t, v in s.per_type.items()} == {
        "LOC": 1668,
        "MISC": 702,
        "ORG": 1661,
        "PER": 1617,
    }
    # the same phrases in IOB2, BIOES: conlleval decoding of IOB1 vs IOB2 agrees on every span
    iob2 = [convert(g, "iob1", "iob2") for g in gold]
    s2 = span_scores(gold, iob2)
    assert s2.micro.correct == 5648 and s2.micro.f1 == 1.0
    bioes = [convert(g, "iob2", "bioes") for g in iob2]
    with pytest.raises(SchemeError, match="predicted sentence 0: .*prefix 'S'"):
        span_scores(iob2, bioes, mode="strict", scheme="iob2")  # BIOES tags are not IOB2
    assert span_scores(bioes, bioes, mode="strict", scheme="bioes").micro.correct == 5648


# --------------------------------------------------------------------------- sklearn-crfsuite


def test_flat_scores_equal_sklearn_crfsuite():
    import random

    from sklearn_crfsuite import metrics as skc

    from crftagger import metrics

    rng = random.Random(7)
    labels = ["O", "B-A", "I-A", "B-B"]
    for _ in range(60):
        lengths = [rng.randint(0, 5) for _ in range(rng.randint(1, 4))]
        if not sum(lengths):
            continue
        gold = [[rng.choice(labels) for _ in range(n)] for n in lengths]
        pred = [[rng.choice(labels) for _ in range(n)] for n in lengths]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert metrics.flat_accuracy_score(gold, pred) == skc.flat_accuracy_score(gold, pred)
            for avg in ("micro", "macro", "weighted"):
                for name in ("flat_precision_score", "flat_recall_score", "flat_f1_score"):
                    ours = getattr(metrics, name)(gold, pred, average=avg)
                    assert ours == getattr(skc, name)(gold, pred, average=avg)
                assert metrics.flat_fbeta_score(gold, pred, 0.5, average=avg) == (
                    skc.flat_fbeta_score(gold, pred, 0.5, average=avg)
                )
            assert metrics.flat_classification_report(gold, pred, digits=3) == (
                skc.flat_classification_report(gold, pred, digits=3)
            )
            assert metrics.flat_classification_report(gold, pred, labels=["B-A", "O"]) == (
                skc.flat_classification_report(gold, pred, labels=["B-A", "O"])
            )
        exact = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
        assert metrics.sequence_accuracy_score(gold, pred) == exact
        if len(set(lengths)) > 1:  # ragged: sklearn-crfsuite 0.5 compares whole sequences
            assert skc.sequence_accuracy_score(gold, pred) == exact


def test_sequence_accuracy_whole_sequences_where_sklearn_crfsuite_05_counts_tokens():
    from sklearn_crfsuite import metrics as skc

    from crftagger import metrics

    # sentences of one length: sklearn-crfsuite 0.5 stacks them into a 2-D array and counts
    # equal tokens (3 of 4 here, / 1 sentence); 0.3.6 and crftagger count equal sentences
    gold, pred = [["O", "O", "B-A", "B-B"]], [["B-B", "O", "B-A", "B-B"]]
    assert metrics.sequence_accuracy_score(gold, pred) == 0.0
    assert skc.sequence_accuracy_score(gold, pred) == 3.0


def test_flat_scores_refuse_misaligned_sentences():
    from crftagger import metrics

    # sklearn-crfsuite flattens first, so equal totals hide misaligned sentences; here they
    # are refused, naming the sentence
    with pytest.raises(LengthMismatchError, match="sentence 0: gold has 1 tags but prediction"):
        metrics.flat_accuracy_score([["O"], ["O", "B-A"]], [["O", "O"], ["B-A"]])
    with pytest.raises(LengthMismatchError, match="gold has 2 sentences"):
        metrics.sequence_accuracy_score([["O"], ["O"]], [["O"]])
    assert metrics.sequence_accuracy_score([], []) == 0
