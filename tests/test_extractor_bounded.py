"""A frozen extractor's caches stay bounded and never change its answers."""

from __future__ import annotations

import random

import numpy as np

from crftagger.features import FeatureSet, feature_set


def _sentences(rng, n, vocab):
    return [[rng.choice(vocab) for _ in range(rng.randint(1, 9))] for _ in range(n)]


def _same(a, b):
    return (
        np.array_equal(a.seq_ptr, b.seq_ptr)
        and np.array_equal(a.item_ptr, b.item_ptr)
        and np.array_equal(a.attr_ids, b.attr_ids)
    )


def test_frozen_extractor_starts_afresh_past_max_types_with_identical_output():
    rng = random.Random(0)
    known = [f"w{i}" for i in range(40)] + ["The", "the", "New", "York"]
    fs = FeatureSet.from_templates(
        ["w[0]", "lw[-1..1]", "s3[0]", "w[-1]|w[0]", "shape[0]"], pad=True, bos_eos=True
    )
    fx = fs.extractor()
    fx.transform(_sentences(rng, 300, known))
    fx.freeze()
    n_attr = len(fx.attributes)
    fx.max_types = 60
    sizes = []
    for k in range(8):
        fresh_words = [f"x{k}_{i}" for i in range(25)] + known
        batch = _sentences(rng, 40, fresh_words)
        got = fx.transform(batch)
        want = fs.extractor(attributes=fx.attributes).transform(batch)
        assert _same(got, want)
        sizes.append(len(fx.types))
    assert len(fx.attributes) == n_attr  # the frozen vocabulary never grows
    assert max(sizes) <= 60 + 25 + len(known) + 2 * fs.max_offset + 2
    assert fx.max_types == 60  # kept across the restart
    assert min(sizes) < max(sizes)  # the caches were emptied at least once


def test_named_set_with_gazetteers_and_documents_survives_a_restart():
    fs = feature_set("ner", version=2)
    train = [["John", "Smith", "lives", "in", "Paris", "."], ["Mr", "Smith", "left", "."]]
    fx = fs.extractor()
    fx.transform(train)
    fx.freeze()
    fx.max_types = 1
    batch = [["Anna", "Smith", "visited", "Berlin", "."], ["Smith", "said", "so", "."]]
    first = fx.transform(batch)
    second = fx.transform(batch)  # runs after the caches were emptied
    assert _same(first, second)
    assert _same(second, fs.extractor(attributes=fx.attributes).transform(batch))
