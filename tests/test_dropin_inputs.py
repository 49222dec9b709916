"""crftagger.CRF reads what python-crfsuite reads, and keeps sklearn-crfsuite's estimator semantics.

python-crfsuite (``pycrfsuite.ItemSequence``) is the oracle for the item
formats; CRFsuite itself (``pycrfsuite.Tagger`` on the files crftagger
writes) is the oracle for the model files, the dump, the marginals and the
probability of a label sequence.
"""

from __future__ import annotations

import itertools
import math
import os
import pickle
import random

import numpy as np
import pycrfsuite
import pytest

from crftagger import CRF
from crftagger.api.crf import check_X
from crftagger.api.crfsuite_tagger import ModelTagger
from crftagger.errors import CRFError, CRFsuiteModelError, NotFittedError
from crftagger.io.crfsuite import (
    check_crfsuite_bytes,
    cqdb_hash,
    crfsuite_bytes,
    crfsuite_dump,
    read_crfsuite_model,
)

ENGINES = ("numba", "crfsuite")


def weather(n_copies: int = 20, key=str, value=str):
    """sklearn-crfsuite's test fixture, with the key and value encodings given."""
    xseq = [
        {"walk": 1, "shop": 0.5},
        {"walk": 1},
        {"walk": 1, "clean": 0.5},
        {"shop": 0.5, "clean": 0.5},
        {"walk": 0.5, "clean": 1},
        {"clean": 1, "shop": 0.1},
        {"walk": 1, "shop": 0.5},
        {},
        {"clean": 1},
        {key("солнце"): value("не светит"), "clean": 1},
    ]
    yseq = ["sunny"] * 3 + ["rainy"] * 3 + ["sunny"] * 2 + ["rainy"] * 2
    return [xseq] * n_copies, [yseq] * n_copies


def _utf8(s: str) -> bytes:
    return s.encode("utf-8")


def _as_dict(item) -> dict[str, float]:
    """An item normalised by check_X as one ``{name: value}`` dict."""
    if isinstance(item, dict):
        out = {}
        for k, v in item.items():
            out[f"{k}:{v}" if isinstance(v, str) else k] = (
                float(v) if not isinstance(v, str) else 1.0
            )
        return out
    return {name: 1.0 for name in item}


ITEMS = [
    {"w": _utf8("не светит")},
    {_utf8("w"): 1.5},
    {_utf8("w"): _utf8("x"), "v": "y"},
    {"w": ["a", "b"], "n": 2},
    {"w": {"lower": 1.0, "suffix": "ed", _utf8("k"): _utf8("v")}},
    {"w": {"a": {"b": 3}}, "s": {"q"}},
    {"w": True, "f": False},
    {"w": np.float32(0.25), "i": np.int64(3)},
    ["a", _utf8("b")],
    ("a", "b"),
    {"w": "a:b", "": 1},
]


@pytest.mark.parametrize("item", ITEMS, ids=[repr(i)[:40] for i in ITEMS])
def test_items_are_read_as_python_crfsuite_reads_them(item):
    ours = _as_dict(check_X([[item]])[0][0])
    assert ours == pycrfsuite.ItemSequence([item]).items()[0]


@pytest.mark.parametrize(
    "item, match",
    [
        ({"w": ("a", "b")}, "tuple"),
        ({"w": frozenset({"a"})}, "frozenset"),
        ({"w": None}, "NoneType"),
        ({1: 1.0}, "attribute name 1"),
        ({"w": ["a", 1]}, "lists 1"),
        ({"w": b"\xff"}, "not UTF-8"),
        ({b"\xff": 1.0}, "not UTF-8"),
    ],
)
def test_what_python_crfsuite_refuses_is_refused(item, match):
    with pytest.raises(CRFError, match=match) as exc:
        check_X([[item]])
    assert "sequence 0, item 0" in str(exc.value)
    with pytest.raises(Exception):  # noqa: B017 - python-crfsuite's errors are bare
        pycrfsuite.ItemSequence([item]).items()


@pytest.mark.parametrize("engine", ENGINES)
def test_bytes_values_and_keys_train_and_tag_as_strings(engine):
    X, y = weather()
    Xb, _ = weather(value=_utf8)
    Xk, _ = weather(key=_utf8, value=_utf8)
    ref = CRF(engine=engine).fit(X, y)
    crf = CRF(engine=engine).fit(Xb, y)
    assert crf.state_features_ == ref.state_features_
    assert "солнце:не светит" in crf.attributes_
    # a model trained on str keys sees bytes keys at tagging (no silent 0.5/0.5)
    m_ref = ref.predict_marginals_array(X[:1])[0]
    m_bytes = ref.predict_marginals_array(Xk[:1])[0]
    np.testing.assert_allclose(m_bytes, m_ref, rtol=0, atol=1e-12)
    assert not np.allclose(m_ref[-1], 0.5)
    assert ref.predict(Xk[:1]) == y[:1]


@pytest.mark.parametrize("engine", ENGINES)
def test_item_sequences_are_accepted(engine):
    X, y = weather(5)
    seqs = [pycrfsuite.ItemSequence(x) for x in X]
    a = CRF(engine=engine).fit(X, y)
    b = CRF(engine=engine).fit(seqs, y)
    assert b.state_features_ == a.state_features_
    assert b.predict(seqs) == a.predict(X) == y
    assert b.predict_marginals(seqs[:1]) == a.predict_marginals(X[:1])


@pytest.mark.parametrize("engine", ENGINES)
def test_fitted_attributes_are_none_before_fit(engine):
    crf = CRF(engine=engine)
    for name in (
        "tagger_",
        "size_",
        "classes_",
        "num_attributes_",
        "attributes_",
        "state_features_",
        "transition_features_",
    ):
        assert getattr(crf, name) is None, name
    with pytest.raises(NotFittedError):
        crf.predict([[{"a": 1}]])
    with pytest.raises(NotFittedError):
        crf.dump()
    X, y = weather()
    crf.fit(X, y)
    assert crf.tagger_ is not None and set(crf.classes_) == {"sunny", "rainy"}
    assert crf.num_attributes_ == len(crf.attributes_) > 0


def test_model_filename_round_trip_through_crfsuite(tmp_path):
    X, y = weather()
    path = tmp_path / "weather.crfsuite"
    crf = CRF(model_filename=str(path)).fit(X, y)
    assert crf.size_ == os.path.getsize(path)
    # the file is CRFsuite's: python-crfsuite opens it and tags as crftagger does
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    assert [tagger.tag(x) for x in X[:1]] == crf.predict(X[:1])
    tagger.set(X[0])
    ours = crf.predict_marginals(X[:1])[0]
    for t, m in enumerate(ours):
        for lab, p in m.items():
            assert tagger.marginal(lab, t) == pytest.approx(p, abs=1e-12)
    info = tagger.info()
    assert set(info.state_features) == set(crf.state_features_)
    for k, v in info.state_features.items():
        assert crf.state_features_[k] == pytest.approx(v, abs=5e-7)
    # the weights come back bit for bit (the file keeps the non-zero ones)
    back = read_crfsuite_model(path).to_crf()

    def nonzero(d):
        return {k: v for k, v in d.items() if v != 0.0}

    assert back.state_features_ == nonzero(crf.model_.state_features_)
    assert nonzero(back.transition_features_) == nonzero(crf.model_.transition_features_)
    # an existing file is loaded by naming it, on either engine
    for engine in ENGINES:
        loaded = CRF(model_filename=str(path), engine=engine)
        assert loaded.predict(X[:1]) == crf.predict(X[:1]) and loaded.score(X, y) == 1.0
        assert loaded.fitted_engine_ == engine
        again = pickle.loads(pickle.dumps(loaded))
        assert again.predict(X[:1]) == crf.predict(X[:1])


def test_model_filename_of_a_missing_file_is_not_fitted(tmp_path):
    crf = CRF(model_filename=str(tmp_path / "nothing.crfsuite"))
    assert crf.tagger_ is None
    with pytest.raises(NotFittedError):
        crf.predict([[{"a": 1}]])


def test_model_filename_of_a_broken_file_names_it(tmp_path):
    X, y = weather()
    path = tmp_path / "m.crfsuite"
    CRF(model_filename=str(path)).fit(X, y)
    raw = bytearray(path.read_bytes())
    raw[60:64] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(raw))
    for engine in ENGINES:
        with pytest.raises(CRFsuiteModelError, match="m.crfsuite: feature #0 has type"):
            CRF(model_filename=str(path), engine=engine).predict(X[:1])


def _random_crfsuite_file(tmp_path, seed=0):
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(150):
        n = rng.randint(1, 7)
        X.append(
            [
                {
                    f"w={rng.randint(0, 2000)}·длинное-имя"[: rng.randint(1, 40)]: 1.0,
                    f"p={rng.randint(0, 40)}": rng.random(),
                }
                for _ in range(n)
            ]
        )
        y.append([rng.choice(["B-PER", "I-PER", "O", "B-LOC", "E-LOC"]) for _ in range(n)])
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(X, y, strict=True):
        trainer.append(xseq, yseq)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": 25})
    path = tmp_path / "random.crfsuite"
    trainer.train(str(path))
    return path, X


def test_writer_gives_back_crfsuite_files_byte_for_byte(tmp_path):
    path, _ = _random_crfsuite_file(tmp_path)
    raw = path.read_bytes()
    assert crfsuite_bytes(read_crfsuite_model(path).to_crf()) == raw
    # and CRFsuite's text dump, line for line
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    tagger.dump(str(tmp_path / "ref.txt"))
    assert crfsuite_dump(raw) == (tmp_path / "ref.txt").read_text(encoding="utf-8")


def test_cqdb_hash_is_the_one_in_crfsuite_files(tmp_path):
    path, _ = _random_crfsuite_file(tmp_path, seed=3)
    raw = path.read_bytes()
    content = check_crfsuite_bytes(raw, path)
    # every bucket of the attribute database holds the hash of its record's string
    off_attrs = int.from_bytes(raw[36:40], "little")
    hashes = {}
    for t in range(256):
        ref = off_attrs + 24 + 8 * t
        t_off = int.from_bytes(raw[ref : ref + 4], "little")
        t_num = int.from_bytes(raw[ref + 4 : ref + 8], "little")
        for b in range(t_num):
            pos = off_attrs + t_off + 8 * b
            h = int.from_bytes(raw[pos : pos + 4], "little")
            rec = int.from_bytes(raw[pos + 4 : pos + 8], "little")
            if rec:
                k = int.from_bytes(raw[off_attrs + rec : off_attrs + rec + 4], "little")
                hashes[content.attributes[k]] = (h, t)
    assert len(hashes) == len(content.attributes) > 100
    for name, (h, t) in hashes.items():
        key = name.encode("utf-8") + b"\0"
        assert cqdb_hash(key) == h and h % 256 == t


def test_model_tagger_agrees_with_pycrfsuite(tmp_path):
    path, X = _random_crfsuite_file(tmp_path, seed=1)
    ref = pycrfsuite.Tagger()
    ref.open(str(path))
    crf = CRF(model_filename=str(path))  # numba engine
    ours = crf.tagger_
    assert isinstance(ours, ModelTagger) and ours.labels() == ref.labels()
    for xseq in X[:15]:
        assert ours.tag(xseq) == ref.tag(xseq)
        ref.set(xseq)
        ours.set(xseq)
        y = ref.tag()
        assert ours.probability(y) == pytest.approx(ref.probability(y), rel=1e-9)
        for t in range(len(xseq)):
            for lab in ref.labels():
                assert ours.marginal(lab, t) == pytest.approx(ref.marginal(lab, t), abs=1e-12)
    info, rinfo = ours.info(), ref.info()
    assert info.header == rinfo.header
    assert info.labels == rinfo.labels and info.attributes == rinfo.attributes
    assert info.transitions.keys() == rinfo.transitions.keys()
    for k, v in rinfo.state_features.items():
        assert info.state_features[k] == pytest.approx(v, abs=5e-7)
    ref.dump(str(tmp_path / "ref.txt"))
    ours.dump(str(tmp_path / "ours.txt"))
    assert (tmp_path / "ours.txt").read_text(encoding="utf-8") == (tmp_path / "ref.txt").read_text(
        encoding="utf-8"
    )
    assert crf.dump() == (tmp_path / "ref.txt").read_text(encoding="utf-8")
    assert CRF(model_filename=str(path), engine="crfsuite").dump() == crf.dump()
    # opened as a pycrfsuite.Tagger is opened: from the file or from its bytes
    by_file, by_bytes = ModelTagger(), ModelTagger()
    with by_file.open(str(path)):
        by_bytes.open_inmemory(path.read_bytes())
        for xseq in X[:5]:
            assert by_file.tag(xseq) == by_bytes.tag(xseq) == ref.tag(xseq)
    with pytest.raises(CRFError, match="no model"):
        by_file.tag(X[0])  # closed by the with block, as python-crfsuite's
    with pytest.raises(CRFsuiteModelError, match="in-memory model"):
        ModelTagger().open_inmemory(path.read_bytes()[:100])


@pytest.mark.parametrize("engine", ENGINES)
def test_sequence_probabilities_sum_to_one(engine):
    X, y = weather(3)
    crf = CRF(engine=engine).fit(X, y)
    xseq = X[0][:4]
    labels = crf.classes_
    every = [list(p) for p in itertools.product(labels, repeat=len(xseq))]
    probs = crf.sequence_probabilities([xseq] * len(every), every)
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    tagger = crf.tagger_
    tagger.set(xseq)
    for yseq, p in zip(every, probs, strict=True):
        assert tagger.probability(yseq) == pytest.approx(p, rel=1e-9)
    best = every[int(np.argmax(probs))]
    assert crf.predict([xseq])[0] == best
    marg = crf.predict_marginals_array([xseq])[0]
    for t in range(len(xseq)):
        for j, lab in enumerate(labels):
            total = sum(p for yseq, p in zip(every, probs, strict=True) if yseq[t] == lab)
            assert marg[t, j] == pytest.approx(total, abs=1e-9)
    assert math.isclose(crf.sequence_probabilities([[]], [[]])[0], 1.0)


def test_model_tagger_errors_name_the_problem():
    X, y = weather(3)
    tagger = CRF().fit(X, y).tagger_
    with pytest.raises(CRFError, match="no current sequence"):
        tagger.tag()
    tagger.set(X[0])
    with pytest.raises(CRFError, match="10 items but yseq has 1"):
        tagger.probability(["sunny"])
    with pytest.raises(CRFError, match="'cloudy' is not one of the model's labels"):
        tagger.marginal("cloudy", 0)
    with pytest.raises(CRFError, match="position 10 is out of range"):
        tagger.marginal("sunny", 10)
    with pytest.raises(CRFError, match="tuple"):
        tagger.set([{"w": ("a",)}])
    assert tagger.tag([]) == []
    tagger.close()
    with pytest.raises(CRFError, match="no model"):
        tagger.labels()


def test_second_order_model_tagger_and_file(tmp_path):
    X, y = weather(5)
    path = tmp_path / "o2.model"
    crf = CRF(order=2, c2=0.01, max_iterations=50, model_filename=str(path)).fit(X, y)
    tagger = crf.tagger_
    assert tagger.tag(X[0]) == crf.predict(X[:1])[0]
    tagger.set(X[0])
    assert tagger.probability(y[0]) == pytest.approx(
        crf.sequence_probabilities(X[:1], y[:1])[0], rel=1e-12
    )
    with pytest.raises(CRFError, match="order 2"):
        tagger.info()
    with pytest.raises(CRFError, match="order=2"):
        crf.dump()
    assert CRF(model_filename=str(path)).predict(X[:1]) == crf.predict(X[:1])
    with pytest.raises(CRFError, match="engine='numba'"):
        CRF(model_filename=str(path), engine="crfsuite").predict(X[:1])


def test_a_model_without_state_features_is_a_valid_crfsuite_file(tmp_path):
    # a strong L1 penalty leaves no state feature: CRFsuite writes an empty attribute database
    X, y = [[{"a": 1}, {"b": 1}]] * 5, [["x", "y"]] * 5
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in zip(X, y, strict=True):
        trainer.append(xseq, yseq)
    trainer.set_params({"c1": 1000.0, "max_iterations": 50})
    path = tmp_path / "empty.crfsuite"
    trainer.train(str(path))
    raw = path.read_bytes()
    content = check_crfsuite_bytes(raw, path)
    assert content.attributes == [] and crfsuite_bytes(content.to_crf()) == raw
    crf = CRF(c1=1000.0, max_iterations=50, model_filename=str(tmp_path / "ours.crfsuite"))
    crf.fit(X, y)
    assert crf.attributes_ == [] and crf.tagger_.info().header["num_attrs"] == "0"
    ref = pycrfsuite.Tagger()
    ref.open(str(tmp_path / "ours.crfsuite"))
    assert ref.tag(X[0]) == crf.predict(X[:1])[0]


def _key(prefix: str, k: int):
    """A str key, or (for prefix b) a bytes one."""
    return f"{prefix}{k}".encode() if prefix == "b" else f"{prefix}{k}"


def test_one_pass_encoding_equals_check_then_encode():
    """CRF.predict's one-pass path (rules only off the fast path) gives the same arrays."""
    import random

    import numpy as np

    from crftagger.api.crf import _item_to_dict, _sequences, check_X
    from crftagger.engine.encoding import Vocabulary, encode_dicts

    rng = random.Random(0)
    values = ["x", "y", "é", True, False, 0, 1, 2.5, -3, 1.0, b"v", np.float32(0.5), {"k": 1.0}]
    values += [["a", "b"], {"s"}, np.int64(7), 10**20, 1e30]
    X = []
    for _ in range(200):
        seq = []
        for _ in range(rng.randint(0, 6)):
            kind = rng.random()
            if kind < 0.1:
                seq.append([rng.choice("abc") for _ in range(rng.randint(0, 3))])
            else:
                item = {
                    _key(rng.choice(["w", "p", "s", "b"]), rng.randrange(4)): rng.choice(values)
                    for _ in range(rng.randint(0, 5))
                }
                seq.append(item)
        X.append(seq)
    for frozen in (False, True):
        vocab_a, vocab_b = Vocabulary(), Vocabulary()
        if frozen:
            for v in (vocab_a, vocab_b):
                for name in ("w0:x", "w1", "p2:y", "s3", "a", "b0:v", "w2:k"):
                    v.add(name)
                v.freeze()
        a = encode_dicts(_sequences(X), vocab_a, normalise=_item_to_dict)
        b = encode_dicts(check_X(X), vocab_b)
        assert vocab_a.items == vocab_b.items
        for field in ("seq_ptr", "item_ptr", "attr_ids", "attr_vals"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("bad", [float("nan"), 1e31, 10**400, (1, 2), None])
def test_predict_refuses_bad_values_off_the_fast_path(bad):
    crf = CRF(max_iterations=5).fit([[{"w": "a"}, {"w": "b"}]], [["A", "B"]])
    with pytest.raises(CRFError, match=r"sequence 1, item 0: attribute 'v'"):
        crf.predict([[{"w": "a"}], [{"v": bad, "w": "b"}]])
