"""crftagger.Tagger on the synthetic personal-data corpus: tagging, spans, files, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crftagger import schemes
from crftagger.api.tagger import Tagger, TaggerError, TaggerInputError
from crftagger.corpora import synthetic
from crftagger.decode.constrained import DecodingError
from crftagger.io.container import ModelFileError


@pytest.fixture(scope="module")
def splits():
    return synthetic.make_splits(300, 40, 60, seed=1)


@pytest.fixture(scope="module")
def tagger(splits):
    return Tagger.train(
        splits.train,
        "pii",
        label_column="ner",
        train_scheme="bioes",
        dev=splits.dev,
        c1=0.05,
        c2=0.01,
        max_iterations=40,
    )


def test_training_records_schemes_scores_and_log(tagger):
    assert tagger.scheme == "iob2" and tagger.model_scheme == "bioes"
    assert any(lab.startswith("S-") for lab in tagger.labels)
    log = tagger.info["training_log"]
    assert len(log) == 40 and all("dev_f1" in rec for rec in log)
    assert 0.5 < tagger.info["scores"]["dev"]["f1"] <= 1.0


def test_tags_are_valid_in_the_answer_scheme(tagger, splits):
    batch = [s.tokens for s in splits.test]
    tags = tagger.tag(batch)
    assert [len(t) for t in tags] == [len(s) for s in batch]
    for seq in tags:
        schemes.validate(seq, "iob2")
    assert tagger.tag(batch[3]) == tags[3]
    assert tagger.tag(splits.test[3]) == tags[3]  # a Sentence
    assert tagger.tag([]) == []
    assert tagger.tag([[], batch[0]]) == [[], tags[0]]
    ev = tagger.evaluate(splits.test)
    assert ev.summary()["f1"] > 0.7


def test_spans_match_tags_and_confidences_are_lattice_marginals(tagger, splits):
    toks = splits.test[0].tokens
    found = tagger.spans(toks)
    tags = tagger.tag(toks)
    assert [(s.type, s.start, s.end) for s in found] == [
        tuple(s) for s in schemes.extract_spans(tags, "iob2")
    ]
    for s in found:
        assert 0 < s.confidence <= 1 + 1e-12
        assert s.text == " ".join(toks[s.start : s.end])
    # on a two-token sentence every valid tagging fits in the n-best list: the span
    # confidence is the total probability of the taggings that contain the span
    short = ["Call", "Anna"]
    cands = tagger.nbest(short, k=len(tagger.labels) ** 2)
    assert sum(c.probability for c in cands) == pytest.approx(1.0)
    assert [c.probability for c in cands] == sorted((c.probability for c in cands), reverse=True)
    assert cands[0].tags == tagger.tag(short)
    for typ in ("PER", "LOC"):
        want = sum(
            c.probability
            for c in cands
            if schemes.Span(typ, 1, 2) in schemes.extract_spans(c.tags, "iob2")
        )
        assert tagger.span_confidence(short, typ, 1, 2) == pytest.approx(want, abs=1e-9)


def test_marginals_and_explanations(tagger, splits):
    toks = splits.test[1].tokens
    marg = tagger.marginals(toks)
    assert len(marg) == len(toks)
    for row in marg:
        assert sum(row.values()) == pytest.approx(1.0)
    exp = tagger.explain(toks, 2, top=1000)
    assert {d["label"] for d in exp} == set(tagger.labels)
    pred = [d for d in exp if d["predicted"]]
    assert len(pred) == 1
    lat = tagger._lattice(toks)
    for d in exp:
        j = tagger.labels.index(d["label"])
        assert d["emission"] == pytest.approx(lat.E[2, j])
        assert d["emission"] == pytest.approx(sum(c for *_x, c in d["attributes"]))
    with pytest.raises(TaggerInputError, match="position 99"):
        tagger.explain(toks, 99)


def test_forced_decoding(tagger):
    toks = ["Please", "write", "to", "Maria", "Lopez", "today", "."]
    forced = tagger.tag(toks, fixed={5: "B-PER"})
    assert forced[5] == "B-PER"
    schemes.validate(forced, "iob2")
    both = tagger.tag(toks, fixed={3: "B-PER", 4: "I-PER"})
    assert both[3:5] == ["B-PER", "I-PER"]
    with pytest.raises(DecodingError, match="forced"):
        # I-PER right after a forced O is never valid IOB2
        tagger.tag(toks, fixed={3: "O", 4: "I-PER"})
    with pytest.raises(TaggerInputError, match="not a label of this model"):
        tagger.tag(toks, fixed={0: "B-ANIMAL"})
    with pytest.raises(TaggerInputError, match="position 7"):
        tagger.tag(toks, fixed={7: "O"})


def test_save_load_round_trip(tagger, splits, tmp_path):
    path = tagger.save(tmp_path / "pii.crftagger")
    again = Tagger.load(path)
    batch = [s.tokens for s in splits.test]
    assert again.tag(batch) == tagger.tag(batch)
    assert again.spans(batch[:5]) == tagger.spans(batch[:5])
    assert again.scheme == "iob2" and again.model_scheme == "bioes"
    assert again.feature_set == tagger.feature_set
    assert again.info["scores"]["dev"] == pytest.approx(tagger.info["scores"]["dev"])
    assert again.info["training"]["algorithm"] == "lbfgs"


def test_corrupted_model_files_are_refused(tagger, tmp_path):
    good = tagger.save(tmp_path / "good.crftagger").read_bytes()
    flipped = bytearray(good)
    flipped[-100] ^= 0x01
    cases = {
        "flipped": bytes(flipped),
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "text": b"B-PER I-PER O\n" * 20,
    }
    for name, blob in cases.items():
        p = tmp_path / f"{name}.crftagger"
        p.write_bytes(blob)
        with pytest.raises(ValueError) as err:
            Tagger.load(p)
        assert isinstance(err.value, (ModelFileError, TaggerError)), name
        assert str(p) in str(err.value), name


def test_a_plain_crf_file_is_not_a_tagger(tagger, tmp_path):
    path = tagger.model.save(tmp_path / "plain.crf")
    with pytest.raises(TaggerError, match="CRF.load"):
        Tagger.load(path)


def test_bad_input_gets_clear_errors(tagger):
    with pytest.raises(TaggerInputError, match="token 1.*white space"):
        tagger.tag(["New", "New York"])
    with pytest.raises(TaggerInputError, match="empty token"):
        tagger.tag(["a", ""])
    with pytest.raises(TaggerInputError, match="a string"):
        tagger.tag([["ok"], "not tokens"])
    with pytest.raises(TaggerInputError, match="expected a string"):
        tagger.tag(["a", 3])
    with pytest.raises(TaggerInputError, match="2 tokens but 1 tags"):
        Tagger.train([(["a", "b"], ["O"])], "pii")


def test_ten_thousand_token_sentence(tagger, splits):
    toks = [t for s in splits.test for t in s.tokens]
    toks = (toks * (10_000 // len(toks) + 1))[:10_000]
    tags = tagger.tag(toks)
    assert len(tags) == 10_000
    schemes.validate(tags, "iob2")
    found = tagger.spans(toks)
    assert [(s.type, s.start, s.end) for s in found] == [
        tuple(s) for s in schemes.extract_spans(tags, "iob2")
    ]
    assert all(0 < s.confidence <= 1 + 1e-12 for s in found)


def test_imported_crfsuite_model_tags_as_crfsuite(splits, tmp_path):
    import pycrfsuite

    from crftagger.features import feature_set

    fx = feature_set("pii").extractor()
    trainer = pycrfsuite.Trainer(verbose=False)
    for s, x in zip(splits.train[:150], fx.to_dicts(splits.train[:150]), strict=True):
        trainer.append(x, s["ner"])
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": 30})
    path = str(tmp_path / "m.crfsuite")
    trainer.train(path)
    ref = pycrfsuite.Tagger()
    ref.open(path)
    imported = Tagger.from_crfsuite(path, "pii")
    test = splits.test
    want = [ref.tag(x) for x in fx.to_dicts(test)]
    assert imported.tag([s.tokens for s in test]) == want
    m = imported.marginals(test[0].tokens)
    ref.set(fx.to_dicts([test[0]])[0])
    for t, row in enumerate(m):
        for lab, p in row.items():
            assert p == pytest.approx(ref.marginal(lab, t), abs=1e-6)


def test_crfsuite_engine_trains_a_tagger(splits):
    t = Tagger.train(
        splits.train[:100], "pii", label_column="ner", engine="crfsuite", max_iterations=10
    )
    out = t.tag(splits.test[0].tokens)
    assert len(out) == len(splits.test[0])
    assert np.all([isinstance(x, str) for x in out])


SCHEME_LABELS = {
    "iob1": ["O", "I-PER", "B-PER", "I-LOC", "B-LOC"],
    "iob2": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "ioe2": ["O", "I-PER", "E-PER", "E-LOC", "I-LOC"],
    "bioes": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "S-LOC", "B-LOC", "E-LOC", "I-LOC"],
    "bilou": ["O", "B-PER", "I-PER", "L-PER", "U-PER"],
}


@pytest.fixture(scope="module")
def vocab_and_words(splits):
    from crftagger.features import feature_set

    fx = feature_set("pii").extractor()
    fx.transform(splits.train[:50])
    words = sorted({t for s in splits.train[:50] for t in s.tokens})
    return fx.attributes, words


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    scheme=st.sampled_from(sorted(SCHEME_LABELS)),
    answer=st.sampled_from([None, "iob2", "bioes"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_weights_never_give_an_invalid_sequence(vocab_and_words, scheme, answer, seed):
    from crftagger.engine.encoding import Vocabulary
    from crftagger.engine.model import LinearChainCRF

    attributes, words = vocab_and_words
    labels = SCHEME_LABELS[scheme]
    L, A = len(labels), len(attributes)
    rng = np.random.default_rng(seed)
    feat_ptr = np.arange(A + 1, dtype=np.int64) * L
    feat_label = np.tile(np.arange(L, dtype=np.int32), A)
    w = rng.normal(scale=3.0, size=A * L + L * L)
    model = LinearChainCRF(
        Vocabulary(labels).freeze(),
        Vocabulary(attributes.items).freeze(),
        feat_ptr,
        feat_label,
        w,
        np.ones(L * L, dtype=np.uint8),
    )
    out_scheme = answer or scheme
    t = Tagger(model, "pii", scheme=out_scheme, model_scheme=scheme, output_scheme=out_scheme)
    sents = [[str(x) for x in rng.choice(words, size=int(rng.integers(1, 12)))] for _ in range(8)]
    for seq in t.tag(sents):
        schemes.validate(seq, out_scheme)
    for cand in t.nbest(sents[0], k=5):
        schemes.validate(cand.tags, out_scheme)
    sp = t.spans(sents[1])
    assert all(0 <= s.confidence <= 1 + 1e-12 for s in sp)


def test_evaluation_of_plain_tags_is_token_accuracy():
    from crftagger.api.tagger import Evaluation

    gold = [["DET", "NOUN", "VERB"], ["PRON", "VERB"]]
    pred = [["DET", "NOUN", "NOUN"], ["PRON", "VERB"]]
    ev = Evaluation(gold, pred, None)
    s = ev.summary()
    assert s["accuracy"] == pytest.approx(0.8) and "f1" not in s and ev.lenient is None
    rep = ev.report(labels=True)
    assert "accuracy  80.00% (4 of 5 tokens)" in rep and "confusion matrix" in rep
    # span tags without a scheme keep conlleval's lenient span scores
    spans = Evaluation([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]], None)
    assert spans.summary()["f1"] == 0.0 and "strict_f1" not in spans.summary()


@pytest.mark.parametrize("answer", ["iob1", "ioe1", "ioe2", "bilou"])
def test_forced_answer_tags_in_another_scheme_appear_in_the_answer(tagger, answer):
    """Tags forced in the answer scheme (IOB1's B-PER depends on the tag before it) are
    decoded exactly over label pairs: the answer shows them, or the call refuses."""
    import copy

    t = copy.copy(tagger)
    t.output_scheme = answer
    toks = ["Please", "write", "to", "Maria", "Lopez", "today", "."]
    free = t.tag(toks)
    shown = total = 0
    refused = set()
    for pos in range(len(toks)):
        for tag in ("O", *(f"{p}-PER" for p in schemes.get_scheme(answer).roles)):
            total += 1
            try:
                forced = t.tag(toks, fixed={pos: tag})
            except (DecodingError, TaggerInputError):
                refused.add((pos, tag))
                continue
            assert forced[pos] == tag, (pos, tag, forced)
            schemes.validate(forced, answer)
            for sp in t.spans(toks, fixed={pos: tag}):
                assert 0.0 <= sp.confidence <= 1.0 + 1e-9
            shown += 1
    # only tags no valid answer can show are refused (one-position forcing refused 8 of 21)
    assert shown >= total - 4, refused
    if answer == "iob1":
        assert refused == {(0, "B-PER")}  # B- opens a span only after the same type
    # forcing what the model answers anyway changes nothing
    assert t.tag(toks, fixed={3: free[3]}) == free
