"""Word frequencies of the ``wordfreq`` package's data files (``large_en.msgpack.gz``).

The file is a gzip of a msgpack list: a header ``{"format": "cB", "version": 1}``
then one list of words per centibel bucket, most frequent first; the words of
bucket ``i`` have frequency ``10 ** (-i / 100)``, that is a Zipf value (log10 of
the frequency per billion words) of ``9 - i / 100``. Reading it needs the
``msgpack`` package (``pip install crftagger[resources]``).

:func:`zipf_band_bits` turns a Zipf value into a 4-bit code whose prefixes are
coarser bands (1 bit: Zipf >= 4; 2 bits: bands of 2; 3 bits: of 1; 4 bits: of
0.5), so a frequency table serves as a word-cluster table
(:meth:`crftagger.features.clusters.Clusters.from_file` on a ``.msgpack.gz``
file) and prefix extractors read bands of several widths.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

from crftagger.errors import ClusterFileError, MissingDataPackage

#: Width of the Zipf bands of the 4-bit code (the finest band).
BAND_WIDTH = 0.5
#: Bits of the band code (16 bands over Zipf 0..8).
BAND_BITS = 4


def read_wordfreq(path: str | os.PathLike) -> dict[str, float]:
    """``{word: Zipf value}`` of a wordfreq ``cB`` msgpack.gz file (first bucket of a word wins).

    A file that is not gzip, not msgpack, not of the ``cB`` format or holds
    something other than lists of strings raises :class:`ClusterFileError`
    naming the file and the bucket.
    """
    path = os.fspath(path)
    try:
        import msgpack
    except ImportError:
        raise MissingDataPackage(
            f"{path}: reading wordfreq tables needs the Python package 'msgpack'; install it "
            "with `pip install msgpack` (or crftagger[resources])"
        ) from None
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ClusterFileError(
            f"{path}: cannot read as gzip ({exc}); expected a .msgpack.gz file"
        ) from None
    try:
        data = msgpack.unpackb(raw, raw=False, strict_map_key=False)
    except (ValueError, msgpack.UnpackException) as exc:
        raise ClusterFileError(f"{path}: not msgpack ({exc}); expected a wordfreq table") from None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise ClusterFileError(
            f"{path}: found a {type(data).__name__}; expected a list starting with the "
            "header {'format': 'cB', 'version': 1}"
        )
    head = data[0]
    if head.get("format") != "cB" or head.get("version") != 1:
        raise ClusterFileError(
            f"{path}: header {head!r}; expected {{'format': 'cB', 'version': 1}}"
        )
    out: dict[str, float] = {}
    for i, bucket in enumerate(data[1:]):
        if not isinstance(bucket, list) or not all(isinstance(w, str) and w for w in bucket):
            raise ClusterFileError(
                f"{path}: bucket {i} holds {bucket!r:.80}; expected a list of non-empty strings"
            )
        zipf = round(9.0 - i / 100.0, 2)
        for w in bucket:
            out.setdefault(w, zipf)
    return out


def zipf_band_bits(zipf: float) -> str:
    """The 4-bit code of the half-Zipf band of ``zipf`` (Zipf 0..8; outside, the end bands)."""
    if math.isnan(zipf):
        raise ValueError("Zipf value is NaN")
    b = min(max(int(math.floor(zipf / BAND_WIDTH)), 0), (1 << BAND_BITS) - 1)
    return format(b, f"0{BAND_BITS}b")


def phrase_zipf(words, freqs: dict[str, float]) -> float | None:
    """Zipf value of a phrase as wordfreq combines its words (``1/f = sum 1/f_i``), or None
    when a word is not in ``freqs`` (``freqs`` keys are lower case)."""
    inv = 0.0
    for w in words:
        z = freqs.get(w.lower())
        if z is None:
            return None
        inv += 10.0 ** (-z)
    return -math.log10(inv) if inv > 0 else None
