"""Slot filling with intents: intent data, the intent classifier, SlotFiller, the CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from crftagger import cli
from crftagger.errors import CorpusFormatError, TaggerError
from crftagger.slots import (
    IntentClassifier,
    SlotEvaluation,
    SlotFiller,
    delexicalise,
    frame_accuracy,
    intents_file,
    load_split,
    read_intent_conll,
    read_intents,
    read_user_file,
)

TEXTS = [
    "Flights from Boston to Denver on Monday",
    "  show me   the cheapest fare from  dallas to baltimore\tplease ",
    "what airlines fly from pittsburgh to atlanta",
    "",
]


# --------------------------------------------------------------------------- intent classifier


def _toy():
    tokens = [
        ["play", "some", "jazz"],
        ["play", "the", "song"],
        ["play", "music", "now"],
        ["weather", "in", "paris"],
        ["what", "is", "the", "weather"],
        ["weather", "tomorrow"],
        ["book", "a", "table"],
        ["book", "a", "restaurant", "for", "two"],
        ["book", "dinner"],
    ]
    intents = ["music"] * 3 + ["weather"] * 3 + ["book"] * 3
    return tokens, intents


def _sklearn_proba(clf, tokens):
    """What scikit-learn's fitted objects give for ``tokens``: the vectoriser's TF-IDF rows
    (or the bag), then logistic regression's probabilities or the SVM's scores through the
    fitted softmax temperature."""
    from scipy.special import expit, softmax

    X = (
        clf._vectorizer.transform([clf.terms(t) for t in tokens])
        if clf._vectorizer is not None
        else clf.matrix(tokens)
    )
    if clf.info["estimator"] == "logreg":
        return clf._sklearn.predict_proba(X)
    s = clf._sklearn.decision_function(X)
    beta = clf.info["inverse_temperature"]
    if s.ndim == 1:
        p1 = expit(2 * beta * s)
        return np.stack([1 - p1, p1], axis=1)
    return softmax(beta * s, axis=1)


@pytest.mark.parametrize(
    "features, estimator", [("tfidf", "svm"), ("tfidf", "logreg"), ("bag", "logreg")]
)
def test_intent_classifier_learns_a_separable_set_and_numpy_matches_sklearn(features, estimator):
    tokens, intents = _toy()
    clf = IntentClassifier.train(tokens, intents, C=10.0, features=features, estimator=estimator)
    assert clf.features == features and clf.info["estimator"] == estimator
    assert [c for c, _p in clf.predict(tokens)] == intents
    assert clf.predict([["play", "a", "tune"]])[0][0] == "music"
    assert list(clf._sklearn.classes_) == clf.classes
    if features == "tfidf":  # our TF-IDF rows are the vectoriser's
        ours_x = clf.matrix(tokens)
        theirs_x = clf._vectorizer.transform([clf.terms(t) for t in tokens])
        np.testing.assert_allclose(ours_x.toarray(), theirs_x.toarray(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        clf.predict_proba(tokens), _sklearn_proba(clf, tokens), rtol=0, atol=1e-9
    )
    new = [["weather", "in", "rome"], ["unknown", "words", "only"], ["zzz"]]
    np.testing.assert_allclose(clf.predict_proba(new), _sklearn_proba(clf, new), rtol=0, atol=1e-9)
    # rebuilt from its stored arrays alone: the same probabilities
    arrays, header = clf.blocks()
    assert ("idf" in arrays) == (features == "tfidf")
    again = IntentClassifier.from_blocks(arrays, header, None, "test")
    np.testing.assert_allclose(again.predict_proba(new), clf.predict_proba(new), rtol=0, atol=1e-12)


def test_intent_blocks_are_checked_on_load():
    tokens, intents = _toy()
    arrays, header = IntentClassifier.train(tokens, intents, C=10.0).blocks()
    with pytest.raises(TaggerError, match="idf"):
        IntentClassifier.from_blocks({**arrays, "idf": arrays["idf"][:-1]}, header, None, "m")
    with pytest.raises(TaggerError, match="'idf' is missing"):
        IntentClassifier.from_blocks(
            {k: v for k, v in arrays.items() if k != "idf"}, header, None, "m"
        )
    with pytest.raises(TaggerError, match="n_attributes"):
        IntentClassifier.from_blocks({**arrays, "attributes": ["x"]}, header, None, "m")
    with pytest.raises(TaggerError, match="n-gram"):
        IntentClassifier.from_blocks(arrays, {**header, "ngrams": {"word": [3, 1]}}, None, "m")


@pytest.mark.parametrize("estimator", ["svm", "logreg"])
def test_intent_classifier_two_classes_uses_the_binary_form(estimator):
    tokens, intents = _toy()
    tokens, intents = tokens[:6], intents[:6]
    clf = IntentClassifier.train(tokens, intents, C=3.0, estimator=estimator)
    assert clf.coef.shape[0] == 1
    np.testing.assert_allclose(clf.predict_proba(tokens), _sklearn_proba(clf, tokens), atol=1e-9)
    assert [c for c, _p in clf.predict(tokens)] == intents


def test_intent_C_is_chosen_on_dev():
    tokens, intents = _toy()
    clf = IntentClassifier.train(tokens, intents, dev_tokens=tokens[:3], dev_intents=intents[:3])
    assert set(clf.info["dev_accuracy_by_C"]) and clf.info["C"] in (0.3, 1.0, 3.0, 10.0)


def test_delexicalise_replaces_each_span_by_its_type():
    toks = ["flights", "from", "new", "york", "to", "boston", "monday"]
    spans = [("toloc.city_name", 5, 6), ("fromloc.city_name", 2, 4)]  # any order
    assert delexicalise(toks, spans) == [
        "flights",
        "from",
        "<fromloc.city_name>",
        "to",
        "<toloc.city_name>",
        "monday",
    ]
    assert delexicalise(toks, []) == toks
    for bad in ([("a", 1, 3), ("b", 2, 4)], [("a", 6, 8)], [("a", 2, 2)]):
        with pytest.raises(TaggerError, match="overlaps another or lies outside"):
            delexicalise(toks, bad)


def _slot_toy():
    """The same words, the intent told by the slot types alone: a value tagged ``city`` asks
    for a city, one tagged ``airline`` for an airline."""
    words = ["alpha", "bravo", "delta", "echo", "golf", "hotel", "india", "kilo"]
    tokens, spans, intents = [], [], []
    for k, w in enumerate(words):
        for kind in ("city", "airline"):
            tokens.append(["tell", "me", "about", w])
            spans.append([(kind, 3, 4)] if k % 2 == 0 else [(kind, 2, 4)])
            intents.append(f"{kind}_info")
    return tokens, spans, intents


@pytest.mark.parametrize("estimator", ["svm", "logreg"])
def test_intent_classifier_reads_the_delexicalised_utterance(estimator):
    tokens, spans, intents = _slot_toy()
    plain = IntentClassifier.train(tokens, intents, C=10.0, estimator=estimator)
    # the words cannot tell the two intents apart: each token list has both
    assert len({c for c, _p in plain.predict(tokens)}) <= 2
    assert sum(c == i for (c, _p), i in zip(plain.predict(tokens), intents, strict=True)) <= 12
    clf = IntentClassifier.train(
        tokens, intents, C=10.0, features="tfidf+slots", spans=spans, estimator=estimator
    )
    assert clf.uses_spans and clf.ngrams["delex"] == [1, 3]
    assert [c for c, _p in clf.predict(tokens, spans)] == intents
    assert {"d:about <city>", "d:<airline>", "s:city", "s:airline"} <= set(clf.attributes.items)
    # unseen words: the span's type decides
    new = [["tell", "me", "about", "zulu"], ["tell", "me", "about", "zulu"]]
    new_spans = [[("city", 3, 4)], [("airline", 3, 4)]]
    assert [c for c, _p in clf.predict(new, new_spans)] == ["city_info", "airline_info"]
    with pytest.raises(TaggerError, match="slot spans"):
        clf.predict(new)
    with pytest.raises(TaggerError, match="slot spans"):
        IntentClassifier.train(tokens, intents, features="tfidf+slots")
    # our rows are the vectoriser's; the probabilities are scikit-learn's
    X = clf._vectorizer.transform([clf.terms(t, sp) for t, sp in zip(new, new_spans, strict=True)])
    np.testing.assert_allclose(
        clf.matrix(new, new_spans).toarray(), X.toarray(), rtol=0, atol=1e-12
    )
    # rebuilt from its blocks: the same probabilities; the header names the features
    arrays, header = clf.blocks()
    assert header["features"] == "tfidf+slots" and header["ngrams"]["delex"] == [1, 3]
    again = IntentClassifier.from_blocks(arrays, header, None, "test")
    assert again.uses_spans
    np.testing.assert_allclose(
        again.predict_proba(new, new_spans), clf.predict_proba(new, new_spans), atol=1e-12
    )
    bad = {**header, "ngrams": {"word": [1, 3], "char": [2, 5]}}
    with pytest.raises(TaggerError, match="delex"):
        IntentClassifier.from_blocks(arrays, bad, None, "m")


def test_intent_files_without_span_features_keep_their_reading():
    """A classifier file written before span features (``features="tfidf"``, word and char
    ranges only) loads and predicts without spans."""
    tokens, intents = _toy()
    clf = IntentClassifier.train(tokens, intents, C=10.0)
    arrays, header = clf.blocks()
    assert header["features"] == "tfidf" and set(header["ngrams"]) == {"word", "char"}
    again = IntentClassifier.from_blocks(arrays, header, None, "old")
    assert not again.uses_spans
    np.testing.assert_allclose(again.predict_proba(tokens), clf.predict_proba(tokens), atol=1e-12)
    with pytest.raises(TaggerError, match="n-gram ranges"):
        IntentClassifier.from_blocks(
            arrays, {**header, "ngrams": {**header["ngrams"], "delex": [1, 3]}}, None, "m"
        )


# --------------------------------------------------------------------------- intent data


@pytest.mark.corpora
def test_atis_intents_line_up_with_the_sentences(data_dir):
    counts = {"train": 4478, "dev": 500, "test": 893}
    for split, n in counts.items():
        sentences, intents = load_split("atis", split)
        assert len(sentences) == len(intents) == n
    path = intents_file("atis", "dev")
    assert path.parts[-3:] == ("raw", "valid", "label")
    sentences, intents = load_split("atis", "train")
    assert intents[0] == "atis_flight" and sentences[0].tokens[:4] == ["i", "want", "to", "fly"]
    assert any("#" in i for i in intents)  # multi-intent labels are kept whole


def test_misaligned_intents_file_names_file_and_line(tmp_path):
    data = tmp_path / "u.txt"
    data.write_text("a\tO\nb\tO\n\nc\tO\n\nd\tB-x\n")
    few = tmp_path / "few.label"
    few.write_text("one\ntwo\n")
    with pytest.raises(CorpusFormatError) as e:
        read_user_file(data, few)
    msg = str(e.value)
    assert str(few) + ":3" in msg and "fewer intents" in msg and f"{data}:6" in msg
    many = tmp_path / "many.label"
    many.write_text("one\ntwo\nthree\nfour\n")
    with pytest.raises(CorpusFormatError, match=rf"{many}:4: more intents.*'four'"):
        read_user_file(data, many)
    blank = tmp_path / "blank.label"
    blank.write_text("one\n\nthree\n")
    with pytest.raises(CorpusFormatError, match=rf"{blank}:2: not an intent label"):
        read_intents(blank)
    ok = tmp_path / "ok.label"
    ok.write_text("one\ntwo\nthree\n")
    sents, intents = read_user_file(data, ok)
    assert intents == ["one", "two", "three"] and sents[2].columns["tag"] == ["B-x"]


def test_intent_comment_file_and_its_errors(tmp_path):
    good = tmp_path / "g.txt"
    good.write_text(
        "# intent = flight\n# id = 7\nflights\tO\n#\tO\nboston\tB-from\n\n"
        "# intent=fare\nfare\tO\nto\tO\ndenver\tB-to\n"
    )
    sents = read_intent_conll(good)
    assert [s.meta["intent"] for s in sents] == ["flight", "fare"]
    assert sents[0].tokens == ["flights", "#", "boston"] and sents[0].meta["id"] == "7"
    assert sents[1].line == 8
    cases = {
        "flights\tO\n": ":1: utterance without an intent",
        "# intent = a\nx\tO\n\nb\tO\n": ":4: utterance without an intent",
        "# intent = a\n# intent = b\nx\tO\n": ":2: second intent",
        "# intent = a\nx\tO\ty\n": ":2: wrong column count",
        "# intent = a b\nx\tO\n": ":1: malformed intent comment",
        "# intent = a\n\n": ":1: intent without an utterance",
    }
    for k, (text, expected) in enumerate(cases.items()):
        bad = tmp_path / f"bad{k}.txt"
        bad.write_text(text)
        with pytest.raises(CorpusFormatError, match=str(bad) + expected):
            read_intent_conll(bad)


# --------------------------------------------------------------------------- frame accuracy


def test_frame_accuracy_on_a_hand_made_example():
    gold_i = ["flight", "fare", "flight", "airline"]
    pred_i = ["flight", "flight", "flight", "airline"]
    gold = [
        ["O", "B-from", "O", "B-to"],  # all right, intent right -> frame right
        ["O", "B-to", "I-to"],  # slots right, intent wrong -> wrong
        ["O", "B-from", "I-from", "O"],  # intent right, span too short -> wrong
        ["O", "O"],  # no slots at all, none predicted -> right
    ]
    pred = [
        ["O", "B-from", "O", "B-to"],
        ["O", "B-to", "I-to"],
        ["O", "B-from", "O", "O"],
        ["O", "O"],
    ]
    assert frame_accuracy(gold_i, pred_i, gold, pred) == pytest.approx(2 / 4)
    ev = SlotEvaluation(gold, pred, gold_i, pred_i)
    s = ev.summary()
    assert s["intent_accuracy"] == pytest.approx(3 / 4)
    assert s["frame_accuracy"] == pytest.approx(2 / 4)
    # 4 gold spans, 4 predicted, 3 right
    assert s["slot_precision"] == pytest.approx(3 / 4) and s["slot_recall"] == pytest.approx(3 / 4)
    # an extra predicted span breaks the frame even when every gold span is found
    assert frame_accuracy(["a"], ["a"], [["B-x", "O"]], [["B-x", "B-y"]]) == 0.0


# --------------------------------------------------------------------------- SlotFiller


@pytest.fixture(scope="module")
def filler(data_dir):
    train, train_i = load_split("atis", "train")
    dev, dev_i = load_split("atis", "dev")
    return SlotFiller.train(
        train[:400],
        train_i[:400],
        dev=dev[:100],
        dev_intents=dev_i[:100],
        feature_set="slots",
        C=10.0,
        max_iterations=25,
    )


@pytest.mark.corpora
def test_slot_filler_on_raw_text_gives_exact_offsets(filler):
    assert filler.lowercase  # ATIS is lower-case: the model reads lower-cased tokens
    results = filler.parse_many(TEXTS)
    assert results[0].to_dict() == filler(TEXTS[0]).to_dict()
    found = 0
    for text, r in zip(TEXTS, results, strict=True):
        d = r.to_dict()
        assert set(d) == {"intent", "intent_confidence", "slots"}
        for s in d["slots"]:
            assert set(s) == {"slot", "value", "start", "end", "confidence"}
            assert text[s["start"] : s["end"]] == s["value"]
            assert 0.0 < s["confidence"] <= 1.0
            found += 1
    assert found >= 4
    first = {s.slot: s.value for s in results[0].slots}
    assert first.get("fromloc.city_name") == "Boston" and first.get("toloc.city_name") == "Denver"
    assert results[0].intent == "atis_flight" and 0.5 < results[0].intent_confidence <= 1.0
    assert results[3].intent is None and results[3].slots == []
    toks = filler.parse_tokens("list flights from boston to denver".split())
    for s in toks.slots:
        assert toks.text[s.start : s.end] == s.value
    assert [r.to_dict() for r in filler.pipe(iter(TEXTS), batch_size=2)] == [
        r.to_dict() for r in results
    ]


@pytest.mark.corpora
def test_slot_filler_save_load_round_trip(filler, tmp_path):
    path = filler.save(tmp_path / "atis.crftagger")
    again = SlotFiller.load(path)
    assert [r.to_dict() for r in again.parse_many(TEXTS)] == [
        r.to_dict() for r in filler.parse_many(TEXTS)
    ]
    dev, dev_i = load_split("atis", "dev")
    a = filler.evaluate(dev[100:200], dev_i[100:200]).summary()
    b = again.evaluate(dev[100:200], dev_i[100:200]).summary()
    assert a == b and a["n_utterances"] == 100
    assert again.info["scores"]["dev"] == pytest.approx(filler.info["scores"]["dev"])
    assert 0.5 < a["intent_accuracy"] <= 1 and 0.5 < a["slot_f1"] <= 1
    assert a["frame_accuracy"] <= a["intent_accuracy"]


@pytest.mark.corpora
def test_slot_filler_intent_reads_the_predicted_spans(filler):
    assert filler.intents.uses_spans and filler.info["jackknife"]["folds"] == 5
    assert set(filler.info["seconds"]) == {"crf", "jackknife", "intent"}
    results = filler.parse_many(TEXTS[:3])
    for r in results:
        toks = [t.lower() for t in r.tokens]
        spans = [(s.slot, s.token_start, s.token_end) for s in r.slots]
        assert spans  # each of these utterances has slots
        ((intent, p),) = filler.intents.predict([toks], [spans])
        assert (intent, p) == (r.intent, r.intent_confidence)
        # the classifier reads them: without the spans its probabilities differ
        ((_i, p0),) = filler.intents.predict([toks], [[]])
        assert p0 != p
    # evaluate reads the CRF's spans as parse does
    dev, dev_i = load_split("atis", "dev")
    ev = filler.evaluate(dev[:50], dev_i[:50])
    parsed = filler.parse_tokens([s.tokens for s in dev[:50]])
    assert ev.pred_intents == [r.intent for r in parsed]


@pytest.mark.corpora
def test_slot_filler_with_a_plain_tfidf_intent_file_loads(filler, tmp_path):
    """A model whose intent part has no span features (the files written before them)."""
    train, train_i = load_split("atis", "train")
    toks = [s.tokens for s in train[:400]]
    plain = SlotFiller(
        filler.tagger,
        IntentClassifier.train(toks, train_i[:400], C=10.0),
        lowercase=True,
        info=filler.info,
    )
    assert not plain.intents.uses_spans
    again = SlotFiller.load(plain.save(tmp_path / "plain.crftagger"))
    assert again.intents.features == "tfidf" and not again.intents.uses_spans
    assert [r.to_dict() for r in again.parse_many(TEXTS)] == [
        r.to_dict() for r in plain.parse_many(TEXTS)
    ]


# --------------------------------------------------------------------------- command line


USER_FILE = """# intent = flight
flights\tO
from\tO
boston\tB-from
to\tO
denver\tB-to

# intent = fare
how\tO
much\tO
is\tO
a\tO
ticket\tO
to\tO
denver\tB-to

# intent = flight
show\tO
flights\tO
from\tO
dallas\tB-from
to\tO
miami\tB-to

# intent = fare
what\tO
does\tO
a\tO
flight\tO
from\tO
boston\tB-from
cost\tO
"""


def test_cli_train_task_slots_on_a_user_file(tmp_path, capsys, monkeypatch):
    data = tmp_path / "mine.txt"
    data.write_text(USER_FILE)
    model = tmp_path / "mine.crftagger"
    code = cli.main(
        [
            "train",
            "--task",
            "slots",
            str(data),
            "--dev",
            str(data),
            "-o",
            str(model),
            "--max-iterations",
            "30",
            "--no-progress",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "dev: slot F1" in out and "intent accuracy" in out and model.is_file()
    loaded = SlotFiller.load(model)
    assert loaded.intent_labels == ["fare", "flight"]
    text = "Flights from Boston to Denver\nhow much is a ticket to miami\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code = cli.main(["slots", "-m", str(model)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == 2 and lines[0]["intent"] == "flight" and lines[1]["intent"] == "fare"
    for src, obj in zip(text.splitlines(), lines, strict=True):
        for s in obj["slots"]:
            assert src[s["start"] : s["end"]] == s["value"]
    assert any(s["slot"] == "from" and s["value"] == "Boston" for s in lines[0]["slots"])
    # `crftagger tag` opens the model's slot tagger (io.open.open_tagger)
    monkeypatch.setattr("sys.stdin", io.StringIO("flights from boston to denver\n"))
    code = cli.main(["tag", "-m", str(model), "-f", "text"])
    out, err = capsys.readouterr()
    assert code == 0, err
    spans = json.loads(out.splitlines()[0])["spans"]
    assert [(s["label"], s["text"]) for s in spans] == [
        (s.slot, s.value) for s in loaded.parse("flights from boston to denver").slots
    ]
    # a file without intent lines: the error names the file and the line
    bad = tmp_path / "bad.txt"
    bad.write_text("flights\tO\n")
    code = cli.main(["train", "--task", "slots", str(bad), "-o", str(tmp_path / "x")])
    _out, err = capsys.readouterr()
    assert code == 1 and f"{bad}:1" in err and "intent" in err


@pytest.mark.corpora
def test_crafted_intent_ngram_ranges_are_refused(filler, tmp_path):
    from crftagger.io import container

    path = tmp_path / "f.crftagger"
    filler.save(path)
    arrays, header = container.load(path)
    assert header["intent"]["features"] == "tfidf+slots"
    header["intent"]["ngrams"] = {k: [1, 10**9] for k in header["intent"]["ngrams"]}
    bad = tmp_path / "bad.crftagger"
    container.save(bad, arrays, header)
    with pytest.raises(TaggerError, match="n-gram ranges"):
        SlotFiller.load(bad)
