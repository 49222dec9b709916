"""Documents (with :class:`~crftagger.sentence.Sentence`), the format error and the line reader shared by all readers.

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
from crftagger.sentence import Sentence

#: Characters that make a line "blank" (a sentence break) when it holds nothing else.
BLANK_CHARS = " \t\r\n\f\v"


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

    Lines are split on ``\\n`` only; a trailing ``\\r`` (CRLF files) is removed,
    and a ``\\r`` anywhere else (CR-only line ends) is refused.
    A UTF-8 byte-order mark at the very start of the file is skipped. Bytes that
    are not valid in ``encoding`` raise :class:`CorpusFormatError` naming the
    line and the byte offset (in the file and in the line); a folder or a file
    without read permission raises it too (a missing file: :class:`FileNotFoundError`).
    """
    try:
        fh = open(path, "rb")  # noqa: SIM115  (closed below)
    except IsADirectoryError:
        raise CorpusFormatError(path, None, "not a file", "a folder", "a corpus file") from None
    except PermissionError as exc:
        raise CorpusFormatError(
            path, None, "file cannot be read", f"no permission ({exc.strerror})", "a readable file"
        ) from None
    with fh:
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
        cr = text.find("\r")
        if cr >= 0:
            raise CorpusFormatError(
                path,
                number,
                "carriage return inside a line",
                f"a CR at character {cr + 1} of the line (a file with CR-only line ends, "
                "as old Mac files have, reads as one line)",
                "lines that end in LF or CR LF (convert CR-only files first, e.g. with "
                "`tr '\\r' '\\n'`)",
            )
        yield number, text


def is_blank(text: str) -> bool:
    """True for an empty or whitespace-only line (a sentence break)."""
    return not text.strip(BLANK_CHARS)


def path_str(path) -> str:
    return os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
