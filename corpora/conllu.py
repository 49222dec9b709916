"""CoNLL-U (Universal Dependencies) reading and writing.

A sentence is a block of comment lines (``# key = value``) followed by token
lines of exactly ten tab-separated fields
``ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC`` and ended by a blank line.
IDs are integers for syntactic words, ranges (``3-4``) for multiword tokens
(e.g. "don't" over "do" + "n't") and decimals (``8.1``) for empty nodes of the
enhanced graph.

Two views of a sentence are offered by :func:`read_conllu`:

``multiword="words"`` (default)
    One token per syntactic word; range lines and empty nodes are skipped.
``multiword="surface"``
    One token per surface token: a range line's FORM replaces the words it
    covers. Its ``id`` is the range (``"3-4"``), its ``misc`` is the range line's
    own MISC, and every other column joins the covered words' values with ``+``
    (UPOS ``"AUX+PART"``, LEMMA ``"do+not"``). Empty nodes are skipped.

So surface tokens = words - words covered by ranges + range lines.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from crftagger.corpora.base import (
    BLANK_CHARS,
    CorpusFormatError,
    Sentence,
    iter_lines,
    path_str,
)
from crftagger.corpora.conll import _write_lines

FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")
#: The columns a CoNLL-U sentence carries besides its tokens (the FORM field).
COLUMNS = tuple(f for f in FIELDS if f != "form")
_N = len(FIELDS)


@dataclass
class _Block:
    """One sentence as it stands in the file, before choosing a view."""

    comments: list[tuple[str, str]]
    words: list[list[str]] = field(default_factory=list)
    ranges: list[tuple[int, int, list[str]]] = field(default_factory=list)
    n_empty: int = 0
    line: int = 0
    doc_id: str | None = None
    newdoc: bool = False
    #: the text of the block's lines, in input order (only when asked for)
    lines: list[str] = field(default_factory=list)
    #: the line number of every word (syntactic word) line
    word_lines: list[int] = field(default_factory=list)


def _parse_comment(text: str) -> tuple[str, str]:
    body = text[1:].strip(BLANK_CHARS)
    key, eq, value = body.partition("=")
    if not eq:
        return body, ""
    return key.strip(BLANK_CHARS), value.strip(BLANK_CHARS)


def _blocks(path, encoding: str = "utf-8") -> Iterator[_Block]:
    """Yield the sentence blocks of a CoNLL-U file, validating as it goes."""
    return _blocks_from(iter_lines(path, encoding), path_str(path))


def _numbered(lines: Iterable[str], source: str) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of text lines, their line ends (``\\n``, ``\\r\\n``) removed.

    A ``\\r`` left inside a line (CR-only line ends) is refused, as :func:`iter_lines` does.
    """
    for number, text in enumerate(lines, 1):
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]  # a byte-order mark decoded with the first line
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        cr = text.find("\r")
        if cr >= 0:
            raise CorpusFormatError(
                source,
                number,
                "carriage return inside a line",
                f"a CR at character {cr + 1} of the line (input with CR-only line ends "
                "reads as one line)",
                "lines that end in LF or CR LF (convert CR-only input first, e.g. with "
                "`tr '\\r' '\\n'`)",
            )
        yield number, text


def _blocks_from(
    numbered: Iterable[tuple[int, str]], source: str, keep_lines: bool = False
) -> Iterator[_Block]:
    """Yield the sentence blocks of numbered CoNLL-U lines (``source`` names them in errors).

    With ``keep_lines`` each block also holds the text of its lines (comments,
    word lines, multiword ranges and empty nodes) in input order.
    """
    raw: list[str] = []
    doc_id: str | None = None
    n_docs = 0
    comments: list[tuple[str, str]] = []
    comment_line = 0
    block: _Block | None = None
    next_word = 1
    range_end = 0  # last word id covered by the latest range line

    def finish(b: _Block) -> _Block:
        if range_end >= next_word:
            raise CorpusFormatError(
                source,
                last_line,
                "multiword token range runs past the sentence",
                f"a range ending at word {range_end} in a sentence of {next_word - 1} words",
                "ranges that cover words of their own sentence",
            )
        return b

    last_line = 0
    for number, text in numbered:
        if not text.strip(BLANK_CHARS):
            if block is not None:
                if keep_lines:
                    block.lines, raw = raw, []
                yield finish(block)
                block = None
            elif comments:
                raise CorpusFormatError(
                    source,
                    number,
                    "comments without a sentence",
                    f"a blank line after the comment block that starts on line {comment_line}",
                    "token lines after a sentence's comments",
                )
            continue
        last_line = number
        if keep_lines:
            raw.append(text)
        if text.startswith("#"):
            if block is not None:
                raise CorpusFormatError(
                    source,
                    number,
                    "comment inside a sentence",
                    repr(text),
                    "comments only before a sentence's first token line",
                )
            if not comments:
                comment_line = number
            key, value = _parse_comment(text)
            comments.append((key, value))
            continue
        fields = text.split("\t")
        if len(fields) != _N:
            problem = "truncated CoNLL-U line" if len(fields) < _N else "too many fields"
            raise CorpusFormatError(
                source,
                number,
                problem,
                f"{len(fields)} tab-separated fields in {text!r}",
                f"{_N} tab-separated fields ({' '.join(f.upper() for f in FIELDS)})",
            )
        for i, value in enumerate(fields):
            if not value:
                raise CorpusFormatError(
                    source,
                    number,
                    "empty field",
                    f"field {i + 1} ({FIELDS[i].upper()}) empty in {text!r}",
                    "a value in every field ('_' when unspecified)",
                )
            if value[0] in BLANK_CHARS or value[-1] in BLANK_CHARS:
                raise CorpusFormatError(
                    source,
                    number,
                    "white space at the end of a field",
                    f"field {i + 1} ({FIELDS[i].upper()}) is {value!r} in {text!r}",
                    "tab-separated fields with no white space at their ends",
                )
        if block is None:
            block = _Block(comments=comments, line=number)
            newdoc = [v for k, v in comments if k == "newdoc id" or k == "newdoc"]
            if newdoc:
                doc_id = newdoc[-1] or f"doc-{n_docs}"
                n_docs += 1
                block.newdoc = True
            block.doc_id = doc_id
            comments = []
            next_word = 1
            range_end = 0
        tid = fields[0]
        if _is_number(tid):
            if int(tid) != next_word:
                raise CorpusFormatError(
                    source,
                    number,
                    "word id out of sequence",
                    f"ID {tid}",
                    f"ID {next_word} (word ids run 1, 2, 3 ... within a sentence)",
                )
            block.words.append(fields)
            block.word_lines.append(number)
            next_word += 1
            continue
        a, dash, b = tid.partition("-")
        if dash and _is_number(a) and _is_number(b):
            first, last = int(a), int(b)
            if first != next_word or last < first or first <= range_end:
                raise CorpusFormatError(
                    source,
                    number,
                    "bad multiword token range",
                    f"ID {tid} before word {next_word}",
                    f"a range {next_word}-N (N >= {next_word}) placed just before the words it covers",
                )
            block.ranges.append((first, last, fields))
            range_end = last
            continue
        a, dot, b = tid.partition(".")
        if dot and _is_number(a) and _is_number(b):
            block.n_empty += 1
            continue
        raise CorpusFormatError(
            source,
            number,
            "bad ID field",
            repr(tid),
            "an integer (word), a range like 3-4 (multiword token) or a decimal like 8.1 (empty node)",
        )
    if block is not None:
        if keep_lines:
            block.lines = raw
        yield finish(block)
    elif comments:
        raise CorpusFormatError(
            source,
            comment_line,
            "comments without a sentence",
            "a comment block at the end of the file",
            "token lines after a sentence's comments",
        )


def _is_number(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``'²'``, which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def _meta(comments: list[tuple[str, str]]) -> dict[str, str]:
    # Repeated keys are kept, one value per line (joined once: linear in the comments).
    values: dict[str, list[str]] = {}
    for key, value in comments:
        values.setdefault(key, []).append(value)
    return {key: "\n".join(v) for key, v in values.items()}


def _check_label(block: _Block, source: str, label: str) -> None:
    """A value in field ``label`` of every syntactic word (``_`` means unspecified)."""
    k = FIELDS.index(label)
    for fields, number in zip(block.words, block.word_lines, strict=True):
        if fields[k] == "_":
            raise CorpusFormatError(
                source,
                number,
                f"word without {label.upper()}",
                f"'_' in the {label.upper()} field of word {fields[0]} ({fields[1]!r})",
                f"a {label.upper()} value on every word, which are the labels here",
            )


def _sentence(block: _Block, source: str, multiword: str, keep=COLUMNS, label=None) -> Sentence:
    if label is not None:
        _check_label(block, source, label)
    words = block.words
    if multiword == "surface" and block.ranges:
        rows: list[list[str]] = []
        ranges = iter(block.ranges)
        nxt = next(ranges, None)
        i = 0
        while i < len(words):
            if nxt is not None and nxt[0] == i + 1:
                a, b, rf = nxt
                covered = words[a - 1 : b]
                row = [
                    rf[0],
                    rf[1],
                    *("+".join(w[k] for w in covered) for k in range(2, _N - 1)),
                    rf[_N - 1],
                ]
                rows.append(row)
                i = b
                nxt = next(ranges, None)
            else:
                rows.append(words[i])
                i += 1
        words = rows
    return Sentence(
        tokens=[w[1] for w in words],
        columns={name: [w[k] for w in words] for name, k in ((n, FIELDS.index(n)) for n in keep)},
        doc_id=block.doc_id,
        meta=_meta(block.comments),
        source=source,
        line=block.line,
        token_column="form",
    )


def read_conllu(
    path,
    *,
    multiword: str = "words",
    columns: Sequence[str] | None = None,
    encoding: str = "utf-8",
    label: str | None = None,
) -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL-U file.

    Parameters
    ----------
    path
        The file.
    multiword
        ``"words"`` (syntactic words; range lines skipped) or ``"surface"``
        (surface tokens; see the module docstring for the joined columns).
    columns
        Which fields to keep besides FORM, e.g. ``("upos",)`` or ``("xpos",)``
        for a tagger's labels (default: all nine).
    encoding
        Text encoding (default UTF-8).
    label
        A field that every syntactic word must specify (not ``_``), e.g.
        ``"upos"`` for the labels of a tagger's training data.

    Yields
    ------
    Sentence
        ``tokens`` = FORM; ``columns`` = ``id lemma upos xpos feats head deprel deps misc``;
        ``meta`` = the comments (``# key = value``; a repeated key keeps every value,
        one per line); ``doc_id`` from ``# newdoc id = ...`` (``doc-K`` for a bare
        ``# newdoc``), carried over to the following sentences.

    Raises
    ------
    CorpusFormatError
        On a line without ten tab-separated fields, an empty field, an ID out of
        sequence or malformed, a misplaced range or comment, undecodable bytes,
        or a ``_`` in the ``label`` field.
    """
    if multiword not in ("words", "surface"):
        raise ValueError(f"multiword must be 'words' or 'surface', not {multiword!r}")
    keep = _keep(columns)
    _check_label_name(label)
    source = path_str(path)
    for block in _blocks(path, encoding):
        yield _sentence(block, source, multiword, keep, label)


def _keep(columns: Sequence[str] | None) -> tuple[str, ...]:
    if columns is None:
        return COLUMNS
    keep = tuple(columns)
    unknown = [c for c in keep if c not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown CoNLL-U columns {unknown}; expected some of {COLUMNS}")
    return keep


def _check_label_name(label: str | None) -> None:
    if label is not None and label not in COLUMNS:
        raise ValueError(f"unknown CoNLL-U label field {label!r}; expected one of {COLUMNS}")


def iter_sentences(
    lines: Iterable[str],
    name: str = "<stdin>",
    *,
    multiword: str = "words",
    columns: Sequence[str] | None = None,
    with_lines: bool = False,
    label: str | None = None,
) -> Iterator:
    """Stream the sentences of CoNLL-U text lines (a text stream, ``sys.stdin``, a list).

    The streaming twin of :func:`read_conllu` for input that is not a file
    on disk, such as what ``crftagger tag`` reads: the same rules, views
    (``multiword``) and errors, and ``name`` stands for the file in them and
    in each sentence's ``source``; ``line`` is the 1-based line of the
    sentence's first token line.

    Parameters
    ----------
    lines
        Text lines, with or without their line ends (``\\n`` or ``\\r\\n``).
    name
        What errors and ``Sentence.source`` call the input.
    multiword, columns, label
        As :func:`read_conllu`.
    with_lines
        Yield ``(sentence, lines)`` pairs instead, ``lines`` being the text of
        the sentence's comment, word, multiword-range and empty-node lines in
        input order: what a writer needs to write the sentence back with
        an answer per word (range and empty-node lines carry no word of the
        ``"words"`` view).

    Raises
    ------
    CorpusFormatError
        As :func:`read_conllu`, naming ``name`` and the line.
    """
    if multiword not in ("words", "surface"):
        raise ValueError(f"multiword must be 'words' or 'surface', not {multiword!r}")
    keep = _keep(columns)
    _check_label_name(label)
    for block in _blocks_from(_numbered(lines, name), name, keep_lines=with_lines):
        sent = _sentence(block, name, multiword, keep, label)
        yield (sent, block.lines) if with_lines else sent


def conllu_counts(path, encoding: str = "utf-8", label_field: str | None = None):
    """Count a CoNLL-U file in one pass.

    Returns a dict with ``sentences``, ``words`` (syntactic words),
    ``surface_tokens`` (= words - covered words + multiword lines),
    ``multiword_tokens`` (range lines), ``empty_nodes`` and ``documents``
    (``# newdoc`` comments). With ``label_field`` (e.g. ``"upos"``), returns
    ``(counts, label_counts)`` where ``label_counts`` counts that field over
    syntactic words.
    """
    counts = dict.fromkeys(
        ("sentences", "words", "surface_tokens", "multiword_tokens", "empty_nodes", "documents"), 0
    )
    k = None if label_field is None else FIELDS.index(label_field)
    labels: Counter = Counter()
    for block in _blocks(path, encoding):
        covered = sum(b - a + 1 for a, b, _ in block.ranges)
        counts["sentences"] += 1
        counts["words"] += len(block.words)
        counts["multiword_tokens"] += len(block.ranges)
        counts["surface_tokens"] += len(block.words) - covered + len(block.ranges)
        counts["empty_nodes"] += block.n_empty
        counts["documents"] += block.newdoc
        if k is not None:
            labels.update(w[k] for w in block.words)
    return counts if k is None else (counts, labels)


def write_conllu(
    sentences: Iterable[Sentence],
    dest: str | os.PathLike | IO[str],
    *,
    newline: str = "\n",
) -> None:
    """Write syntactic-word sentences as CoNLL-U that :func:`read_conllu` reads back.

    ``meta`` entries become ``# key = value`` comments in order (a value with
    line breaks gives one comment per line; an empty value gives ``# key``).
    When ``doc_id`` changes and ``meta`` holds no ``newdoc id``, a
    ``# newdoc id = <doc_id>`` comment is written first. Missing columns are
    written as ``_``; a missing ``id`` column numbers the words 1, 2, 3 ...
    Surface-token sentences (range IDs) cannot be written back.
    """
    if newline not in ("\n", "\r\n"):
        raise ValueError("newline must be '\\n' or '\\r\\n'")

    def lines() -> Iterator[str]:
        prev_doc = None
        for index, sent in enumerate(sentences):
            if not sent.tokens:
                raise ValueError(f"cannot write sentence {index}: it has no tokens")
            if (
                sent.doc_id is not None
                and sent.doc_id != prev_doc
                and "newdoc id" not in sent.meta
                and "newdoc" not in sent.meta
            ):
                yield f"# newdoc id = {sent.doc_id}{newline}"
            prev_doc = sent.doc_id
            for key, value in sent.meta.items():
                if "=" in key or "\n" in key or "\r" in key or key != key.strip(BLANK_CHARS):
                    raise ValueError(
                        f"cannot write comment key {key!r} of sentence {index}: it holds '=', "
                        "a line break or surrounding blanks"
                    )
                for v in value.split("\n"):
                    if v:
                        _check(v, f"comment {key!r} of sentence {index}", comment=True)
                        yield f"# {key} = {v}{newline}"
                    else:
                        yield f"# {key}".rstrip(" ") + newline
            n = len(sent)
            cols = [sent.tokens if name == "form" else sent.columns.get(name) for name in FIELDS]
            for i in range(n):
                row = []
                for k, name in enumerate(FIELDS):
                    c = cols[k]
                    value = c[i] if c is not None else (str(i + 1) if k == 0 else "_")
                    _check(value, f"{name.upper()} of token {i} in sentence {index}")
                    row.append(value)
                if not _is_number(row[0]):
                    raise ValueError(
                        f"cannot write sentence {index}: ID {row[0]!r} of token {i} is not a "
                        "word id (surface-token sentences cannot be written as CoNLL-U)"
                    )
                yield "\t".join(row) + newline
            yield newline

    _write_lines(dest, lines())


def _check(value: str, what: str, comment: bool = False) -> None:
    if not value or (comment and value != value.strip(BLANK_CHARS)):
        raise ValueError(f"cannot write {what}: {value!r} is empty or has surrounding blanks")
    for ch in "\t\n\r":
        if ch in value and not (comment and ch == "\t"):
            raise ValueError(f"cannot write {what}: {value!r} contains {ch!r}")
