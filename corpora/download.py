"""Fetch registered corpora from their official sources and check them.

Each file is streamed from its URL into a temporary file in the target folder
while its sha256 is computed; only when size and digest match the registry is
the temporary file renamed into place (``os.replace``, atomic on one file
system). A mismatch deletes the temporary file and raises
:class:`ChecksumError`. Files built from several sources (ATIS/SNIPS
``word<TAB>tag`` files made from ``seq.in`` and ``seq.out``) are built into a
temporary file and checked against the registry digest the same way.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from crftagger import config
from crftagger.corpora.registry import CorpusFile, CorpusInfo, get, search_roots
from crftagger.errors import ChecksumError, DownloadError

CHUNK = 1 << 16


def sha256_file(path) -> tuple[str, int]:
    """``(hex sha256, size in bytes)`` of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _tempfile(target: Path) -> tuple[int, str]:
    target.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")


def _check_or_discard(tmp: str, what: str, sha256: str | None, size: int | None, digest, n) -> None:
    problems = []
    if size is not None and n != size:
        problems.append(f"size: expected {size} bytes, found {n}")
    if sha256 is not None and digest != sha256:
        problems.append(f"sha256: expected {sha256}, found {digest}")
    if problems:
        os.unlink(tmp)
        raise ChecksumError(f"{what}: checksum mismatch ({'; '.join(problems)}); file discarded")


def fetch(
    url: str,
    target,
    sha256: str | None,
    size: int | None = None,
    *,
    timeout: float = 60.0,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Download ``url`` to ``target`` through a verified temporary file.

    Raises :class:`ChecksumError` (naming the URL, expected and found digests) when
    size or sha256 differ, and :class:`DownloadError` when the URL cannot be read;
    in both cases nothing is left in the target folder.
    """
    target = Path(target)
    fd, tmp = _tempfile(target)
    h = hashlib.sha256()
    n = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    while chunk := resp.read(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        n += len(chunk)
                        if progress is not None:
                            progress(len(chunk))
            except OSError as exc:
                raise DownloadError(f"cannot fetch {url}: {exc}") from exc
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _check_or_discard(tmp, url, sha256, size, h.hexdigest(), n)
    os.replace(tmp, target)
    return target


def _zip_seq(inputs: list[Path], out) -> None:
    """Write ``word<TAB>tag`` lines from ``seq.in`` (words) and ``seq.out`` (tags), one utterance
    per line in each, with a blank line after each utterance."""
    seq_in, seq_out = inputs
    with (
        open(seq_in, encoding="utf-8", newline="\n") as fw,
        open(seq_out, encoding="utf-8", newline="\n") as ft,
    ):
        for number, (wline, tline) in enumerate(zip_longest(fw, ft), start=1):
            if wline is None or tline is None:
                short = seq_in if wline is None else seq_out
                raise ValueError(
                    f"{short}: found {number - 1} lines; expected one line per utterance, "
                    "as many as in the other file"
                )
            words, tags = wline.split(), tline.split()
            if not words and not tags:
                continue
            if len(words) != len(tags):
                raise ValueError(
                    f"{seq_in}:{number} and {seq_out}:{number}: found {len(words)} words and "
                    f"{len(tags)} tags; expected as many tags as words"
                )
            for w, t in zip(words, tags, strict=True):
                out.write(f"{w}\t{t}\n".encode())
            out.write(b"\n")


BUILDERS: dict[str, Callable[[list[Path], object], None]] = {"zip_seq": _zip_seq}


def _build(f: CorpusFile, inputs: list[Path], target: Path) -> Path:
    fd, tmp = _tempfile(target)
    try:
        with os.fdopen(fd, "wb") as out:
            BUILDERS[f.build](inputs, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    digest, n = sha256_file(tmp)
    _check_or_discard(
        tmp,
        f"{target} (built from {', '.join(s.url for s in f.sources)})",
        f.sha256,
        f.size,
        digest,
        n,
    )
    os.replace(tmp, target)
    return target


def _is_valid(path: Path, sha256: str | None, size: int | None) -> bool:
    if not path.is_file():
        return False
    if size is not None and path.stat().st_size != size:
        return False
    return sha256 is None or sha256_file(path)[0] == sha256


@dataclass
class FileResult:
    """What :func:`download` did for one file: ``"downloaded"``, ``"built"`` or ``"present"``."""

    path: Path
    action: str


def download(
    corpus: str | CorpusInfo,
    dest=None,
    *,
    splits=None,
    force: bool = False,
    timeout: float = 60.0,
    log: Callable[[str], None] | None = None,
) -> list[FileResult]:
    """Fetch every file of ``corpus`` into ``<dest>/<name>/``.

    ``dest`` defaults to the user cache (:func:`crftagger.config.cache_dir`).
    Files already present with the right checksum are kept unless ``force``.
    """
    info = get(corpus) if isinstance(corpus, str) else corpus
    root = Path(dest).expanduser() if dest is not None else config.cache_dir()
    folder = root / info.name
    results = []
    for split in splits or info.splits:
        f = info.file(split)
        target = folder / f.filename
        if not force and _is_valid(target, f.sha256, f.size):
            results.append(FileResult(target, "present"))
            continue
        if f.build is None:
            (src,) = f.sources
            if log:
                log(f"fetching {src.url}")
            fetch(src.url, target, f.sha256, f.size, timeout=timeout)
            results.append(FileResult(target, "downloaded"))
            continue
        inputs = []
        for src in f.sources:
            p = folder / (src.store_as or Path(src.url).name)
            if force or not _is_valid(p, src.sha256, src.size):
                if log:
                    log(f"fetching {src.url}")
                fetch(src.url, p, src.sha256, src.size, timeout=timeout)
            inputs.append(p)
        if log:
            log(f"building {target}")
        results.append(FileResult(_build(f, inputs, target), "built"))
    return results


@dataclass
class VerifyResult:
    """State of one local file: ``status`` is ``"ok"``, ``"missing"`` or ``"mismatch"``."""

    split: str
    filename: str
    path: Path | None
    status: str
    expected_sha256: str
    found_sha256: str | None = None
    expected_size: int = 0
    found_size: int | None = None


def verify(corpus: str | CorpusInfo, data_dir=None) -> list[VerifyResult]:
    """Check size and sha256 of each local file of ``corpus`` (found as the loader finds it)."""
    info = get(corpus) if isinstance(corpus, str) else corpus
    out = []
    for split in info.splits:
        f = info.file(split)
        path = None
        for root in search_roots(data_dir):
            p = root / info.name / f.filename
            if p.is_file():
                path = p
                break
        if path is None:
            out.append(VerifyResult(split, f.filename, None, "missing", f.sha256, None, f.size))
            continue
        digest, n = sha256_file(path)
        status = "ok" if digest == f.sha256 and n == f.size else "mismatch"
        out.append(VerifyResult(split, f.filename, path, status, f.sha256, digest, f.size, n))
    return out


__all__ = [
    "BUILDERS",
    "ChecksumError",
    "DownloadError",
    "FileResult",
    "VerifyResult",
    "download",
    "fetch",
    "sha256_file",
    "verify",
]
