"""Word clusters learned from text: PPMI-SVD vectors, divisive bit strings, Brown files, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from crftagger.corpora import corpus_text
from crftagger.features import Clusters, feature_set
from crftagger.features import clusterlearn as cl


def toy_text(repeat: int = 30) -> list[list[str]]:
    """Two word classes in disjoint contexts: names before 'said', fruits after 'ate the'."""
    names = ["alice", "bob", "carol", "dave"]
    fruits = ["apple", "pear", "plum", "fig"]
    out = []
    for r in range(repeat):
        n = names[r % 4]
        f = fruits[(r * 3) % 4]
        out.append([n, "said", "hello", "today", "."])
        out.append(["yesterday", n, "said", "goodbye", "."])
        out.append(["we", "ate", "the", f, "for", "lunch", "."])
        out.append(["they", "ate", "the", f, "and", "left", "."])
    return out


def common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_classes_share_longer_prefixes_than_across():
    rows = cl.learn(toy_text(), dim=8, n_contexts=50)
    bits = {w: b for b, w, _ in rows}
    names = ["alice", "bob", "carol", "dave"]
    fruits = ["apple", "pear", "plum", "fig"]
    within = min(
        common_prefix(bits[a], bits[b]) for g in (names, fruits) for a in g for b in g if a != b
    )
    across = max(common_prefix(bits[a], bits[b]) for a in names for b in fruits)
    assert within > across


def test_counts_order_and_brown_file_round_trip(tmp_path):
    text = toy_text(8) + [["Rare", "Rare"]]
    rows = cl.learn(text, dim=6, n_contexts=40, min_count=2)
    counts = {w: n for _, w, n in rows}
    assert counts["said"] == 16 and counts["."] == 32
    assert counts["rare"] == 2  # lower-cased before counting
    assert rows == sorted(rows, key=lambda r: (r[0], -r[2], r[1]))
    path = cl.write_paths(rows, tmp_path / "sub" / "paths.txt")
    c = Clusters.from_file(path)
    assert len(c) == len(rows)
    assert c.prefix_function(3)("said") == dict((w, b) for b, w, _ in rows)["said"][:3]


def test_divisive_bits_are_distinct_and_prefix_free():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    bits = cl.divisive_bits(X, max_depth=30)
    assert len(set(bits)) == 40
    for a in bits:
        for b in bits:
            assert a == b or not b.startswith(a)


def test_depth_cap_and_identical_vectors():
    X = np.ones((6, 3)) / np.sqrt(3)
    bits = cl.divisive_bits(X, max_depth=2)
    assert all(1 <= len(b) <= 2 for b in bits)
    assert len(set(bits)) == 4  # split by position once the vectors cannot tell words apart


def test_cache_reuses_identical_input_and_separates_others(tmp_path):
    p1 = cl.learn_cached(toy_text(6), cache=tmp_path, dim=4, n_contexts=30)
    m1 = p1.stat().st_mtime_ns
    p2 = cl.learn_cached(toy_text(6), cache=tmp_path, dim=4, n_contexts=30)
    assert p1 == p2 and p2.stat().st_mtime_ns == m1
    p3 = cl.learn_cached(toy_text(7), cache=tmp_path, dim=4, n_contexts=30)
    p4 = cl.learn_cached(toy_text(6), cache=tmp_path, dim=5, n_contexts=30)
    assert len({p1, p3, p4}) == 3


def test_bad_input_and_parameters():
    with pytest.raises(cl.ClusterLearnError, match="at least 2"):
        cl.learn([["one", "two"]])
    with pytest.raises(cl.ClusterLearnError, match="sentence 1 is a string"):
        cl.learn([["a", "b"], "a b"])
    with pytest.raises(cl.ClusterLearnError, match="sentence 0, token 1"):
        cl.learn([["a", 3]])
    with pytest.raises(cl.ClusterLearnError, match="window"):
        cl.learn(toy_text(2), window=0)
    with pytest.raises(cl.ClusterLearnError, match="test split"):
        corpus_text(["conll2003"], splits=("train", "test"))


def test_ner_v2_records_the_cluster_fingerprint(tmp_path):
    path = cl.write_paths(cl.learn(toy_text(6), dim=4, n_contexts=30), tmp_path / "c.txt")
    fs = feature_set("ner", version=2, gazetteers=False, document=False, clusters=path)
    assert fs.version == 2
    assert fs.params["clusters_fingerprint"] == cl.file_fingerprint(path)
    assert all(
        d.get("fingerprint") == fs.params["clusters_fingerprint"]
        for d in fs.extractors.values()
        if d["kind"] == "cluster"
    )
    feats = fs.extractor().to_dicts([["bob", "said", "hello"]])
    bob = feats[0][0]
    want = Clusters.from_file(path).paths["bob"]
    assert bob[f"cl4[0]={want[:4]}"] == 1.0
    # ner v1 stays buildable and unchanged by the new version
    v1 = feature_set("ner", version=1, gazetteers=False)
    assert v1.version == 1 and not any(d["kind"] == "document" for d in v1.extractors.values())


def test_learned_clusters_on_real_text(data_dir):
    text = corpus_text(["wnut17"], splits=("dev",), data_dir=data_dir)
    rows = cl.learn(text, dim=20, n_contexts=300, max_words=2000)
    assert 500 < len(rows) <= 2000
    assert len({b for b, _, _ in rows}) > 100


def test_changed_cluster_file_is_reported(tmp_path):
    path = cl.write_paths(cl.learn(toy_text(6), dim=4, n_contexts=30), tmp_path / "c.txt")
    fs = feature_set("ner", gazetteers=False, document=False, clusters=path)
    fs.extractor()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("0\tnewword\t1\n")
    with pytest.warns(UserWarning, match="has changed since the feature set was written"):
        fs.extractor()
