"""Downloading corpora: checksummed, atomic, tested against a local HTTP server only."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading

import pytest

from crftagger import cli, config
from crftagger.corpora import download as dl
from crftagger.corpora import load, registry
from crftagger.corpora.registry import CorpusFile, CorpusInfo, Expected, Source


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving ``tmp_path / "remote"``; yields (folder, base URL)."""
    remote = tmp_path / "remote"
    remote.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(remote))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield remote, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


TRAIN = b"Peter B-PER\nlives O\n\nin O\nBonn B-LOC\n"
SEQ_IN = b"fly to boston \nhi\n"
SEQ_OUT = b"O O B-toloc \nO\n"
BUILT = b"fly\tO\nto\tO\nboston\tB-toloc\n\nhi\tO\n\n"


def _fake(base: str, *, train_sha: str | None = None, built_sha: str | None = None) -> CorpusInfo:
    """A registry entry for files served by the local server (one plain, one built)."""
    return CorpusInfo(
        name="fake",
        title="fake corpus",
        task="ner",
        format="conll",
        columns=("word", "tag"),
        token_column="word",
        label_column="tag",
        scheme="iob2",
        files={
            "train": CorpusFile(
                "train",
                "train.txt",
                len(TRAIN),
                train_sha or _digest(TRAIN),
                (Source(f"{base}/data/train.txt", "local/fake@0:data/train.txt"),),
            ),
            "test": CorpusFile(
                "test",
                "test.txt",
                len(BUILT),
                built_sha or _digest(BUILT),
                (
                    Source(
                        f"{base}/raw/seq.in",
                        "local/fake@0:raw/seq.in",
                        _digest(SEQ_IN),
                        len(SEQ_IN),
                        "raw/test/seq.in",
                    ),
                    Source(
                        f"{base}/raw/seq.out",
                        "local/fake@0:raw/seq.out",
                        _digest(SEQ_OUT),
                        len(SEQ_OUT),
                        "raw/test/seq.out",
                    ),
                ),
                build="zip_seq",
            ),
        },
        licence="test data",
        sep="whitespace",
        expected={"train": Expected(2, 4), "test": Expected(2, 4)},
    )


@pytest.fixture
def remote_files(server):
    remote, base = server
    (remote / "data").mkdir()
    (remote / "data" / "train.txt").write_bytes(TRAIN)
    (remote / "raw").mkdir()
    (remote / "raw" / "seq.in").write_bytes(SEQ_IN)
    (remote / "raw" / "seq.out").write_bytes(SEQ_OUT)
    return remote, base


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part"))


def test_download_fetches_builds_and_verifies(tmp_path, remote_files):
    _, base = remote_files
    info = _fake(base)
    dest = tmp_path / "dest"
    logged = []
    results = dl.download(info, dest, log=logged.append)
    assert [(r.path.relative_to(dest).as_posix(), r.action) for r in results] == [
        ("fake/train.txt", "downloaded"),
        ("fake/test.txt", "built"),
    ]
    assert (dest / "fake" / "train.txt").read_bytes() == TRAIN
    assert (dest / "fake" / "test.txt").read_bytes() == BUILT
    assert (dest / "fake" / "raw" / "test" / "seq.in").read_bytes() == SEQ_IN
    assert f"fetching {base}/data/train.txt" in logged
    assert _leftovers(dest) == []
    # Present and valid: nothing fetched again.
    assert [r.action for r in dl.download(info, dest)] == ["present", "present"]
    assert [r.status for r in dl.verify(info, dest)] == ["ok", "ok"]
    # The fetched files read as the corpus.
    sents = list(registry.read(info, dest / "fake" / "train.txt"))
    assert [s.tokens for s in sents] == [["Peter", "lives"], ["in", "Bonn"]]


def test_wrong_checksum_is_refused_and_leaves_nothing(tmp_path, remote_files):
    _, base = remote_files
    wrong = "0" * 64
    info = _fake(base, train_sha=wrong)
    dest = tmp_path / "dest"
    with pytest.raises(dl.ChecksumError) as err:
        dl.download(info, dest, splits=["train"])
    msg = str(err.value)
    assert f"{base}/data/train.txt" in msg
    assert f"expected {wrong}" in msg and f"found {_digest(TRAIN)}" in msg
    assert isinstance(err.value, ValueError)
    assert not (dest / "fake" / "train.txt").exists()
    assert list((dest / "fake").iterdir()) == []


def test_wrong_size_is_refused(tmp_path, remote_files):
    remote, base = remote_files
    (remote / "data" / "train.txt").write_bytes(TRAIN + b"x O\n")
    with pytest.raises(
        dl.ChecksumError, match=rf"expected {len(TRAIN)} bytes, found {len(TRAIN) + 4}"
    ):
        dl.download(_fake(base), tmp_path / "dest", splits=["train"])
    assert list((tmp_path / "dest" / "fake").iterdir()) == []


def test_built_file_with_wrong_checksum_is_refused(tmp_path, remote_files):
    _, base = remote_files
    dest = tmp_path / "dest"
    with pytest.raises(dl.ChecksumError, match="built from") as err:
        dl.download(_fake(base, built_sha="f" * 64), dest, splits=["test"])
    assert _digest(BUILT) in str(err.value)
    assert not (dest / "fake" / "test.txt").exists() and _leftovers(dest) == []


def test_a_bad_file_already_in_place_is_replaced(tmp_path, remote_files):
    _, base = remote_files
    target = tmp_path / "dest" / "fake" / "train.txt"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale O\n")
    assert dl.verify(_fake(base), tmp_path / "dest")[0].status == "mismatch"
    dl.download(_fake(base), tmp_path / "dest", splits=["train"])
    assert target.read_bytes() == TRAIN


def test_unreachable_source(tmp_path, server):
    _, base = server  # serves nothing: every URL is a 404
    with pytest.raises(dl.DownloadError, match=f"cannot fetch {base}/data/train.txt"):
        dl.download(_fake(base), tmp_path / "dest", splits=["train"])
    assert list((tmp_path / "dest" / "fake").iterdir()) == []


def test_cli_download_errors_are_messages(tmp_path, server, monkeypatch, capsys):
    _, base = server  # serves nothing
    monkeypatch.setitem(registry.REGISTRY, "fake", _fake(base))
    assert cli.main(["corpora", "download", "fake", "--dest", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err
    assert f"cannot fetch {base}/data/train.txt" in err and "404" in err
    assert "Traceback" not in err
    assert _leftovers(tmp_path / "d") == [] and not (tmp_path / "d" / "fake" / "train.txt").exists()


def test_unequal_seq_files_are_refused(tmp_path, remote_files):
    remote, base = remote_files
    (remote / "raw" / "seq.out").write_bytes(b"O O B-toloc \nO O\n")
    info = _fake(base)
    files = dict(info.files)
    srcs = list(files["test"].sources)
    data = (remote / "raw" / "seq.out").read_bytes()
    srcs[1] = Source(srcs[1].url, srcs[1].spec, _digest(data), len(data), srcs[1].store_as)
    files["test"] = CorpusFile("test", "test.txt", 1, "0" * 64, tuple(srcs), "zip_seq")
    info = CorpusInfo(**{**info.__dict__, "files": files})
    with pytest.raises(ValueError, match=r"seq\.in:2 and .*seq\.out:2: found 1 words and 2 tags"):
        dl.download(info, tmp_path / "dest", splits=["test"])
    assert not (tmp_path / "dest" / "fake" / "test.txt").exists()
    assert _leftovers(tmp_path / "dest") == []


def test_cli_download_then_verify_then_load(tmp_path, remote_files, monkeypatch, capsys):
    _, base = remote_files
    monkeypatch.setitem(registry.REGISTRY, "fake", _fake(base))
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    assert cli.main(["corpora", "verify", "fake"]) == 1
    assert "crftagger corpora download fake" in capsys.readouterr().err
    # Default destination: the user cache, which the loader searches.
    assert cli.main(["corpora", "download", "fake"]) == 0
    out = capsys.readouterr().out
    assert "licence: test data" in out and "downloaded" in out and "built" in out
    assert (tmp_path / "cache" / "fake" / "train.txt").read_bytes() == TRAIN
    assert cli.main(["corpora", "verify", "fake"]) == 0
    assert [s.tokens for s in load("fake", "test")] == [["fly", "to", "boston"], ["hi"]]
    # --dest puts the files elsewhere.
    assert cli.main(["corpora", "download", "fake", "--dest", str(tmp_path / "other")]) == 0
    assert (tmp_path / "other" / "fake" / "test.txt").read_bytes() == BUILT
    assert cli.main(["--data-dir", str(tmp_path / "other"), "corpora", "stats", "fake"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "other" / "fake" / "test.txt") in out and "agree with the registry" in out


def test_sha256_file(tmp_path):
    p = tmp_path / "x"
    data = b"abc" * 100_000
    p.write_bytes(data)
    assert dl.sha256_file(p) == (_digest(data), len(data))
