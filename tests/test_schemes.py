"""Tag schemes: decoding, validation messages, repair policies, conversion."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crftagger.schemes import (
    SCHEMES,
    SchemeError,
    Span,
    compatible_schemes,
    convert,
    detect_scheme,
    extract_spans,
    get_scheme,
    scheme_violations,
    split_tag,
    tags_from_spans,
    validate,
    validate_corpus,
)

# --------------------------------------------------------------------------- basics


def test_split_tag_first_hyphen_and_case():
    assert split_tag("B-creative-work") == ("B", "creative-work")
    assert split_tag("I-timeRange") == ("I", "timeRange")
    assert split_tag("O") == ("O", "")
    assert split_tag("NN") == ("NN", "")


def test_aliases_and_unknown_scheme():
    assert get_scheme("BIO").name == "iob2"
    assert get_scheme("IOBES").name == "bioes"
    with pytest.raises(ValueError, match="unknown tag scheme 'xyz'"):
        get_scheme("xyz")


def test_lenient_decoding_is_conlleval():
    # I- after O starts a span, B- always starts one, type change ends one.
    tags = ["I-LOC", "I-LOC", "B-LOC", "I-PER", "O", "B-ORG", "I-ORG", "I-MISC"]
    assert extract_spans(tags) == [
        Span("LOC", 0, 2),
        Span("LOC", 2, 3),
        Span("PER", 3, 4),
        Span("ORG", 5, 7),
        Span("MISC", 7, 8),
    ]
    # E-/S- are read as seqeval's default mode does.
    assert extract_spans(["B-X", "E-X", "E-X", "S-X", "S-X", "I-X"]) == [
        Span("X", 0, 2),
        Span("X", 2, 3),
        Span("X", 3, 4),
        Span("X", 4, 5),
        Span("X", 5, 6),
    ]


def test_hyphenated_types():
    tags = ["B-creative-work", "I-creative-work", "B-creative-work"]
    assert extract_spans(tags, "iob2") == [Span("creative-work", 0, 2), Span("creative-work", 2, 3)]


# --------------------------------------------------------------------------- validate


def test_validate_accepts_valid_sequences():
    validate(["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], "iob2")
    validate(["I-PER", "I-PER", "B-PER", "O", "I-LOC"], "iob1")
    validate(["B-PER", "E-PER", "S-LOC", "O"], "bioes")
    validate(["B-PER", "L-PER", "U-LOC", "O"], "bilou")
    validate(["I-PER", "E-PER", "E-PER", "O", "E-LOC"], "ioe2")
    validate(["I-PER", "E-PER", "I-PER", "O", "I-LOC"], "ioe1")
    validate([], "bioes")


def test_validate_message_names_position_found_previous_expected():
    with pytest.raises(SchemeError) as info:
        validate(["B-PER", "O", "I-PER", "I-PER"], "iob2")
    err = info.value
    assert (err.position, err.found, err.previous) == (2, "I-PER", "O")
    assert err.expected == ["O", "B-PER"]
    assert "position 2" in str(err) and "'I-PER'" in str(err) and "after 'O'" in str(err)
    assert "'B-PER'" in str(err)


def test_validate_unclosed_span_and_sentence_end():
    with pytest.raises(SchemeError) as info:
        validate(["B-PER", "I-PER", "O"], "bioes")
    assert (info.value.position, info.value.found, info.value.previous) == (2, "O", "I-PER")
    assert info.value.expected == ["I-PER", "E-PER"]
    with pytest.raises(SchemeError) as info:
        validate(["O", "B-PER"], "bioes")
    assert info.value.position == 1 and "cannot end the sentence" in str(info.value)
    assert info.value.expected == ["O", "S-PER"]


@pytest.mark.parametrize(
    "tags, scheme, position",
    [
        (["O", "B-X"], "iob1", 1),  # IOB1 B- only after the same type
        (["I-X", "B-Y"], "iob1", 1),
        (["E-X", "O"], "ioe1", 1),  # IOE1 E- only before the same type
        (["I-X", "I-Y"], "ioe2", 1),  # IOE2 spans end with E-
        (["I-X"], "ioe2", 0),
        (["S-X", "I-X", "E-X"], "bioes", 1),
        (["B-X", "B-X", "E-X"], "bioes", 1),
        (["B-X", "I-Y", "E-Y"], "bioes", 1),
        (["O", "L-X"], "bilou", 1),
        (["O", "I-X"], "io", None),
    ],
)
def test_validate_rules(tags, scheme, position):
    if position is None:
        validate(tags, scheme)
    else:
        with pytest.raises(SchemeError) as info:
            validate(tags, scheme)
        assert info.value.position == position


def test_unknown_prefix_and_missing_type_always_raise():
    with pytest.raises(SchemeError, match="tag 'E-X' has prefix 'E'; iob2 expects"):
        validate(["B-X", "E-X"], "iob2")
    with pytest.raises(SchemeError, match="'B-' has no type"):
        extract_spans(["B-"])
    with pytest.raises(SchemeError, match="prefix 'NN'"):
        extract_spans(["NN"], repair="begin")
    with pytest.raises(SchemeError, match="has prefix 'E'"):
        convert(["E-X"], "iob2", "bioes", repair="outside")


class _Sentence:
    def __init__(self, tags, source, line):
        self.columns = {"ner": tags}
        self.source, self.line = source, line


def test_validate_corpus_names_sentence_file_and_line():
    sents = [_Sentence(["B-X", "I-X"], "a.conll", 1), _Sentence(["O", "I-X"], "a.conll", 4)]
    with pytest.raises(SchemeError) as info:
        validate_corpus(sents, "iob2", column="ner")
    msg = str(info.value)
    assert msg.startswith("a.conll sentence 1 starting at line 4: position 1:")
    assert info.value.sentence == 1 and info.value.line == 4
    assert validate_corpus([["B-X"], ["O"]], "iob2") == 2
    with pytest.raises(SchemeError, match="^sentence 1: position 0"):
        validate_corpus([["B-X"], ["I-X"]], "iob2")


# --------------------------------------------------------------------------- repairs


def test_repair_policies_on_orphan_continuation():
    tags = ["O", "I-PER", "I-PER", "B-PER", "O"]
    with pytest.raises(SchemeError, match="position 1"):
        convert(tags, "iob2", "bioes")
    assert convert(tags, "iob2", "bioes", repair="begin") == ["O", "B-PER", "E-PER", "S-PER", "O"]
    assert convert(tags, "iob2", "bioes", repair="outside") == ["O", "O", "O", "S-PER", "O"]


def test_repair_policies_on_e_without_b_and_unclosed_span():
    tags = ["O", "E-X", "B-Y", "I-Y", "O"]
    with pytest.raises(SchemeError, match="position 1: found 'E-X' after 'O'"):
        extract_spans(tags, "bioes")
    assert extract_spans(tags, "bioes", repair="begin") == [Span("X", 1, 2), Span("Y", 2, 4)]
    assert extract_spans(tags, "bioes", repair="outside") == []


def test_repair_begin_equals_lenient_decoding_for_iob2():
    tags = ["I-A", "I-A", "O", "I-B", "B-B", "I-A"]
    assert extract_spans(tags, "iob2", repair="begin") == extract_spans(tags)


def test_unknown_repair_policy():
    with pytest.raises(ValueError, match="unknown repair policy 'fix'"):
        extract_spans(["O"], "iob2", repair="fix")


# --------------------------------------------------------------------------- writing


def test_tags_from_spans_each_scheme():
    spans = [Span("P", 0, 2), Span("P", 2, 3), Span("L", 4, 5)]
    expected = {
        "iob1": ["I-P", "I-P", "B-P", "O", "I-L"],
        "iob2": ["B-P", "I-P", "B-P", "O", "B-L"],
        "ioe1": ["I-P", "E-P", "I-P", "O", "I-L"],
        "ioe2": ["I-P", "E-P", "E-P", "O", "E-L"],
        "bioes": ["B-P", "E-P", "S-P", "O", "S-L"],
        "bilou": ["B-P", "L-P", "U-P", "O", "U-L"],
    }
    for name, tags in expected.items():
        assert tags_from_spans(spans, 5, name) == tags
        assert extract_spans(tags, name) == spans


def test_io_cannot_separate_adjacent_spans():
    spans = [Span("P", 0, 2), Span("P", 2, 3)]
    with pytest.raises(SchemeError, match="io cannot separate the adjacent P spans"):
        tags_from_spans(spans, 3, "io")
    with pytest.raises(SchemeError, match="lossy_ok=True"):
        convert(["B-P", "I-P", "B-P"], "iob2", "io")
    assert convert(["B-P", "I-P", "B-P"], "iob2", "io", lossy_ok=True) == ["I-P"] * 3


def test_tags_from_spans_rejects_overlap_and_bounds():
    with pytest.raises(SchemeError, match="overlap"):
        tags_from_spans([Span("A", 0, 3), Span("B", 2, 4)], 5, "iob2")
    with pytest.raises(SchemeError, match="outside the sequence of length 3"):
        tags_from_spans([Span("A", 2, 4)], 3, "iob2")
    with pytest.raises(SchemeError, match="empty"):
        tags_from_spans([Span("A", 2, 2)], 3, "iob2")


# --------------------------------------------------------------------------- detection


def test_detect_scheme():
    assert detect_scheme([["B-X", "I-X", "O"], ["B-Y"]]) == "iob2"
    assert detect_scheme([["I-X", "I-X", "B-X", "O"]]) == "iob1"
    assert detect_scheme([["I-X", "O", "I-Y"]]) == "io"  # also IOB1/IOE1: documented
    assert detect_scheme([["O", "O"]]) == "iob2"
    assert compatible_schemes([["I-X", "O", "I-Y"]]) == ["io", "iob1", "ioe1"]
    assert len(compatible_schemes([["O"]])) == 7
    assert compatible_schemes([["B-X", "O", "I-X"]]) == []
    assert detect_scheme([["I-X", "E-X", "O", "E-Y"]]) == "ioe2"
    assert detect_scheme([["I-X", "E-X", "I-X", "O"]]) == "ioe1"
    assert detect_scheme([["B-X", "E-X", "S-Y"]]) == "bioes"
    assert detect_scheme([["B-X", "L-X", "U-Y"]]) == "bilou"
    mixed = [["I-X", "I-X", "B-X"]] * 50 + [["O", "B-X"]]  # IOB1 with one slip
    with pytest.raises(SchemeError, match="no tag scheme fits"):
        detect_scheme(mixed)
    assert detect_scheme(mixed, tolerance=0.01) == "iob1"
    counts = scheme_violations(mixed)
    assert counts["iob1"] == 1 and counts["iob2"] == 50 and counts["ioe2"] is None


# --------------------------------------------------------------------------- properties

TYPES = ["A", "B", "creative-work"]
ALL_SCHEMES = sorted(SCHEMES)


@st.composite
def span_sets(draw, max_len=12):
    """Random non-overlapping spans on a sequence of random length."""
    n = draw(st.integers(0, max_len))
    spans, i = [], 0
    while i < n:
        if draw(st.booleans()):
            length = draw(st.integers(1, min(4, n - i)))
            spans.append(Span(draw(st.sampled_from(TYPES)), i, i + length))
            i += length
        else:
            i += 1
    return spans, n


def _separable(spans):
    return all(
        not (a.end == b.start and a.type == b.type) for a, b in zip(spans, spans[1:], strict=False)
    )


@settings(max_examples=1000, deadline=None)
@given(span_sets(), st.sampled_from(ALL_SCHEMES), st.sampled_from(ALL_SCHEMES))
def test_round_trip_all_scheme_pairs(data, src, dst):
    spans, n = data
    if not _separable(spans) and "io" in (src, dst):
        with pytest.raises(SchemeError):
            tags_from_spans(spans, n, "io")
        return
    tags = tags_from_spans(spans, n, src)
    validate(tags, src)
    assert extract_spans(tags, src) == spans
    out = convert(tags, src, dst)
    validate(out, dst)
    assert extract_spans(out, dst) == spans
    assert convert(out, dst, src) == tags  # valid sequences are canonical
    if src in ("iob1", "iob2"):
        assert extract_spans(tags) == spans  # lenient decoding reads both


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["O", "B-A", "I-A", "E-A", "S-A", "B-B", "I-B", "E-B", "S-B"]), max_size=10
    ),
    st.sampled_from(["iob2", "bioes", "ioe2"]),
)
def test_repair_outcomes_are_valid(tags, src):
    scheme = get_scheme(src)
    if any(split_tag(t)[0] not in scheme.roles for t in tags if t != "O"):
        return
    # "begin" is conlleval's reading of the scheme's own prefixes
    assert extract_spans(tags, src, repair="begin") == extract_spans(tags)
    for repair in ("begin", "outside"):
        spans = extract_spans(tags, src, repair=repair)
        out = tags_from_spans(spans, len(tags), src)  # never overlapping, always in range
        validate(out, src)
    try:
        validate(tags, src)
    except SchemeError as err:
        assert 0 <= err.position <= len(tags)
        with pytest.raises(SchemeError):
            extract_spans(tags, src)
    else:
        # on valid input every policy reads the same spans
        spans = extract_spans(tags, src)
        assert extract_spans(tags, src, repair="begin") == spans
        assert extract_spans(tags, src, repair="outside") == spans


# --------------------------------------------------------------------------- real data


def test_conll2003_train_is_iob1_with_two_documented_slips(data_dir):
    from crftagger.corpora.conll import read_conll

    path = data_dir / "conll2003" / "eng.train"
    sents = list(read_conll(path, ("word", "pos", "chunk", "ner")))
    ner = [s.columns["ner"] for s in sents]
    counts = scheme_violations(ner, ["iob1", "iob2", "ioe2"])
    # iob2: every I- start (23,427 "I-without-B" in the corpus notes) plus the two B- slips
    assert counts == {"iob1": 2, "iob2": 23427, "ioe2": None}
    assert detect_scheme(ner, tolerance=1e-4) == "iob1"
    with pytest.raises(SchemeError) as info:
        validate_corpus(sents, "iob1", column="ner")
    err = info.value
    assert err.line + err.position == 152428  # "Atlanta NNP I-NP B-MISC" after O
    assert (err.found, err.previous) == ("B-MISC", "O")
    assert str(err).startswith(f"{path} sentence {err.sentence} starting at line {err.line}:")
    spans = [sp for tags in ner for sp in extract_spans(tags)]
    assert len(spans) == 23499


def test_conll2002_stray_i_start_located(data_dir):
    from crftagger.corpora.conll import read_conll

    sents = list(read_conll(data_dir / "conll2002_es" / "esp.testb", ("word", "pos", "ner")))
    assert scheme_violations([s.columns["ner"] for s in sents], ["iob2"]) == {"iob2": 1}
    with pytest.raises(SchemeError) as info:
        validate_corpus(sents, "iob2", column="ner")
    assert info.value.line + info.value.position == 9291
    assert info.value.found == "I-MISC"
