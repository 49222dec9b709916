"""Plain twins of the corpus readers, written from the documented rules only.

Each twin takes the file's bytes and returns either ``("parsed", sentences)``
with every sentence as ``(tokens, columns, doc_id, meta)``, or
``("refused", line)`` with the 1-based line that breaks a rule. The fuzzing
worker compares them with what crftagger's readers give, so a reader that
drops, merges or changes data fails the comparison.

Lines are split on ``\\n`` and lose one trailing ``\\r``; a ``\\r`` left inside
a line is refused; a UTF-8 byte-order mark is skipped at the start of the file
only.
"""

from __future__ import annotations

import re

BLANK = " \t\r\n\f\v"
DOCSTART = "-DOCSTART-"
CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")


class Refused(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def lines_of(data: bytes, cr_inside_refused: bool = True):
    """``(number, text)`` of every line, lazily; invalid UTF-8 or a lone CR raises :class:`Refused`
    when that line is reached."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()  # the file ends with a line end
    for i, raw in enumerate(parts, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(i) from None
        if text.endswith("\r"):
            text = text[:-1]
        if cr_inside_refused and "\r" in text:
            raise Refused(i)
        yield i, text


def _blank(text: str) -> bool:
    return all(c in BLANK for c in text)


def _docstart(text: str) -> bool:
    return text == DOCSTART or (text.startswith(DOCSTART) and text[len(DOCSTART)] in " \t")


def conll(data: bytes, n_declared: int | None = None, whitespace: bool = False):
    """A CoNLL file read with ``sep="auto"`` (``whitespace``: ``sep="whitespace"``, runs of
    spaces and tabs) and ``-DOCSTART-`` boundaries.

    Sentences are ``(first column, {index: column}, doc_id, {})``.
    """
    try:
        lines = lines_of(data)
        sents = []
        rows: list[list[str]] = []
        doc = None
        n_docs = 0
        sep = None
        n = n_declared
        for number, text in lines:
            if _blank(text):
                if rows:
                    sents.append(_rows(rows, doc))
                    rows = []
                continue
            if _docstart(text):
                if rows:
                    sents.append(_rows(rows, doc))
                    rows = []
                doc = f"doc-{n_docs}"
                n_docs += 1
                continue
            if whitespace:
                sep = ""
                fields = re.split("[ \t]+", text.strip(" \t"))
            else:
                if sep is None:
                    sep = "\t" if "\t" in text else " "
                fields = text.split(sep)
            if n is None:
                n = len(fields)
            if len(fields) != n:
                raise Refused(number)
            for f in fields:
                if f == "" or f[0] in BLANK or f[-1] in BLANK:
                    raise Refused(number)
                if sep != "\t" and any(c in f for c in "\t\f\v\r"):
                    raise Refused(number)
            rows.append(fields)
        if rows:
            sents.append(_rows(rows, doc))
        return "parsed", sents
    except Refused as r:
        return "refused", r.line


def _rows(rows, doc):
    n = len(rows[0])
    return ([r[0] for r in rows], {i: [r[i] for r in rows] for i in range(1, n)}, doc, {})


def conllu(data: bytes):
    """A CoNLL-U file in the ``words`` view: syntactic words only.

    Sentences are ``(forms, {field: values}, doc_id, meta)``.
    """
    try:
        return "parsed", _conllu_blocks(lines_of(data))
    except Refused as r:
        return "refused", r.line


def _is_int(s: str) -> bool:
    return s != "" and all("0" <= c <= "9" for c in s)


def _conllu_blocks(lines):
    sents = []
    comments: list[tuple[str, str]] = []
    comment_start = 0
    words: list[list[str]] | None = None
    meta_of: list[tuple[str, str]] = []
    doc = None
    n_docs = 0
    expect = 1
    covered_to = 0
    last = 0

    def close():
        if covered_to >= expect:
            raise Refused(last)
        by_key: dict[str, list[str]] = {}
        for k, v in meta_of:
            by_key.setdefault(k, []).append(v)
        assert words is not None
        sents.append(
            (
                [w[1] for w in words],
                {f: [w[k] for w in words] for k, f in enumerate(CONLLU_FIELDS) if f != "form"},
                doc,
                {k: "\n".join(v) for k, v in by_key.items()},
            )
        )

    for number, text in lines:
        if _blank(text):
            if words is not None:
                close()
                words = None
            elif comments:
                raise Refused(number)
            continue
        last = number
        if text[0] == "#":
            if words is not None:
                raise Refused(number)
            if not comments:
                comment_start = number
            body = text[1:].strip(BLANK)
            if "=" in body:
                k, v = body.split("=", 1)
                comments.append((k.strip(BLANK), v.strip(BLANK)))
            else:
                comments.append((body, ""))
            continue
        fields = text.split("\t")
        if len(fields) != 10:
            raise Refused(number)
        for f in fields:
            if f == "" or f[0] in BLANK or f[-1] in BLANK:
                raise Refused(number)
        if words is None:
            words = []
            meta_of = comments
            newdoc = [v for k, v in comments if k in ("newdoc id", "newdoc")]
            if newdoc:
                doc = newdoc[-1] if newdoc[-1] else f"doc-{n_docs}"
                n_docs += 1
            comments = []
            expect, covered_to = 1, 0
        tid = fields[0]
        if _is_int(tid):
            if int(tid) != expect:
                raise Refused(number)
            words.append(fields)
            expect += 1
            continue
        m = re.fullmatch(r"([0-9]+)-([0-9]+)", tid)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a != expect or b < a or a <= covered_to:
                raise Refused(number)
            covered_to = b
            continue
        if re.fullmatch(r"[0-9]+\.[0-9]+", tid):
            continue
        raise Refused(number)
    if words is not None:
        close()
    elif comments:
        raise Refused(comment_start)
    del comment_start
    return sents


def tag_lines(data: bytes):
    """Lines as ``crftagger tag`` reads stdin, lazily: split on ``\\n``, UTF-8 (refused otherwise)."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    for i, raw in enumerate(parts, 1):
        try:
            yield i, raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(i) from None


_WS = re.compile(r"[ \t\n\r\f\v]+")


def ascii_split(text: str) -> list[str]:
    """Fields separated by runs of ASCII white space (what a user means by spaces and tabs)."""
    return [f for f in _WS.split(text) if f]


def _tag_fields(number: int, text: str) -> list[str]:
    """Fields of one ``tag`` input line: the line end (LF, CR LF) removed, a CR anywhere
    else refused, fields separated by runs of ASCII white space."""
    text = text[:-1] if text.endswith("\r") else text
    if "\r" in text:
        raise Refused(number)
    return ascii_split(text)


def tag_tokens(data: bytes):
    """``--input-format tokens``: one sentence per line."""
    try:
        return "parsed", [(_tag_fields(n, t), {}, None, {}) for n, t in tag_lines(data)]
    except Refused as r:
        return "refused", r.line


def tag_conll(data: bytes, n_columns: int):
    """``--input-format conll`` with ``n_columns`` named columns: white-space separated fields."""
    try:
        sents = []
        toks: list[list[str]] = []
        n = None
        for number, text in tag_lines(data):
            fields = _tag_fields(number, text)
            if not fields:
                if toks:
                    sents.append(_tag_rows(toks, n_columns))
                    toks = []
                continue
            if fields[0] == DOCSTART and _docstart(text.strip(BLANK)):
                if toks:
                    sents.append(_tag_rows(toks, n_columns))
                    toks = []
                continue
            if n is None:
                n = len(fields)
                if n_columns > n:
                    raise Refused(number)
            elif len(fields) != n:
                raise Refused(number)
            toks.append(fields)
        if toks:
            sents.append(_tag_rows(toks, n_columns))
        return "parsed", sents
    except Refused as r:
        return "refused", r.line


def _tag_rows(rows, n_columns):
    return ([r[0] for r in rows], {i: [r[i] for r in rows] for i in range(1, n_columns)}, None, {})
