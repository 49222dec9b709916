"""Subword alignment: word labels to subword labels and back, on tokenizers trained here.

The WordPiece and BPE tokenizers are trained in this module (``tokenizers``
library, no download) on the words of the first sentences of CoNLL-2003
train, so most words split into several pieces.
"""

from __future__ import annotations

import doctest
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

from crftagger.errors import CrftaggerError, SchemeError
from crftagger.metrics import span_scores
from crftagger.schemes import Span, convert, decode, get_scheme, tags_from_spans, validate
from crftagger.text import subword
from crftagger.text.subword import (
    IGNORE_INDEX,
    SubwordAlignmentError,
    check_word_ids,
    encoding_word_ids,
    probabilities_to_word_labels,
    subword_to_word_labels,
    word_ids_from_offsets,
    word_to_subword_labels,
)

REPO = Path(__file__).resolve().parent.parent
N_SENTENCES = 400
SPAN_SCHEMES = ("iob2", "bioes")
BACK = ("first", "majority", "mean")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def conll(data_dir):
    from crftagger.corpora import load

    sents = load("conll2003", "train", data_dir)[:N_SENTENCES]
    assert len(sents) == N_SENTENCES
    return sents


def _train_wordpiece(texts):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=400, special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]"]
    )
    tok.train_from_iterator(texts, trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return tok


def _train_bpe(texts):
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        special_tokens=["<s>", "</s>", "<pad>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")),
        ("<s>", tok.token_to_id("<s>")),
        trim_offsets=True,
        add_prefix_space=True,
    )
    return tok


@pytest.fixture(scope="module")
def toks(conll):
    texts = [" ".join(s.tokens) for s in conll]
    return {"wordpiece": _train_wordpiece(texts), "bpe": _train_bpe(texts)}


@pytest.fixture(scope="module")
def vocabulary(conll):
    return sorted({w for s in conll for w in s.tokens})


def _gold(sent, scheme):
    # CoNLL-2003 train is IOB1 with two documented slips; read them as conlleval does
    return convert(sent["ner"], "iob1", scheme, repair="begin")


def _one_hot(labels, subword_labels, fill="uniform"):
    """One row per subword: one-hot for a label, uniform for the ignore value / specials."""
    probs = np.full((len(subword_labels), len(labels)), 1.0 / len(labels))
    for p, lab in enumerate(subword_labels):
        if lab is not None:
            probs[p] = 0.0
            probs[p, labels.index(lab)] = 1.0
    return probs


def _label_set(sequences, scheme):
    types = sorted({t.partition("-")[2] for seq in sequences for t in seq if t != "O"})
    return ["O"] + [f"{p}-{t}" for t in types for p in get_scheme(scheme).roles]


def _round_trip(tags, word_ids, scheme, forward, back, labels):
    """Words -> subwords -> words. "majority" and "mean" rebuild each word's prefix from its
    pieces and must be exact without any repair; "first" reads the first piece as it is, and
    the default repair closes the BIOES spans that "every" left open (S-X -> B-X I-X E-X)."""
    sub = word_to_subword_labels(tags, word_ids, forward, scheme=scheme)
    repair = "begin" if back == "first" else None
    if back == "mean":
        return probabilities_to_word_labels(
            _one_hot(labels, sub), labels, word_ids, "mean", scheme=scheme, repair=repair
        )
    return subword_to_word_labels(sub, word_ids, back, scheme=scheme, repair=repair)


# --------------------------------------------------------------------------- hand-made cases


def test_every_rewrites_spans_over_subwords_iob2():
    # [CLS] Jo ##h ##n Ma ##ry runs [SEP]; two adjacent PER spans
    ids = [None, 0, 0, 0, 1, 1, 2, None]
    got = word_to_subword_labels(["B-PER", "B-PER", "O"], ids, "every", scheme="bio")
    assert got == [None, "B-PER", "I-PER", "I-PER", "B-PER", "I-PER", "O", None]


def test_every_rewrites_spans_over_subwords_bioes():
    ids = [0, 0, 0, 1, 1, 2, 2, 3]
    tags = ["S-PER", "B-ORG", "E-ORG", "S-LOC"]
    got = word_to_subword_labels(tags, ids, "every", scheme="iobes")
    assert got == ["B-PER", "I-PER", "E-PER", "B-ORG", "I-ORG", "I-ORG", "E-ORG", "S-LOC"]
    # and back, with each strategy
    labels = _label_set([tags], "bioes")
    for back in ("first", "majority"):
        assert subword_to_word_labels(got, ids, back, scheme="bioes") == tags
    assert probabilities_to_word_labels(_one_hot(labels, got), labels, ids, scheme="bioes") == tags
    # majority and mean rebuild S-/E- from the pieces; first needs the repair to close spans
    assert subword_to_word_labels(got, ids, "majority", scheme="bioes", repair=None) == tags
    probs = _one_hot(labels, got)
    assert probabilities_to_word_labels(probs, labels, ids, scheme="bioes", repair=None) == tags
    assert subword_to_word_labels(got, ids, "first", scheme="bioes", repair=None) == [
        "B-PER",
        "B-ORG",
        "I-ORG",
        "S-LOC",
    ]


def test_ioe2_every_needs_majority_or_mean():
    # two adjacent LOC spans, each word in two pieces: the end of a span is on its last piece
    ids = [0, 0, 1, 1, 2]
    tags = ["E-LOC", "E-LOC", "O"]
    got = word_to_subword_labels(tags, ids, "every", scheme="ioe2")
    assert got == ["I-LOC", "E-LOC", "I-LOC", "E-LOC", "O"]
    assert subword_to_word_labels(got, ids, "majority", scheme="ioe2", repair=None) == tags
    labels = ["O", "I-LOC", "E-LOC"]
    probs = _one_hot(labels, got)
    assert probabilities_to_word_labels(probs, labels, ids, scheme="ioe2", repair=None) == tags
    # the first pieces alone merge the two spans (documented)
    assert subword_to_word_labels(got, ids, "first", scheme="ioe2") == ["I-LOC", "E-LOC", "O"]


def test_first_and_every_without_scheme_and_ignore_values():
    ids = [None, 0, 0, 1, None, None]
    assert word_to_subword_labels(["NNP", "VBZ"], ids) == [None, "NNP", None, "VBZ", None, None]
    assert word_to_subword_labels(["NNP", "VBZ"], ids, "every") == [
        None,
        "NNP",
        "NNP",
        "VBZ",
        None,
        None,
    ]
    assert word_to_subword_labels(["NNP", "VBZ"], ids, ignore="X") == [
        "X",
        "NNP",
        "X",
        "VBZ",
        "X",
        "X",
    ]
    label2id = {"O": 0, "B-PER": 1, "I-PER": 2}
    got = word_to_subword_labels(["B-PER", "O"], ids, "every", scheme="iob2", label2id=label2id)
    assert got == [IGNORE_INDEX, 1, 2, 0, IGNORE_INDEX, IGNORE_INDEX]
    got = word_to_subword_labels(["B-PER", "O"], ids, "first", label2id=label2id)
    assert got == [-100, 1, -100, 0, -100, -100]
    id2label = ["O", "B-PER", "I-PER"]
    assert subword_to_word_labels(got, ids, id2label=id2label) == ["B-PER", "O"]
    assert subword_to_word_labels(got, ids, id2label={0: "O", 1: "B-PER"}) == ["B-PER", "O"]


def test_majority_ties_go_to_the_first_seen():
    ids = [0, 0, 1, 1, 1, 1, 2, 2, 2]
    subs = ["A", "B", "B", "A", "A", "B", "A", "B", "B"]
    assert subword_to_word_labels(subs, ids, "majority") == ["A", "B", "B"]
    assert subword_to_word_labels(subs, ids, "first") == ["A", "B", "A"]


def test_mean_differs_from_first_and_majority():
    labels = ["A", "B"]
    ids = [None, 0, 0, 0, None]
    probs = [[0.5, 0.5], [0.6, 0.4], [0.1, 0.9], [0.6, 0.4], [1.0, 0.0]]
    assert probabilities_to_word_labels(probs, labels, ids, "first") == ["A"]
    assert probabilities_to_word_labels(probs, labels, ids, "majority") == ["A"]
    assert probabilities_to_word_labels(probs, labels, ids, "mean") == ["B"]


def test_scheme_votes_on_types_and_rebuilds_the_prefix():
    ids = [0, 0, 0, 1, 1, 1]
    subs = ["B-PER", "I-PER", "I-PER", "B-PER", "I-PER", "I-PER"]
    # opaque labels: the majority is I-PER, and the two spans merge
    assert subword_to_word_labels(subs, ids, "majority") == ["I-PER", "I-PER"]
    assert subword_to_word_labels(subs, ids, "majority", scheme="iob2") == ["B-PER", "B-PER"]
    # the type with the most subwords wins; the prefix comes from its subwords
    ids = [0, 0, 0, 1, 1]
    subs = ["O", "I-LOC", "I-LOC", "B-PER", "O"]
    assert subword_to_word_labels(subs, ids, "majority", scheme="iob2", repair=None) == [
        "I-LOC",
        "B-PER",
    ]
    assert subword_to_word_labels(subs, ids, "majority", scheme="iob2") == ["B-LOC", "B-PER"]
    # mean: the argmax of the mean row is I-PER; with a scheme the prefix comes from the pieces
    labels = ["O", "B-PER", "I-PER"]
    probs = [[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]]
    assert probabilities_to_word_labels(probs, labels, [0, 0, 0]) == ["I-PER"]
    assert probabilities_to_word_labels(probs, labels, [0, 0, 0], scheme="iob2") == ["B-PER"]
    # no piece's own argmax is PER (each is O or LOC), the mean's is: the argmax label is kept
    labels = ["O", "B-PER", "B-LOC"]
    probs = [[0.4, 0.35, 0.25], [0.25, 0.35, 0.4]]
    got = probabilities_to_word_labels(probs, labels, [0, 0], scheme="iob2", repair=None)
    assert got == ["B-PER"]


def test_repair_policies_on_word_tags():
    ids = [0, 1, 1, 2]
    subs = ["O", "I-PER", "I-PER", "O"]  # an orphan I-PER in IOB2
    assert subword_to_word_labels(subs, ids, scheme="iob2") == ["O", "B-PER", "O"]
    assert subword_to_word_labels(subs, ids, scheme="iob2", repair="outside") == ["O", "O", "O"]
    assert subword_to_word_labels(subs, ids, scheme="iob2", repair=None) == ["O", "I-PER", "O"]
    with pytest.raises(SchemeError, match="position 1"):
        subword_to_word_labels(subs, ids, scheme="iob2", repair="error")


def test_word_ids_from_offsets_by_hand():
    # "New York's" as words New / York / 's; pieces: [CLS] New _ Yo rk 's [SEP]
    words = [(0, 3), (4, 8), (8, 10)]
    subs = [(0, 0), (0, 3), (3, 4), (4, 6), (6, 8), (8, 10), (0, 0)]
    assert word_ids_from_offsets(subs, words) == [None, 0, None, 1, 1, 2, None]
    # a non-special zero-width piece belongs to the word at its position
    subs = [(0, 0), (0, 3), (4, 4), (4, 8), (8, 10), (0, 0)]
    mask = [1, 0, 0, 0, 0, 1]
    assert word_ids_from_offsets(subs, words, mask) == [None, 0, 1, 1, 2, None]
    assert word_ids_from_offsets(subs, words) == [None, 0, None, 1, 2, None]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "ids, n, pattern",
    [
        ([0, 1, 0], None, r"word_ids\[2\]: found word id 0 after word id 1; expected 1 or 2"),
        ([0, None, 0, 1], None, r"word_ids\[2\]: word 0 resumes after a special token"),
        ([0, 0, 2], None, r"word_ids\[2\]: word id jumps from 0 to 2, so word 1 has no subword"),
        ([0, 3], None, r"words 1\.\.2 have no subword"),
        ([None, 1, 2], None, r"word_ids\[1\]: the first word id is 1, so word 0 has no subword"),
        ([0, -1], None, r"word_ids\[1\]: found -1; expected a word index"),
        ([0, "1"], None, r"word_ids\[1\]: found '1'"),
        ([0, True], None, r"word_ids\[1\]: found True"),
        ([0, 1], 3, r"found 3 words but the word ids name 2 words; word 2 has no subword"),
        ([0, 1, 2], 2, r"found 2 words but the word ids name 3 words"),
    ],
)
def test_bad_word_ids(ids, n, pattern):
    with pytest.raises(SubwordAlignmentError, match=pattern):
        check_word_ids(ids, n)


def test_errors_name_what_was_found_and_expected():
    ids = [None, 0, 0, 1, None]
    with pytest.raises(SubwordAlignmentError, match="found 3 word labels but the word ids name 2"):
        word_to_subword_labels(["O", "O", "O"], ids)
    with pytest.raises(SubwordAlignmentError, match="found 4 subword labels for 5 word ids"):
        subword_to_word_labels(["O"] * 4, ids)
    with pytest.raises(SubwordAlignmentError, match=r"word 1 \(subwords 3\.\.3\) has no label"):
        subword_to_word_labels([None, "O", "O", None, None], ids)
    with pytest.raises(SubwordAlignmentError, match="unknown strategy 'last'"):
        word_to_subword_labels(["O", "O"], ids, "last")
    with pytest.raises(SubwordAlignmentError, match="unknown strategy 'mode'"):
        subword_to_word_labels(["O"] * 5, ids, "mode")
    with pytest.raises(SubwordAlignmentError, match="'mean' needs per-subword probabilities"):
        subword_to_word_labels(["O"] * 5, ids, "mean")
    with pytest.raises(SubwordAlignmentError, match="unknown repair policy 'fix'"):
        subword_to_word_labels(["O"] * 5, ids, repair="fix")
    with pytest.raises(SubwordAlignmentError, match="label 'I-PER' is not in label2id"):
        word_to_subword_labels(
            ["B-PER", "O"], ids, "every", scheme="iob2", label2id={"B-PER": 1, "O": 0}
        )
    with pytest.raises(SubwordAlignmentError, match="found label id 7, which id2label does not"):
        subword_to_word_labels([-100, 0, 7, 1, -100], ids, id2label=["O", "B-PER"])
    with pytest.raises(SchemeError, match="position 1"):
        word_to_subword_labels(["O", "I-PER"], ids, scheme="iob2")  # invalid IOB2
    with pytest.raises(SchemeError, match="subword 2 of word 0: found 'E-PER'"):
        subword_to_word_labels([None, "B-PER", "E-PER", "O", None], ids, scheme="iob2")
    with pytest.raises(SubwordAlignmentError, match="call batch.word_ids"):
        word_to_subword_labels(["O"], lambda i: [0])  # type: ignore[arg-type]


def test_probability_errors():
    ids = [None, 0, 0, 1, None]
    labels = ["O", "B-PER", "I-PER"]
    with pytest.raises(SubwordAlignmentError, match=r"found shape \(5,\); expected \(5, 3\)"):
        probabilities_to_word_labels(np.zeros(5), labels, ids)
    with pytest.raises(SubwordAlignmentError, match=r"found shape \(5, 2\); expected \(5, 3\)"):
        probabilities_to_word_labels(np.zeros((5, 2)), labels, ids)
    with pytest.raises(SubwordAlignmentError, match=r"found shape \(4, 3\); expected \(5, 3\)"):
        probabilities_to_word_labels(np.zeros((4, 3)), labels, ids)
    bad = np.zeros((5, 3))
    bad[2, 1] = np.nan
    with pytest.raises(SubwordAlignmentError, match=r"probabilities\[2, 1\]: found nan"):
        probabilities_to_word_labels(bad, labels, ids)
    with pytest.raises(SubwordAlignmentError, match="found 'O' twice"):
        probabilities_to_word_labels(np.zeros((5, 4)), labels + ["O"], ids)
    with pytest.raises(SchemeError, match=r"labels\[1\]: found 'S-PER'"):
        probabilities_to_word_labels(np.zeros((5, 2)), ["O", "S-PER"], ids, scheme="iob2")


def test_offset_errors():
    words = [(0, 3), (4, 8)]
    with pytest.raises(
        SubwordAlignmentError, match=r"subword 1 \(characters 2-5\) overlaps word 0"
    ):
        word_ids_from_offsets([(0, 2), (2, 5), (5, 8)], words)
    with pytest.raises(SubwordAlignmentError, match=r"word 1 \(characters 4-8\) has no subword"):
        word_ids_from_offsets([(0, 0), (0, 3), (0, 0)], words, [1, 0, 1])
    with pytest.raises(SubwordAlignmentError, match="starting before the previous word"):
        word_ids_from_offsets([(0, 3)], [(0, 3), (2, 5)])
    with pytest.raises(SubwordAlignmentError, match=r"subword_offsets\[0\]: found \(3, 1\)"):
        word_ids_from_offsets([(3, 1)], words)
    with pytest.raises(SubwordAlignmentError, match="expected one flag per subword"):
        word_ids_from_offsets([(0, 3), (4, 8)], words, [0])


def test_every_error_is_a_crftagger_value_error():
    assert issubclass(SubwordAlignmentError, CrftaggerError)
    assert issubclass(SubwordAlignmentError, ValueError)
    assert issubclass(subword.MissingTokenizersError, ImportError)


# --------------------------------------------------------------------------- real tokenizers


def test_the_trained_tokenizers_split_most_sentences(conll, toks):
    # the round trips below would be trivial if every word were one subword
    for tok in toks.values():
        split = 0
        for s in conll[:100]:
            ids = [w for w in tok.encode(s.tokens, is_pretokenized=True).word_ids if w is not None]
            split += len(ids) > len(set(ids))
        assert split >= 80


@pytest.mark.parametrize("tok_name", ["wordpiece", "bpe"])
@pytest.mark.parametrize("scheme", SPAN_SCHEMES)
@pytest.mark.parametrize("forward", ["first", "every"])
def test_corpus_round_trip(conll, toks, tok_name, scheme, forward):
    tok = toks[tok_name]
    gold = [_gold(s, scheme) for s in conll]
    labels = _label_set(gold, scheme)
    back_tags = {b: [] for b in BACK}
    for s, tags in zip(conll, gold, strict=True):
        ids = encoding_word_ids(tok.encode(s.tokens, is_pretokenized=True))
        sub = word_to_subword_labels(tags, ids, forward, scheme=scheme)
        for p, w in enumerate(ids):
            if w is None:
                assert sub[p] is None
        if forward == "every":
            # the subwords hold a valid sequence of exactly the word spans
            compact = [t for t, w in zip(sub, ids, strict=True) if w is not None]
            validate(compact, scheme)
            owner = [w for w in ids if w is not None]
            spans = [
                Span(sp.type, owner[sp.start], owner[sp.end - 1] + 1)
                for sp in decode(compact, scheme)
            ]
            assert spans == decode(tags, scheme)
        for b in BACK:
            got = _round_trip(tags, ids, scheme, forward, b, labels)
            assert got == tags, (b, s.tokens)
            back_tags[b].append(got)
    for b in BACK:
        scores = span_scores(gold, back_tags[b], mode="strict", scheme=scheme)
        assert scores.micro.gold > 300
        assert scores.micro.f1 == 1.0


@pytest.mark.parametrize("forward", ["first", "every"])
def test_corpus_round_trip_with_ids_and_opaque_labels(conll, toks, forward):
    tok = toks["wordpiece"]
    sents = conll[:100]
    gold = [_gold(s, "iob2") for s in sents]
    id2label = _label_set(gold, "iob2")
    label2id = {t: i for i, t in enumerate(id2label)}
    pos_labels = sorted({t for s in sents for t in s["pos"]})
    for s, tags in zip(sents, gold, strict=True):
        ids = tok.encode(s.tokens, is_pretokenized=True).word_ids
        sub = word_to_subword_labels(tags, ids, forward, scheme="iob2", label2id=label2id)
        assert sum(x == IGNORE_INDEX for x in sub) >= 2  # [CLS] and [SEP] at least
        assert all(isinstance(x, int) for x in sub)
        for back in ("first", "majority"):
            assert subword_to_word_labels(sub, ids, back, scheme="iob2", id2label=id2label) == tags
        # part-of-speech tags: no scheme, labels copied or put on the first subword
        pos = s["pos"]
        sub = word_to_subword_labels(pos, ids, forward)
        for back in BACK:
            if back == "mean":
                got = probabilities_to_word_labels(_one_hot(pos_labels, sub), pos_labels, ids)
            else:
                got = subword_to_word_labels(sub, ids, back)
            assert got == pos


def test_naive_majority_loses_spans_on_the_corpus(conll, toks):
    # why the scheme matters: majority over opaque IOB2 labels turns multi-piece B- words into I-
    tok = toks["wordpiece"]
    gold = [_gold(s, "iob2") for s in conll]
    naive = []
    for s, tags in zip(conll, gold, strict=True):
        ids = tok.encode(s.tokens, is_pretokenized=True).word_ids
        sub = word_to_subword_labels(tags, ids, "every", scheme="iob2")
        naive.append(subword_to_word_labels(sub, ids, "majority"))
    assert naive != gold
    assert span_scores(gold, naive, mode="strict", scheme="iob2").micro.f1 < 0.9


def test_special_tokens_and_padding_get_the_ignore_value(conll, toks):
    tok = toks["bpe"]
    tok.enable_padding(length=128, pad_id=tok.token_to_id("<pad>"), pad_token="<pad>")
    try:
        enc = tok.encode(conll[1].tokens, is_pretokenized=True)
    finally:
        tok.no_padding()
    tags = _gold(conll[1], "iob2")
    ids = encoding_word_ids(enc)
    assert len(ids) == 128
    label2id = {t: i for i, t in enumerate(_label_set([tags], "iob2"))}
    for forward in ("first", "every"):
        sub = word_to_subword_labels(tags, ids, forward, scheme="iob2", label2id=label2id)
        for p, t in enumerate(enc.tokens):
            if t in ("<s>", "</s>", "<pad>"):
                assert sub[p] == IGNORE_INDEX
            elif forward == "every":
                assert sub[p] != IGNORE_INDEX


def test_encoding_helper_pairs_and_bad_input(conll, toks):
    tok = toks["wordpiece"]
    a, b = conll[3].tokens, conll[4].tokens
    enc = tok.encode(a, b, is_pretokenized=True)
    with pytest.raises(SubwordAlignmentError, match=r"holds 2 sequences \(sequence ids \[0, 1\]\)"):
        encoding_word_ids(enc)
    with pytest.raises(SubwordAlignmentError, match=r"sequence=2: the encoding holds"):
        encoding_word_ids(enc, sequence=2)
    single_b = encoding_word_ids(tok.encode(b, is_pretokenized=True))
    ids_b = encoding_word_ids(enc, sequence=1)
    assert [w for w in ids_b if w is not None] == [w for w in single_b if w is not None]
    assert ids_b[: len(a)] == [None] * len(a)
    # a pair's raw word ids start again at 0: the checker says so
    with pytest.raises(SubwordAlignmentError, match="align each sequence on its own"):
        check_word_ids(enc.word_ids)
    with pytest.raises(SubwordAlignmentError, match="expected a tokenizers.Encoding, found list"):
        encoding_word_ids([0, 1])

    class Batch:
        encodings = [enc]

    with pytest.raises(SubwordAlignmentError, match=r"pass batch.encodings\[i\]"):
        encoding_word_ids(Batch())


def test_truncated_encoding_is_a_word_without_subword(conll, toks):
    tok = toks["wordpiece"]
    words = conll[3].tokens
    text = " ".join(words)
    offsets, pos = [], 0
    for w in words:
        offsets.append((pos, pos + len(w)))
        pos += len(w) + 1
    tok.enable_truncation(max_length=10)
    try:
        enc = tok.encode(text)
    finally:
        tok.no_truncation()
    with pytest.raises(
        SubwordAlignmentError, match=r"found 30 words but the word ids name \d words"
    ):
        encoding_word_ids(enc, offsets)


def test_module_imports_without_tokenizers():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["tokenizers"] = None  # any import of it fails
        from crftagger.text import subword
        print(subword.word_to_subword_labels(["B-X"], [None, 0, 0], "every", scheme="bio"))
        try:
            subword.encoding_word_ids(object())
        except subword.MissingTokenizersError as exc:
            print(type(exc).__name__, exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "[None, 'B-X', 'I-X']"
    assert lines[1].startswith("MissingTokenizersError")
    assert "pip install 'crftagger[subword]'" in lines[1]


# --------------------------------------------------------------------------- property tests

TYPES = ("PER", "LOC", "ORG")
_extra_word = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=12)


@st.composite
def tagged_words(draw, vocabulary, scheme):
    """Words (corpus words and random strings) and valid tags with adjacent same-type spans."""
    n = draw(st.integers(1, 12))
    words = [draw(st.one_of(st.sampled_from(vocabulary), _extra_word)) for _ in range(n)]
    spans, cur = [], None
    for i in range(n):
        typ = draw(st.sampled_from((None,) + TYPES))
        new = draw(st.booleans())
        if typ is None:
            cur = None
        elif cur is not None and cur[0] == typ and not new:
            cur[2] = i + 1
        else:
            cur = [typ, i, i + 1]
            spans.append(cur)
    return words, tags_from_spans([tuple(s) for s in spans], n, scheme)


def _offsets(words):
    out, pos = [], 0
    for w in words:
        out.append((pos, pos + len(w)))
        pos += len(w) + 1
    return out


@pytest.mark.parametrize("tok_name", ["wordpiece", "bpe"])
@pytest.mark.parametrize("scheme", SPAN_SCHEMES + ("ioe2",))
def test_random_words_round_trip(toks, vocabulary, tok_name, scheme):
    tok = toks[tok_name]
    labels = ["O"] + [f"{p}-{t}" for t in TYPES for p in get_scheme(scheme).roles]

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(tagged_words(vocabulary, scheme))
    def check(case):
        words, tags = case
        enc = tok.encode(words, is_pretokenized=True)
        ids = encoding_word_ids(enc)
        # raw text and word offsets give the same alignment as pre-tokenised input
        raw = tok.encode(" ".join(words))
        assert raw.tokens == enc.tokens
        assert encoding_word_ids(raw, _offsets(words)) == ids
        got_all = []
        for forward in ("first", "every"):
            for back in BACK:
                if scheme == "ioe2" and forward == "every" and back == "first":
                    continue  # merges adjacent spans: see test_ioe2_every_needs_majority_or_mean
                got = _round_trip(tags, ids, scheme, forward, back, labels)
                assert got == tags, (forward, back)
                got_all.append(got)
        scores = span_scores([tags] * len(got_all), got_all, mode="strict", scheme=scheme)
        assert scores.micro.f1 == (1.0 if scores.micro.gold else 0.0)
        assert scores.micro.correct == scores.micro.gold

    check()


# --------------------------------------------------------------------------- documentation


def test_module_docstring_examples():
    result = doctest.testmod(subword, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5
    assert result.failed == 0


def test_docs_subword_md_runs():
    path = REPO / "docs" / "subword.md"
    result = doctest.testfile(
        str(path),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 8
    assert result.failed == 0
