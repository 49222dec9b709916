"""crftagger.metrics against seqeval on thousands of random sequences, and each difference pinned.

Claimed equal (per-type precision, recall, F1 and support; micro, macro and
weighted averages; ``zero_division`` 0 and 1):

- ``mode="conlleval"`` and seqeval's default mode, on tags with the prefixes
  B, I, E, S (typed, typeless, and suffix-style with ``suffix=True``);
- ``mode="strict"`` and seqeval's strict mode for IOB2, IOE2, BIOES, BILOU;
- ``mode="strict"`` for IOB1 and IOE1 and seqeval's strict mode with the
  patterns its IOB1 and IOE1 tables miss added (listed in
  ``crftagger.metrics``); the tests below show each missing pattern losing a
  well-formed span in seqeval.

Not claimed: BILOU in the default mode (seqeval's default mode has no rule for
L- and U-), and scheme detection (seqeval looks only at the prefixes used).
"""

from __future__ import annotations

import random
import warnings

import pytest
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support as sq_default
from seqeval.metrics.v1 import precision_recall_fscore_support as sq_strict
from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, IOE1, IOE2, Tag, Tokens, auto_detect
from seqeval.scheme import Prefix as P
from sklearn.exceptions import UndefinedMetricWarning

from crftagger.errors import SchemeError
from crftagger.metrics import span_scores
from crftagger.schemes import Span, convert, decode, detect_scheme

N_PAIRS = 2000  # random (gold, prediction) corpora of 1-4 sentences per scheme and mode
TYPES = ("A", "B", "creative-work")


class IOB1Completed(IOB1):
    """seqeval's IOB1 with the end pattern it lacks: a B-X span ends before B-Y."""

    end_patterns = IOB1.end_patterns | {(P.B, P.B, Tag.DIFF)}


class IOE1Completed(IOE1):
    """seqeval's IOE1 with the start patterns it lacks: E-X after O, I-Y or E-Y."""

    start_patterns = IOE1.start_patterns | {
        (P.O, P.E, Tag.ANY),
        (P.I, P.E, Tag.DIFF),
        (P.E, P.E, Tag.DIFF),
    }


STRICT = {
    "iob1": (IOB1Completed, "IB"),
    "iob2": (IOB2, "BI"),
    "ioe1": (IOE1Completed, "IE"),
    "ioe2": (IOE2, "IE"),
    "bioes": (IOBES, "BIES"),
    "bilou": (BILOU, "BILU"),
}


def _tags(prefixes, typeless=False, suffix=False):
    if typeless:
        return ["O", *prefixes]
    if suffix:
        return ["O"] + [f"{t}-{p}" for p in prefixes for t in TYPES]
    return ["O"] + [f"{p}-{t}" for p in prefixes for t in TYPES]


def _corpora(rng, tags, scheme=None):
    """A random gold and prediction; half the time gold is made valid in ``scheme``."""
    lengths = [rng.randint(0, 9) for _ in range(rng.randint(1, 4))]
    gold = [[rng.choice(tags) for _ in range(n)] for n in lengths]
    pred = [[rng.choice(tags) for _ in range(n)] for n in lengths]
    if scheme is not None and rng.random() < 0.5 and "-" in tags[-1]:
        gold = [convert(g, None, scheme, lossy_ok=True) for g in gold]
    return gold, pred


def _check(ours, theirs_per_type, theirs_avg, zd):
    p, r, f, support = theirs_per_type
    assert len(ours.types) == len(p)
    for i, t in enumerate(ours.types):
        v = ours.per_type[t]
        assert (v.precision, v.recall, v.gold) == (pytest.approx(p[i], abs=1e-12), r[i], support[i])
        assert v.f1 == pytest.approx(f[i], abs=1e-12)
    for name in theirs_avg:
        if name == "macro" and not ours.types:
            continue  # seqeval: mean of nothing is nan; here zero_division
        got = getattr(ours, name)
        want = theirs_avg[name]
        assert got.precision == pytest.approx(want[0], abs=1e-12), name
        assert got.recall == pytest.approx(want[1], abs=1e-12), name
        assert got.f1 == pytest.approx(want[2], abs=1e-12), name


def _seqeval(fn, gold, pred, zd, averages=True, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_type = fn(gold, pred, average=None, zero_division=zd, **kw)
        if not averages:
            return per_type, {}
        avg = {
            a: fn(gold, pred, average=a, zero_division=zd, **kw)
            for a in ("micro", "macro", "weighted")
        }
    return per_type, avg


@pytest.mark.parametrize("variant", ["typed", "typeless", "suffix"])
def test_default_mode_equals_seqeval_default(variant):
    rng = random.Random(f"default-{variant}")
    tags = _tags("BIES", typeless=variant == "typeless", suffix=variant == "suffix")
    suffix = variant == "suffix"
    n_spans = 0
    for k in range(N_PAIRS):
        gold, pred = _corpora(rng, tags)
        zd = k % 2
        ours = span_scores(gold, pred, zero_division=zd, suffix=suffix)
        _check(ours, *_seqeval(sq_default, gold, pred, zd, k % 4 < 2, suffix=suffix), zd)
        n_spans += ours.micro.gold
    assert n_spans > N_PAIRS  # the corpora are not empty of spans


@pytest.mark.parametrize("scheme", sorted(STRICT))
@pytest.mark.parametrize("suffix", [False, True])
def test_strict_mode_equals_seqeval_strict(scheme, suffix):
    cls, prefixes = STRICT[scheme]
    rng = random.Random(f"strict-{scheme}-{suffix}")
    tags = _tags(prefixes, suffix=suffix)
    n_spans = 0
    for k in range(N_PAIRS):
        gold, pred = _corpora(rng, tags, None if suffix else scheme)
        zd = k % 2
        ours = span_scores(gold, pred, "strict", scheme, zero_division=zd, suffix=suffix)
        _check(ours, *_seqeval(sq_strict, gold, pred, zd, k % 4 < 2, scheme=cls, suffix=suffix), zd)
        n_spans += ours.micro.gold
    assert n_spans > N_PAIRS


@pytest.mark.parametrize("scheme", sorted(STRICT))
def test_strict_typeless_tags_equal_seqeval(scheme):
    cls, prefixes = STRICT[scheme]
    rng = random.Random(f"typeless-{scheme}")
    for _ in range(500):
        gold, pred = _corpora(rng, _tags(prefixes, typeless=True))
        ours = span_scores(gold, pred, "strict", scheme, zero_division=0)
        _check(ours, *_seqeval(sq_strict, gold, pred, 0, scheme=cls), 0)
        for g in gold:
            theirs = [Span(e.tag, e.start, e.end) for e in Tokens(g, cls).entities]
            assert decode([f"{t}-_" if t != "O" else t for t in g], scheme, "outside") == theirs


# --------------------------------------------------------------------------- differences


def _seqeval_spans(tags, cls):
    return [Span(e.tag, e.start, e.end) for e in Tokens(tags, cls).entities]


def test_iob1_seqeval_misses_end_of_b_span_before_other_type():
    # I-A B-A is two A spans; B-B after them is not valid IOB1, but A(1,2) is well formed
    tags = ["I-A", "B-A", "B-B"]
    assert decode(tags, "iob1", "outside") == [Span("A", 0, 1), Span("A", 1, 2)]
    assert _seqeval_spans(tags, IOB1) == [Span("A", 0, 1)]
    assert _seqeval_spans(tags, IOB1Completed) == [Span("A", 0, 1), Span("A", 1, 2)]


def test_iob1_b_after_a_dropped_tag_of_its_type_is_a_span():
    # the first B-PER (after the start) is not IOB1 and is dropped; the second follows a
    # PER tag as written, so it is a span, as in seqeval
    tags = ["B-PER", "B-PER"]
    assert decode(tags, "iob1", "outside") == [Span("PER", 1, 2)]
    assert _seqeval_spans(tags, IOB1) == [Span("PER", 1, 2)]
    with pytest.raises(SchemeError, match="position 0"):
        decode(tags, "iob1")


@pytest.mark.parametrize(
    "tags, lost, valid",
    [
        (["E-A", "I-A"], Span("A", 0, 1), True),  # after the sentence start
        (["I-B", "E-A", "I-A"], Span("A", 1, 2), True),  # after another type's I-
        (["I-B", "E-B", "E-A", "I-A"], Span("A", 2, 3), False),  # after another type's E-
    ],
)
def test_ioe1_seqeval_misses_one_token_spans(tags, lost, valid):
    # seqeval loses a well-formed one-token span; the first two sequences are valid IOE1
    # (convert writes them so), in the third E-B is dropped as E- needs its type after it
    ours = decode(tags, "ioe1", "outside")
    if valid:
        assert convert(tags, "ioe1", "ioe1") == tags and decode(tags, "ioe1") == ours
    assert lost in ours and lost not in _seqeval_spans(tags, IOE1)
    assert _seqeval_spans(tags, IOE1Completed) == ours


def test_bilou_default_mode_reads_l_and_u_seqeval_default_does_not():
    # seqeval's default mode has no rule for L- and U- (it warns "seems not to be NE tag")
    for tags, ours in [
        (["U-A", "U-A"], [Span("A", 0, 1), Span("A", 1, 2)]),
        (["B-A", "L-A", "B-A", "L-A"], [Span("A", 0, 2), Span("A", 2, 4)]),
    ]:
        assert decode(tags, None) == ours
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = [Span(t, s, e + 1) for t, s, e in get_entities(tags)]
        assert theirs != ours
        # the scheme-aware reading, which is seqeval's strict BILOU
        assert decode(tags, "bilou", "outside") == ours == _seqeval_spans(tags, BILOU)


def test_detection_needs_valid_data_seqeval_looks_at_prefixes():
    # IOB1 data: seqeval's auto_detect says IOB2 (its strict IOB2 then drops I- starts)
    iob1 = [["I-PER", "I-PER", "B-PER", "O"]]
    assert detect_scheme(iob1) == "iob1" and auto_detect(iob1) is IOB2
    # fits no scheme: refused with the counts (a tolerance admits slips); seqeval says IOB2
    mixed = [["I-A", "O", "B-A"]]
    with pytest.raises(SchemeError, match="no tag scheme fits.*iob2: 1 invalid positions"):
        detect_scheme(mixed)
    assert detect_scheme(mixed, tolerance=0.34) == "iob2" and auto_detect(mixed) is IOB2
    # IOE1, which seqeval cannot detect, is detected here; seqeval says IOE2, whose
    # strict reading loses the trailing one-token span
    ioe1 = [["I-A", "E-A", "I-A"]]
    assert detect_scheme(ioe1) == "ioe1" and auto_detect(ioe1) is IOE2
    assert decode(ioe1[0], "ioe1") == [Span("A", 0, 2), Span("A", 2, 3)]
    assert _seqeval_spans(ioe1[0], IOE2) == [Span("A", 0, 2)]


# --------------------------------------------------------------------------- zero division


def test_undefined_ratios_warn_as_seqeval_does():
    gold = [["B-A", "O", "B-B"]]
    pred = [["B-A", "B-C", "O"]]  # B never predicted, C never in gold
    with pytest.warns(UndefinedMetricWarning) as ours:
        s = span_scores(gold, pred)
    msg = str(ours[0].message)
    assert "no predicted span: B" in msg and "no gold span: C" in msg
    with pytest.warns(UndefinedMetricWarning):
        sq_default(gold, pred, average=None)
    assert s.per_type["B"].precision == 0.0 and s.per_type["C"].recall == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = span_scores(gold, pred, zero_division=1)
        span_scores(gold, pred, zero_division=0)
        span_scores(gold, gold)  # every ratio defined: no warning
    assert one.per_type["B"].precision == 1.0 and one.per_type["C"].recall == 1.0
    with pytest.raises(ValueError, match="zero_division must be 'warn', 0 or 1, not 2"):
        span_scores(gold, pred, zero_division=2)


def test_weighted_average_by_hand():
    gold = [["B-A", "I-A", "O", "B-B", "B-B", "B-B"]]  # A: 1 span, B: 3
    pred = [["B-A", "I-A", "O", "B-B", "O", "O"]]
    s = span_scores(gold, pred)
    assert s.per_type["A"].f1 == 1.0 and s.per_type["B"].f1 == pytest.approx(0.5)
    assert s.weighted.f1 == pytest.approx((1 * 1.0 + 3 * 0.5) / 4)
    assert s.macro.f1 == pytest.approx(0.75)
    assert s.weighted.recall == pytest.approx((1 + 3 * (1 / 3)) / 4)
