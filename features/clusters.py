"""Word clusters in the Brown ``bits<TAB>word<TAB>count`` format.

This is the ``paths`` file written by Percy Liang's ``brown-cluster`` tool
and shipped with many cluster sets: one word per line, its cluster as a bit
string (the path from the root of the merge tree), the word, and the word's
count. Features use prefixes of the bit string, so several granularities of
one clustering are available at once.

A :class:`Clusters` table read from a file remembers the sha256 of the bytes
it was read from (:attr:`Clusters.fingerprint`, the value
:func:`crftagger.features.clusterlearn.file_fingerprint` gives). A model file
stores the case-sensitive table (:meth:`Clusters.words_and_bits`, words in
first-seen order) keyed by that fingerprint; :meth:`Clusters.from_table`
rebuilds it and :meth:`Clusters.with_case` lower-cases it exactly as
:meth:`Clusters.from_file` would have.

:meth:`Clusters.from_file` also reads two other tables by their file name:
spaCy's ``*.json.gz`` cluster tables (``{word: int}``, the bit path stored as
the integer of its reversed bits, 0 for no cluster: :func:`read_spacy_clusters`)
and wordfreq's ``*.msgpack.gz`` frequency tables, as 4-bit codes of
half-Zipf bands whose prefixes are coarser bands
(:mod:`crftagger.features.wordfreq`). :meth:`Clusters.from_resource` reads a
registered resource (:mod:`crftagger.resources`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Sequence

from crftagger.errors import ClusterFileError, MissingClustersError  # noqa: F401 - re-exported

from .text import TypeFunc


class Clusters:
    """A word -> bit-string map.

    Parameters
    ----------
    paths : dict
        ``{word: bits}``.
    lowercase : bool
        Look words up lower-cased (for clusters induced on lower-cased text).
    source : str, optional
        The file it was read from.
    fingerprint : str, optional
        sha256 (hex) of the bytes of that file.
    """

    def __init__(
        self,
        paths: dict[str, str],
        lowercase: bool = False,
        source: str | None = None,
        fingerprint: str | None = None,
    ):
        self.paths = dict(paths)
        self.lowercase = bool(lowercase)
        self.source = source
        self.fingerprint = fingerprint

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return f"Clusters({len(self)} words, lowercase={self.lowercase}, source={self.source!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Clusters)
            and self.lowercase == other.lowercase
            and list(self.paths.items()) == list(other.paths.items())
        )

    __hash__ = None  # mutable; equality compares the tables

    @classmethod
    def from_file(
        cls, path: str | os.PathLike, lowercase: bool = False, encoding: str = "utf-8"
    ) -> Clusters:
        """Read a ``bits<TAB>word<TAB>count`` file; every bad line raises :class:`ClusterFileError`.

        A name ending in ``.json.gz`` is read as a spaCy cluster table
        (:func:`read_spacy_clusters`), one ending in ``.msgpack.gz`` as a wordfreq
        table of frequency-band codes (:func:`frequency_bands`).
        """
        path = os.fspath(path)
        if path.endswith(".json.gz"):
            return read_spacy_clusters(path, lowercase=lowercase)
        if path.endswith(".msgpack.gz"):
            return frequency_bands(path, lowercase=lowercase)
        paths: dict[str, str] = {}
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                digest.update(raw)
                try:
                    line = raw.decode(encoding).rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise ClusterFileError(
                        f"{path}, line {lineno}: cannot decode as {encoding} ({exc.reason}); "
                        f"expected {encoding} text"
                    ) from None
                if not line.strip():
                    continue
                parts = line.split("\t")
                if len(parts) != 3:
                    raise ClusterFileError(
                        f"{path}, line {lineno}: found {len(parts)} tab-separated fields in {line!r}; "
                        "expected 3 (bits<TAB>word<TAB>count)"
                    )
                bits, word, count = parts
                if not bits or set(bits) - {"0", "1"}:
                    raise ClusterFileError(
                        f"{path}, line {lineno}: cluster {bits!r} is not a bit string; expected 0s and 1s"
                    )
                if not (count.strip().isascii() and count.strip().isdigit()):
                    raise ClusterFileError(
                        f"{path}, line {lineno}: count {count!r} is not a non-negative integer"
                    )
                if not word:
                    raise ClusterFileError(f"{path}, line {lineno}: empty word; expected a word")
                key = word.lower() if lowercase else word
                # a word listed twice keeps its first cluster (lower-casing can merge words)
                paths.setdefault(key, bits)
        return cls(paths, lowercase=lowercase, source=path, fingerprint=digest.hexdigest())

    @classmethod
    def from_resource(
        cls, name: str, lowercase: bool | None = None, root: str | os.PathLike | None = None
    ) -> Clusters:
        """The table of a registered ``clusters`` or ``wordfreq`` resource (found as
        :func:`crftagger.resources.locate` finds it; ``lowercase`` defaults to the resource's)."""
        from crftagger import resources

        r = resources.get(name)
        if r.kind not in ("clusters", "wordfreq"):
            raise ClusterFileError(
                f"resource {r.name!r} is of kind {r.kind!r}; expected a clusters or wordfreq resource"
            )
        low = r.lowercase if lowercase is None else lowercase
        return cls.from_file(resources.locate(r, r.files[0].path, root), lowercase=low)

    @classmethod
    def from_table(
        cls,
        words: Sequence[str],
        bits: Sequence[str],
        lowercase: bool = False,
        source: str | None = None,
        fingerprint: str | None = None,
        where: str = "cluster table",
    ) -> Clusters:
        """A table from parallel ``words`` and ``bits`` lists (as :meth:`words_and_bits` gives).

        Every entry is checked as :meth:`from_file` checks a line; a bad one
        raises :class:`ClusterFileError` naming ``where`` and the entry. A word
        listed twice (after lower-casing, with ``lowercase``) keeps its first
        cluster.
        """
        if len(words) != len(bits):
            raise ClusterFileError(
                f"{where}: {len(words)} words but {len(bits)} bit strings; "
                "expected one bit string per word"
            )
        paths: dict[str, str] = {}
        for i, (word, b) in enumerate(zip(words, bits, strict=True)):
            if not isinstance(word, str) or not word:
                raise ClusterFileError(
                    f"{where}, entry {i}: word {word!r}; expected a non-empty string"
                )
            if not isinstance(b, str) or not b or set(b) - {"0", "1"}:
                raise ClusterFileError(
                    f"{where}, entry {i}: cluster {b!r} of {word!r} is not a bit string; expected 0s and 1s"
                )
            paths.setdefault(word.lower() if lowercase else word, b)
        return cls(paths, lowercase=lowercase, source=source, fingerprint=fingerprint)

    def words_and_bits(self) -> tuple[list[str], list[str]]:
        """The table as parallel lists, in first-seen order (the inverse of :meth:`from_table`)."""
        return list(self.paths), list(self.paths.values())

    def with_case(self, lowercase: bool) -> Clusters:
        """This table looked up case-sensitively or lower-cased.

        Lower-casing a case-sensitive table keeps, for words that lower-casing
        merges, the cluster of the one seen first, exactly as
        ``from_file(path, lowercase=True)``. A lower-cased table cannot give
        back the case-sensitive one (:class:`ValueError`).
        """
        lowercase = bool(lowercase)
        if lowercase == self.lowercase:
            return self
        if self.lowercase:
            raise ValueError(
                f"{self!r} holds lower-cased words only; the case-sensitive table "
                "cannot be rebuilt from it"
            )
        paths: dict[str, str] = {}
        for word, b in self.paths.items():
            paths.setdefault(word.lower(), b)
        return Clusters(paths, lowercase=True, source=self.source, fingerprint=self.fingerprint)

    def prefix_function(self, length: int) -> TypeFunc:
        """Type function: the first ``length`` bits of the word's cluster (all bits if shorter)."""
        if length < 1:
            raise ValueError(f"cluster prefix length must be >= 1, found {length}")
        get = self.paths.get
        low = self.lowercase

        def f(token: str) -> str | None:
            b = get(token.lower() if low else token)
            return None if b is None else b[:length]

        f.__name__ = f"cluster{length}"
        return f


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            h.update(chunk)
    return h.hexdigest()


def read_spacy_clusters(path: str | os.PathLike, lowercase: bool = False) -> Clusters:
    """A spaCy ``en_lexeme_cluster.json.gz`` table: ``{word: int}``, gzip JSON.

    spaCy stores a Brown bit path ``p`` as ``int(p[::-1], 2)``: the first step of
    the path is the lowest bit. The path is read back as ``bin(n)[2:][::-1]``
    (trailing zeros of the original path are lost to that encoding, so a
    prefix longer than the code is the whole code); 0 means "no cluster" and
    the word is left out. A value that is not a non-negative integer raises
    :class:`ClusterFileError` naming the file and the word.
    """
    path = os.fspath(path)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClusterFileError(
            f"{path}: cannot read as gzip JSON ({exc}); expected a spaCy cluster table "
            "{word: integer}"
        ) from None
    if not isinstance(data, dict):
        raise ClusterFileError(
            f"{path}: found a JSON {type(data).__name__}; expected an object {{word: integer}}"
        )
    paths: dict[str, str] = {}
    for word, n in data.items():
        if type(n) is not int or n < 0:
            raise ClusterFileError(
                f"{path}: word {word!r:.60} has cluster {n!r:.60}; expected a non-negative integer"
            )
        if n == 0 or not word:
            continue
        paths.setdefault(word.lower() if lowercase else word, bin(n)[2:][::-1])
    return Clusters(paths, lowercase=lowercase, source=path, fingerprint=_sha256(path))


def frequency_bands(path: str | os.PathLike, lowercase: bool = True) -> Clusters:
    """A wordfreq table as a cluster table: each word's 4-bit half-Zipf band code
    (:func:`crftagger.features.wordfreq.zipf_band_bits`); prefixes are coarser bands."""
    from .wordfreq import read_wordfreq, zipf_band_bits

    path = os.fspath(path)
    freqs = read_wordfreq(path)
    paths: dict[str, str] = {}
    for word, z in freqs.items():
        paths.setdefault(word.lower() if lowercase else word, zipf_band_bits(z))
    return Clusters(paths, lowercase=lowercase, source=path, fingerprint=_sha256(path))
