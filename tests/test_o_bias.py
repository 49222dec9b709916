"""The outside-label decoding bias of a Tagger (``Tagger.o_bias``, ``crftagger tag --o-bias``)."""

from __future__ import annotations

import numpy as np
import pytest

from crftagger import schemes
from crftagger.api.tagger import Tagger, TaggerError
from crftagger.cli.app import main
from crftagger.corpora import synthetic


@pytest.fixture(scope="module")
def splits():
    return synthetic.make_splits(300, 40, 80, seed=3)


@pytest.fixture(scope="module")
def tagger(splits):
    return Tagger.train(
        splits.train,
        "pii",
        label_column="ner",
        train_scheme="bioes",
        c1=0.0,
        c2=0.05,
        max_iterations=40,
    )


def _n_spans(tagger, sents):
    return sum(len(schemes.extract_spans(t, tagger.scheme)) for t in tagger.tag(sents))


def test_zero_bias_is_the_trained_model_and_the_bias_moves_recall(tagger, splits):
    test = splits.test
    sents = [s.tokens for s in test]
    plain = tagger.tag(sents)
    base = _n_spans(tagger, sents)
    try:
        tagger.o_bias = -8.0
        more = tagger.tag(sents)
        n_more = _n_spans(tagger, sents)
        # every answer is still valid in the scheme
        for t in more:
            schemes.validate(t, tagger.scheme)
        tagger.o_bias = 50.0
        assert _n_spans(tagger, sents) == 0
        assert all(set(t) == {"O"} for t in tagger.tag(sents))
        tagger.o_bias = 0.0
        assert tagger.tag(sents) == plain
    finally:
        tagger.o_bias = 0.0
    assert n_more > base
    assert sum(t != "O" for s in more for t in s) > sum(t != "O" for s in plain for t in s)


def test_bias_reaches_spans_marginals_and_single_sentences(tagger, splits):
    test = splits.test
    toks = test[0].tokens
    try:
        tagger.o_bias = -3.0
        one = tagger.tag(toks)
        assert one == tagger.tag([toks])[0]
        sp = tagger.spans(toks)
        assert [(s.type, s.start, s.end) for s in sp] == [
            (s.type, s.start, s.end) for s in schemes.extract_spans(one, tagger.scheme)
        ]
        biased = tagger.marginals(toks)
        tagger.o_bias = 0.0
        plain = tagger.marginals(toks)
    finally:
        tagger.o_bias = 0.0
    p_o = np.array([m["O"] for m in biased])
    q_o = np.array([m["O"] for m in plain])
    assert np.all(p_o <= q_o + 1e-12) and np.any(p_o < q_o - 1e-6)


def test_batch_tagging_with_a_bias_agrees_with_the_lattices(tagger, splits):
    sents = [s.tokens for s in splits.test[:40]]
    try:
        tagger.o_bias = -2.0
        batch = tagger.tag(sents)
        single = [tagger.nbest(t, 1)[0].tags for t in sents]
    finally:
        tagger.o_bias = 0.0
    assert batch == single
    assert batch != tagger.tag(sents)


def test_bias_is_saved_and_checked(tagger, tmp_path, splits):
    test = splits.test
    with pytest.raises(TaggerError, match="finite number"):
        tagger.o_bias = float("nan")
    with pytest.raises(TaggerError, match="finite number"):
        tagger.o_bias = "1"
    assert tagger.o_bias == 0.0
    path = tmp_path / "m.crftagger"
    tagger.o_bias = -2.5
    try:
        tagger.save(path)
        expected = tagger.tag([s.tokens for s in test])
    finally:
        tagger.o_bias = 0.0
    back = Tagger.load(path)
    assert back.o_bias == -2.5
    assert back.tag([s.tokens for s in test]) == expected


def test_tag_command_option(tagger, tmp_path, capsys, splits):
    test = splits.test
    path = tagger.save(tmp_path / "m.crftagger")
    src = tmp_path / "in.txt"
    src.write_text(" ".join(test[1].tokens) + "\n")
    assert (
        main(["tag", "-m", str(path), str(src), "--o-bias", "50", "--output-format", "tags"]) == 0
    )
    assert set(capsys.readouterr().out.split()) == {"O"}


def test_plain_tags_without_an_outside_label_refuse_a_bias():
    train = [(["a", "b"], ["X", "Y"]), (["b", "a"], ["Y", "X"])]
    t = Tagger.train(train, "pii", max_iterations=5, scheme=None)
    with pytest.raises(TaggerError, match="outside label"):
        t.o_bias = -1.0
    t.o_bias = 0
