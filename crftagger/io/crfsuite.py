"""Import model files written by CRFsuite (python-crfsuite, sklearn-crfsuite).

Two readers:

:func:`read_crfsuite_model`
    parses CRFsuite's binary crf1d model file directly, so the float64
    weights come back bit for bit. The layout (all integers little-endian
    uint32 unless said otherwise):

    * header, 48 bytes: magic ``"lCRF"``, file size, model type ``"FOMC"``,
      version (100), number of features (written as 0 by CRFsuite), number of
      labels, number of attributes, offsets of the feature chunk, of the label
      and attribute string databases, and of the two feature-reference chunks;
    * feature chunk: ``"FEAT"``, chunk size, count ``n``, then ``n`` records of
      ``type`` (0 = state, 1 = transition), ``src`` (attribute id, or previous
      label), ``dst`` (label, or current label) and a float64 weight;
    * label / attribute databases (CQDB): ``"CQDB"``, size, flag, byte-order
      mark, number of ids ``m``, offset of the backward array; the backward
      array holds, for each id, the offset (from the database start) of its
      record ``int32 id, uint32 length, bytes (NUL-terminated)``.

    CRFsuite writes only features with a non-zero weight and only attributes
    that keep at least one feature (renumbered in order of first use); all
    labels are kept in training order.

:func:`read_crfsuite_dump`
    goes through ``pycrfsuite.Tagger().info()``, which parses CRFsuite's text
    dump: same features, weights rounded to 6 decimals.

:func:`load_crfsuite` turns either into a :class:`~crftagger.engine.model.LinearChainCRF`.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crftagger.engine.encoding import Vocabulary
from crftagger.engine.model import LinearChainCRF
from crftagger.errors import CRFsuiteModelError

MAGIC = b"lCRF"
MODEL_TYPE = b"FOMC"
VERSION = 100
_HEADER = struct.Struct("<4sI4sIIIIIIIII")
_CQDB_HEADER = struct.Struct("<4sIIIII")
_FEATURE = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])

STATE, TRANSITION = 0, 1


@dataclass
class CRFsuiteModel:
    """The content of a CRFsuite crf1d model file.

    ``feature_type`` / ``src`` / ``dst`` / ``weight`` are parallel arrays in
    file order: a state feature has ``src`` = attribute id, ``dst`` = label id;
    a transition has ``src`` = previous label, ``dst`` = current label.
    """

    labels: list[str]
    attributes: list[str]
    feature_type: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    def to_crf(self) -> LinearChainCRF:
        """A :class:`LinearChainCRF` with these labels, attributes and weights."""
        L, A = len(self.labels), len(self.attributes)
        state = self.feature_type == STATE
        s_attr = self.src[state].astype(np.int64)
        s_lab = self.dst[state].astype(np.int64)
        s_w = self.weight[state]
        order = np.lexsort((s_lab, s_attr))
        s_attr, s_lab, s_w = s_attr[order], s_lab[order], s_w[order]
        codes = s_attr * L + s_lab
        if len(codes) > 1 and np.any(codes[1:] == codes[:-1]):
            raise CRFsuiteModelError("model file lists the same state feature twice")
        feat_ptr = np.zeros(A + 1, dtype=np.int64)
        np.cumsum(np.bincount(s_attr, minlength=A), out=feat_ptr[1:])
        trans = ~state
        trans_w = np.zeros(L * L, dtype=np.float64)
        trans_mask = np.zeros(L * L, dtype=np.uint8)
        tcodes = self.src[trans].astype(np.int64) * L + self.dst[trans].astype(np.int64)
        trans_w[tcodes] = self.weight[trans]
        trans_mask[tcodes] = 1
        w = np.concatenate([s_w, trans_w])
        return LinearChainCRF(
            Vocabulary(self.labels).freeze(),
            Vocabulary(self.attributes).freeze(),
            feat_ptr,
            s_lab.astype(np.int32),
            w,
            trans_mask,
        )


_CQDB_BYTEORDER = 0x62445371
_CQDB_TABLES = 256
_CQDB_DATA = _CQDB_HEADER.size + 8 * _CQDB_TABLES  # header and hash-table directory


def _u32(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Little-endian uint32 values at the byte positions ``pos`` of ``arr`` (uint8)."""
    pos = pos.astype(np.int64)
    return (
        arr[pos].astype(np.int64)
        | (arr[pos + 1].astype(np.int64) << 8)
        | (arr[pos + 2].astype(np.int64) << 16)
        | (arr[pos + 3].astype(np.int64) << 24)
    )


def _read_cqdb(buf: bytes, off: int, expected: int, what: str, path: str) -> list[str]:
    """Strings of a CQDB database at byte offset ``off``, in id order.

    Everything CRFsuite's reader follows is checked: the header, the 256
    hash tables (every bucket must point to the record of the id it names,
    and every table must keep an empty bucket so that a lookup ends), the
    backward array and the NUL-terminated records.
    """
    if off + _CQDB_HEADER.size > len(buf):
        raise CRFsuiteModelError(
            f"{path}: {what} database offset {off} lies beyond the file ({len(buf)} bytes)"
        )
    magic, size, _flag, byteorder, n, bwd_off = _CQDB_HEADER.unpack_from(buf, off)
    if magic != b"CQDB":
        raise CRFsuiteModelError(
            f"{path}: {what} database at offset {off}: found magic {magic!r}, expected b'CQDB'"
        )
    if byteorder != _CQDB_BYTEORDER:
        raise CRFsuiteModelError(
            f"{path}: {what} database at offset {off}: found byte-order mark {byteorder:#x}, "
            f"expected {_CQDB_BYTEORDER:#x}"
        )
    if n != expected:
        raise CRFsuiteModelError(
            f"{path}: {what} database holds {n} strings, the header says {expected}"
        )
    end = off + size
    # an empty database has no backward array (CRFsuite writes offset 0)
    bad_bwd = n > 0 and (bwd_off < _CQDB_DATA or off + bwd_off + 4 * n > end)
    if size < _CQDB_DATA or end > len(buf) or bad_bwd:
        raise CRFsuiteModelError(
            f"{path}: {what} database (offset {off}, size {size}) is truncated or malformed"
        )
    arr = np.frombuffer(buf, dtype=np.uint8)
    ptrs = np.frombuffer(buf, dtype="<u4", count=n, offset=off + bwd_off).astype(np.int64)
    # records: int32 id, uint32 length, the bytes with their NUL, all inside the database
    rec = off + ptrs
    ok = (ptrs >= _CQDB_DATA) & (rec + 8 <= end)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise CRFsuiteModelError(
            f"{path}: {what} #{i}: record offset {int(ptrs[i])} lies outside the database"
        )
    kid = _u32(arr, rec)
    ksize = _u32(arr, rec + 4)
    ok = (kid == np.arange(n)) & (ksize >= 1) & (rec + 8 + ksize <= end)
    if ok.all():
        ok = arr[rec + 7 + ksize] == 0
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise CRFsuiteModelError(
            f"{path}: {what} #{i}: malformed record (id {int(kid[i])}, length {int(ksize[i])}) "
            f"at offset {int(rec[i])}; expected id {i} and a NUL-terminated string inside the database"
        )
    tables = np.frombuffer(buf, dtype="<u4", count=2 * _CQDB_TABLES, offset=off + _CQDB_HEADER.size)
    n_used = 0
    for t in range(_CQDB_TABLES):
        t_off, t_num = int(tables[2 * t]), int(tables[2 * t + 1])
        if t_num == 0:
            continue
        if t_off < _CQDB_DATA or off + t_off + 8 * t_num > end:
            raise CRFsuiteModelError(
                f"{path}: {what} database: hash table {t} ({t_num} buckets at offset {t_off}) "
                "lies outside the database"
            )
        buckets = np.frombuffer(buf, dtype="<u4", count=2 * t_num, offset=off + t_off)
        b_off = buckets[1::2].astype(np.int64)
        used = b_off != 0
        if used.all():
            raise CRFsuiteModelError(
                f"{path}: {what} database: hash table {t} has no empty bucket among {t_num} "
                "(a lookup would never end)"
            )
        b_off = b_off[used]
        b_rec = off + b_off
        good = (b_off >= _CQDB_DATA) & (b_rec + 8 <= end)
        if good.all():
            b_id = _u32(arr, b_rec)
            good = b_id < n
            if good.all():
                good = ptrs[b_id] == b_off
        if not good.all():
            k = int(np.flatnonzero(~good)[0])
            raise CRFsuiteModelError(
                f"{path}: {what} database: hash table {t}: a bucket points to offset "
                f"{int(b_off[k])}, which is not the record of a {what} id below {n}"
            )
        n_used += int(used.sum())
    if n_used != n:
        raise CRFsuiteModelError(
            f"{path}: {what} database: the hash tables list {n_used} strings, expected {n}"
        )
    out: list[str] = []
    for i, (r, k) in enumerate(zip(rec.tolist(), ksize.tolist(), strict=True)):
        raw = buf[r + 8 : r + 8 + k - 1]
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CRFsuiteModelError(
                f"{path}: {what} #{i} is not valid UTF-8: {raw[:40]!r}"
            ) from exc
    return out


def _check_refs(
    buf: bytes,
    off: int,
    chunk: bytes,
    n: int,
    ftype: np.ndarray,
    src: np.ndarray,
    want_type: int,
    path: str,
) -> None:
    """Check a feature-reference chunk: for each of ``n`` ids, the features whose ``src`` it is."""
    what = "label" if chunk == b"LFRF" else "attribute"
    if off + 12 > len(buf):
        raise CRFsuiteModelError(
            f"{path}: {what} reference chunk offset {off} lies beyond the file ({len(buf)} bytes)"
        )
    cid, _csize, num = struct.unpack_from("<4sII", buf, off)
    if cid != chunk:
        raise CRFsuiteModelError(
            f"{path}: {what} reference chunk at offset {off}: found {cid!r}, expected {chunk!r}"
        )
    if num < n or off + 12 + 4 * n > len(buf):
        raise CRFsuiteModelError(
            f"{path}: {what} reference chunk lists {num} ids in {len(buf) - off - 12} bytes, "
            f"expected at least {n}"
        )
    arr = np.frombuffer(buf, dtype=np.uint8)
    offs = np.frombuffer(buf, dtype="<u4", count=n, offset=off + 12).astype(np.int64)
    n_feat = len(ftype)
    for i, p in enumerate(offs.tolist()):
        if p + 4 > len(buf):
            raise CRFsuiteModelError(
                f"{path}: {what} #{i}: feature list offset {p} lies beyond the file"
            )
        (k,) = struct.unpack_from("<I", buf, p)
        if p + 4 + 4 * k > len(buf):
            raise CRFsuiteModelError(
                f"{path}: {what} #{i}: feature list of {k} ids at offset {p} is truncated"
            )
        if k == 0:
            continue
        fids = _u32(arr, p + 4 + 4 * np.arange(k, dtype=np.int64))
        good = fids < n_feat
        if good.all():
            good = (ftype[fids] == want_type) & (src[fids] == i)
        if not good.all():
            j = int(np.flatnonzero(~good)[0])
            raise CRFsuiteModelError(
                f"{path}: {what} #{i}: feature reference {int(fids[j])} is not one of its "
                f"{n_feat} features (expected a {'transition' if want_type else 'state'} "
                f"feature from {what} {i})"
            )


def check_crfsuite_bytes(buf: bytes, path: str | os.PathLike = "<bytes>") -> CRFsuiteModel:
    """Validate a whole CRFsuite model (the bytes of the file) and return its content.

    Every offset, count and id that CRFsuite's C reader follows is checked,
    so bytes that pass can be handed to python-crfsuite (``Tagger.open`` /
    ``open_inmemory``) without reading outside the buffer. Raises
    :class:`~crftagger.errors.CRFsuiteModelError` naming ``path``, what was
    found and what was expected.
    """
    path = str(path)
    if len(buf) < _HEADER.size:
        raise CRFsuiteModelError(
            f"{path}: {len(buf)} bytes, too short for a CRFsuite model (header is 48 bytes)"
        )
    (
        magic,
        size,
        mtype,
        version,
        _nf,
        n_labels,
        n_attrs,
        off_feat,
        off_labels,
        off_attrs,
        off_lref,
        off_aref,
    ) = _HEADER.unpack_from(buf, 0)
    if magic != MAGIC:
        raise CRFsuiteModelError(
            f"{path}: found magic {magic!r}, expected {MAGIC!r} (not a CRFsuite model)"
        )
    if mtype != MODEL_TYPE or version != VERSION:
        raise CRFsuiteModelError(
            f"{path}: model type {mtype!r} version {version}, expected {MODEL_TYPE!r} version {VERSION}"
        )
    if size != len(buf):
        raise CRFsuiteModelError(f"{path}: header gives size {size}, the file has {len(buf)} bytes")
    if off_feat + 12 > len(buf):
        raise CRFsuiteModelError(f"{path}: feature chunk offset {off_feat} lies beyond the file")
    chunk, csize, n_feat = struct.unpack_from("<4sII", buf, off_feat)
    if chunk != b"FEAT":
        raise CRFsuiteModelError(
            f"{path}: feature chunk at offset {off_feat}: found {chunk!r}, expected b'FEAT'"
        )
    if 12 + n_feat * _FEATURE.itemsize > csize or off_feat + csize > len(buf):
        raise CRFsuiteModelError(f"{path}: feature chunk of {n_feat} features is truncated")
    feats = np.frombuffer(buf, dtype=_FEATURE, count=n_feat, offset=off_feat + 12)
    labels = _read_cqdb(buf, off_labels, n_labels, "label", path)
    attributes = _read_cqdb(buf, off_attrs, n_attrs, "attribute", path)
    ftype = feats["type"].astype(np.int32)
    src = feats["src"].astype(np.int64)
    dst = feats["dst"].astype(np.int64)
    weight = feats["weight"].astype(np.float64)
    if np.any((ftype != STATE) & (ftype != TRANSITION)):
        k = int(np.flatnonzero((ftype != STATE) & (ftype != TRANSITION))[0])
        raise CRFsuiteModelError(
            f"{path}: feature #{k} has type {ftype[k]}, expected 0 (state) or 1 (transition)"
        )
    src_limit = np.where(ftype == STATE, n_attrs, n_labels)
    bad = (src >= src_limit) | (dst >= n_labels)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise CRFsuiteModelError(
            f"{path}: feature #{k} (type {ftype[k]}) refers to {src[k]} -> {dst[k]}, "
            f"out of range for {n_attrs} attributes and {n_labels} labels"
        )
    if not np.all(np.isfinite(weight)):
        k = int(np.flatnonzero(~np.isfinite(weight))[0])
        raise CRFsuiteModelError(f"{path}: feature #{k} has weight {weight[k]}")
    _check_refs(buf, off_lref, b"LFRF", n_labels, ftype, src, TRANSITION, path)
    _check_refs(buf, off_aref, b"AFRF", n_attrs, ftype, src, STATE, path)
    return CRFsuiteModel(labels, attributes, ftype, src, dst, weight)


def read_crfsuite_model(path: str | os.PathLike) -> CRFsuiteModel:
    """Parse a CRFsuite crf1d model file with full-precision weights (see :func:`check_crfsuite_bytes`)."""
    return check_crfsuite_bytes(Path(path).read_bytes(), path)


def read_crfsuite_dump(path: str | os.PathLike) -> CRFsuiteModel:
    """Read a CRFsuite model through ``pycrfsuite.Tagger().info()`` (weights to 6 decimals).

    Attribute ids follow the order of the dump; labels keep the model's order.
    """
    import pycrfsuite

    buf = Path(path).read_bytes()
    check_crfsuite_bytes(buf, path)  # python-crfsuite's C reader trusts every offset
    tagger = pycrfsuite.Tagger()
    try:
        tagger.open_inmemory(buf)
    except Exception as exc:  # pycrfsuite raises a bare ValueError/IOError
        raise CRFsuiteModelError(f"{path}: CRFsuite could not open the model: {exc}") from exc
    try:
        labels = list(tagger.labels())
        info = tagger.info()
    finally:
        tagger.close()
    lab = {name: i for i, name in enumerate(labels)}
    attrs = Vocabulary()
    ftype, src, dst, weight = [], [], [], []
    for (attr, label), v in info.state_features.items():
        ftype.append(STATE)
        src.append(attrs.add(attr))
        dst.append(lab[label])
        weight.append(v)
    for (prev, cur), v in info.transitions.items():
        ftype.append(TRANSITION)
        src.append(lab[prev])
        dst.append(lab[cur])
        weight.append(v)
    return CRFsuiteModel(
        labels,
        list(attrs),
        np.asarray(ftype, dtype=np.int32),
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        np.asarray(weight, dtype=np.float64),
    )


def load_crfsuite(path: str | os.PathLike, full_precision: bool = True) -> LinearChainCRF:
    """Import a CRFsuite model file as a :class:`LinearChainCRF`.

    With ``full_precision`` (default) the binary file is parsed directly;
    otherwise the weights come from CRFsuite's 6-decimal text dump.
    """
    model = read_crfsuite_model(path) if full_precision else read_crfsuite_dump(path)
    return model.to_crf()


# --------------------------------------------------------------------------- writing

_M32 = 0xFFFFFFFF


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def cqdb_hash(key: bytes) -> int:
    """Bob Jenkins' ``hashlittle(key, len(key), 0)`` (lookup3), the hash CQDB files use.

    CQDB hashes a string with its terminating NUL; a record lives in hash
    table ``h % 256``, bucket ``(h >> 8) % size`` (then the next free one).
    """
    n = len(key)
    a = b = c = (0xDEADBEEF + n) & _M32
    i = 0
    while n > 12:
        a = (a + int.from_bytes(key[i : i + 4], "little")) & _M32
        b = (b + int.from_bytes(key[i + 4 : i + 8], "little")) & _M32
        c = (c + int.from_bytes(key[i + 8 : i + 12], "little")) & _M32
        # mix(a, b, c)
        a = (a - c) & _M32
        a ^= _rot(c, 4)
        c = (c + b) & _M32
        b = (b - a) & _M32
        b ^= _rot(a, 6)
        a = (a + c) & _M32
        c = (c - b) & _M32
        c ^= _rot(b, 8)
        b = (b + a) & _M32
        a = (a - c) & _M32
        a ^= _rot(c, 16)
        c = (c + b) & _M32
        b = (b - a) & _M32
        b ^= _rot(a, 19)
        a = (a + c) & _M32
        c = (c - b) & _M32
        c ^= _rot(b, 4)
        b = (b + a) & _M32
        n -= 12
        i += 12
    if n == 0:
        return c
    tail = key[i:] + bytes(12 - n)
    a = (a + int.from_bytes(tail[0:4], "little")) & _M32
    b = (b + int.from_bytes(tail[4:8], "little")) & _M32
    c = (c + int.from_bytes(tail[8:12], "little")) & _M32
    # final(a, b, c)
    c ^= b
    c = (c - _rot(b, 14)) & _M32
    a ^= c
    a = (a - _rot(c, 11)) & _M32
    b ^= a
    b = (b - _rot(a, 25)) & _M32
    c ^= b
    c = (c - _rot(b, 16)) & _M32
    a ^= c
    a = (a - _rot(c, 4)) & _M32
    b ^= a
    b = (b - _rot(a, 14)) & _M32
    c ^= b
    c = (c - _rot(b, 24)) & _M32
    return c


def _cqdb_bytes(strings: list[str], what: str) -> bytes:
    """A CQDB database of ``strings`` (id = position), laid out as CRFsuite's writer does."""
    records = []
    tables: list[list[tuple[int, int]]] = [[] for _ in range(_CQDB_TABLES)]
    backward = []
    cur = _CQDB_DATA
    for i, s in enumerate(strings):
        if "\0" in s:
            raise CRFsuiteModelError(
                f"{what} #{i} {s[:40]!r} holds a NUL character, which a CRFsuite file cannot store"
            )
        key = s.encode("utf-8") + b"\0"
        h = cqdb_hash(key)
        tables[h % _CQDB_TABLES].append((h, cur))
        backward.append(cur)
        records.append(struct.pack("<iI", i, len(key)) + key)
        cur += 8 + len(key)
    refs = []
    buckets = []
    for entries in tables:
        n = 2 * len(entries)
        if not n:
            refs.append((0, 0))
            continue
        slots = [(0, 0)] * n
        for h, off in entries:  # open addressing, in insertion order
            k = (h >> 8) % n
            while slots[k][1] != 0:
                k = (k + 1) % n
            slots[k] = (h, off)
        refs.append((cur, n))
        buckets.append(b"".join(struct.pack("<II", h, off) for h, off in slots))
        cur += 8 * n
    bwd_offset = cur if strings else 0
    cur += 4 * len(backward)
    head = _CQDB_HEADER.pack(b"CQDB", cur, 0, _CQDB_BYTEORDER, len(strings), bwd_offset)
    return b"".join(
        [
            head,
            b"".join(struct.pack("<II", off, n) for off, n in refs),
            *records,
            *buckets,
            struct.pack(f"<{len(backward)}I", *backward),
        ]
    )


def _refs_bytes(chunk: bytes, start: int, lists: list[list[int]], n_slots: int) -> bytes:
    """A feature-reference chunk at file offset ``start``: per id, the ids of its features."""
    body_start = start + 12 + 4 * n_slots
    offsets = [0] * n_slots
    body = []
    pos = body_start
    for i, fids in enumerate(lists):
        offsets[i] = pos
        body.append(struct.pack(f"<I{len(fids)}I", len(fids), *fids))
        pos += 4 + 4 * len(fids)
    return b"".join(
        [struct.pack("<4sII", chunk, pos - start, n_slots), struct.pack(f"<{n_slots}I", *offsets)]
        + body
    )


def crfsuite_bytes(model: LinearChainCRF) -> bytes:
    """The model as a CRFsuite crf1d model file (the bytes), readable by CRFsuite and python-crfsuite.

    Laid out as CRFsuite writes its own files: only features with a non-zero
    weight, state features first, ordered by (attribute, label), then
    transitions ordered by (previous, current); only the attributes that keep
    a state feature, renumbered in order; every label, in the model's order.
    The weights are written bit for bit, so :func:`read_crfsuite_model` gives
    them back exactly. First-order models only.
    """
    if getattr(model, "order", 1) != 1:
        raise CRFsuiteModelError(
            f"a CRFsuite model file holds a first-order CRF; this model has order {model.order}"
        )
    return _crf1d_bytes(model)


def _crf1d_bytes(model: LinearChainCRF) -> bytes:
    """:func:`crfsuite_bytes` of the state and (bigram) transition features of any model."""
    model._require_fitted()
    labels = list(model.labels.items)
    L = len(labels)
    owner = np.repeat(np.arange(len(model.attributes)), np.diff(np.asarray(model.feat_ptr)))
    s_w = np.asarray(model.state_weights, dtype=np.float64)
    s_lab = np.asarray(model.feat_label, dtype=np.int64)
    keep = s_w != 0.0
    owner, s_lab, s_w = owner[keep], s_lab[keep], s_w[keep]
    order = np.lexsort((s_lab, owner))
    owner, s_lab, s_w = owner[order], s_lab[order], s_w[order]
    used, new_attr = np.unique(owner, return_inverse=True)
    attributes = [model.attributes[int(a)] for a in used]
    trans = np.asarray(model.transition_weights, dtype=np.float64).reshape(L, L)
    mask = np.asarray(model.trans_mask).reshape(L, L).astype(bool) & (trans != 0.0)
    t_prev, t_cur = np.nonzero(mask)  # row-major: (previous, current) order
    n_state = len(s_w)
    feats = np.empty(n_state + len(t_prev), dtype=_FEATURE)
    feats["type"][:n_state] = STATE
    feats["src"][:n_state] = new_attr
    feats["dst"][:n_state] = s_lab
    feats["weight"][:n_state] = s_w
    feats["type"][n_state:] = TRANSITION
    feats["src"][n_state:] = t_prev
    feats["dst"][n_state:] = t_cur
    feats["weight"][n_state:] = trans[t_prev, t_cur]
    feat_chunk = struct.pack("<4sII", b"FEAT", 12 + feats.nbytes, len(feats)) + feats.tobytes()
    off_feat = _HEADER.size
    label_db = _cqdb_bytes(labels, "label")
    attr_db = _cqdb_bytes(attributes, "attribute")
    off_labels = off_feat + len(feat_chunk)
    off_attrs = off_labels + len(label_db)
    end = off_attrs + len(attr_db)
    pad1 = -end % 4
    off_lref = end + pad1
    label_lists: list[list[int]] = [[] for _ in range(L)]
    for k in range(len(t_prev)):
        label_lists[int(t_prev[k])].append(n_state + k)
    # CRFsuite keeps two more label slots (its BOS and EOS), left empty
    lref = _refs_bytes(b"LFRF", off_lref, label_lists, L + 2)
    end = off_lref + len(lref)
    pad2 = -end % 4
    off_aref = end + pad2
    attr_lists: list[list[int]] = [[] for _ in range(len(attributes))]
    for k, a in enumerate(new_attr.tolist()):
        attr_lists[a].append(k)
    aref = _refs_bytes(b"AFRF", off_aref, attr_lists, len(attributes))
    size = off_aref + len(aref)
    header = _HEADER.pack(
        MAGIC,
        size,
        MODEL_TYPE,
        VERSION,
        0,
        L,
        len(attributes),
        off_feat,
        off_labels,
        off_attrs,
        off_lref,
        off_aref,
    )
    return b"".join([header, feat_chunk, label_db, attr_db, b"\0" * pad1, lref, b"\0" * pad2, aref])


def save_crfsuite(model: LinearChainCRF, path: str | os.PathLike) -> Path:
    """Write ``model`` as a CRFsuite model file (see :func:`crfsuite_bytes`); atomic."""
    from crftagger.io.container import _atomic_write

    path = Path(path)
    _atomic_write(path, [crfsuite_bytes(model)])
    return path


def crfsuite_dump(buf: bytes, path: str | os.PathLike = "<bytes>") -> str:
    """CRFsuite's plain-text dump of a model file (what ``crfsuite dump`` and ``Tagger.dump`` print).

    The bytes are validated first (:func:`check_crfsuite_bytes`); the text is
    CRFsuite's, line for line: the file header, the labels, the attributes,
    then the transitions and the state features in file order, weights with
    six decimals.
    """
    model = check_crfsuite_bytes(buf, path)
    fields = _HEADER.unpack_from(buf, 0)
    names = (
        "magic size type version num_features num_labels num_attrs off_features "
        "off_labels off_attrs off_labelrefs off_attrrefs"
    ).split()
    lines = ["FILEHEADER = {"]
    for name, value in zip(names, fields, strict=True):
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        elif name.startswith("off_"):
            value = f"0x{value:X}"
        lines.append(f"  {name}: {value}")
    lines += ["}", "", "LABELS = {"]
    lines += [f"  {i:5d}: {s}" for i, s in enumerate(model.labels)]
    lines += ["}", "", "ATTRIBUTES = {"]
    lines += [f"  {i:5d}: {s}" for i, s in enumerate(model.attributes)]
    lines += ["}", "", "TRANSITIONS = {"]
    ftype = model.feature_type.tolist()
    src, dst, weight = model.src.tolist(), model.dst.tolist(), model.weight.tolist()
    for k in range(len(ftype)):
        if ftype[k] == TRANSITION:
            lines.append(f"  (1) {model.labels[src[k]]} --> {model.labels[dst[k]]}: {weight[k]:f}")
    lines += ["}", "", "STATE_FEATURES = {"]
    for k in range(len(ftype)):
        if ftype[k] == STATE:
            lines.append(
                f"  (0) {model.attributes[src[k]]} --> {model.labels[dst[k]]}: {weight[k]:f}"
            )
    lines += ["}", "", ""]
    return "\n".join(lines)
