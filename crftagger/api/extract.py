"""Entities out of documents, for indexing: one record per span and a summary per document.

:func:`extract` reads documents from files (or any iterable of
:class:`Document`), tags them in batches through a model's text path
(:meth:`~crftagger.text.doc.TextMixin.pipe`: its own tokeniser and sentence
splitter) and yields plain dicts ready for JSON Lines::

    {"type": "entity", "doc": "report.txt", "label": "ORG", "text": "Acme Corp",
     "start": 120, "end": 129, "confidence": 0.97}
    ...
    {"type": "document", "doc": "report.txt", "characters": 5120, "tokens": 930,
     "sentences": 41, "entities": 17, "labels": {"ORG": {"count": 5, "distinct": 3,
     "top": [["Acme Corp", 3], ...]}, ...}}

Offsets are character offsets into the document's text exactly as it is in
the file (UTF-8 decoded, line ends kept: a CRLF counts two characters).

How a file becomes documents (``unit``):

``file``
    the whole file is one document, whose id is the file name;
``line``
    each non-blank line is a document, ``NAME:LINE`` (offsets into the line,
    its line end excluded);
``jsonl``
    each line is a JSON object with the text in ``text_field`` and the id in
    ``id_field`` (``NAME:LINE`` when the object has none).

Memory stays bounded whatever the size of the files: a ``file`` document is
read line by line and tagged in chunks of about ``chunk_chars`` characters,
cut at a blank line when there is one (else at a line end), and at most
``batch_size`` chunks are held at a time. A sentence is never continued
across a chunk boundary, so only sentences spanning a line break at a cut of
a chunk without blank lines may be split. The per-document summary keeps at
most :data:`MAX_DISTINCT` distinct texts per label (the counts stay exact).

Before a file is read for tagging it is checked whole (a pass that holds one
block at a time): a file holding a NUL byte is refused as binary, an empty
file (or one of white space only) as holding no text, and a byte that is not
UTF-8 is named by line and column. A file that fails is reported by
:func:`extract_files` and the others are still processed.
"""

from __future__ import annotations

import codecs
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from crftagger.errors import CrftaggerError

#: Distinct entity texts kept per label in a document's summary.
MAX_DISTINCT = 10_000
#: Texts listed under ``top`` per label in a document's summary.
TOP = 10
#: How much of a file is read at a time.
BLOCK = 1 << 16
UNITS = ("file", "line", "jsonl")


class ExtractInputError(CrftaggerError, ValueError):
    """A file that cannot be read as documents (binary, empty, not UTF-8, bad JSON Lines)."""


@dataclass
class Document:
    """A document to tag: an id and its text as ``(offset, text)`` chunks in order."""

    id: str
    chunks: Iterable[tuple[int, str]]
    source: str | None = None
    line: int | None = None


@dataclass
class _Summary:
    doc: Document
    characters: int = 0
    tokens: int = 0
    sentences: int = 0
    entities: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    texts: dict[str, Counter] = field(default_factory=dict)

    def add(self, label: str, text: str) -> None:
        self.entities += 1
        self.counts[label] = self.counts.get(label, 0) + 1
        c = self.texts.setdefault(label, Counter())
        if text in c or len(c) < MAX_DISTINCT:
            c[text] += 1

    def record(self) -> dict:
        labels: dict[str, dict[str, object]] = {}
        for label in sorted(self.counts):
            c = self.texts[label]
            labels[label] = {
                "count": self.counts[label],
                "distinct": len(c),
                "top": [[t, n] for t, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))][:TOP],
            }
            if len(c) >= MAX_DISTINCT:
                labels[label]["distinct_capped"] = True
        rec: dict[str, object] = {"type": "document", "doc": self.doc.id}
        if self.doc.source is not None:
            rec["source"] = self.doc.source
        if self.doc.line is not None:
            rec["line"] = self.doc.line
        rec.update(
            characters=self.characters,
            tokens=self.tokens,
            sentences=self.sentences,
            entities=self.entities,
            labels=labels,
        )
        return rec


# --------------------------------------------------------------------------- reading


def _decoded_lines(fh, name: str) -> Iterator[str]:
    """Lines of a binary stream, line ends kept; a byte that is not UTF-8 named by line and column."""
    for lineno, raw in enumerate(fh, 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractInputError(
                f"{name}:{lineno}: byte {raw[exc.start : exc.start + 1]!r} at column "
                f"{exc.start + 1} is not UTF-8 text; expected UTF-8"
            ) from None


def check_file(path: str | os.PathLike) -> int:
    """Raise :class:`ExtractInputError` unless ``path`` holds UTF-8 text; return its size in bytes.

    Reads the file a block at a time (bounded memory): a NUL byte means a
    binary file, only white space means no text, an invalid byte is named by
    line and column.
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ExtractInputError(f"{name}: is a folder; expected a text file")
    dec = codecs.getincrementaldecoder("utf-8")()
    size, line, text_seen = 0, 1, False
    with open(name, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            final = not block
            if b"\0" in block:
                k = block.index(b"\0")
                ln = line + block.count(b"\n", 0, k)
                raise ExtractInputError(
                    f"{name}:{ln}: found a NUL byte (a binary file?); expected UTF-8 text"
                )
            try:
                text = dec.decode(block, final)
            except UnicodeDecodeError:
                # find the line of the bad byte by decoding line by line
                fh.seek(0)
                for _ in _decoded_lines(fh, name):
                    pass
                raise ExtractInputError(f"{name}: is not UTF-8 text") from None  # pragma: no cover
            if not text_seen and text.strip():
                text_seen = True
            line += block.count(b"\n")
            size += len(block)
            if final:
                break
    if size == 0:
        raise ExtractInputError(f"{name}: found an empty file; expected text")
    if not text_seen:
        raise ExtractInputError(f"{name}: found only white space; expected text")
    return size


def _file_chunks(
    name: str, chunk_chars: int, progress: Callable[[int], None] | None
) -> Iterator[tuple[int, str]]:
    with open(name, "rb") as fh:
        buf: list[str] = []
        start = size = 0
        for line in _decoded_lines(fh, name):
            if progress is not None:
                progress(len(line.encode("utf-8")))
            blank = not line.strip()
            if size and ((size >= chunk_chars and blank) or size + len(line) > 2 * chunk_chars):
                text = "".join(buf)
                yield start, text
                start += len(text)
                buf, size = [], 0
            buf.append(line)
            size += len(line)
        if buf:
            yield start, "".join(buf)


def _strip_end(line: str) -> str:
    return line.rstrip("\r\n")


def read_documents(
    path: str | os.PathLike,
    unit: str = "file",
    *,
    id_field: str = "id",
    text_field: str = "text",
    chunk_chars: int = 200_000,
    progress: Callable[[int], None] | None = None,
    name: str | None = None,
) -> Iterator[Document]:
    """The documents of one file (see the module docstring for ``unit``).

    ``progress`` is called with the number of bytes read as reading goes on.
    """
    if unit not in UNITS:
        raise ExtractInputError(f"unit: found {unit!r}; expected one of {', '.join(UNITS)}")
    if isinstance(chunk_chars, bool) or not isinstance(chunk_chars, int) or chunk_chars < 1:
        raise ExtractInputError(f"chunk_chars: expected a positive integer, found {chunk_chars!r}")
    name = name or os.fspath(path)
    if unit == "file":
        yield Document(name, _file_chunks(os.fspath(path), chunk_chars, progress), source=name)
        return
    with open(path, "rb") as fh:
        for lineno, line in enumerate(_decoded_lines(fh, name), 1):
            if progress is not None:
                progress(len(line.encode("utf-8")))
            if not line.strip():
                continue
            line = _strip_end(line)
            if unit == "line":
                yield Document(f"{name}:{lineno}", [(0, line)], source=name, line=lineno)
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExtractInputError(
                    f"{name}:{lineno}: column {exc.colno}: {exc.msg}; expected one JSON object "
                    "per line"
                ) from None
            if not isinstance(obj, dict):
                raise ExtractInputError(
                    f"{name}:{lineno}: found a JSON {type(obj).__name__}; expected an object "
                    f'with a "{text_field}" field'
                )
            text = obj.get(text_field)
            if not isinstance(text, str):
                found = "no such field" if text_field not in obj else type(text).__name__
                raise ExtractInputError(
                    f'{name}:{lineno}: field "{text_field}": found {found}; expected a string'
                )
            doc_id = obj.get(id_field, f"{name}:{lineno}")
            if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
                raise ExtractInputError(
                    f'{name}:{lineno}: field "{id_field}": found {type(doc_id).__name__}; '
                    "expected a string or an integer"
                )
            yield Document(str(doc_id), [(0, text)], source=name, line=lineno)


# --------------------------------------------------------------------------- tagging


def _check_threshold(min_confidence) -> float:
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)):
        raise ExtractInputError(
            f"min_confidence: expected a number in [0, 1], found {min_confidence!r}"
        )
    if not 0.0 <= float(min_confidence) <= 1.0:
        raise ExtractInputError(
            f"min_confidence: expected a number in [0, 1], found {min_confidence}"
        )
    return float(min_confidence)


def extract(
    model,
    documents: Iterable[Document],
    *,
    batch_size: int = 16,
    labels: Iterable[str] | None = None,
    min_confidence: float = 0.0,
) -> Iterator[dict]:
    """Entity records and a summary record per document, in document order.

    ``model`` is anything with crftagger's text path (a :class:`~crftagger.Tagger`
    or :class:`~crftagger.Pipeline`). ``labels`` keeps only those labels;
    spans below ``min_confidence`` are left out (and not counted).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ExtractInputError(f"batch_size: expected a positive integer, found {batch_size!r}")
    threshold = _check_threshold(min_confidence)
    keep = None if labels is None else set(labels)
    if keep is not None:
        from crftagger.schemes import span_types

        known = set(span_types(getattr(model, "labels", None) or []))
        unknown = sorted(keep - known) if known else []
        if unknown:
            raise ExtractInputError(
                f"labels: found {', '.join(unknown)}; the model's span labels are "
                f"{', '.join(sorted(known))}"
            )
    pending: list[tuple[str, object, int, str]] = []

    def flush() -> Iterator[dict]:
        texts = [p[3] for p in pending if p[0] == "chunk"]
        docs = list(model.pipe(texts, batch_size=max(1, len(texts)))) if texts else []
        it = iter(docs)
        for kind, summ, offset, _text in pending:
            assert isinstance(summ, _Summary)
            if kind == "end":
                yield summ.record()
                continue
            d = next(it)
            summ.characters += len(d.text)
            summ.tokens += len(d.tokens)
            summ.sentences += len(d.sentences)
            for sp in d.spans:
                if keep is not None and sp.label not in keep:
                    continue
                if sp.confidence < threshold:
                    continue
                summ.add(sp.label, sp.text)
                yield {
                    "type": "entity",
                    "doc": summ.doc.id,
                    "label": sp.label,
                    "text": sp.text,
                    "start": offset + sp.start,
                    "end": offset + sp.end,
                    "confidence": round(float(sp.confidence), 6),
                }
        pending.clear()

    n_chunks = 0
    for doc in documents:
        summ = _Summary(doc)
        for offset, text in doc.chunks:
            pending.append(("chunk", summ, offset, text))
            n_chunks += 1
            if n_chunks >= batch_size:
                yield from flush()
                n_chunks = 0
        pending.append(("end", summ, 0, ""))
    yield from flush()


@dataclass
class FileReport:
    """What :func:`extract_files` did with one file."""

    path: str
    documents: int = 0
    entities: int = 0
    error: str | None = None


def extract_files(
    model,
    paths: Iterable[str | os.PathLike],
    write: Callable[[dict], None],
    *,
    unit: str = "file",
    batch_size: int = 16,
    labels: Iterable[str] | None = None,
    min_confidence: float = 0.0,
    chunk_chars: int = 200_000,
    id_field: str = "id",
    text_field: str = "text",
    progress: Callable[[int], None] | None = None,
    on_error: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Extract from each file in turn, passing every record to ``write``.

    A file that cannot be read (see :func:`check_file`, and bad JSON Lines) is
    reported in its :class:`FileReport` (and to ``on_error``) and the next file
    is processed. A file is checked whole before any of its records is
    written, so a failing file writes nothing.
    """
    _check_threshold(min_confidence)
    reports = []
    for path in paths:
        name = os.fspath(path)
        rep = FileReport(name)
        try:
            check_file(name)
            if unit == "jsonl":
                # every line checked before any record is written
                for _ in read_documents(name, unit, id_field=id_field, text_field=text_field):
                    pass
            docs = read_documents(
                name,
                unit,
                id_field=id_field,
                text_field=text_field,
                chunk_chars=chunk_chars,
                progress=progress,
            )
            for rec in extract(
                model, docs, batch_size=batch_size, labels=labels, min_confidence=min_confidence
            ):
                if rec["type"] == "entity":
                    rep.entities += 1
                else:
                    rep.documents += 1
                write(rec)
        except (ExtractInputError, OSError) as exc:
            if isinstance(exc, ExtractInputError):
                rep.error = str(exc)
            else:
                rep.error = f"{name}: {exc.strerror or exc}"
            if on_error is not None:
                on_error(rep)
        reports.append(rep)
    return reports
