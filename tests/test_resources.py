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
