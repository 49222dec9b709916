"""Cross-checks with CRFsuite on identical features.

A CRFsuite model is trained (python-crfsuite, L-BFGS) on the first sentences
of CoNLL-2000 and imported at full precision; our kernels must reproduce
CRFsuite's marginals, Viterbi labels and training objective at its weights.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from helpers import read_conll2000

from crftagger.engine.encoding import Vocabulary, encode_dicts
from crftagger.engine.model import FeatureIndex
from crftagger.engine.objective import Objective
from crftagger.io import crfsuite

pycrfsuite = pytest.importorskip("pycrfsuite")

C2 = 1.0
N_TRAIN = 500
N_TEST = 150


def window_attributes(sent):
    """Word/POS window attributes (names as lists: value 1), plus __BOS__/__EOS__."""
    out = []
    T = len(sent)
    for t in range(T):
        a = [f"w[0]={sent[t][0]}", f"pos[0]={sent[t][1]}"]
        if t > 0:
            a += [f"w[-1]={sent[t - 1][0]}", f"pos[-1]|pos[0]={sent[t - 1][1]}|{sent[t][1]}"]
        else:
            a.append("__BOS__")
        if t < T - 1:
            a += [f"w[1]={sent[t + 1][0]}", f"pos[1]={sent[t + 1][1]}"]
        else:
            a.append("__EOS__")
        out.append(a)
    return out


@pytest.fixture(scope="module")
def trained(data_dir, tmp_path_factory):
    root = data_dir / "conll2000"
    train = read_conll2000(root / "train.txt", N_TRAIN)
    test = read_conll2000(root / "test.txt", N_TEST)
    X = [window_attributes(s) for s in train]
    y = [[r[2] for r in s] for s in train]
    Xt = [window_attributes(s) for s in test]
    trainer = pycrfsuite.Trainer(verbose=False)
    messages = []
    trainer.message = messages.append
    for xs, ys in zip(X, y, strict=True):
        trainer.append(pycrfsuite.ItemSequence(xs), ys)
    trainer.set_params({"c2": C2, "max_iterations": 60})
    path = str(tmp_path_factory.mktemp("crfsuite") / "chunk.crfsuite")
    trainer.train(path)
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return dict(path=path, X=X, y=y, Xt=Xt, log="".join(messages), tagger=tagger)


def crfsuite_marginals(tagger, xseq, labels):
    tagger.set(pycrfsuite.ItemSequence(xseq))
    return np.array([[tagger.marginal(lab, t) for lab in labels] for t in range(len(xseq))])


def test_binary_import_agrees_with_text_dump(trained):
    full = crfsuite.read_crfsuite_model(trained["path"])
    dump = crfsuite.read_crfsuite_dump(trained["path"])
    assert full.labels == list(trained["tagger"].labels())
    m_full, m_dump = full.to_crf(), dump.to_crf()
    sf, sd = m_full.state_features_, m_dump.state_features_
    assert set(sf) == set(sd)
    assert max(abs(sf[k] - sd[k]) for k in sd) <= 5e-7 + 1e-12
    tf, td = m_full.transition_features_, m_dump.transition_features_
    assert set(tf) == set(td)
    assert max(abs(tf[k] - td[k]) for k in td) <= 5e-7 + 1e-12
    # CRFsuite's log reports the stored counts
    m = re.search(r"Number of active features: (\d+)", trained["log"])
    assert m_full.n_features == int(m.group(1))


def test_marginals_and_viterbi_match_crfsuite(trained):
    model = crfsuite.load_crfsuite(trained["path"])
    labels = model.labels.items
    tagger = trained["tagger"]
    Xt = trained["Xt"]
    data = encode_dicts(Xt, model.attributes)
    ours = model.predict_marginals(data)
    pred = model.predict(data)
    worst = 0.0
    for s, xseq in enumerate(Xt):
        i0, i1 = data.seq_ptr[s], data.seq_ptr[s + 1]
        ref = crfsuite_marginals(tagger, xseq, labels)
        worst = max(worst, float(np.max(np.abs(ours[i0:i1] - ref))))
        ref_tags = tagger.tag(pycrfsuite.ItemSequence(xseq))
        assert [labels[k] for k in pred[i0:i1]] == ref_tags, f"sentence {s}"
    assert worst < 1e-5
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, atol=1e-12)


def test_objective_at_crfsuite_weights_equals_reported_loss(trained):
    log = trained["log"]
    losses = [float(v) for v in re.findall(r"^Loss: ([0-9.]+)", log, re.M)]
    reported = losses[-1]
    attributes, labels = Vocabulary(), Vocabulary()
    data = encode_dicts(trained["X"], attributes, trained["y"], labels)
    index = FeatureIndex.build(data, len(attributes), len(labels))
    n_reported = int(re.search(r"Number of features: (\d+)", log).group(1))
    assert index.n_features == n_reported
    imported = crfsuite.load_crfsuite(trained["path"])
    model = imported.reindexed(labels, attributes, index)
    # every imported weight found its slot in the index built from the data
    assert np.count_nonzero(model.w) == np.count_nonzero(imported.w)
    ours = model.loss(data, c2=C2)
    assert ours == pytest.approx(reported, rel=1e-4)
    assert ours == pytest.approx(reported, abs=1e-6)  # CRFsuite prints 6 decimals
    # the training objective (parallel kernels) agrees as well
    obj = Objective(
        data, index.feat_ptr, index.feat_label, len(labels), c2=C2, trans_mask=index.trans_mask
    )
    f, grad = obj(model.w)
    assert f == pytest.approx(reported, rel=1e-4)
    assert f == pytest.approx(reported, abs=1e-6)
    assert f == pytest.approx(ours, rel=1e-10)
    # CRFsuite stopped after 60 iterations, not at the optimum: the gradient is small, not 0
    assert np.linalg.norm(grad) < 0.05 * np.linalg.norm(obj(np.zeros_like(model.w))[1])


def test_reading_a_corrupt_file_fails_clearly(trained, tmp_path):
    raw = open(trained["path"], "rb").read()
    bad = tmp_path / "bad.crfsuite"
    bad.write_bytes(b"XXXX" + raw[4:])
    with pytest.raises(crfsuite.CRFsuiteModelError, match="magic"):
        crfsuite.read_crfsuite_model(bad)
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(crfsuite.CRFsuiteModelError, match=str(bad.name)):
        crfsuite.read_crfsuite_model(bad)
    bad.write_bytes(raw[:20])
    with pytest.raises(crfsuite.CRFsuiteModelError, match="too short"):
        crfsuite.read_crfsuite_model(bad)
    assert os.path.exists(trained["path"])


@pytest.mark.parametrize(
    "options",
    [
        {"all_possible_states": True, "all_possible_transitions": True},
        {"min_freq": 2.0},
    ],
)
def test_objective_matches_with_other_feature_sets(trained, tmp_path, options):
    X, y = trained["X"][:150], trained["y"][:150]
    trainer = pycrfsuite.Trainer(verbose=False)
    messages = []
    trainer.message = messages.append
    for xs, ys in zip(X, y, strict=True):
        trainer.append(pycrfsuite.ItemSequence(xs), ys)
    trainer.set_params(
        {
            "c2": 0.5,
            "max_iterations": 15,
            "feature.possible_states": options.get("all_possible_states", False),
            "feature.possible_transitions": options.get("all_possible_transitions", False),
            "feature.minfreq": options.get("min_freq", 0.0),
        }
    )
    path = str(tmp_path / "m.crfsuite")
    trainer.train(path)
    log = "".join(messages)
    reported = float(re.findall(r"^Loss: ([0-9.]+)", log, re.M)[-1])
    attributes, labels = Vocabulary(), Vocabulary()
    data = encode_dicts(X, attributes, y, labels)
    index = FeatureIndex.build(data, len(attributes), len(labels), **options)
    assert index.n_features == int(re.search(r"Number of features: (\d+)", log).group(1))
    imported = crfsuite.load_crfsuite(path)
    model = imported.reindexed(labels, attributes, index)
    assert np.count_nonzero(model.w) == np.count_nonzero(imported.w)
    assert model.loss(data, c2=0.5) == pytest.approx(reported, abs=1e-6)
