"""Safe single-file container for trained models: arrays plus a JSON header, no pickle.

A model file holds named numeric arrays, named lists of strings (vocabularies)
and a JSON header with the caller's fields (labels, feature specification,
training parameters, scores...). Nothing in it is ever unpickled: arrays are
rebuilt with :func:`numpy.frombuffer` from the dtype and shape the header
declares, after every declaration and both checksums have been verified.

Layout (all integers little-endian)::

    offset  size  content
    0       16    signature  b"crftagger-model\\n"
    16      4     uint32 format version
    20      4     uint32 reserved, 0
    24      8     uint64 H, length of the JSON header in bytes
    32      H     JSON header, UTF-8, canonical form (sorted keys, no spaces)
    32+H    ...   zero padding up to a multiple of 64
    P       N     payload: the blocks, each starting at a multiple of 64 from P,
                  zero padding between blocks; the file ends at P + N exactly

The JSON header holds ``magic`` (``"crftagger-model"``), ``format_version``,
``library_version``, ``created`` (UTC, ISO 8601), ``versions`` (python,
numpy, numba, crftagger), ``fields`` (the caller's header), ``blocks`` (one
entry per block: name, kind, dtype, shape, offset, nbytes), ``payload_nbytes``,
``payload_sha256`` (sha256 of the N payload bytes) and ``header_sha256``
(sha256 of the canonical JSON of the header without that field). The stored
JSON must be exactly the canonical serialisation of what it parses to, so no
two different byte strings can carry the same header.

A block is either an array (``kind: "array"``) or a list of strings
(``kind: "strings"``): the UTF-8 strings joined by NUL into one blob
(``layout: "nul-joined"``), or, when a string itself contains NUL, the
concatenated UTF-8 bytes followed by ``int64[n + 1]`` byte offsets
(``layout: "offsets"``). A 400,000-entry attribute vocabulary thus costs one
decode and one split on load instead of a 400,000-item JSON list.

Files are written atomically: a temporary file in the target folder, flushed
and ``fsync``-ed, then renamed over the target with :func:`os.replace`.
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import io
import json
import math
import os
import platform
import re
import struct
import tempfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from crftagger import __version__
from crftagger.errors import ModelFileError

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "ModelFileError",
    "dump_text",
    "load",
    "load_text",
    "loads",
    "read_header",
    "save",
]

MAGIC = "crftagger-model"
SIGNATURE = b"crftagger-model\n"
FORMAT_VERSION = 1
ALIGN = 64
_PREAMBLE = struct.Struct("<16sIIQ")  # signature, format version, reserved, header length

# Bounds a file must keep before anything is allocated from what it declares
# (a crafted file can carry a valid checksum, so the checksum proves nothing).
#: Largest JSON header, in bytes.
MAX_HEADER_BYTES = 64 << 20
#: Deepest nesting of JSON arrays and objects in the header.
MAX_JSON_DEPTH = 64
#: Most digits of an integer in the header (far below Python's 4,300-digit
#: conversion limit; every int64 and uint64 has at most 20).
MAX_INT_DIGITS = 100
#: Most dimensions of an array block.
MAX_NDIM = 8
#: A dimension of an array block is at most the payload size in bytes, or this
#: much for the dimensions of an empty array in a tiny file.
MIN_DIM_BOUND = 1024
_MAX_HEADER = MAX_HEADER_BYTES
_INT_LIMIT = 10**MAX_INT_DIGITS

#: dtypes a model file may hold (stored little-endian, as numpy's ``dtype.str``).
ALLOWED_DTYPES = frozenset(
    np.dtype(t).newbyteorder("<").str
    for t in (
        np.bool_,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.float32,
        np.float64,
    )
)

_TEXT_SIGNATURE = "# crftagger-model text dump"


# ----------------------------------------------------------------- helpers


def _canonical(obj) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, exact float repr."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True
    ).encode("utf-8")


def _pad(n: int) -> int:
    return (-n) % ALIGN


# a JSON string literal (the unrolled form: no backtracking over long strings)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in the JSON text ``raw``, without parsing it."""
    a = np.frombuffer(_JSON_STRING.sub(b"", raw), dtype=np.uint8)
    if not len(a):
        return 0
    step = np.isin(a, (ord("["), ord("{"))).astype(np.int64) - np.isin(a, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


class _IntTooLong(Exception):
    pass


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _IntTooLong(f"{text[:12]}... ({len(text.lstrip('-'))} digits)")
    return int(text)


def parse_json(raw: bytes, where) -> Any:
    """Parse untrusted JSON bytes; every problem is a :class:`ModelFileError` naming ``where``.

    Nesting deeper than :data:`MAX_JSON_DEPTH` and integers longer than
    :data:`MAX_INT_DIGITS` digits are refused before they can raise
    :class:`RecursionError` or :class:`ValueError`.
    """
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise _fail(where, "JSON header nesting", f"depth {depth}", f"at most {MAX_JSON_DEPTH}")
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_parse_int)
    except _IntTooLong as exc:
        raise _fail(where, "JSON header integer", exc, f"at most {MAX_INT_DIGITS} digits") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise _fail(
            where, "JSON header", f"unreadable JSON ({exc})", "a valid JSON header"
        ) from None


def _json_ready(value, where: str):
    """Return ``value`` as plain JSON types; refuse what would not round-trip."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()  # before the float test: np.float64 subclasses float
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_LIMIT:
        raise ModelFileError(
            f"header field {where}: found an integer of more than {MAX_INT_DIGITS} digits, "
            f"expected at most {MAX_INT_DIGITS} digits"
        )
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ModelFileError(
                    f"header field {where}: found key {k!r} of type {type(k).__name__}, "
                    "expected str keys"
                )
            out[k] = _json_ready(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_json_ready(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ModelFileError(
        f"header field {where}: found a {type(value).__name__}, expected None, bool, int, "
        "float, str, list or dict (store arrays as arrays)"
    )


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__, "crftagger": __version__}
    try:
        out["numba"] = metadata.version("numba")
    except metadata.PackageNotFoundError:  # pragma: no cover - numba is a dependency
        out["numba"] = "not installed"
    return out


def _encode_strings(name: str, items: Sequence[str]) -> tuple[dict, list[bytes]]:
    """Encode a list of strings as blocks; returns (block spec extras, [blob, offsets?])."""
    for i, s in enumerate(items):
        if not isinstance(s, str):
            raise ModelFileError(
                f"string list {name!r}: item {i} is a {type(s).__name__}, expected str"
            )
    joined = "\0".join(items)
    if joined.count("\0") == max(len(items) - 1, 0):
        blob = joined.encode("utf-8", "surrogatepass")
        return {"layout": "nul-joined", "count": len(items)}, [blob]
    enc = [s.encode("utf-8", "surrogatepass") for s in items]
    offsets = np.zeros(len(enc) + 1, dtype="<i8")
    np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=len(enc)), out=offsets[1:])
    return {"layout": "offsets", "count": len(items)}, [b"".join(enc), offsets.tobytes()]


# -------------------------------------------------------------------- save


def save(
    path: str | os.PathLike,
    arrays: Mapping[str, np.ndarray | Sequence[str]],
    header: Mapping | None = None,
    *,
    created: str | None = None,
) -> Path:
    """Write ``arrays`` and ``header`` to ``path`` atomically.

    Parameters
    ----------
    path
        Target file; replaced atomically if it exists.
    arrays
        ``{name: value}``; a value is a numeric :class:`numpy.ndarray` (bool,
        int8..int64, uint8..uint64, float32, float64; any shape; stored
        little-endian and C-ordered) or a list/tuple of ``str`` (a vocabulary).
    header
        The caller's fields, JSON types only (dict keys must be ``str``;
        numpy scalars are converted; tuples come back as lists).
    created
        Timestamp to record (default: now, UTC, ISO 8601).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    try:
        fields = _json_ready(dict(header or {}), "header")
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    blocks: list[dict] = []
    chunks: list[bytes | memoryview] = []
    pos = 0

    def add_block(spec: dict, data: bytes | memoryview) -> None:
        nonlocal pos
        spec["offset"] = pos
        spec["nbytes"] = len(data)
        blocks.append(spec)
        chunks.append(data)
        pad = _pad(len(data))
        if pad:
            chunks.append(b"\0" * pad)
        pos += len(data) + pad

    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise ModelFileError(f"{path}: array name {name!r}: expected a non-empty str")
        if isinstance(value, (list, tuple)):
            try:
                extra, parts = _encode_strings(name, value)
            except ModelFileError as exc:
                raise ModelFileError(f"{path}: {exc}") from None
            add_block({"name": name, "kind": "strings", "role": "blob", **extra}, parts[0])
            if len(parts) == 2:
                add_block(
                    {
                        "name": name,
                        "kind": "strings",
                        "role": "offsets",
                        "dtype": "<i8",
                        "shape": [len(value) + 1],
                    },
                    parts[1],
                )
            continue
        if not isinstance(value, np.ndarray):
            raise ModelFileError(
                f"{path}: array {name!r}: found a {type(value).__name__}, "
                "expected a numpy array or a list of str"
            )
        dt = value.dtype
        dtype_str = dt.newbyteorder("<").str if dt.kind in "biuf" else dt.str
        if dtype_str not in ALLOWED_DTYPES:
            raise ModelFileError(
                f"{path}: array {name!r}: found dtype {value.dtype}, expected one of "
                "bool, int8..int64, uint8..uint64, float32, float64 "
                "(store strings as a list of str)"
            )
        arr = np.asarray(value, dtype=np.dtype(dtype_str), order="C")
        add_block(
            {"name": name, "kind": "array", "dtype": dtype_str, "shape": list(arr.shape)},
            memoryview(arr.reshape(-1).view(np.uint8)),
        )

    payload_hash = hashlib.sha256()
    for c in chunks:
        payload_hash.update(c)
    meta = {
        "magic": MAGIC,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "created": created
        or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "versions": _versions(),
        "fields": fields,
        "blocks": blocks,
        "payload_nbytes": pos,
        "payload_sha256": payload_hash.hexdigest(),
    }
    try:
        meta["header_sha256"] = hashlib.sha256(_canonical(meta)).hexdigest()
    except UnicodeEncodeError as exc:
        raise ModelFileError(
            f"{path}: header: found a string that is not valid Unicode ({exc.reason}), "
            "expected UTF-8 encodable text"
        ) from None
    head = _canonical(meta)
    preamble = _PREAMBLE.pack(SIGNATURE, FORMAT_VERSION, 0, len(head))
    start_pad = _pad(_PREAMBLE.size + len(head))
    _atomic_write(path, [preamble, head, b"\0" * start_pad, *chunks])
    return path


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no other portable way to read it
    os.umask(mask)
    return mask


def check_destination(path) -> Path:
    """Check that a file can be written at ``path``, before any long work.

    Refuses a folder, a missing parent folder and a folder that cannot take a
    new file (no permission, read-only file system), by creating and removing
    an empty temporary file beside ``path``: the same operation the save
    makes. Returns ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    ModelFileError
        Naming the path, what was found and what was expected.
    """
    path, folder = _destination(path)
    if not folder.is_dir():
        found = f"a file at {folder}" if folder.exists() else f"no folder {folder}"
        raise ModelFileError(f"{path}: found {found}, expected an existing folder to write in")
    fd, tmp = _temporary(path, folder)
    os.close(fd)
    os.unlink(tmp)
    return path


def _destination(path) -> tuple[Path, Path]:
    """``path`` and its folder; a folder as ``path`` is a :class:`ModelFileError`."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: found a folder, expected the name of a file to write")
    return path, (path.parent if str(path.parent) else Path("."))


def _temporary(path: Path, folder: Path) -> tuple[int, str]:
    """A new ``.NAME.PID.*.tmp`` file beside ``path`` (the process id lets a later save tell
    a killed save's file from a running one's)."""
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ModelFileError(
            f"{path}: cannot create a file in {folder} ({exc.strerror}); expected a folder "
            "this process may write in"
        ) from None


def _remove_orphans(folder: Path, name: str) -> None:
    """Remove ``.NAME.PID.*.tmp`` files that a killed save left, when PID is not running."""
    try:
        candidates = list(folder.glob(f".{glob.escape(name)}.*.tmp"))
    except OSError:  # pragma: no cover - an unreadable folder: nothing to clean
        return
    for tmp in candidates:
        pid_text = tmp.name[len(name) + 2 :].split(".", 1)[0]
        if not (pid_text.isascii() and pid_text.isdigit()) or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            try:
                tmp.unlink()
            except OSError:
                pass
        except (OSError, OverflowError):  # alive under another user, or not a pid
            pass


def _atomic_write(path: Path, parts: Sequence[bytes | memoryview]) -> None:
    """Write ``parts`` to a temporary file beside ``path``, fsync, then rename over it.

    The temporary file is removed on any error; one left by a save that was
    killed (its name carries the process id) is removed by the next save of
    the same file. Errors of the file system (a full disk, no permission)
    raise :class:`ModelFileError` and leave ``path`` as it was.
    """
    path, folder = _destination(path)
    _remove_orphans(folder, path.name)
    fd, tmp = _temporary(path, folder)
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise ModelFileError(
                f"{path}: could not write the file ({exc.strerror or exc}); nothing was "
                "written and no temporary file is left"
            ) from None
        raise
    try:  # make the rename itself durable where the OS allows it
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory handles
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


# -------------------------------------------------------------------- load


def _fail(path, what: str, found, expected) -> ModelFileError:
    return ModelFileError(f"{path}: {what}: found {found}, expected {expected}")


def _read_preamble_and_header(path: Path, f) -> tuple[dict, int, int]:
    """Read and verify everything up to the payload; return (meta, payload start, file size)."""
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    raw = f.read(_PREAMBLE.size)
    if len(raw) < _PREAMBLE.size:
        raise _fail(
            path,
            "file too short for a model file",
            f"{size} bytes",
            f"at least {_PREAMBLE.size} bytes",
        )
    sig, version, reserved, hlen = _PREAMBLE.unpack(raw)
    if sig != SIGNATURE:
        raise _fail(path, "signature", repr(sig), f"{SIGNATURE!r} (not a crftagger model file)")
    if version > FORMAT_VERSION:
        raise _fail(
            path,
            "format version",
            version,
            f"at most {FORMAT_VERSION}: the file was written by a newer crftagger; upgrade "
            f"crftagger (this is {__version__}) to read it",
        )
    if version < 1:
        raise _fail(path, "format version", version, f"1..{FORMAT_VERSION}")
    if reserved != 0:
        raise _fail(path, "reserved preamble field", reserved, 0)
    if hlen > _MAX_HEADER:
        raise _fail(
            path,
            "header length",
            f"{hlen} bytes",
            f"at most {_MAX_HEADER} bytes (MAX_HEADER_BYTES)",
        )
    if hlen > size - _PREAMBLE.size:
        raise _fail(
            path,
            "header length",
            f"{hlen} bytes (file has {size} bytes)",
            f"at most {size - _PREAMBLE.size} bytes (is the file truncated?)",
        )
    head = f.read(hlen)
    meta = parse_json(head, path)
    if not isinstance(meta, dict):
        raise _fail(path, "JSON header", type(meta).__name__, "a JSON object")
    if _canonical(meta) != head:
        raise _fail(
            path,
            "JSON header",
            "a non-canonical serialisation (edited or corrupted)",
            "the canonical form written by crftagger",
        )
    if meta.get("magic") != MAGIC:
        raise _fail(path, "header magic", repr(meta.get("magic")), repr(MAGIC))
    if meta.get("format_version") != version:
        raise _fail(
            path,
            "header format_version",
            repr(meta.get("format_version")),
            f"{version} as in the preamble",
        )
    stored = meta.pop("header_sha256", None)
    actual = hashlib.sha256(_canonical(meta)).hexdigest()
    if stored != actual:
        raise _fail(path, "header checksum", repr(stored), f"{actual!r} (header corrupted)")
    start = _PREAMBLE.size + hlen
    pad = f.read(_pad(start))
    if len(pad) != _pad(start) or pad.strip(b"\0"):
        raise _fail(path, "padding after the header", repr(pad[:16]), "zero bytes")
    return meta, start + _pad(start), size


def _check_blocks(path: Path, meta: dict, payload_nbytes: int) -> list[dict]:
    """Verify the block table: kinds, dtypes, shapes, sizes, alignment, order."""
    blocks = meta.get("blocks")
    if not isinstance(blocks, list):
        raise _fail(path, "header 'blocks'", type(blocks).__name__, "a list")
    end = 0
    names: set[str] = set()
    for i, b in enumerate(blocks):
        where = f"block #{i}"
        if not isinstance(b, dict):
            raise _fail(path, where, type(b).__name__, "an object")
        name, kind = b.get("name"), b.get("kind")
        if not isinstance(name, str) or not name:
            raise _fail(path, f"{where} name", repr(name), "a non-empty string")
        where = f"block #{i} ({name!r})"
        off, nb = b.get("offset"), b.get("nbytes")
        if not (type(off) is int and type(nb) is int and off >= 0 and nb >= 0):
            raise _fail(path, f"{where} offset/nbytes", f"{off!r}/{nb!r}", "non-negative integers")
        if off % ALIGN or off < end:
            raise _fail(
                path,
                f"{where} offset",
                off,
                f"a multiple of {ALIGN} at or after {end} (end of the previous block)",
            )
        if off + nb > payload_nbytes:
            raise _fail(
                path,
                f"{where} extent",
                f"bytes {off}..{off + nb}",
                f"within the {payload_nbytes}-byte payload",
            )
        end = off + nb
        role = b.get("role")
        if not (kind == "strings" and role == "offsets"):  # offsets share their blob's name
            if name in names:
                raise _fail(path, where, "a duplicate name", "unique block names")
            names.add(name)
        if kind == "array" or (kind == "strings" and role == "offsets"):
            dtype, shape = b.get("dtype"), b.get("shape")
            if not isinstance(dtype, str) or dtype not in ALLOWED_DTYPES:
                raise _fail(path, f"{where} dtype", repr(dtype), f"one of {sorted(ALLOWED_DTYPES)}")
            if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
                raise _fail(path, f"{where} shape", repr(shape), "a list of non-negative integers")
            if len(shape) > MAX_NDIM:
                raise _fail(
                    path, f"{where} shape", f"{len(shape)} dimensions", f"at most {MAX_NDIM}"
                )
            bound = max(payload_nbytes, MIN_DIM_BOUND)
            if any(d > bound for d in shape):
                raise _fail(
                    path,
                    f"{where} shape",
                    repr(shape),
                    f"dimensions of at most {bound} (the payload has {payload_nbytes} bytes)",
                )
            want = math.prod(shape) * np.dtype(dtype).itemsize
            if want != nb:
                raise _fail(
                    path,
                    f"{where} size",
                    f"{nb} bytes",
                    f"{want} bytes for dtype {dtype} and shape {shape}",
                )
            if kind == "strings":
                prev = blocks[i - 1] if i else {}
                if (
                    dtype != "<i8"
                    or len(shape) != 1
                    or prev.get("name") != name
                    or prev.get("role") != "blob"
                    or prev.get("layout") != "offsets"
                    or shape[0] != prev.get("count", -2) + 1
                ):
                    raise _fail(
                        path,
                        f"{where} offsets",
                        f"dtype {dtype} shape {shape}",
                        "int64[count + 1] right after an 'offsets'-layout blob",
                    )
        elif kind == "strings" and role == "blob":
            layout, count = b.get("layout"), b.get("count")
            if layout not in ("nul-joined", "offsets"):
                raise _fail(path, f"{where} layout", repr(layout), "'nul-joined' or 'offsets'")
            if type(count) is not int or count < 0:
                raise _fail(path, f"{where} count", repr(count), "a non-negative integer")
            if layout == "nul-joined" and count > nb + 1:
                raise _fail(
                    path,
                    f"{where} count",
                    count,
                    f"at most {nb + 1} strings in a {nb}-byte NUL-joined blob",
                )
            if layout == "offsets":
                nxt = blocks[i + 1] if i + 1 < len(blocks) else {}
                if not (
                    isinstance(nxt, dict)
                    and nxt.get("name") == name
                    and nxt.get("role") == "offsets"
                ):
                    raise _fail(
                        path,
                        where,
                        "an 'offsets' blob without its offsets block",
                        "the offsets block right after it",
                    )
        else:
            raise _fail(
                path,
                f"{where} kind/role",
                f"{kind!r}/{role!r}",
                "'array', or 'strings' with role 'blob' or 'offsets'",
            )
    return blocks


def _decode_strings(path: Path, b: dict, blob: memoryview, offsets: np.ndarray | None) -> list[str]:
    where = f"string list {b['name']!r}"
    count = b["count"]
    try:
        if b["layout"] == "nul-joined":
            text = str(blob, "utf-8", "surrogatepass")
            # An empty blob is either no string or one empty string: the count decides.
            items = text.split("\0") if count or text else []
            if len(items) != count:
                raise _fail(path, where, f"{len(items)} strings", f"{count} strings")
            return items
        o = offsets
        if o[0] != 0 or o[-1] != len(blob) or (len(o) > 1 and np.any(np.diff(o) < 0)):
            raise _fail(
                path,
                f"{where} offsets",
                f"{o[0]}..{o[-1]} (or decreasing)",
                f"non-decreasing from 0 to {len(blob)}",
            )
        ol = o.tolist()
        return [
            str(blob[a:e], "utf-8", "surrogatepass") for a, e in zip(ol[:-1], ol[1:], strict=True)
        ]
    except UnicodeDecodeError as exc:
        raise _fail(
            path, where, f"invalid UTF-8 ({exc.reason} at byte {exc.start})", "UTF-8 text"
        ) from None


def read_header(path: str | os.PathLike) -> dict:
    """Return the verified JSON header of a model file without reading its payload.

    The result has ``magic``, ``format_version``, ``library_version``,
    ``created``, ``versions``, ``fields`` (the caller's header), ``blocks``,
    ``payload_nbytes`` and ``payload_sha256``.
    """
    path = _model_path(path)
    with open(path, "rb") as f:
        meta, start, size = _read_preamble_and_header(path, f)
    return meta


def load(path: str | os.PathLike) -> tuple[dict[str, np.ndarray | list[str]], dict]:
    """Read a model file written by :func:`save`, verifying it fully first.

    Checks the signature, the format version (a newer version is refused with
    a request to upgrade), the header's canonical form and checksum, every
    block's dtype, shape, size and alignment, the file size and the payload
    checksum, before any array is built.

    Returns
    -------
    arrays : dict
        ``{name: array}`` in the order saved; numeric arrays are writable,
        C-contiguous and little-endian; string lists come back as ``list[str]``.
    header : dict
        The caller's fields as saved.

    Raises
    ------
    ModelFileError
        Naming the file, what was found and what was expected.
    """
    path = _model_path(path)
    with open(path, "rb") as f:
        return _load_from(f, path)


def _model_path(path) -> Path:
    """``path`` as a Path; a folder is a :class:`ModelFileError` (a missing file stays
    FileNotFoundError, which names the path)."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: found a folder, expected a model file")
    return path


def loads(
    data: bytes | bytearray | memoryview, name: str = "<bytes>"
) -> tuple[dict[str, np.ndarray | list[str]], dict]:
    """Like :func:`load`, from the bytes of a model file (``name`` labels errors)."""
    return _load_from(io.BytesIO(data), name)


def _load_from(f, path) -> tuple[dict[str, np.ndarray | list[str]], dict]:
    """Verify and decode a model file from the binary file object ``f``."""
    meta, start, size = _read_preamble_and_header(path, f)
    nbytes = meta.get("payload_nbytes")
    if type(nbytes) is not int or nbytes < 0:
        raise _fail(path, "payload_nbytes", repr(nbytes), "a non-negative integer")
    if size != start + nbytes:
        raise _fail(
            path,
            "file size",
            f"{size} bytes",
            f"{start + nbytes} bytes (header + payload)"
            + (": the file is truncated" if size < start + nbytes else ""),
        )
    blocks = _check_blocks(path, meta, nbytes)
    # Blocks sit at multiples of 64 in the payload; start the payload on a
    # 64-byte boundary in memory too, so every array is 64-byte aligned.
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    shift = _pad(raw.ctypes.data)
    payload = raw[shift : shift + nbytes]
    got = f.readinto(memoryview(payload)) if nbytes else 0
    if got != nbytes:
        raise _fail(path, "payload", f"{got} bytes", f"{nbytes} bytes")
    digest = hashlib.sha256(payload).hexdigest()
    if digest != meta.get("payload_sha256"):
        raise _fail(
            path,
            "payload checksum",
            repr(meta.get("payload_sha256")),
            f"{digest!r}: the data are corrupted",
        )
    fields = meta.get("fields")
    if not isinstance(fields, dict):
        raise _fail(path, "header 'fields'", type(fields).__name__, "an object")
    mv = memoryview(payload)
    out: dict[str, np.ndarray | list[str]] = {}
    for i, b in enumerate(blocks):
        sl = payload[b["offset"] : b["offset"] + b["nbytes"]]
        if b["kind"] == "array":
            out[b["name"]] = sl.view(np.dtype(b["dtype"])).reshape(b["shape"])
        elif b["role"] == "blob":
            offsets = None
            if b["layout"] == "offsets":
                nb = blocks[i + 1]
                offsets = payload[nb["offset"] : nb["offset"] + nb["nbytes"]].view("<i8")
            out[b["name"]] = _decode_strings(
                path, b, mv[b["offset"] : b["offset"] + b["nbytes"]], offsets
            )
    return out, fields


# --------------------------------------------------------------- text dump


def dump_text(path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Write a human-readable dump of model file ``path`` to ``out``.

    Floats are written with :meth:`float.hex`, so :func:`load_text` gives
    back bit-identical arrays (NaN payloads apart). Layout: a signature line,
    the header as one JSON line, then per block a line
    ``@array NAME DTYPE SHAPE N`` or ``@strings NAME N`` followed by one value
    per line (strings as JSON string literals).
    """
    arrays, fields = load(path)
    meta = read_header(path)
    lines = [
        _TEXT_SIGNATURE,
        json.dumps(
            {"format_version": meta["format_version"], "fields": fields},
            sort_keys=True,
            ensure_ascii=False,
        ),
    ]
    for name, value in arrays.items():
        if isinstance(value, list):
            lines.append(f"@strings {json.dumps(name)} {len(value)}")
            lines.extend(json.dumps(s, ensure_ascii=False) for s in value)
            continue
        shape = ",".join(map(str, value.shape))
        lines.append(f"@array {json.dumps(name)} {value.dtype.str} [{shape}] {value.size}")
        flat = value.reshape(-1)
        if value.dtype.kind == "f":
            lines.extend(map(float.hex, flat.astype(np.float64).tolist()))
        elif value.dtype.kind == "b":
            lines.extend("1" if v else "0" for v in flat.tolist())
        else:
            lines.extend(map(str, flat.tolist()))
    out = Path(out)
    _atomic_write(out, ["\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"])
    return out


def load_text(path: str | os.PathLike) -> tuple[dict[str, np.ndarray | list[str]], dict]:
    """Read a dump written by :func:`dump_text`; returns ``(arrays, header)`` as :func:`load`."""
    path = Path(path)
    lines = path.read_bytes().decode("utf-8", "surrogatepass").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != _TEXT_SIGNATURE:
        found = repr(lines[0][:40]) if lines else "an empty file"
        raise ModelFileError(f"{path}, line 1: found {found}, expected {_TEXT_SIGNATURE!r}")
    if len(lines) < 2:
        raise ModelFileError(f"{path}, line 2: found no header, expected a JSON object")
    head = parse_json(lines[1].encode("utf-8", "surrogatepass"), f"{path}, line 2")
    try:
        fields = head["fields"]
        if not isinstance(fields, dict):
            raise KeyError("fields")
    except (TypeError, KeyError) as exc:
        raise ModelFileError(
            f"{path}, line 2: found an unreadable header ({exc}), "
            "expected a JSON object with 'fields'"
        ) from None
    arrays: dict[str, np.ndarray | list[str]] = {}
    i = 2
    while i < len(lines):
        lineno = i + 1
        parts = lines[i].split(" ")
        try:
            if parts[0] == "@strings" and len(parts) == 3:
                name, n = json.loads(parts[1]), int(parts[2])
                values = [json.loads(s) for s in lines[i + 1 : i + 1 + n]]
                if len(values) != n or not all(isinstance(v, str) for v in values):
                    raise ValueError(f"{len(values)} strings, expected {n}")
                arrays[name] = values
            elif parts[0] == "@array" and len(parts) == 5:
                name, dtype, n = json.loads(parts[1]), parts[2], int(parts[4])
                if dtype not in ALLOWED_DTYPES:
                    raise ValueError(f"dtype {dtype!r}, expected one of {sorted(ALLOWED_DTYPES)}")
                dims = parts[3].strip("[]")
                shape = tuple(int(d) for d in dims.split(",")) if dims else ()
                body = lines[i + 1 : i + 1 + n]
                if len(body) != n or math.prod(shape) != n:
                    raise ValueError(f"{len(body)} values for shape {list(shape)}, expected {n}")
                dt = np.dtype(dtype)
                if dt.kind == "f":
                    arr = np.array([float.fromhex(v) for v in body], dtype=np.float64).astype(dt)
                elif dt.kind == "b":
                    arr = np.array([v == "1" for v in body], dtype=dt)
                else:
                    arr = np.array([int(v) for v in body], dtype=dt)
                arrays[name] = arr.reshape(shape)
            else:
                raise ValueError(f"{lines[i][:60]!r}, expected an '@array' or '@strings' line")
        except (ValueError, json.JSONDecodeError, OverflowError, RecursionError) as exc:
            raise ModelFileError(f"{path}, line {lineno}: found {exc}") from None
        i += 1 + n
    return arrays, fields
