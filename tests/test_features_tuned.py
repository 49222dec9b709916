"""The tuned versions of the ``chunk``, ``pos`` and ``slots`` feature sets (v1 stays buildable)."""

from __future__ import annotations

import pytest

from crftagger.features import FeatureSet, feature_set

WORDS = ["show", "me", "flights", "from", "boston", "to", "denver", "tomorrow"]


def _attrs(fs: FeatureSet, sent) -> list[set[str]]:
    return [set(d) for d in fs.extractor().to_dicts([sent])[0]]


@pytest.mark.parametrize("name", ["chunk", "pos", "slots"])
def test_v1_still_built_and_latest_is_default(name):
    v1 = feature_set(name, version=1)
    latest = feature_set(name)
    assert v1.version == 1
    assert latest.version >= 1
    assert FeatureSet.from_json(latest.to_json()) == latest
    assert FeatureSet.from_json(v1.to_json()) == v1


def test_slots_v1_unchanged():
    labels = [t.label() for t in feature_set("slots", version=1).templates]
    assert len(labels) == 26
    assert "lw[-3]=%lw[-3]" not in labels


def test_slots_v2_window_and_trigrams():
    fs = feature_set("slots", version=2)
    a = _attrs(fs, WORDS)
    # token 4 = "boston": +-3 window, trigrams ending and starting at it, bigrams at distance 2-3
    assert {
        "lw[-3]=me",
        "lw[3]=tomorrow",
        "lw[-2]|lw[-1]|lw[0]=flights|from|boston",
        "lw[0]|lw[1]|lw[2]=boston|to|denver",
        "lw[-3]|lw[-2]=me|flights",
        "lw[2]|lw[3]=denver|tomorrow",
        "s3[-1]=rom",
        "s4[0]=ston",
        "p4[0]=bost",
    } <= a[4]
    # 2-letter neighbour "to" has no 3-suffix
    assert not any(x.startswith("s3[1]=") for x in a[4])
    # padding beyond the sentence start
    assert "lw[-3]=_B-3" in a[0] and "lw[3]=_B+3" in a[7]


def _cluster_file(tmp_path):
    path = tmp_path / "paths.txt"
    rows = [("0010", "boston", 5), ("0011", "denver", 4), ("10", "flights", 9), ("110", "to", 20)]
    path.write_text("".join(f"{b}\t{w}\t{n}\n" for b, w, n in rows), encoding="utf-8")
    return path


def test_slots_v3_distance_four_and_fingerprinted_clusters(tmp_path):
    from crftagger.features.clusterlearn import file_fingerprint

    plain = feature_set("slots", version=3)
    a = _attrs(plain, WORDS)
    assert {"lw[-4]=show", "lw[4]=_B+1"} <= a[4] - _attrs(feature_set("slots", version=2), WORDS)[4]
    assert not any(x.startswith("cl") for x in a[4])
    path = _cluster_file(tmp_path)
    fs = feature_set("slots", version=3, clusters=str(path))
    fp = file_fingerprint(path)
    assert fs.params["clusters_fingerprint"] == fp
    assert all(d["fingerprint"] == fp for d in fs.extractors.values() if d["kind"] == "cluster")
    b = _attrs(fs, WORDS)
    assert {"cl4[0]=0010", "cl6[0]=0010", "cl4[1]=110", "cl4[-1]"} & b[4] >= {
        "cl4[0]=0010",
        "cl4[1]=110",
    }
    assert FeatureSet.from_json(fs.to_json()) == fs


def test_slots_v4_left_bag_and_v3_without_it():
    v3 = feature_set("slots", version=3)
    v4 = feature_set("slots", version=4)
    assert v4.version == 4 and v4.params["left_bag"] == [-15, -5]
    assert feature_set("slots", version=4, left_bag=None).templates == v3.templates
    sent = ["list", "flights", "that", "leave", "early", "and", "arrive", "in", "the", "evening"]
    extra = [a - b for a, b in zip(_attrs(v4, sent), _attrs(v3, sent), strict=True)]
    assert extra[9] == {"lw{-15..-5}=" + w for w in sent[:5]}
    assert extra[4] == set() and extra[5] == {"lw{-15..-5}=list"}
    narrow = _attrs(feature_set("slots", version=4, left_bag=(-6, -5)), sent)
    assert {x for x in narrow[9] if x.startswith("lw{")} == {"lw{-6..-5}=leave", "lw{-6..-5}=early"}
    assert FeatureSet.from_json(v4.to_json()) == v4
    for bad in [(-5, -15), (1, 3), "x", (-3,)]:
        with pytest.raises(ValueError, match="left_bag"):
            feature_set("slots", version=4, left_bag=bad)


def test_slots_v5_stem_bags_and_v4_without_them():
    v4 = feature_set("slots", version=4)
    v5 = feature_set("slots")
    assert v5.version == 5 and v5.params["stem_bags"] == [[-15, -1], [1, 15]]
    assert feature_set("slots", stem_bags=None).templates == v4.templates
    assert feature_set("slots", stem_bags=[]).templates == v4.templates
    sent = ["show", "flights", "arriving", "in", "denver", "before", "noon", "on", "monday"]
    extra = [a - b for a, b in zip(_attrs(v5, sent), _attrs(v4, sent), strict=True)]
    # words of fewer than 5 letters add nothing; a repeated stem is one attribute name
    assert extra[4] == {
        "p5{-15..-1}=fligh",
        "p5{-15..-1}=arriv",
        "p5{1..15}=befor",
        "p5{1..15}=monda",
    }
    assert extra[8] == {"p5{-15..-1}=" + p for p in ("fligh", "arriv", "denve", "befor")}
    assert extra[0] == {"p5{1..15}=" + p for p in ("fligh", "arriv", "denve", "befor", "monda")}
    left = _attrs(feature_set("slots", stem_bags=[(-2, -1)]), sent)
    assert {x for x in left[4] if x.startswith("p5{")} == {"p5{-2..-1}=arriv"}
    assert FeatureSet.from_json(v5.to_json()) == v5
    for bad in [(-1, 1), (3, 1), "x", [(0, 2)], [(-3,)]]:
        with pytest.raises(ValueError, match="stem_bags"):
            feature_set("slots", stem_bags=bad if isinstance(bad, list) else [bad])


def test_ner_v3_adds_name_lists_and_stays_v2_without_them():
    v2 = feature_set("ner", version=2)
    v3 = feature_set("ner")
    assert v3.version == 3 and v3.params["names"] == "en"
    assert feature_set("ner", names=None).templates == v2.templates
    sent = ["yesterday", "james", "smith", "met", "Mary", "Jones"]
    cs = _attrs(v3, sent)
    assert {"gfirst[0]=S", "glast[1]=S"} <= cs[4] and "glast[0]=S" in cs[5]
    assert not any(x.startswith("gfirst[0]") for x in cs[1])  # case-sensitive: "james" is no name
    ci = _attrs(feature_set("ner", names_case_sensitive=False), sent)
    assert any(x.startswith("gfirst[0]") for x in ci[1]) and any(
        x.startswith("glast[0]") for x in ci[2]
    )
    assert any(x.startswith("gfirst[1]") for x in ci[0])
    assert not any(
        x.startswith(("gfirst", "glast"))
        for a in _attrs(feature_set("ner", gazetteers=False), sent)
        for x in a
    )
    es = feature_set("ner", names="es")
    assert es.extractors["gfirst"]["source"] == "faker:first_names:es_ES"
    with pytest.raises(ValueError, match="names="):
        feature_set("ner", names="xx")
    assert FeatureSet.from_json(v3.to_json()) == v3


def test_ner_context_bags():
    plain = feature_set("ner")
    bagged = feature_set("ner", context_bags=[(-6, -3), (3, 6)])
    assert "context_bags" not in plain.params and bagged.params["context_bags"] == [
        [-6, -3],
        [3, 6],
    ]
    sent = ["el", "presidente", "de", "la", "empresa", "Telefonica", "dijo", "ayer", "en", "Madrid"]
    extra = [a - b for a, b in zip(_attrs(bagged, sent), _attrs(plain, sent), strict=True)]
    assert extra[5] == {
        "lw{-6..-3}=el",
        "lw{-6..-3}=presidente",
        "lw{-6..-3}=de",
        "lw{3..6}=en",
        "lw{3..6}=madrid",
    }
    assert extra[0] == {"lw{3..6}=la", "lw{3..6}=empresa", "lw{3..6}=telefonica", "lw{3..6}=dijo"}
    assert FeatureSet.from_json(bagged.to_json()) == bagged
    for bad in [[(3, 1)], [("a", 2)], [5]]:
        with pytest.raises(ValueError, match="context_bags"):
            feature_set("ner", context_bags=bad)
