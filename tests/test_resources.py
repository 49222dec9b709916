"""The resource registry, its readers and the features built from resources.

Tests that read the real resources take the ``resources_root`` fixture:
``$CRFTAGGER_RESOURCES``, else ``../shared/resources`` beside the repository;
missing, they are skipped, or fail when ``CRFTAGGER_REQUIRE_DATA=1``.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from crftagger import config, resources
from crftagger.cli.app import main
from crftagger.errors import ChecksumError, DownloadError

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESOURCES = REPO.parent / "shared" / "resources"


@pytest.fixture(scope="session")
def resources_root() -> Path:
    d = resources.resources_dir() or DEFAULT_RESOURCES
    if not d.is_dir():
        msg = f"resources not found (set {resources.RESOURCES_ENV}; looked at {d})"
        if config.require_data():
            pytest.fail(msg)
        pytest.skip(msg)
    return d


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------- registry
def test_registry_names_kinds_licences_sources():
    assert {
        "ark_clusters",
        "spacy_clusters",
        "grobid_lexicon",
        "wnut16_lexicon",
        "wikidata_lexicons",
        "wordfreq",
        "glove50",
    } <= set(resources.names())
    for name in resources.names():
        r = resources.get(name)
        assert r.kind in resources.KINDS and r.licence and r.task and r.files
        for f in r.files:
            src = r.source(f)
            if r.wheel is None:
                assert src.startswith(f"{r.repo}@") and len(src.split("@")[1].split(":")[0]) == 40
                assert r.url(f).startswith("https://raw.githubusercontent.com/")
            else:
                assert src.startswith(f"pypi:{r.wheel[0]}=={r.wheel[1]}!")
                assert r.url().endswith(".whl")
    assert "GPL-3.0" in resources.get("wnut16_lexicon").licence
    assert resources.get("ark_clusters").lowercase
    with pytest.raises(resources.UnknownResourceError, match="registered resources"):
        resources.get("no_such_resource")
    with pytest.raises(resources.UnknownResourceError, match="has no file"):
        resources.get("wordfreq").file("nope.gz")


def test_every_pinned_file_matches_the_shared_folder(resources_root):
    checked = 0
    for name in resources.names():
        for v in resources.verify(name, resources_root):
            if v.expected_sha256 is None:
                assert v.status in ("missing", "unpinned")
                continue
            assert v.status == "ok", (name, v)
            checked += 1
    assert checked > 100


def test_resolution_order(tmp_path, monkeypatch):
    r = resources.get("wordfreq")
    explicit, env, cache = tmp_path / "explicit", tmp_path / "env", tmp_path / "cache"
    monkeypatch.setenv(config.CACHE_ENV, str(cache))
    monkeypatch.setenv(resources.RESOURCES_ENV, str(env))
    for root in (explicit, env, cache / "resources"):
        (root / "wordfreq").mkdir(parents=True)
        (root / "wordfreq" / "small_en.msgpack.gz").write_bytes(root.name.encode())
    assert resources.search_roots(explicit) == [explicit, cache / "resources"]
    assert resources.locate(r, "small_en.msgpack.gz", explicit).read_bytes() == b"explicit"
    assert resources.locate(r, "small_en.msgpack.gz").read_bytes() == b"env"
    monkeypatch.delenv(resources.RESOURCES_ENV)
    assert resources.locate(r, "small_en.msgpack.gz").read_bytes() == b"resources"
    with pytest.raises(resources.ResourceNotFoundError, match="large_en.msgpack.gz not found"):
        resources.locate(r, "large_en.msgpack.gz")
    assert resources.find(r, "large_en.msgpack.gz") is None


# --------------------------------------------------------------------------- download
def _fake(tmp_path, **kw):
    """A resource served from a local folder through file:// URLs."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    return src, dataclasses.replace(resources.get("ark_clusters"), base_url=src.as_uri(), **kw)


def test_download_plain_and_gzip_sources(tmp_path):
    src, _ = _fake(tmp_path)
    plain, packed = b"0101\tcat\t3\n", b"0110\tdog\t5\n"
    (src / "a.txt").write_bytes(plain)
    gz = gzip.compress(packed)
    (src / "b.txt.gz").write_bytes(gz)
    files = (
        resources.ResourceFile("a.txt", _sha(plain), "a.txt"),
        resources.ResourceFile(
            "sub/b.txt", _sha(packed), "b.txt.gz", compression="gzip", source_sha256=_sha(gz)
        ),
    )
    _, r = _fake(tmp_path, files=files)
    dest = tmp_path / "dest"
    got = resources.download(r, dest)
    assert [x.action for x in got] == ["downloaded", "downloaded"]
    assert (dest / r.folder / "a.txt").read_bytes() == plain
    assert (dest / r.folder / "sub" / "b.txt").read_bytes() == packed
    assert [x.action for x in resources.download(r, dest)] == ["present", "present"]
    assert [v.status for v in resources.verify(r, dest)] == ["ok", "ok"]
    # nothing but the files is left behind
    assert sorted(p.name for p in (dest / r.folder).rglob("*")) == ["a.txt", "b.txt", "sub"]


def test_download_mismatch_leaves_nothing(tmp_path):
    src, _ = _fake(tmp_path)
    (src / "a.txt").write_bytes(b"changed\n")
    _, r = _fake(tmp_path, files=(resources.ResourceFile("a.txt", _sha(b"x"), "a.txt"),))
    with pytest.raises(ChecksumError, match="expected " + _sha(b"x")):
        resources.download(r, tmp_path / "dest")
    assert not list((tmp_path / "dest").rglob("*.txt"))
    _, missing = _fake(tmp_path, files=(resources.ResourceFile("z", _sha(b"z"), "z"),))
    with pytest.raises(DownloadError, match="cannot fetch"):
        resources.download(missing, tmp_path / "dest")


def test_download_from_a_wheel(tmp_path):
    src, _ = _fake(tmp_path)
    member = b'{"cat": 5}'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pkg/data/x.json", member)
    (src / "pkg-1.0-py3-none-any.whl").write_bytes(buf.getvalue())
    files = (resources.ResourceFile("x.json", _sha(member), "pkg/data/x.json"),)
    _, r = _fake(tmp_path, files=files, wheel=("pkg", "1.0", "pkg-1.0-py3-none-any.whl"))
    assert r.source(files[0]) == "pypi:pkg==1.0!pkg/data/x.json"
    resources.download(r, tmp_path / "dest")
    assert (tmp_path / "dest" / r.folder / "x.json").read_bytes() == member
    bad = (resources.ResourceFile("y.json", _sha(member), "pkg/data/y.json"),)
    _, r2 = _fake(tmp_path, files=bad, wheel=r.wheel)
    with pytest.raises(DownloadError, match="pkg/data/y.json"):
        resources.download(r2, tmp_path / "dest")


def test_download_refuses_unpinned_files(tmp_path):
    with pytest.raises(ChecksumError, match="no sha256 is registered"):
        resources.download("glove50", tmp_path)
    assert not (tmp_path / "glove50").exists()


# --------------------------------------------------------------------------- command line
def test_cli_list_verify_path(resources_root, tmp_path, capsys):
    d = str(resources_root)
    assert main(["resources", "list", "--resources-dir", d]) == 0
    out = capsys.readouterr().out
    assert "ark_clusters" in out and "GPL-3.0" in out and "found" in out
    assert main(["resources", "verify", "ark_clusters", "--resources-dir", d]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["resources", "path", "wordfreq", "small_en.msgpack.gz", "--resources-dir", d]) == 0
    assert capsys.readouterr().out.strip() == str(
        resources_root / "wordfreq" / "small_en.msgpack.gz"
    )
    # a wrong copy is reported as a mismatch with both digests
    (tmp_path / "wordfreq").mkdir()
    (tmp_path / "wordfreq" / "small_en.msgpack.gz").write_bytes(b"not it")
    assert main(["resources", "verify", "wordfreq", "--resources-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "mismatch" in out and _sha(b"not it") in out and "missing" in out
    assert (
        main(
            [
                "resources",
                "path",
                "wordfreq",
                "large_en.msgpack.gz",
                "--resources-dir",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert "not found" in capsys.readouterr().err


# --------------------------------------------------------------------------- readers
def _spacy_int(path: str) -> int:
    """spaCy's encoding of a bit path (the slow twin of the reader's decoding)."""
    return int(path[::-1], 2)


def test_spacy_cluster_reader(tmp_path):
    from crftagger.errors import ClusterFileError
    from crftagger.features.clusters import Clusters

    rng = __import__("random").Random(3)
    paths = {
        f"w{i}": "".join(rng.choice("01") for _ in range(rng.randint(1, 16))) + "1"
        for i in range(300)
    }
    table = {w: _spacy_int(p) for w, p in paths.items()}
    table["Nocluster"] = 0
    f = tmp_path / "t.json.gz"
    f.write_bytes(gzip.compress(__import__("json").dumps(table).encode()))
    c = Clusters.from_file(f)
    assert c.paths == paths  # every path ending in 1 comes back exactly; 0 is left out
    assert c.fingerprint == _sha(f.read_bytes())
    for bad in ({"x": -1}, {"x": "0101"}, {"x": True}, {"x": 1.5}):
        f.write_bytes(gzip.compress(__import__("json").dumps(bad).encode()))
        with pytest.raises(ClusterFileError, match=r"t\.json\.gz: word 'x' has cluster"):
            Clusters.from_file(f)
    f.write_bytes(b"not gzip")
    with pytest.raises(ClusterFileError, match="cannot read as gzip JSON"):
        Clusters.from_file(f)
    f.write_bytes(gzip.compress(b"[1, 2]"))
    with pytest.raises(ClusterFileError, match="found a JSON list"):
        Clusters.from_file(f)


def test_real_cluster_tables(resources_root):
    from crftagger.features.clusters import Clusters

    ark = Clusters.from_resource("ark_clusters", root=resources_root)
    assert len(ark) == 216_856 and ark.lowercase
    assert ark.fingerprint == resources.get("ark_clusters").files[0].sha256
    spacy = Clusters.from_resource("spacy_clusters", root=resources_root)
    assert len(spacy) == 190_129 and not spacy.lowercase
    # the first steps of the path are the low bits: two capitals share a long prefix
    # in the read order, and only the first bit in the written order
    assert spacy.paths["Paris"][:8] == spacy.paths["Berlin"][:8]
    fwd = {w: bin(_spacy_int(p))[2:] for w, p in spacy.paths.items() if w in ("Paris", "Berlin")}
    assert fwd["Paris"][:2] != fwd["Berlin"][:2]


def _wordfreq_file(path, buckets, header=None):
    import msgpack

    head = header if header is not None else {"format": "cB", "version": 1}
    path.write_bytes(gzip.compress(msgpack.packb([head, *buckets])))


def test_wordfreq_reader_and_bands(tmp_path):
    from crftagger.errors import ClusterFileError
    from crftagger.features import wordfreq
    from crftagger.features.clusters import Clusters

    f = tmp_path / "x.msgpack.gz"
    buckets = [[] for _ in range(500)]
    buckets[150], buckets[420], buckets[499] = ["the"], ["meat", "the"], ["zyx"]
    _wordfreq_file(f, buckets)
    z = wordfreq.read_wordfreq(f)
    assert z == {"the": 7.5, "meat": 4.8, "zyx": 4.01}  # 9 - bucket / 100, first bucket wins
    c = Clusters.from_file(f)
    assert c.paths == {w: wordfreq.zipf_band_bits(v) for w, v in z.items()}
    assert c.paths["the"] == "1111" and c.paths["meat"] == "1001"
    for bad, msg in (
        ({"format": "x", "version": 1}, "header"),
        ([1], "expected a list starting with the header"),
    ):
        if isinstance(bad, dict):
            _wordfreq_file(f, buckets, bad)
        else:
            f.write_bytes(gzip.compress(__import__("msgpack").packb(bad)))
        with pytest.raises(ClusterFileError, match=msg):
            wordfreq.read_wordfreq(f)
    _wordfreq_file(f, [["a"], ["b", 3]])
    with pytest.raises(ClusterFileError, match="bucket 1 holds"):
        wordfreq.read_wordfreq(f)
    f.write_bytes(b"plain")
    with pytest.raises(ClusterFileError, match="cannot read as gzip"):
        wordfreq.read_wordfreq(f)


def test_band_prefixes_are_coarser_bands():
    from crftagger.features.wordfreq import zipf_band_bits

    for i in range(0, 900):
        zipf = i / 100
        code = zipf_band_bits(zipf)
        for k in range(1, 5):
            width = 0.5 * 2 ** (4 - k)  # 1 bit: bands of 4, ... 4 bits: bands of 0.5
            want = min(int(zipf // width), 2**k - 1)
            assert int(code[:k], 2) == want, (zipf, k, code)


def test_real_wordfreq(resources_root):
    from crftagger.features.wordfreq import phrase_zipf, read_wordfreq

    z = read_wordfreq(resources.locate("wordfreq", "large_en.msgpack.gz", resources_root))
    assert len(z) > 300_000
    assert z["the"] > z["office"] > z["meat"] > z["salvador"]
    assert phrase_zipf(["The", "Office"], z) < z["office"]
    assert phrase_zipf(["the", "qqqzzzxx"], z) is None


def test_list_reader_encodings_and_errors(tmp_path, resources_root):
    from crftagger.errors import GazetteerFileError
    from crftagger.features.gazetteer import read_list, resource_list

    f = tmp_path / "l.txt"
    f.write_bytes("New York\n\n  Bar  \nF\u00fchrer\n".encode("latin-1"))
    with pytest.raises(GazetteerFileError, match=r"l\.txt, line 4: cannot decode as utf-8"):
        read_list(f)
    assert read_list(f, "latin-1") == [["New", "York"], ["Bar"], ["F\u00fchrer"]]
    f.write_bytes(b"a\nb\x00c\n")
    with pytest.raises(GazetteerFileError, match="line 2: found a NUL"):
        read_list(f)
    # the registry says which files are not UTF-8
    entries, meta = resource_list("grobid_lexicon:VincentNgPeopleTitles.txt", resources_root)
    assert ["F\u00fchrer"] in entries and meta["licence"] == "Apache-2.0"
    assert (
        meta["sha256"] == resources.get("grobid_lexicon").file("VincentNgPeopleTitles.txt").sha256
    )
    # a changed copy is refused by its sha256
    (tmp_path / "grobid_lexicon").mkdir()
    (tmp_path / "grobid_lexicon" / "known_corporations.lst").write_text("Acme\n")
    with pytest.raises(GazetteerFileError, match="sha256 .* expected 8d75d5ce"):
        resource_list("grobid_lexicon:known_corporations.lst", tmp_path)
    with pytest.raises(ValueError, match="expected RESOURCE:FILE"):
        resource_list("grobid_lexicon", resources_root)
    with pytest.raises(ValueError, match="not lists"):
        resource_list("ark_clusters:50mpaths2.txt", resources_root)


def _longest_match(entries: set, tokens: list[str]) -> list[str | None]:
    """Slow twin of the gazetteer kernel: longest entry at each position, left to right."""
    out: list[str | None] = [None] * len(tokens)
    i = 0
    while i < len(tokens):
        best = max(
            (n for n in range(1, len(tokens) - i + 1) if tuple(tokens[i : i + n]) in entries),
            default=0,
        )
        if best:
            out[i : i + best] = ["S"] if best == 1 else ["B"] + ["I"] * (best - 2) + ["E"]
            i += best
        else:
            i += 1
    return out


def test_typed_resource_gazetteer_longest_match_and_filter(resources_root):
    from crftagger.features.gazetteer import frequency_filter, from_resources, resource_list

    lists = ["grobid_lexicon:WikiLocations.lst", "grobid_lexicon:cities15000.txt"]
    g = from_resources("loc", lists, case_sensitive=True, max_zipf=4.5, root=resources_root)
    raw = [e for spec in lists for e in resource_list(spec, resources_root)[0]]
    from crftagger.features.gazetteer import _wordfreq_table

    kept, dropped = frequency_filter(raw, _wordfreq_table(str(resources_root)), 4.5)
    assert g.dropped == len(dropped) > 0 and set(g.entries) == {tuple(e) for e in kept}
    assert all(len(e) == 1 for e in dropped)
    assert [r["file"] for r in g.resources] == ["WikiLocations.lst", "cities15000.txt"]
    sents = [
        "He flew from New York City to San Salvador and then to Salvador .".split(),
        "The Bank of England met in London , Ontario and Los Angeles County .".split(),
    ]
    entries = set(g.entries)
    for s in sents:
        assert g.match(s) == _longest_match(entries, s)
    assert g.match(sents[0])[3:6] == ["B", "I", "E"] or ("New", "York", "City") not in entries


# --------------------------------------------------------------------------- features and models
def _copy_resources(src: Path, dest: Path, parts) -> None:
    import shutil

    for part in parts:
        (dest / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / part, dest / part)


def test_model_embeds_resource_tables(resources_root, tmp_path, capsys):
    from crftagger import Tagger
    from crftagger.features import feature_set

    root = tmp_path / "res"
    _copy_resources(
        resources_root,
        root,
        [
            "ark_tweetnlp/50mpaths2.txt",
            "wordfreq/large_en.msgpack.gz",
            "twitter_nlp_lexicon/wnut16_lexicon/product",
        ],
    )
    fs = feature_set(
        "ner",
        resource_clusters="ark_clusters",
        resource_lists={"product": ["wnut16_lexicon:product"]},
        list_max_zipf=4.5,
        wordfreq_bands=True,
        resources_dir=root,
        gazetteers=False,
        document=False,
    )
    ext = fs.extractors
    assert ext["rc0_4"]["resource"]["resource"] == "ark_clusters" and ext["rc0_4"]["lowercase"]
    assert ext["rl_product"]["resources"][0]["licence"] == "GPL-3.0"
    assert ext["wf4"]["resource"]["sha256"] == resources.get("wordfreq").files[0].sha256
    train = [
        ("i love my iphone and my xbox".split(), "O O O B-product O O B-product".split()),
        ("Nike signed John today".split(), "B-corporation O B-person O".split()),
        ("the meat was good lol".split(), "O O O O O".split()),
    ] * 5
    tagger = Tagger.train(train, feature_set=fs, max_iterations=20)
    names = {a.split("=")[0] for a in tagger.model.attributes}
    assert {"rc0_4[0]", "rl_product[0]", "wf4[0]"} <= names
    test = ["my iphone is better than the xbox lol".split(), "Meat and Ipad".split()]
    before = tagger.tag(test)
    path = tmp_path / "m.crftagger"
    tagger.save(path)
    import shutil

    shutil.rmtree(root)
    loaded = Tagger.load(path)
    assert loaded.tag(test) == before
    assert {"rc0_4[0]", "rl_product[0]", "wf4[0]"} <= {
        a.split("=")[0] for a in loaded.model.attributes
    }
    d = loaded.feature_set.extractors
    assert "entries" in d["rl_product"] and len(d["rl_product"]["entries"]) == len(
        ext["rl_product"]["entries"]
    )
    assert {len(t) for t in loaded.clusters.values()} == {216_856, 321_180}
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    ark_sha = resources.get("ark_clusters").files[0].sha256
    assert f"ark_clusters:50mpaths2.txt sha256 {ark_sha}" in out
    assert "wnut16_lexicon:wnut16_lexicon/product" in out and "(GPL-3.0)" in out


def test_resource_feature_errors(resources_root):
    from crftagger.errors import FeatureSpecError
    from crftagger.features import feature_set

    with pytest.raises(FeatureSpecError, match="is a lists resource"):
        feature_set("ner", resource_clusters="wnut16_lexicon", resources_dir=resources_root)
    with pytest.raises(FeatureSpecError, match="expected one of"):
        feature_set("ner", resource_lists="no_group", resources_dir=resources_root)
    with pytest.raises(FeatureSpecError, match="type 'x'.*has no file"):
        feature_set(
            "ner", resource_lists={"x": ["wnut16_lexicon:nope"]}, resources_dir=resources_root
        )
    with pytest.raises(resources.ResourceNotFoundError):
        feature_set("ner", resource_clusters="ark_clusters", resources_dir="/nonexistent")


def test_model_check_refuses_bad_resource_records():
    from crftagger.errors import ModelFileError
    from crftagger.features.spec import check_model_feature_set

    good = {
        "resource": "wnut16_lexicon",
        "file": "product",
        "sha256": "a" * 64,
        "licence": "GPL-3.0",
    }
    fs = {
        "templates": [{"slots": [["g", 0]]}],
        "extractors": {"g": {"kind": "gazetteer", "entries": ["a b"], "resources": [good]}},
    }
    check_model_feature_set(fs, "m")
    for bad in ({**good, "sha256": "xyz"}, {**good, "licence": 3}, "text"):
        fs["extractors"]["g"]["resources"] = [bad]
        with pytest.raises(ModelFileError, match="m: feature set extractor 'g' resource record #0"):
            check_model_feature_set(fs, "m")
