"""Word clusters in the Brown ``bits<TAB>word<TAB>count`` format.

This is the ``paths`` file written by Percy Liang's ``brown-cluster`` tool
and shipped with many cluster sets: one word per line, its cluster as a bit
string (the path from the root of the merge tree), the word, and the word's
count. Features use prefixes of the bit string, so several granularities of
one clustering are available at once.
"""

from __future__ import annotations

import os

from .text import TypeFunc


class ClusterFileError(ValueError):
    """A cluster file line is malformed."""


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
    """

    def __init__(self, paths: dict[str, str], lowercase: bool = False, source: str | None = None):
        self.paths = dict(paths)
        self.lowercase = bool(lowercase)
        self.source = source

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return f"Clusters({len(self)} words, lowercase={self.lowercase}, source={self.source!r})"

    @classmethod
    def from_file(cls, path: str | os.PathLike, lowercase: bool = False, encoding: str = "utf-8") -> Clusters:
        """Read a ``bits<TAB>word<TAB>count`` file; every bad line raises :class:`ClusterFileError`."""
        path = os.fspath(path)
        paths: dict[str, str] = {}
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
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
                if not count.strip().isdigit():
                    raise ClusterFileError(
                        f"{path}, line {lineno}: count {count!r} is not a non-negative integer"
                    )
                if not word:
                    raise ClusterFileError(f"{path}, line {lineno}: empty word; expected a word")
                key = word.lower() if lowercase else word
                # a word listed twice keeps its first cluster (lower-casing can merge words)
                paths.setdefault(key, bits)
        return cls(paths, lowercase=lowercase, source=path)

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
