"""What a user's file holds: its format (read from its content) and whether its columns look swapped.

:func:`detect_format` reads the first lines of a file and names its format:

``"conllu"``
    every line that is neither blank nor a ``#`` comment has exactly ten
    tab-separated fields and an ID that is an integer (a word), a range
    ``3-4`` (a multiword token) or a decimal ``8.1`` (an empty node);
``"conll"``
    one token per line: a ``-DOCSTART-`` line, or token lines that all
    have the same number of fields (tab-separated when the first one holds a
    tab, else space-separated) with blank lines between sentences (or, for
    two fields and more, at least :data:`MIN_LINES` lines without a break);
``"text"``
    anything else: one sentence per line, tokens separated by white space.

:func:`swapped_columns` checks labelled sentences for the mistake of a
tag-first file (``B-Actor<TAB>steve``, the MIT Movie layout) read with the
token first: the "tokens" are then tags and the "labels" are words. It
returns a message saying what was found and which ``--columns`` to give,
or ``None`` for an ordinary file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from crftagger.corpora.base import BLANK_CHARS, iter_lines, path_str
from crftagger.corpora.conll import is_docstart

#: Formats :func:`detect_format` names.
FORMATS = ("conllu", "conll", "text")
#: Non-blank lines :func:`detect_format` reads from the start of a file.
SAMPLE_LINES = 500
#: Token lines with a constant field count (two or more) that make a file CoNLL without a blank line.
MIN_LINES = 5

_CONLLU_ID = re.compile(r"[0-9]+(?:-[0-9]+|\.[0-9]+)?")
#: A tag of a span scheme: ``O``, or a one-letter prefix of IOB/IOE/BIOES/BILOU and a type.
TAG = re.compile(r"O|[BIESLU][-_]\S+")
_LETTER = re.compile(r"[^\W\d_]")


MAX_SENTENCE_LINES = 250
"""A run of more non-blank lines than this is text, not a CoNLL sentence."""


def sniff(lines: Iterable[str]) -> str:
    """The format of text lines (see the module docstring): ``"conllu"``, ``"conll"`` or ``"text"``."""
    n_conllu = n_other = n_lines = 0
    blank_after_token = docstart = False
    counts: Counter = Counter()
    sep: str | None = None
    block = longest_block = 0
    for text in lines:
        text = text.rstrip("\r\n")
        if not text.strip(BLANK_CHARS):
            blank_after_token = blank_after_token or block > 0
            block = 0
            continue
        if is_docstart(text):
            docstart = True
            block = 0
            continue
        if not text.startswith("#"):  # CoNLL-U comments; CoNLL reads them as tokens
            fields = text.split("\t")
            if len(fields) == 10 and all(fields) and _CONLLU_ID.fullmatch(fields[0]):
                n_conllu += 1
            else:
                n_other += 1
        if sep is None:
            sep = "\t" if "\t" in text else " "
        counts[len(text.split("\t")) if sep == "\t" else len(text.split())] += 1
        n_lines += 1
        block += 1
        longest_block = max(longest_block, block)
    if n_conllu and not n_other:
        return "conllu"
    if docstart:
        return "conll"
    if longest_block > MAX_SENTENCE_LINES:
        # no blank line for that long: lines of text that happen to hold as many words
        # each, not a sentence of one-token lines
        return "text"
    if len(counts) == 1:
        (n_fields,) = counts
        if n_fields >= 2 and (blank_after_token or n_lines >= MIN_LINES):
            return "conll"
        if n_fields == 1 and blank_after_token and longest_block >= 2:
            return "conll"
    return "text"


def detect_format(path, encoding: str = "utf-8", sample_lines: int = SAMPLE_LINES) -> str:
    """The format of the file ``path`` from its first ``sample_lines`` non-blank lines (see :func:`sniff`).

    Raises :class:`~crftagger.errors.CorpusFormatError` for bytes that are not
    ``encoding`` text and :class:`FileNotFoundError` for a missing file.
    """
    sample: list[str] = []
    n = 0
    for _number, text in iter_lines(path, encoding):
        sample.append(text)
        if text.strip(BLANK_CHARS):
            n += 1
            if n >= sample_lines:
                break
    return sniff(sample)


def resolve_format(path, given: str | None, allowed: Sequence[str] = FORMATS) -> str:
    """``given`` when it is a format, else the detected one; a detected format outside ``allowed`` is an error."""
    if given not in (None, "auto"):
        if given not in allowed:
            raise ValueError(f"--format {given}: expected one of auto, {', '.join(allowed)}")
        return str(given)
    found = detect_format(path)
    if found in allowed:
        return found
    if "conll" in allowed and found == "text":
        return "conll"  # the CoNLL reader names the line that breaks its rules
    raise ValueError(
        f"{path_str(path)}: the content looks like {found}; expected {' or '.join(allowed)} "
        "(give --format to say which)"
    )


# --------------------------------------------------------------------------- swapped columns


def _share(values: Counter, pattern: re.Pattern) -> float:
    total = sum(values.values())
    return sum(n for v, n in values.items() if pattern.fullmatch(v)) / total if total else 0.0


def _examples(values: Counter, k: int = 4) -> str:
    return ", ".join(repr(v) for v, _ in values.most_common(k))


def swapped_evidence(
    sentences: Sequence, label_column: str, shown: str | None = None
) -> str | None:
    """What makes the token and label columns of ``sentences`` look swapped, or ``None``.

    ``shown`` is how the message names the label column (default: ``the
    label column 'NAME'``).

    The tokens look like tags and the labels like words when either

    1. at least 90% of the tokens are span tags (``O``, ``B-X``, ``I-X``,
       ``E-X``, ``S-X``, ``L-X``, ``U-X``), less than half the labels are,
       the labels take at least 20 distinct values and most of those hold a
       letter (a tag-first NER or slot file such as MIT Movie: tags first,
       then words); or
    2. over at least 1000 tokens the token column takes at most 100 distinct
       values while the label column takes at least 200 and ten times as
       many (a tag-first part-of-speech file, ``NN dog``).

    Real text has thousands of distinct words, and tag sets have tens of
    tags (45 for the Penn Treebank, 17 for UPOS, 9 for CoNLL-2003), so an
    ordinary file meets neither.
    """
    tokens: Counter = Counter()
    labels: Counter = Counter()
    for s in sentences:
        tokens.update(s.tokens)
        labels.update(s.columns.get(label_column, ()))
    n = sum(tokens.values())
    if n == 0 or not labels:
        return None
    d_tok, d_lab = len(tokens), len(labels)
    shown = shown or f"the label column {label_column!r}"
    tag_tok, tag_lab = _share(tokens, TAG), _share(labels, TAG)
    wordy = sum(1 for v in labels if _LETTER.search(v) and not TAG.fullmatch(v)) / d_lab
    if n >= 20 and tag_tok >= 0.9 and tag_lab < 0.5 and d_lab >= 20 and wordy >= 0.5:
        why = (
            f"{100 * tag_tok:.0f}% of the values of the token column are span tags "
            f"({_examples(tokens)}), while {shown} holds {d_lab} "
            f"distinct values that read like words ({_examples(labels)})"
        )
    elif n >= 1000 and d_tok <= 100 and d_lab >= max(200, 10 * d_tok):
        why = (
            f"the token column takes only {d_tok} distinct values over {n} tokens "
            f"({_examples(tokens)}), while {shown} takes {d_lab} "
            f"({_examples(labels)})"
        )
    else:
        return None
    return why


def swapped_columns(
    sentences: Sequence,
    label_column: str,
    names: Sequence[str] | None = None,
    source: str | None = None,
) -> str | None:
    """The message for a file whose columns look swapped (:func:`swapped_evidence`), or ``None``.

    ``names`` are the column names in file order (``word`` the tokens;
    default the first sentence's); the message suggests the ``--columns``
    that read the file the other way round.
    """
    why = swapped_evidence(sentences, label_column)
    if why is None:
        return None
    first = sentences[0]
    names = list(names) if names is not None else first.column_names()
    tok = first.token_column
    fixed = list(names)
    new_label = "tag" if re.fullmatch(r"col[0-9]+", label_column) else label_column
    if tok in fixed and label_column in fixed:
        fixed[fixed.index(tok)] = new_label
        fixed[names.index(label_column)] = "word"
    hint = f"--columns {','.join(fixed)}"
    others = [c for c in fixed if c != "word"]
    if others and others[-1] != new_label:
        hint += f" --label-column {new_label}"
    where = f"{source}: " if source else ""
    return (
        f"{where}the columns look swapped: {why}; expected the tokens in the column named "
        f"'word' and tags in the label column. If the file is tag-first, give {hint}"
    )
