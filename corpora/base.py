"""Sentences, documents, the format error and the line reader shared by all readers.

Every reader streams: it opens the file in binary mode, decodes one line at a
time and yields a :class:`Sentence` as soon as its last line has been read, so a
file of any size is never held in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from crftagger.errors import CorpusFormatError

#: Characters that make a line "blank" (a sentence break) when it holds nothing else.
BLANK_CHARS = " \t\r\n\f\v"


@dataclass
class Sentence:
    """One sentence of a corpus.

    Parameters
    ----------
    tokens
        The token strings (the word / FORM column).
    columns
        Every other named column, each a list as long as ``tokens``, e.g.
        ``{"pos": [...], "chunk": [...], "ner": [...]}``.
    doc_id
        Id of the document the sentence belongs to (``"doc-0"``, ``"doc-1"`` ...
        for ``-DOCSTART-`` documents; the ``# newdoc id`` of CoNLL-U), or ``None``.
    meta
        Sentence-level key/value notes, e.g. the CoNLL-U comments
        (``{"sent_id": ..., "text": ...}``).
    source
        Path of the file the sentence was read from.
    line
        1-based line number of the sentence's first token in ``source``.
    token_column
        Name of the token column in the file (``"word"``, ``"form"`` ...);
        ``sentence[token_column]`` returns ``tokens``.

    ``source`` and ``line`` say where the sentence came from; they take no part
    in equality, so a sentence written and read back compares equal.
    """

    tokens: list[str]
    columns: dict[str, list[str]] = field(default_factory=dict)
    doc_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    token_column: str = "word"

    def __post_init__(self):
        n = len(self.tokens)
        for name, values in self.columns.items():
            if len(values) != n:
                where = f"{self.source}:{self.line}: " if self.source else ""
                raise ValueError(
                    f"{where}column {name!r} has {len(values)} values; expected {n} "
                    f"(one per token)"
                )

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, column: str) -> list[str]:
        if column == self.token_column:
            return self.tokens
        try:
            return self.columns[column]
        except KeyError:
            names = [self.token_column, *self.columns]
            raise KeyError(f"no column {column!r}; this sentence has {names}") from None

    def column_names(self) -> list[str]:
        """The token column followed by the other columns, in file order."""
        return [self.token_column, *self.columns]


@dataclass
class Document:
    """A run of sentences under one document id (``None`` before the first boundary)."""

    doc_id: str | None
    sentences: list[Sentence] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sentences)

    def __iter__(self):
        return iter(self.sentences)


def iter_lines(path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of ``path``, streaming.

    Lines are split on ``\\n`` only; a trailing ``\\r`` (CRLF files) is removed.
    A UTF-8 byte-order mark at the very start of the file is skipped. Bytes that
    are not valid in ``encoding`` raise :class:`CorpusFormatError` naming the
    line and the byte offset (in the file and in the line).
    """
    with open(path, "rb") as fh:
        yield from iter_lines_from(fh, path, encoding)


def iter_lines_from(fh: IO[bytes], path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """Like :func:`iter_lines` over an open binary file ``fh`` (``path`` names it in errors)."""
    offset = 0
    utf8 = encoding.replace("_", "-").lower() in {"utf-8", "utf8"}
    for number, raw in enumerate(fh, start=1):
        start = 3 if number == 1 and utf8 and raw.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = raw[start:].decode(encoding)
        except UnicodeDecodeError as exc:
            col = start + exc.start
            bad = raw[col : col + 1].hex()
            raise CorpusFormatError(
                path,
                number,
                f"byte not valid in {encoding}",
                f"byte 0x{bad} at byte offset {offset + col} of the file (byte {col} of the line)",
                f"{encoding} text (pass encoding=... if the file uses another encoding)",
            ) from None
        offset += len(raw)
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        yield number, text


def is_blank(text: str) -> bool:
    """True for an empty or whitespace-only line (a sentence break)."""
    return not text.strip(BLANK_CHARS)


def path_str(path) -> str:
    return os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
