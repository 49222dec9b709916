"""Pruned models (zero-weight state features and idle attributes dropped) answer bit-identically."""

from __future__ import annotations

import numpy as np
import pytest

from crftagger.api.tagger import Tagger
from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.engine.model import LinearChainCRF, ModelError


def sparse_model(seed: int, A: int = 40, L: int = 4, zero_share: float = 0.7) -> LinearChainCRF:
    """A model over every (attribute, label) pair whose state weights are mostly exact zeros."""
    rng = np.random.default_rng(seed)
    feat_ptr = np.arange(A + 1, dtype=np.int64) * L
    feat_label = np.tile(np.arange(L, dtype=np.int32), A)
    K = A * L
    state = rng.normal(size=K)
    state[rng.random(K) < zero_share] = 0.0
    state[:L] = -0.0  # attribute 0: signed zeros only, dropped like +0
    state[L * 5 : L * 6] = [0.0, 0.0, 1.5, 0.0]  # attribute 5 keeps one feature
    trans_mask = (rng.random(L * L) < 0.8).astype(np.uint8)
    trans = rng.normal(size=L * L) * trans_mask
    attrs = Vocabulary.from_list([f"a{i}" for i in range(A)]).freeze()
    labels = Vocabulary.from_list([f"L{i}" for i in range(L)]).freeze()
    return LinearChainCRF(
        labels, attrs, feat_ptr, feat_label, np.concatenate([state, trans]), trans_mask
    )


def random_names(rng, A: int, n_seq: int = 12) -> tuple[list[list[list[str]]], list[list[float]]]:
    """Random sequences of attribute names (some unknown to every model) and their values."""
    X, V = [], []
    for _ in range(n_seq):
        seq, vals = [], []
        for _ in range(int(rng.integers(0, 7))):
            names = [f"a{int(i)}" for i in rng.integers(0, A + 5, size=int(rng.integers(0, 6)))]
            seq.append(names)
            vals.extend(rng.choice([1.0, 0.5, -2.0, 3.25], size=len(names)).tolist())
        X.append(seq)
        V.append(vals)
    return X, V


def encode(X, V, attributes: Vocabulary) -> AttributeSequences:
    """Attribute names to arrays over ``attributes``; unknown names keep id -1 (skipped)."""
    seq_ptr, item_ptr, ids = [0], [0], []
    for seq in X:
        for names in seq:
            ids.extend(attributes.get(n) for n in names)
            item_ptr.append(len(ids))
        seq_ptr.append(len(item_ptr) - 1)
    vals = np.array([v for vs in V for v in vs], dtype=np.float64)
    return AttributeSequences(
        np.array(seq_ptr, np.int64), np.array(item_ptr, np.int64), np.array(ids, np.int32), vals
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pruned_model_is_bit_identical(seed):
    model = sparse_model(seed)
    small = model.pruned()
    sw = model.state_weights
    assert small.n_state_features == np.count_nonzero(sw)
    assert np.all(small.state_weights != 0)
    assert "a0" not in small.attributes and "a5" in small.attributes
    # kept attributes keep their order; every kept one has a feature
    kept = [a for a in model.attributes if a in small.attributes]
    assert small.attributes.items == kept
    assert np.all(np.diff(small.feat_ptr) > 0)
    assert small.state_features_ == {k: v for k, v in model.state_features_.items() if v != 0}
    assert np.array_equal(small.transition_weights, model.transition_weights)
    assert np.array_equal(small.trans_mask, model.trans_mask)
    rng = np.random.default_rng(100 + seed)
    X, V = random_names(rng, len(model.attributes))
    big_data, small_data = encode(X, V, model.attributes), encode(X, V, small.attributes)
    assert np.array_equal(model.predict(big_data), small.predict(small_data))
    assert np.array_equal(model.predict_marginals(big_data), small.predict_marginals(small_data))
    assert np.array_equal(model.log_partition(big_data), small.log_partition(small_data))


def test_nothing_to_prune_returns_the_model():
    model = sparse_model(3, zero_share=0.0)
    model.state_weights[:8] = 1.0  # attributes 0 and 5 get non-zero weights too
    model.state_weights[20:24] = 1.0
    assert model.pruned() is model


def test_save_prunes_unless_asked(tmp_path):
    model = sparse_model(4)
    small_path = model.save(tmp_path / "small.model")
    full_path = model.save(tmp_path / "full.model", prune=False)
    assert small_path.stat().st_size < full_path.stat().st_size
    small, full = LinearChainCRF.load(small_path), LinearChainCRF.load(full_path)
    assert full.attributes == model.attributes and np.array_equal(full.w, model.w)
    assert small.attributes == model.pruned().attributes
    assert np.array_equal(small.w, model.pruned().w)
    X, V = random_names(np.random.default_rng(5), len(model.attributes))
    assert np.array_equal(
        small.predict_marginals(encode(X, V, small.attributes)),
        full.predict_marginals(encode(X, V, full.attributes)),
    )


def test_vocabulary_from_list():
    v = Vocabulary.from_list(["b", "a", "c"])
    assert v.items == ["b", "a", "c"] and [v.get(x) for x in "abcz"] == [1, 0, 2, -1]
    assert v.add("d") == 3 and v.items[-1] == "d"
    assert Vocabulary.from_list([]).items == []
    with pytest.raises(ValueError, match=r"'a' twice \(again at position 2\)"):
        Vocabulary.from_list(["a", "b", "a"])


def test_duplicate_attributes_in_a_model_file_are_refused():
    model = sparse_model(6)
    arrays = model.arrays()
    arrays["attributes"] = ["a1"] + arrays["attributes"][1:]
    with pytest.raises(ModelError, match="twice"):
        LinearChainCRF.from_arrays(arrays, where="m.model")


@pytest.fixture(scope="module")
def chunk_tagger(data_dir):
    from crftagger.corpora import load

    train = load("conll2000", "train", data_dir)[:400]
    return Tagger.train(train, "chunk", label_column="chunk", c1=0.1, c2=0.1, max_iterations=25)


def test_tagger_round_trip_on_real_data(chunk_tagger, data_dir, tmp_path):
    from crftagger.corpora import load

    model = chunk_tagger.model
    assert np.count_nonzero(model.state_weights) < model.n_state_features  # L1 left zeros
    small_path = chunk_tagger.save(tmp_path / "chunk.crftagger")
    full_path = chunk_tagger.save(tmp_path / "chunk-full.crftagger", prune=False)
    assert small_path.stat().st_size < full_path.stat().st_size
    small, full = Tagger.load(small_path), Tagger.load(full_path)
    assert small.model.n_state_features == np.count_nonzero(model.state_weights)
    assert len(small.model.attributes) < len(model.attributes)
    assert full.model.attributes == model.attributes

    batch = load("conll2000", "test", data_dir)[:150]
    assert small.tag(batch) == chunk_tagger.tag(batch) == full.tag(batch)
    data_small, data_orig = small.encode(batch), chunk_tagger.encode(batch)
    assert data_small.n_items == data_orig.n_items
    assert len(data_small.attr_ids) < len(data_orig.attr_ids)  # idle attributes are unknown now
    assert np.array_equal(
        small.model.predict_marginals(data_small), model.predict_marginals(data_orig)
    )
    assert np.array_equal(small.model.log_partition(data_small), model.log_partition(data_orig))
    assert small.marginals(batch[:5]) == chunk_tagger.marginals(batch[:5])
