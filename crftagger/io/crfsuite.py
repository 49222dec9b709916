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


def _read_cqdb(buf: bytes, off: int, expected: int, what: str, path: str) -> list[str]:
    """Strings of a CQDB database at byte offset ``off``, in id order."""
    if off + _CQDB_HEADER.size > len(buf):
        raise CRFsuiteModelError(
            f"{path}: {what} database offset {off} lies beyond the file ({len(buf)} bytes)"
        )
    magic, size, _flag, _byteorder, n, bwd_off = _CQDB_HEADER.unpack_from(buf, off)
    if magic != b"CQDB":
        raise CRFsuiteModelError(
            f"{path}: {what} database at offset {off}: found magic {magic!r}, expected b'CQDB'"
        )
    if n != expected:
        raise CRFsuiteModelError(
            f"{path}: {what} database holds {n} strings, the header says {expected}"
        )
    end = off + size
    if end > len(buf) or off + bwd_off + 4 * n > end:
        raise CRFsuiteModelError(
            f"{path}: {what} database (offset {off}, size {size}) is truncated"
        )
    ptrs = np.frombuffer(buf, dtype="<u4", count=n, offset=off + bwd_off)
    out: list[str] = []
    for i, p in enumerate(ptrs.tolist()):
        rec = off + p
        if rec + 8 > end:
            raise CRFsuiteModelError(
                f"{path}: {what} #{i}: record offset {p} lies outside the database"
            )
        kid, ksize = struct.unpack_from("<iI", buf, rec)
        if kid != i or ksize < 1 or rec + 8 + ksize > end:
            raise CRFsuiteModelError(
                f"{path}: {what} #{i}: malformed record (id {kid}, length {ksize}) at offset {rec}"
            )
        raw = buf[rec + 8 : rec + 8 + ksize - 1]
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CRFsuiteModelError(
                f"{path}: {what} #{i} is not valid UTF-8: {raw[:40]!r}"
            ) from exc
    return out


def read_crfsuite_model(path: str | os.PathLike) -> CRFsuiteModel:
    """Parse a CRFsuite crf1d model file with full-precision weights."""
    path = str(path)
    buf = Path(path).read_bytes()
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
        _off_lref,
        _off_aref,
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
    return CRFsuiteModel(labels, attributes, ftype, src, dst, weight)


def read_crfsuite_dump(path: str | os.PathLike) -> CRFsuiteModel:
    """Read a CRFsuite model through ``pycrfsuite.Tagger().info()`` (weights to 6 decimals).

    Attribute ids follow the order of the dump; labels keep the model's order.
    """
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    try:
        tagger.open(str(path))
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
