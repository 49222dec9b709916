"""Model files: exact round trips, atomic writes, and refusal of every kind of damage."""

from __future__ import annotations

import hashlib
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from crftagger.io import container as mf
from crftagger.io.container import ModelFileError

PRE = struct.Struct("<16sIIQ")


def sample_arrays():
    rng = np.random.default_rng(0)
    return {
        "w": rng.normal(size=37),
        "feat_ptr": np.arange(6, dtype=np.int64) * 3,
        "feat_label": rng.integers(0, 4, 15).astype(np.int32),
        "trans": rng.normal(size=(4, 4)).astype(np.float32),
        "mask": np.array([True, False, True]),
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 3), dtype=np.uint16),
        "attributes": ["w[0]=the", "w[0]=Zürich", "", "suffix=ß", "shape=Xx"],
        "labels": ["O", "B-PER", "I-PER", "B-LOC"],
    }


HEADER = {
    "labels": ["O", "B-PER", "I-PER", "B-LOC"],
    "scheme": "iob2",
    "features": {"window": 2, "templates": ["w[-1]", "w[0]", "w[1]"]},
    "training": {"algorithm": "lbfgs", "c1": 0.0, "c2": 1.0, "max_iterations": 100},
    "dev": {"f1": 0.8125, "precision": 1e-300, "recall": 1.5e16},
    "note": "naïve – ünïcode ✓",
    "empty": {},
    "flag": True,
    "none": None,
}


def assert_same(a, b):
    assert list(a) == list(b)
    for k in a:
        if isinstance(b[k], list):
            assert a[k] == b[k]
        else:
            assert a[k].dtype == b[k].dtype.newbyteorder("<") or a[k].dtype == b[k].dtype
            assert a[k].shape == b[k].shape
            assert a[k].tobytes() == np.ascontiguousarray(b[k], dtype=a[k].dtype).tobytes()


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.crf"
    mf.save(p, sample_arrays(), HEADER)
    return p


# ------------------------------------------------------------------ round trips


def test_round_trip_bit_identical(small):
    arrays, header = mf.load(small)
    assert header == HEADER
    assert_same(arrays, sample_arrays())
    for name, a in arrays.items():
        if isinstance(a, np.ndarray):
            assert a.flags.c_contiguous and a.flags.writeable, name
            assert a.ctypes.data % 64 == 0, name


def test_header_metadata(small):
    meta = mf.read_header(small)
    assert meta["magic"] == "crftagger-model"
    assert meta["format_version"] == mf.FORMAT_VERSION
    assert set(meta["versions"]) >= {"numpy", "numba", "crftagger", "python"}
    assert meta["fields"] == HEADER
    blocks = {b["name"]: b for b in meta["blocks"]}
    assert blocks["trans"]["dtype"] == "<f4" and blocks["trans"]["shape"] == [4, 4]
    assert blocks["attributes"]["kind"] == "strings"
    assert blocks["attributes"]["layout"] == "nul-joined"
    assert meta["created"].endswith("Z")
    # the file starts with the signature, so `head -c 15` tells what it is
    assert small.read_bytes()[:16] == b"crftagger-model\n"


def test_big_endian_and_non_contiguous_inputs(tmp_path):
    a = np.arange(12, dtype=">i4").reshape(3, 4)
    b = np.arange(20, dtype=np.float64)[::3]
    mf.save(tmp_path / "m", {"a": a, "b": b})
    out, header = mf.load(tmp_path / "m")
    assert header == {}
    assert out["a"].dtype == np.dtype("<i4") and np.array_equal(out["a"], a)
    assert np.array_equal(out["b"], b)


def test_strings_with_nul_use_offsets_layout(tmp_path):
    vocab = ["a\0b", "", "\0", "plain", "é\0"]
    mf.save(tmp_path / "m", {"v": vocab, "x": np.ones(2)})
    assert [b.get("role") for b in mf.read_header(tmp_path / "m")["blocks"]] == [
        "blob",
        "offsets",
        None,
    ]
    arrays, _ = mf.load(tmp_path / "m")
    assert arrays["v"] == vocab


@pytest.mark.parametrize("vocab", [[], [""], ["", ""], ["x"]])
def test_tiny_string_lists(tmp_path, vocab):
    mf.save(tmp_path / "m", {"v": vocab})
    assert mf.load(tmp_path / "m")[0]["v"] == vocab


def test_large_vocabulary(tmp_path):
    rng = np.random.default_rng(1)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzäöüßéЖ中"))
    vocab = [
        f"w[{i % 5 - 2}]=" + "".join(rng.choice(letters, i % 13)) + f"#{i}" for i in range(200_000)
    ]
    mf.save(tmp_path / "big", {"attributes": vocab, "w": rng.normal(size=500_000)})
    arrays, _ = mf.load(tmp_path / "big")
    assert arrays["attributes"] == vocab
    # no giant JSON list: the header stays small whatever the vocabulary size
    assert len(json.dumps(mf.read_header(tmp_path / "big"))) < 4096


def test_numpy_scalars_in_header_become_plain(tmp_path):
    mf.save(tmp_path / "m", {}, {"f1": np.float64(0.5), "n": np.int32(3), "t": (1, 2)})
    _, header = mf.load(tmp_path / "m")
    assert header == {"f1": 0.5, "n": 3, "t": [1, 2]}
    assert type(header["n"]) is int and type(header["f1"]) is float
    assert type(mf.read_header(tmp_path / "m")["fields"]["f1"]) is float


def test_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        mf.save(tmp_path / "m", {"w": np.ones(2)})
    finally:
        os.umask(old)
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o640


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    arrays=st.dictionaries(
        st.text(min_size=1, max_size=8),
        hnp.arrays(
            dtype=st.sampled_from([np.float64, np.float32, np.int32, np.int64, np.uint8, np.bool_]),
            shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
        )
        | st.lists(st.text(max_size=6), max_size=6),
        max_size=5,
    ),
    header=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=10,
    ).map(lambda h: {"h": h}),
)
def test_round_trip_property(tmp_path, arrays, header):
    p = tmp_path / "prop.crf"
    mf.save(p, arrays, header)
    got, got_header = mf.load(p)
    assert got_header == header
    assert_same(got, arrays)


# --------------------------------------------------------------- refusing input


@pytest.mark.parametrize(
    "value, found",
    [
        (np.array(["a", "b"]), "dtype <U1"),
        (np.array([1, None], dtype=object), "dtype object"),
        (np.array([1j]), "dtype complex128"),
        (np.zeros(2, dtype=np.float16), "dtype float16"),
        ([1, 2], "item 0 is a int"),
        ({"a": 1}, "found a dict"),
    ],
)
def test_save_refuses_unstorable_arrays(tmp_path, value, found):
    with pytest.raises(ModelFileError, match=found) as info:
        mf.save(tmp_path / "m", {"x": value})
    assert str(tmp_path / "m") in str(info.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "header, found",
    [
        ({1: "a"}, "key 1"),
        ({"a": {1, 2}}, "header.a: found a set"),
        ({"a": np.zeros(2)}, "ndarray"),
    ],
)
def test_save_refuses_unstorable_header(tmp_path, header, found):
    with pytest.raises(ModelFileError, match=found) as info:
        mf.save(tmp_path / "m", {}, header)
    assert str(tmp_path / "m") in str(info.value)


# --------------------------------------------------------------- atomic writes


def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
    p = tmp_path / "model.crf"
    mf.save(p, sample_arrays(), HEADER)
    before = p.read_bytes()

    real_fdopen = os.fdopen

    class Exploding:
        """A file object that dies after writing part of the data."""

        def __init__(self, f):
            self.f, self.written = f, 0

        def write(self, data):
            if self.written > 100:
                raise OSError("disk full")
            self.written += self.f.write(data)
            return len(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(mf.os, "fdopen", lambda fd, mode: Exploding(real_fdopen(fd, mode)))
    with pytest.raises(ModelFileError, match="could not write the file .disk full.; nothing was"):
        mf.save(p, {"w": np.zeros(10_000)}, {"other": 1})
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["model.crf"]  # no temporary left
    monkeypatch.undo()
    assert mf.load(p)[1] == HEADER


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_before_rename_leaves_old_file(tmp_path, monkeypatch, step):
    p = tmp_path / "model.crf"
    mf.save(p, sample_arrays(), HEADER)
    before = p.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(f"{step} failed")

    monkeypatch.setattr(mf.os, step, boom)
    with pytest.raises(ModelFileError, match=f"could not write the file .{step} failed"):
        mf.save(p, {"w": np.ones(3)}, {})
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["model.crf"]


def test_overwrite_replaces_whole_file(tmp_path):
    p = tmp_path / "m"
    mf.save(p, {"w": np.zeros(100_000)})
    mf.save(p, {"v": np.ones(3)}, {"x": 1})
    arrays, header = mf.load(p)
    assert list(arrays) == ["v"] and header == {"x": 1}


# ------------------------------------------------------------------- corruption


def test_every_truncation_is_refused(small):
    data = small.read_bytes()
    for n in range(len(data)):
        with pytest.raises(ModelFileError, match="bad"):
            mf.loads(data[:n], name="bad")
    # the same through real files, at a sample of points
    bad = small.with_name("bad")
    for n in range(0, len(data), max(1, len(data) // 25)):
        bad.write_bytes(data[:n])
        with pytest.raises(ModelFileError, match="bad"):
            mf.load(bad)
    bad.write_bytes(data + b"\0")
    with pytest.raises(ModelFileError, match="file size"):
        mf.load(bad)


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80, 0xFF])
def test_every_flipped_byte_is_refused(small, mask):
    data = bytearray(small.read_bytes())
    for i in range(len(data)):
        data[i] ^= mask
        with pytest.raises(ModelFileError, match="bad"):
            mf.loads(data, name="bad")
        data[i] ^= mask
    mf.loads(data)  # restored: loads again


def test_flipped_bytes_in_a_large_file_are_refused(tmp_path):
    p = tmp_path / "big"
    mf.save(p, {"attributes": [f"a{i}" for i in range(20_000)], "w": np.arange(30_000.0)}, HEADER)
    data = bytearray(p.read_bytes())
    rng = np.random.default_rng(7)
    positions = rng.choice(len(data), 200, replace=False).tolist()
    for i in positions:
        data[i] ^= 0x04
        with pytest.raises(ModelFileError):
            mf.loads(data)
        data[i] ^= 0x04
    for i in positions[:5]:  # and through the file system
        data[i] ^= 0x04
        p.write_bytes(data)
        data[i] ^= 0x04
        with pytest.raises(ModelFileError, match="big"):
            mf.load(p)
    p.write_bytes(data)
    mf.load(p)


def test_loads_equals_load(small):
    a1, h1 = mf.load(small)
    a2, h2 = mf.loads(small.read_bytes())
    assert h1 == h2
    assert_same(a1, a2)


# A damaged header can still be self-consistent: these tests rewrite the header,
# re-seal its checksum and check that the structural checks refuse it anyway.


def split_file(path):
    data = path.read_bytes()
    sig, version, reserved, hlen = PRE.unpack_from(data)
    meta = json.loads(data[PRE.size : PRE.size + hlen])
    start = PRE.size + hlen
    start += (-start) % 64
    return meta, data[start:]


def reseal(path, meta, payload, version=None, signature=b"crftagger-model\n"):
    meta = dict(meta)
    meta.pop("header_sha256", None)

    def canon(m):
        return json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    meta["header_sha256"] = hashlib.sha256(canon(meta)).hexdigest()
    head = canon(meta)
    version = meta["format_version"] if version is None else version
    pre = PRE.pack(signature, version, 0, len(head))
    pad = b"\0" * ((-(PRE.size + len(head))) % 64)
    path.write_bytes(pre + head + pad + payload)


def test_reseal_helper_reproduces_a_valid_file(small):
    meta, payload = split_file(small)
    reseal(small, meta, payload)
    assert mf.load(small)[1] == HEADER


def block(meta, name):
    return next(b for b in meta["blocks"] if b["name"] == name)


def edit_wrong_magic(meta):
    meta["magic"] = "crfsuite-model"


def edit_unknown_dtype(meta):
    block(meta, "w")["dtype"] = "<c16"


def edit_object_dtype(meta):
    block(meta, "w")["dtype"] = "|O"


def edit_shape_too_big(meta):
    block(meta, "w")["shape"] = [38]


def edit_shape_mismatch(meta):
    block(meta, "trans")["shape"] = [2, 4]


def edit_negative_shape(meta):
    block(meta, "trans")["shape"] = [-4, -4]


def edit_offset_unaligned(meta):
    block(meta, "feat_ptr")["offset"] += 8


def edit_overlap(meta):
    block(meta, "feat_ptr")["offset"] = 0


def edit_string_count(meta):
    block(meta, "attributes")["count"] = 4


def edit_duplicate_name(meta):
    block(meta, "feat_ptr")["name"] = "w"


def edit_kind(meta):
    block(meta, "w")["kind"] = "pickle"


def edit_payload_size(meta):
    meta["payload_nbytes"] += 64


def edit_json_version(meta):
    meta["format_version"] = 2


def edit_fields(meta):
    meta["fields"] = ["not", "a", "dict"]


@pytest.mark.parametrize(
    "edit, found",
    [
        (edit_wrong_magic, "header magic: found 'crfsuite-model'"),
        (edit_unknown_dtype, "dtype: found '<c16'"),
        (edit_object_dtype, "dtype: found '|O'"),
        (edit_shape_too_big, "size: found 296 bytes, expected 304 bytes"),
        (edit_shape_mismatch, "size: found 64 bytes, expected 32 bytes"),
        (edit_negative_shape, "shape: found \\[-4, -4\\]"),
        (edit_offset_unaligned, "offset"),
        (edit_overlap, "offset: found 0"),
        (edit_string_count, "found 5 strings, expected 4 strings"),
        (edit_duplicate_name, "duplicate name"),
        (edit_kind, "kind/role"),
        (edit_payload_size, "file size"),
        (edit_json_version, "header format_version"),
        (edit_fields, "fields"),
    ],
)
def test_self_consistent_but_wrong_headers_are_refused(small, edit, found):
    meta, payload = split_file(small)
    edit(meta)
    reseal(small, meta, payload, version=mf.FORMAT_VERSION)
    with pytest.raises(ModelFileError, match=found) as info:
        mf.load(small)
    assert str(small) in str(info.value)


def test_future_version_is_refused_with_upgrade_message(small):
    meta, payload = split_file(small)
    meta["format_version"] = mf.FORMAT_VERSION + 1
    reseal(small, meta, payload)
    with pytest.raises(ModelFileError, match="newer crftagger.*upgrade"):
        mf.load(small)
    with pytest.raises(ModelFileError, match="format version"):
        mf.read_header(small)


def test_version_zero_is_refused(small):
    meta, payload = split_file(small)
    meta["format_version"] = 0
    reseal(small, meta, payload)
    with pytest.raises(ModelFileError, match="format version: found 0"):
        mf.load(small)


def test_wrong_signature_is_refused(small):
    meta, payload = split_file(small)
    reseal(small, meta, payload, signature=b"PK\x03\x04" + b"\0" * 12)
    with pytest.raises(ModelFileError, match="not a crftagger model file"):
        mf.load(small)


def test_non_canonical_header_is_refused(small):
    meta, payload = split_file(small)
    head = json.dumps(meta, sort_keys=True, indent=1).encode()  # same content, other bytes
    pad = b"\0" * ((-(PRE.size + len(head))) % 64)
    small.write_bytes(PRE.pack(b"crftagger-model\n", 1, 0, len(head)) + head + pad + payload)
    with pytest.raises(ModelFileError, match="non-canonical"):
        mf.load(small)


def test_invalid_utf8_in_a_resealed_string_blob_is_refused(tmp_path):
    p = tmp_path / "m"
    mf.save(p, {"v": ["ab", "cd"]})
    meta, payload = split_file(p)
    payload = bytearray(payload)
    payload[0] = 0xFF
    meta["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    reseal(p, meta, bytes(payload))
    with pytest.raises(ModelFileError, match="invalid UTF-8"):
        mf.load(p)


def test_empty_and_foreign_files_are_refused(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, w=np.ones(3))
    with pytest.raises(ModelFileError, match="x.npz: signature"):
        mf.load(p)
    p.write_bytes(b"")
    with pytest.raises(ModelFileError, match="too short"):
        mf.load(p)


# -------------------------------------------------------------------- text dump


def test_text_dump_round_trips_exactly(tmp_path):
    special = np.array([0.1, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, 1 / 3])
    arrays = {**sample_arrays(), "special": special, "nan": np.array([np.nan])}
    mf.save(tmp_path / "m", arrays, HEADER)
    mf.dump_text(tmp_path / "m", tmp_path / "m.txt")
    text = (tmp_path / "m.txt").read_text(encoding="utf-8")
    assert "0x1.999999999999ap-4" in text  # 0.1 as a hex float
    got, header = mf.load_text(tmp_path / "m.txt")
    assert header == HEADER
    assert_same(got, arrays)
    # and back into a binary model file
    mf.save(tmp_path / "m2", got, header)
    assert mf.load(tmp_path / "m2")[1] == HEADER


def test_text_dump_errors_name_the_line(tmp_path):
    mf.save(tmp_path / "m", {"w": np.arange(3.0)})
    mf.dump_text(tmp_path / "m", tmp_path / "m.txt")
    lines = (tmp_path / "m.txt").read_text().splitlines()
    lines[4] = "not-a-float"
    (tmp_path / "m.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ModelFileError, match="m.txt, line 3"):
        mf.load_text(tmp_path / "m.txt")
