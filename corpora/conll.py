"""CoNLL column files: one token per line, blank lines between sentences.

Layout rules the reader follows:

* one line per token, its fields separated by single spaces or by single tabs
  (``sep="auto"`` looks at the first token line: a tab there means tabs);
* an empty or whitespace-only line (for instance a lone TAB) ends a sentence;
  several in a row are one break;
* a line whose first field is ``-DOCSTART-`` is a document boundary: it is
  neither a token nor a sentence; the sentences after the ``k``-th boundary get
  ``doc_id = "doc-{k}"`` (``k`` from 0), those before the first get ``None``;
* CRLF line ends are accepted and a missing final newline is fine (the last
  sentence is flushed at the end of the file);
* every token line has the same number of fields: the number of declared
  ``columns``, or, when none are declared, the number on the first token line.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from crftagger.corpora.base import (
    BLANK_CHARS,
    CorpusFormatError,
    Document,
    Sentence,
    iter_lines,
    path_str,
)

DOCSTART = "-DOCSTART-"
_READER_DOC_ID = re.compile(r"doc-(\d+)")

_SEPARATORS = {"auto": None, "tab": "\t", "\t": "\t", "space": " ", " ": " ", "whitespace": ""}


class _Boundary:
    """A ``-DOCSTART-`` line seen by the reader."""

    __slots__ = ("doc_id", "line")

    def __init__(self, doc_id: str, line: int):
        self.doc_id = doc_id
        self.line = line


def is_docstart(text: str) -> bool:
    """True when ``text`` is a ``-DOCSTART-`` line (the marker, then a space, a tab or nothing)."""
    return text.startswith(DOCSTART) and (
        len(text) == len(DOCSTART) or text[len(DOCSTART)] in " \t"
    )


def default_column_names(n: int) -> tuple[str, ...]:
    """Names used when a file's columns are not declared: ``word, col1, col2, ...``."""
    return ("word",) + tuple(f"col{i}" for i in range(1, n))


def _resolve_sep(sep: str | None) -> str | None:
    if sep is None:
        return None
    try:
        return _SEPARATORS[sep]
    except KeyError:
        raise ValueError(
            f"unknown separator {sep!r}; expected one of 'auto', 'tab', 'space', 'whitespace'"
        ) from None


_INNER_BLANK = re.compile(r"[\t\f\v\r]")


_SPACES_AND_TABS = re.compile(r"[ \t]+")


def _split(text: str, sep: str) -> list[str]:
    if sep == "":
        # runs of spaces and tabs only: str.split() would also cut at a no-break space,
        # U+2028, U+001C ..., changing tokens without a word
        return _SPACES_AND_TABS.split(text.strip(" \t"))
    return text.split(sep)


def _events(
    path,
    columns: Sequence[str] | None,
    sep: str | None,
    token_column: str | None,
    encoding: str,
    docstart: bool,
) -> Iterator[Sentence | _Boundary]:
    """Yield sentences and document boundaries of a CoNLL file, in file order."""
    source = path_str(path)
    if columns is not None:
        columns = tuple(columns)
        if not columns:
            raise ValueError("columns must name at least one column")
        if len(set(columns)) != len(columns):
            raise ValueError(f"duplicate column names in {columns}")
    split_sep = _resolve_sep(sep)
    names: tuple[str, ...] | None = columns
    n_fields = len(columns) if columns is not None else None
    first_line: int | None = None  # line that fixed the column count when undeclared
    tok_idx = 0
    other: list[tuple[str, int]] = []

    def setup(n: int):
        nonlocal names, tok_idx, other
        if names is None:
            names = default_column_names(n)
        tok = (
            token_column if token_column is not None else ("word" if "word" in names else names[0])
        )
        if tok not in names:
            raise ValueError(f"token_column {tok!r} is not one of the columns {names}")
        tok_idx = names.index(tok)
        other = [(name, i) for i, name in enumerate(names) if i != tok_idx]
        return tok

    tok_name = setup(n_fields) if names is not None else None
    doc_id: str | None = None
    n_docs = 0
    rows: list[list[str]] = []
    start = 0

    def flush() -> Sentence:
        return Sentence(
            tokens=[r[tok_idx] for r in rows],
            columns={name: [r[i] for r in rows] for name, i in other},
            doc_id=doc_id,
            meta={},
            source=source,
            line=start,
            token_column=tok_name,
        )

    for number, text in iter_lines(path, encoding):
        if not text.strip(BLANK_CHARS):
            if rows:
                yield flush()
                rows = []
            continue
        if docstart and is_docstart(text):
            if rows:
                yield flush()
                rows = []
            doc_id = f"doc-{n_docs}"
            n_docs += 1
            yield _Boundary(doc_id, number)
            continue
        if split_sep is None:
            split_sep = "\t" if "\t" in text else " "
        fields = _split(text, split_sep)
        if n_fields is None:
            n_fields = len(fields)
            first_line = number
            tok_name = setup(n_fields)
        if len(fields) != n_fields:
            if first_line is None:
                why = f"{n_fields} declared columns ({' '.join(names)})"
            else:
                why = f"{n_fields}, as on the first token line {first_line}"
            shown = {"\t": "tab", " ": "space", "": "whitespace"}[split_sep]
            raise CorpusFormatError(
                source,
                number,
                "wrong column count",
                f"{len(fields)} {shown}-separated fields in {text!r}",
                why,
            )
        assert names is not None  # set by setup() on the first token line
        for i, value in enumerate(fields):
            if not value:
                raise CorpusFormatError(
                    source,
                    number,
                    "empty field",
                    f"field {i + 1} ({names[i]}) empty in {text!r} "
                    "(two separators in a row, or one at the start or end of the line)",
                    "a non-empty value in every column",
                )
            if (
                value[0] in BLANK_CHARS
                or value[-1] in BLANK_CHARS
                or (split_sep != "\t" and _INNER_BLANK.search(value))
            ):
                how = {"\t": "tabs", " ": "single spaces", "": "runs of spaces and tabs"}
                raise CorpusFormatError(
                    source,
                    number,
                    "white space inside a field",
                    f"field {i + 1} ({names[i]}) is {value!r} in {text!r}",
                    f"fields separated by {how[split_sep]} with no other white space at "
                    "their ends" + ("" if split_sep == "\t" else " or inside them"),
                )
        if not rows:
            start = number
        rows.append(fields)
    if rows:
        yield flush()


def read_conll(
    path,
    columns: Sequence[str] | None = None,
    *,
    sep: str = "auto",
    token_column: str | None = None,
    encoding: str = "utf-8",
    docstart: bool = True,
) -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL column file.

    Parameters
    ----------
    path
        The file.
    columns
        Names of the columns in file order, e.g. ``("word", "pos", "chunk", "ner")``.
        ``None``: the count is taken from the first token line and the names are
        ``word, col1, col2, ...``. Every token line must have exactly this many fields.
    sep
        ``"auto"`` (tab if the first token line holds a tab, else space), ``"tab"``,
        ``"space"``, or ``"whitespace"`` (runs of spaces and tabs; lenient).
    token_column
        Which column holds the tokens (default ``"word"`` if named, else the first).
    encoding
        Text encoding (default UTF-8; bad bytes raise :class:`CorpusFormatError`).
    docstart
        Treat ``-DOCSTART-`` lines as document boundaries (default). With ``False``
        they are read as ordinary token lines.

    Yields
    ------
    Sentence
        With ``tokens``, the other columns by name, ``doc_id``, ``source`` and
        ``line`` (1-based line of the first token).

    Raises
    ------
    CorpusFormatError
        On a wrong field count, an empty field or undecodable bytes, naming
        the file and the line.
    """
    for item in _events(path, columns, sep, token_column, encoding, docstart):
        if isinstance(item, Sentence):
            yield item


def read_conll_documents(
    path,
    columns: Sequence[str] | None = None,
    *,
    sep: str = "auto",
    token_column: str | None = None,
    encoding: str = "utf-8",
    docstart: bool = True,
) -> Iterator[Document]:
    """Stream the documents of a CoNLL file (options as :func:`read_conll`).

    Each ``-DOCSTART-`` line opens a :class:`Document` (``doc_id`` ``"doc-0"``,
    ``"doc-1"`` ...), also when no sentence follows it before the next one.
    Sentences before the first boundary form a document with ``doc_id=None``.
    One document at a time is held in memory.
    """
    current: Document | None = None
    for item in _events(path, columns, sep, token_column, encoding, docstart):
        if isinstance(item, _Boundary):
            if current is not None:
                yield current
            current = Document(item.doc_id, [])
        else:
            if current is None:
                current = Document(None, [])
            current.sentences.append(item)
    if current is not None:
        yield current


def read_bio(path, *, sep: str = "auto", encoding: str = "utf-8") -> Iterator[Sentence]:
    """Stream a two-column ``word<TAB>tag`` or ``word tag`` file (columns ``word``, ``tag``)."""
    return read_conll(path, ("word", "tag"), sep=sep, encoding=encoding)


def _default_docstart(n_columns: int) -> str:
    # The CoNLL-2003 test file's form: -DOCSTART- -X- -X- O
    if n_columns <= 1:
        return DOCSTART
    return " ".join([DOCSTART] + ["-X-"] * (n_columns - 2) + ["O"])


def _check_field(value: str, sep: str, what: str) -> None:
    if not value:
        raise ValueError(f"cannot write {what}: empty value")
    bad = "\n\r" + ("\t" if sep == "\t" else " \t")
    for ch in bad:
        if ch in value:
            raise ValueError(
                f"cannot write {what}: value {value!r} contains {ch!r}, "
                f"which the {'tab' if sep == chr(9) else 'space'}-separated format cannot hold"
            )


def _write_lines(dest, lines: Iterable[str]) -> None:
    """Write ``lines`` to a path (atomically, via a temporary file) or a text stream."""
    if hasattr(dest, "write"):
        for s in lines:
            dest.write(s)
        return
    dest = os.fspath(dest)
    folder = os.path.dirname(os.path.abspath(dest))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            for s in lines:
                fh.write(s)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_conll(
    items: Iterable[Sentence | Document],
    dest: str | os.PathLike | IO[str],
    columns: Sequence[str] | None = None,
    *,
    sep: str = " ",
    newline: str = "\n",
    docstart_line: str | None = None,
) -> None:
    """Write sentences (or documents) as a CoNLL column file that :func:`read_conll` reads back.

    Parameters
    ----------
    items
        Sentences, or :class:`Document` objects (each with a ``doc_id`` gets a
        ``-DOCSTART-`` line, even when it holds no sentence). For plain sentences a
        ``-DOCSTART-`` line is written whenever ``doc_id`` changes to a new value.
    dest
        A path (written to a temporary file, then renamed) or a text stream.
    columns
        Column order, including the token column; default: the first sentence's
        ``column_names()``.
    sep
        ``" "`` or ``"\\t"``.
    newline
        ``"\\n"`` or ``"\\r\\n"``.
    docstart_line
        The boundary line; default ``-DOCSTART- -X- ... O`` with one field per column.

    Doc ids themselves are not stored by the format: reading back numbers the
    documents ``doc-0``, ``doc-1`` ... in order. Sentences that carry such
    reader-made ids keep them: when ids jump (``doc-0`` then ``doc-2``), the
    empty documents in between are written as boundary lines, so reading back
    gives the same ids.
    """
    sep = _resolve_sep(sep)
    if sep not in ("\t", " "):
        raise ValueError("sep must be ' ' or '\\t' for writing")
    if newline not in ("\n", "\r\n"):
        raise ValueError("newline must be '\\n' or '\\r\\n'")

    def lines() -> Iterator[str]:
        names = tuple(columns) if columns is not None else None
        line = docstart_line
        prev_doc = None
        seen_doc = False
        n_written = 0
        for index, item in enumerate(items):
            if isinstance(item, Document):
                if item.doc_id is not None:
                    if names is None and item.sentences:
                        names = tuple(item.sentences[0].column_names())
                    if line is None:
                        line = _default_docstart(len(names) if names else 1)
                    yield line + newline + newline
                    n_written += 1
                    seen_doc = True
                elif seen_doc:
                    raise ValueError(
                        f"cannot write document {index} without a doc_id after a document "
                        "boundary: the format would attach it to the previous document"
                    )
                sentences = item.sentences
            else:
                if item.doc_id is not None and item.doc_id != prev_doc:
                    if names is None:
                        names = tuple(item.column_names())
                    if line is None:
                        line = _default_docstart(len(names))
                    # Reader-made ids (doc-K) come back equal: empty documents in
                    # between are written as boundaries with no sentence.
                    m = _READER_DOC_ID.fullmatch(item.doc_id)
                    repeat = int(m.group(1)) - n_written + 1 if m else 1
                    for _ in range(max(repeat, 1)):
                        yield line + newline + newline
                        n_written += 1
                    seen_doc = True
                elif item.doc_id is None and seen_doc:
                    raise ValueError(
                        f"cannot write sentence {index} without a doc_id after a document "
                        "boundary: the format would attach it to the previous document"
                    )
                prev_doc = item.doc_id
                sentences = (item,)
            for sent in sentences:
                if names is None:
                    names = tuple(sent.column_names())
                cols = [sent[name] for name in names]
                if not sent.tokens:
                    raise ValueError(f"cannot write sentence {index}: it has no tokens")
                for i in range(len(sent)):
                    fields = [c[i] for c in cols]
                    for name, value in zip(names, fields, strict=True):
                        _check_field(
                            value, sep, f"column {name!r} of token {i} in sentence {index}"
                        )
                    text = sep.join(fields)
                    if is_docstart(text):
                        raise ValueError(
                            f"cannot write token {i} of sentence {index}: the line {text!r} "
                            "would be read back as a document boundary"
                        )
                    if not text.strip(BLANK_CHARS):
                        raise ValueError(
                            f"cannot write token {i} of sentence {index}: the line {text!r} "
                            "is whitespace only and would be read back as a sentence break"
                        )
                    yield text + newline
                yield newline

    _write_lines(dest, lines())
