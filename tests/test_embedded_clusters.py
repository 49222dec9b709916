"""Word-cluster tables embedded in tagger model files: self-contained models, exact lower-casing."""

from __future__ import annotations

import io
import random
import warnings

import numpy as np
import pytest

from crftagger import cli
from crftagger.api.tagger import Tagger, TaggerError
from crftagger.corpora import write_conll
from crftagger.corpora.base import Sentence
from crftagger.features import FeatureSet, feature_set
from crftagger.features.clusterlearn import file_fingerprint
from crftagger.features.clusters import ClusterFileError, Clusters, MissingClustersError
from crftagger.io import container
from crftagger.io.container import ModelFileError

NAMES = ["Anna", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo"]
CITIES = ["Paris", "Oslo", "Lima", "Quito", "Rome", "Cairo", "Delhi", "Perth"]
OTHER = ["lives", "works", "in", "near", "today", "and", "went", "to", "."]
# names and cities held out of training: only their clusters tell them apart
UNSEEN_NAMES = ["Ingrid", "Jonas"]
UNSEEN_CITIES = ["Kyoto", "Lagos"]


def _cluster_text(extra: str = "") -> str:
    rows = [f"00{i % 4:02b}1\t{w}\t{10 + i}" for i, w in enumerate(NAMES + UNSEEN_NAMES)]
    rows += [f"11{i % 4:02b}0\t{w}\t{10 + i}" for i, w in enumerate(CITIES + UNSEEN_CITIES)]
    rows += [f"01{i % 8:03b}\t{w}\t{50 + i}" for i, w in enumerate(OTHER)]
    return "\n".join(rows) + "\n" + extra


def _corpus(n: int, seed: int) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        who, where = rng.choice(NAMES), rng.choice(CITIES)
        verb, prep = rng.choice(["lives", "works"]), rng.choice(["in", "near"])
        if rng.random() < 0.5:
            out.append(([who, verb, prep, where, "."], ["B-PER", "O", "O", "B-LOC", "O"]))
        else:
            out.append(
                (
                    [where, "and", who, "went", "to", rng.choice(CITIES), "today"],
                    ["B-LOC", "O", "B-PER", "O", "O", "B-LOC", "O"],
                )
            )
    return out


TEST_SENTENCES = [
    ["Ingrid", "lives", "in", "Kyoto", "."],
    ["Lagos", "and", "Jonas", "went", "to", "Kyoto", "today"],
    ["Anna", "works", "near", "Lagos", "."],
]


def _feature_set(path, extractors: dict | None = None, templates=None) -> FeatureSet:
    ext = extractors or {
        "cl4": {"kind": "cluster", "path": str(path), "prefix": 4},
        "cl2": {"kind": "cluster", "path": str(path), "prefix": 2},
    }
    tmpl = templates or ["w[0]", "cl4[0]", "cl2[-1..1]", "title[0]"]
    return FeatureSet.from_templates(tmpl, extractors=ext)


def _train(fs) -> Tagger:
    return Tagger.train(_corpus(60, 0), fs, c2=0.1, max_iterations=30)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    path = folder / "paths.txt"
    path.write_text(_cluster_text(), encoding="utf-8")
    fp = file_fingerprint(path)
    tagger = _train(_feature_set(path))
    model = tagger.save(folder / "m.crftagger")
    return tagger, model, path, fp


def _marginals_array(tagger, sents):
    return [
        np.array([[m[lab] for lab in tagger.labels] for m in sent])
        for sent in tagger.marginals(sents)
    ]


def test_model_tags_identically_after_the_cluster_file_is_deleted(trained, tmp_path):
    tagger, model, path, fp = trained
    before = Tagger.load(model)
    tags_before, marg_before = before.tag(TEST_SENTENCES), _marginals_array(before, TEST_SENTENCES)
    # the clusters matter: unseen names and cities are told apart by them alone
    assert tagger.tag(TEST_SENTENCES[0]) == ["B-PER", "O", "O", "B-LOC", "O"]
    moved = tmp_path / "gone.txt"
    path.rename(moved)
    try:
        loaded = Tagger.load(model)
        assert loaded.tag(TEST_SENTENCES) == tagger.tag(TEST_SENTENCES) == tags_before
        for a, b, c in zip(
            _marginals_array(loaded, TEST_SENTENCES),
            marg_before,
            _marginals_array(tagger, TEST_SENTENCES),
            strict=True,
        ):
            assert np.array_equal(a, b)
            np.testing.assert_allclose(a, c, rtol=0, atol=1e-12)
        assert set(loaded.clusters) == {fp}
        fx = loaded.extractor
        assert fx.cluster_tables["cl4"] is loaded.clusters[fp] is fx.cluster_tables["cl2"]
        assert fx.names(fx.transform(TEST_SENTENCES)) == tagger.extractor.names(
            tagger.extractor.transform(TEST_SENTENCES)
        )
        # the stored feature set records the table each extractor reads
        assert all(loaded.feature_set.extractors[n]["fingerprint"] == fp for n in ("cl4", "cl2"))
        # saving the loaded tagger again needs no file either
        again = Tagger.load(loaded.save(tmp_path / "again.crftagger"))
        assert again.tag(TEST_SENTENCES) == tags_before
    finally:
        moved.rename(path)


def test_the_original_path_is_never_read_after_loading(trained, tmp_path):
    tagger, model, path, fp = trained
    # the same path now holds different clusters: a loaded model ignores it, with no warning
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("\tIngrid\t", "\tIngridX\t"), encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loaded = Tagger.load(model)
            assert loaded.tag(TEST_SENTENCES) == tagger.tag(TEST_SENTENCES)
    finally:
        path.write_text(original, encoding="utf-8")
    assert file_fingerprint(path) == fp


def test_a_table_changed_after_training_is_saved_as_trained(tmp_path):
    path = tmp_path / "paths.txt"
    path.write_text(_cluster_text(), encoding="utf-8")
    fp = file_fingerprint(path)
    tagger = _train(_feature_set(path))
    want = tagger.tag(TEST_SENTENCES)
    path.write_text(_cluster_text().replace("\tKyoto\t", "\tKyotoX\t"), encoding="utf-8")
    loaded = Tagger.load(tagger.save(tmp_path / "m.crftagger"))
    assert set(loaded.clusters) == {fp}
    assert loaded.tag(TEST_SENTENCES) == want


def test_lowercase_merges_keep_the_first_cluster_as_the_file_does(tmp_path):
    path = tmp_path / "paths.txt"
    # "apple" comes first as "Apple": lower-casing keeps 1010, not the later 0101/0011
    path.write_text(
        _cluster_text("1010\tApple\t3\n0101\tapple\t9\n0011\tAPPLE\t1\n1111\tKYOTO\t2\n"),
        encoding="utf-8",
    )
    ext = {
        "lc4": {"kind": "cluster", "path": str(path), "prefix": 4, "lowercase": True},
        "cs4": {"kind": "cluster", "path": str(path), "prefix": 4},
    }
    fs = _feature_set(path, ext, ["w[0]", "lc4[-1..1]", "cs4[0]"])
    tagger = _train(fs)
    want_lower = Clusters.from_file(path, lowercase=True).paths
    want_cased = Clusters.from_file(path).paths
    model = tagger.save(tmp_path / "m.crftagger")
    sents = [*TEST_SENTENCES, ["apple", "APPLE", "Apple", "kyoto", "KYOTO"]]
    want_tags = tagger.tag(sents)
    path.unlink()
    loaded = Tagger.load(model)
    # one table for both extractors, stored case-sensitive
    assert len(loaded.clusters) == 1
    (table,) = loaded.clusters.values()
    assert not table.lowercase and list(table.paths.items()) == list(want_cased.items())
    fx = loaded.extractor
    lowered = fx.cluster_tables["lc4"].with_case(True)
    assert list(lowered.paths.items()) == list(want_lower.items())
    assert lowered.paths["apple"] == "1010"
    assert lowered.paths["kyoto"] == want_cased["Kyoto"] != want_cased["KYOTO"] == "1111"
    d = fx.to_dicts([["x", "APPLE", "y"]])[0]
    assert d[0]["lc4[1]=1010"] == 1.0 and "cs4[0]=0011" in d[1]
    assert loaded.tag(sents) == want_tags


def test_with_case_equals_reading_the_file_lower_cased(tmp_path):
    rng = random.Random(5)
    stems = ["ab", "cd", "Ef", "gh"]
    lines = []
    for i in range(300):
        w = "".join(
            c.upper() if rng.random() < 0.5 else c for c in rng.choice(stems) + rng.choice(stems)
        )
        lines.append(f"{rng.getrandbits(6):06b}\t{w}\t{i}")
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cased = Clusters.from_file(path)
    assert len(cased) < 300  # repeated words are present
    for table in (cased, Clusters.from_table(*cased.words_and_bits())):
        lowered = table.with_case(True)
        assert lowered == Clusters.from_file(path, lowercase=True)
        assert list(lowered.paths) == list(Clusters.from_file(path, lowercase=True).paths)
    assert cased.fingerprint == file_fingerprint(path)
    with pytest.raises(ValueError, match="cannot be rebuilt"):
        cased.with_case(True).with_case(False)


def test_extractors_sharing_a_table_store_it_once(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(_cluster_text(), encoding="utf-8")
    b.write_text(_cluster_text("0\tzzz\t1\n"), encoding="utf-8")
    ext = {f"cl{p}": {"kind": "cluster", "path": str(a), "prefix": p} for p in (2, 3, 4, 5)}
    ext["other"] = {"kind": "cluster", "path": str(b), "prefix": 3}
    fs = _feature_set(a, ext, ["w[0]", "cl2[0]", "cl3[0]", "cl4[0]", "cl5[-1..1]", "other[0]"])
    model = _train(fs).save(tmp_path / "m.crftagger")
    meta = container.read_header(model)
    names = [blk["name"] for blk in meta["blocks"]]
    assert sorted(n for n in names if n.startswith("cluster_")) == [
        "cluster_bits_0",
        "cluster_bits_1",
        "cluster_words_0",
        "cluster_words_1",
    ]
    tables = meta["fields"]["clusters"]
    assert set(tables) == {file_fingerprint(a), file_fingerprint(b)}
    assert sorted(t["size"] for t in tables.values()) == [
        len(Clusters.from_file(a)),
        len(Clusters.from_file(b)),
    ]
    loaded_fs = meta["fields"]["feature_set"]["extractors"]
    assert {loaded_fs[f"cl{p}"]["fingerprint"] for p in (2, 3, 4, 5)} == {file_fingerprint(a)}
    assert loaded_fs["other"]["fingerprint"] == file_fingerprint(b)
    # a feature set without clusters writes no table
    plain = Tagger.train(_corpus(20, 1), FeatureSet.from_templates(["w[0]"]), max_iterations=5)
    fields = container.read_header(plain.save(tmp_path / "plain.crftagger"))["fields"]
    assert "clusters" not in fields


def test_a_corrupted_embedded_table_is_refused(trained, tmp_path):
    _tagger, model, _path, _fp = trained
    data = bytearray(model.read_bytes())
    meta = container.read_header(model)
    blk = next(b for b in meta["blocks"] if b["name"] == "cluster_bits_0")
    payload_start = len(data) - meta["payload_nbytes"]
    pos = payload_start + blk["offset"]
    assert data[pos] in b"01"
    data[pos] ^= 1  # one bit string changes from 0... to 1... (or back)
    bad = tmp_path / "bad.crftagger"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="payload checksum"):
        Tagger.load(bad)


def test_a_missing_or_malformed_embedded_table_is_refused(trained, tmp_path):
    _tagger, model, _path, fp = trained
    arrays, fields = container.load(model)
    gone = {k: v for k, v in arrays.items() if k != "cluster_words_0"}
    p = container.save(tmp_path / "missing.crftagger", gone, fields)
    with pytest.raises(TaggerError, match="words block 'cluster_words_0' is missing"):
        Tagger.load(p)
    short = dict(arrays, cluster_bits_0=arrays["cluster_bits_0"][:-1])
    fields_short = dict(fields, clusters={fp: dict(fields["clusters"][fp])})
    with pytest.raises(TaggerError, match="bit strings"):
        Tagger.load(container.save(tmp_path / "short.crftagger", short, fields_short))
    bad_bits = dict(arrays, cluster_bits_0=["01x", *arrays["cluster_bits_0"][1:]])
    with pytest.raises(TaggerError, match="entry 0.*not a bit string"):
        Tagger.load(container.save(tmp_path / "bits.crftagger", bad_bits, fields))
    wrong_size = dict(fields, clusters={fp: dict(fields["clusters"][fp], size=3)})
    with pytest.raises(TaggerError, match="size=3"):
        Tagger.load(container.save(tmp_path / "size.crftagger", arrays, wrong_size))


def test_a_missing_cluster_file_without_a_table_is_a_clear_error(tmp_path):
    path = tmp_path / "nowhere" / "paths.txt"
    fs = _feature_set(path)
    with pytest.raises(MissingClustersError) as exc:
        fs.extractor()
    msg = str(exc.value)
    assert "'cl4'" in msg and str(path) in msg and "expected a Brown" in msg
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, ClusterFileError)
    assert isinstance(exc.value, FileNotFoundError)
    # a recorded fingerprint that no supplied table matches is named too
    ext = {"cl4": {"kind": "cluster", "path": str(path), "prefix": 4, "fingerprint": "ab" * 32}}
    fs2 = _feature_set(path, ext, ["cl4[0]"])
    with pytest.raises(MissingClustersError, match=f"no table with fingerprint {'ab' * 32}"):
        fs2.extractor(clusters={"cd" * 32: Clusters({"a": "0"})})


def test_in_memory_tables_stand_in_for_files(tmp_path):
    path = tmp_path / "paths.txt"
    path.write_text(_cluster_text(), encoding="utf-8")
    fp = file_fingerprint(path)
    ext = {
        "cl4": {
            "kind": "cluster",
            "path": str(path),
            "prefix": 4,
            "fingerprint": fp,
            "lowercase": True,
        }
    }
    fs = _feature_set(path, ext, ["cl4[-1..1]"])
    want = fs.extractor().to_dicts(TEST_SENTENCES)
    table = Clusters.from_file(path)
    path.unlink()
    fx = fs.extractor(clusters={fp: table})
    assert fx.to_dicts(TEST_SENTENCES) == want
    assert fx.cluster_tables["cl4"] is table and fx.cluster_fingerprints["cl4"] == fp
    # a lower-cased table cannot serve a case-sensitive extractor
    cs = _feature_set(path, {"cl4": dict(ext["cl4"], lowercase=False)}, ["cl4[0]"])
    with pytest.raises(ValueError, match="lower-cased words only"):
        cs.extractor(clusters={fp: table.with_case(True)})


def test_cli_train_tag_inspect_with_embedded_clusters(tmp_path, capsys, monkeypatch):
    path = tmp_path / "paths.txt"
    path.write_text(_cluster_text(), encoding="utf-8")
    train = tmp_path / "train.conll"
    write_conll(
        [Sentence(toks, {"ner": tags}) for toks, tags in _corpus(60, 0)], train, ("word", "ner")
    )
    model = tmp_path / "m.crftagger"
    code = cli.main(
        [
            "train",
            str(train),
            "--columns",
            "word,ner",
            "--feature-set",
            "pos",
            "--feature-param",
            f"clusters={path}",
            "--max-iterations",
            "20",
            "--no-progress",
            "-o",
            str(model),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    path.unlink()
    monkeypatch.setattr("sys.stdin", io.StringIO("Ingrid lives in Kyoto .\n"))
    code = cli.main(["tag", "-m", str(model), "--output-format", "tags"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.split() == Tagger.load(model).tag(["Ingrid", "lives", "in", "Kyoto", "."])
    code = cli.main(["inspect", str(model), "--top", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("word clusters:"))
    assert f"{len(Clusters.from_table(*_table_lists()))} words embedded" in line
    assert "cl4, cl6, cl10, cl20" in line and str(path) in line


def _table_lists():
    words, bits = [], []
    for row in _cluster_text().splitlines():
        b, w, _ = row.split("\t")
        words.append(w)
        bits.append(b)
    return words, bits


def test_feature_set_named_with_clusters_round_trips(tmp_path):
    path = tmp_path / "paths.txt"
    path.write_text(_cluster_text(), encoding="utf-8")
    fs = feature_set("ner", gazetteers=False, document=False, clusters=path)
    tagger = _train(fs)
    model = tagger.save(tmp_path / "m.crftagger")
    want = tagger.tag(TEST_SENTENCES)
    path.unlink()
    loaded = Tagger.load(model)
    assert loaded.tag(TEST_SENTENCES) == want
    assert loaded.feature_set == fs  # the ner set recorded the fingerprint already
