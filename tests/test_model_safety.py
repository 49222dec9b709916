"""Untrusted model files: a crafted file with a valid checksum is refused at load, before use.

Each test loads a small real tagger file, changes one thing and writes it back
with valid checksums (the container's own writer, or its canonical JSON and
preamble for the block table, which ``container.save`` computes itself).
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest

from crftagger.api.tagger import Tagger
from crftagger.corpora import synthetic
from crftagger.io import container
from crftagger.io.container import ModelFileError


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    splits = synthetic.make_splits(40, 5, 5, seed=3)
    t = Tagger.train(splits.train, "pii", label_column="ner", max_iterations=3)
    return t.save(tmp_path_factory.mktemp("safety") / "small.crftagger")


@pytest.fixture
def parts(model_path):
    arrays, fields = container.load(model_path)
    return arrays, copy.deepcopy(fields)


def rewrite_meta(src: Path, dst: Path, edit) -> Path:
    """Copy ``src`` to ``dst`` with ``edit(meta)`` applied to the container header, checksum fixed."""
    raw = src.read_bytes()
    pre = container._PREAMBLE
    _sig, version, _res, hlen = pre.unpack(raw[: pre.size])
    meta = container.parse_json(raw[pre.size : pre.size + hlen], src)
    start = pre.size + hlen + container._pad(pre.size + hlen)
    payload = raw[start:]
    del meta["header_sha256"]
    edit(meta)
    meta["header_sha256"] = hashlib.sha256(container._canonical(meta)).hexdigest()
    head = container._canonical(meta)
    out = pre.pack(container.SIGNATURE, version, 0, len(head)) + head
    dst.write_bytes(out + b"\0" * container._pad(len(out)) + payload)
    return dst


def refused(path, *words):
    """Tagger.load(path) raises a ModelFileError naming the file and every one of ``words``."""
    with pytest.raises(ModelFileError) as err:
        Tagger.load(path)
    msg = str(err.value)
    assert str(path) in msg
    for w in words:
        assert w in msg, (w, msg)
    return msg


def test_the_untouched_file_loads(model_path):
    assert Tagger.load(model_path).tag(["Call", "Ana", "now"])


# ------------------------------------------------------------------ the container header


def rewrite_head_bytes(src: Path, dst: Path, old: bytes, new: bytes) -> Path:
    """Copy ``src`` to ``dst`` with ``old`` replaced by ``new`` in the header's canonical JSON bytes
    and the header checksum recomputed over them (for headers json.dumps cannot write)."""
    raw = src.read_bytes()
    pre = container._PREAMBLE
    hlen = pre.unpack(raw[: pre.size])[3]
    head = raw[pre.size : pre.size + hlen]
    digest = container.parse_json(head, src)["header_sha256"]
    entry = b',"header_sha256":"' + digest.encode() + b'"'
    assert entry in head
    body = head.replace(entry, b"").replace(old, new)
    head = body.replace(b',"library_version"', entry[:19] + b"H" * 64 + b'","library_version"', 1)
    head = head.replace(b"H" * 64, hashlib.sha256(body).hexdigest().encode())
    out = pre.pack(container.SIGNATURE, 1, 0, len(head)) + head
    start = pre.size + hlen + container._pad(pre.size + hlen)
    dst.write_bytes(out + b"\0" * container._pad(len(out)) + raw[start:])
    return dst


def test_deeply_nested_header_json_is_refused_not_a_recursion_error(parts, tmp_path):
    arrays, fields = parts
    fields["info"] = {"deep": "PLACEHOLDER"}
    p = container.save(tmp_path / "deep.crftagger", arrays, fields)
    nested = b"[" * 100_000 + b"]" * 100_000
    rewrite_head_bytes(p, p, b'"PLACEHOLDER"', nested)
    refused(p, "JSON header nesting", "depth 100003", f"at most {container.MAX_JSON_DEPTH}")


def test_moderately_nested_header_is_refused_by_depth(parts, tmp_path):
    arrays, fields = parts
    deep: list = []
    for _ in range(80):
        deep = [deep]
    fields["info"] = {"deep": deep}
    p = container.save(tmp_path / "deep80.crftagger", arrays, fields)
    refused(p, "JSON header nesting", "depth 84", "at most 64")


def test_a_4300_digit_integer_is_refused_not_a_value_error(parts, tmp_path):
    arrays, fields = parts
    fields["o_bias"] = 12345
    p = container.save(tmp_path / "bigint.crftagger", arrays, fields)
    rewrite_head_bytes(p, p, b'"o_bias":12345', b'"o_bias":' + b"7" * 4300)
    refused(p, "JSON header integer", "4300 digits", f"at most {container.MAX_INT_DIGITS} digits")


def test_the_writer_refuses_integers_the_reader_would_refuse(parts, tmp_path):
    arrays, fields = parts
    fields["info"] = {"n": 10**container.MAX_INT_DIGITS}
    with pytest.raises(ModelFileError, match=r"header\.info\.n.*more than 100 digits"):
        container.save(tmp_path / "w.crftagger", arrays, fields)
    fields["info"] = {"n": 10**container.MAX_INT_DIGITS - 1}
    assert container.load(container.save(tmp_path / "ok.crftagger", arrays, fields))[1]["info"]


def test_a_huge_empty_shape_is_refused(model_path, tmp_path):
    def edit(meta):
        b = next(b for b in meta["blocks"] if b["name"] == "feat_label")
        # keep the byte count: shape [0, 2**62] declares zero elements
        b["shape"], b["nbytes"] = [0, 2**62], 0

    p = rewrite_meta(model_path, tmp_path / "shape.crftagger", edit)
    refused(p, "'feat_label'", "shape", "[0, 4611686018427387904]", "dimensions of at most")


def test_too_many_dimensions_are_refused(model_path, tmp_path):
    def edit(meta):
        b = next(b for b in meta["blocks"] if b["name"] == "w")
        b["shape"] = [b["shape"][0]] + [1] * 20

    p = rewrite_meta(model_path, tmp_path / "ndim.crftagger", edit)
    refused(p, "'w'", "21 dimensions", f"at most {container.MAX_NDIM}")


def test_a_string_count_beyond_the_blob_is_refused(model_path, tmp_path):
    def edit(meta):
        b = next(b for b in meta["blocks"] if b["name"] == "labels")
        b["count"] = 10**15

    p = rewrite_meta(model_path, tmp_path / "count.crftagger", edit)
    refused(p, "'labels'", "count", "1000000000000000", "NUL-joined blob")
