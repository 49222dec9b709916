"""Utterances with intents: the registered ATIS / SNIPS splits and a user's own files.

Two ways to give intents with slot-tagged utterances:

**Intent comments** (one file): a CoNLL-style file, one ``token<TAB>tag``
line per token (a single space also separates the two fields), a blank
line after each utterance, and before each utterance a comment line
naming its intent::

    # intent = atis_flight
    flights	O
    from	O
    boston	B-fromloc.city_name

    # intent = atis_airfare
    how	O
    ...

A comment is a line starting with ``#`` before the first token line of an
utterance (a ``#`` token inside an utterance stays a token); comments other
than ``# intent = NAME`` are kept in :attr:`Sentence.meta`. Every utterance
needs exactly one intent comment. :func:`read_intent_conll` reads it.

**A separate intents file**: one intent per line, one line per utterance,
in the order of the utterances (the layout of ATIS / SNIPS ``raw/*/label``);
:func:`read_intents` reads it and :func:`align` checks that the counts match.

A multi-intent label such as ``atis_flight#atis_airfare`` is one label (its
own class), as in the ATIS literature. Every error names the file and the line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from crftagger.corpora.base import CorpusFormatError, iter_lines
from crftagger.sentence import Sentence

#: ``# intent = NAME`` (spaces around ``=`` optional).
INTENT_COMMENT = re.compile(r"^#\s*intent\s*=\s*(\S+)\s*$")
_META = re.compile(r"^#\s*([^=\s]+)\s*=\s*(.*?)\s*$")
#: The corpora whose raw folders hold intents (``raw/<split>/label``).
INTENT_CORPORA = ("atis", "snips")


def read_intents(path) -> list[str]:
    """One intent per line of ``path`` (blank lines and labels with white space are errors)."""
    out = []
    for number, text in iter_lines(path):
        label = text.strip()
        if not label or len(label.split()) != 1:
            raise CorpusFormatError(
                path,
                number,
                "not an intent label",
                repr(text) if text.strip() else "an empty line",
                "one intent name per line, without white space (one line per utterance)",
            )
        out.append(label)
    return out


def align(
    sentences: Sequence[Sentence], intents: Sequence[str], intents_path, sentences_path=None
) -> list[str]:
    """``intents`` when there is one per sentence; else :class:`CorpusFormatError` naming the file
    and the first line without a partner."""
    n_s, n_i = len(sentences), len(intents)
    if n_s == n_i:
        return list(intents)
    where = f" of {sentences_path}" if sentences_path else ""
    if n_i < n_s:
        s = sentences[n_i]
        loc = f"{s.source}:{s.line}" if s.source else f"utterance {n_i}"
        raise CorpusFormatError(
            intents_path,
            n_i + 1,
            "fewer intents than utterances",
            f"the end of the file after {n_i} intents; utterance {n_i + 1} (at {loc}) has none",
            f"{n_s} lines, one intent per utterance{where}",
        )
    raise CorpusFormatError(
        intents_path,
        n_s + 1,
        "more intents than utterances",
        f"{n_i} intents, the extra one {intents[n_s]!r} on this line",
        f"{n_s} lines, one intent per utterance{where}",
    )


def intents_file(name: str, split: str, data_dir=None) -> Path:
    """The intents file of a split of a registered corpus: ``raw/<raw split>/label`` beside the
    split's word/tag file, found through the same folders as the corpus (``data_dir``, then
    ``$CRFTAGGER_DATA``, then the user cache)."""
    from crftagger.corpora import registry
    from crftagger.errors import CorpusNotFoundError

    info = registry.get(name)
    f = info.file(split)
    stored = [s.store_as for s in f.sources if s.store_as]
    if not stored:
        raise ValueError(
            f"corpus {name!r} has no intents (no raw seq.in/seq.out/label folder); "
            f"corpora with intents: {', '.join(INTENT_CORPORA)}"
        )
    raw_dir = os.path.dirname(stored[0])  # e.g. raw/valid
    path = registry.locate(info, split, data_dir)
    label = path.parent / raw_dir / "label"
    if not label.is_file():
        raise CorpusNotFoundError(
            f"corpus {name!r} split {split!r}: intents file {label} not found beside {path}; "
            f"expected {raw_dir}/label (one intent per utterance)"
        )
    return label


def load_split(name: str, split: str, data_dir=None) -> tuple[list[Sentence], list[str]]:
    """The sentences of a split of ``atis`` / ``snips`` and their intents, checked to line up."""
    from crftagger.corpora import load, registry

    path = intents_file(name, split, data_dir)
    sentences = load(name, split, data_dir)
    intents = read_intents(path)
    return sentences, align(sentences, intents, path, registry.locate(name, split, data_dir))


def read_intent_conll(path) -> list[Sentence]:
    """Utterances of an intent-comment file (see the module docstring); each :class:`Sentence`
    has the columns ``tag`` and ``meta["intent"]``."""
    out: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    meta: dict[str, str] = {}
    first: int | None = None
    intent_line: int | None = None

    def flush(end_line: int) -> None:
        nonlocal tokens, tags, meta, first, intent_line
        if tokens:
            if "intent" not in meta:
                raise CorpusFormatError(
                    path,
                    first,
                    "utterance without an intent",
                    f"the token line {tokens[0]!r} with no '# intent = NAME' line before it",
                    "a '# intent = NAME' comment line before the first token of every utterance",
                )
            out.append(Sentence(tokens, {"tag": tags}, meta=meta, source=str(path), line=first))
        elif "intent" in meta:
            raise CorpusFormatError(
                path,
                intent_line,
                "intent without an utterance",
                f"'# intent = {meta['intent']}' and then "
                + ("the end of the file" if end_line < 0 else f"a blank line (line {end_line})"),
                "token<TAB>tag lines after the '# intent = NAME' line",
            )
        tokens, tags, meta, first, intent_line = [], [], {}, None, None

    number = 0
    for number, text in iter_lines(path):
        if not text.strip():
            flush(number)
            continue
        if not tokens and text.startswith("#"):
            m = INTENT_COMMENT.match(text)
            if m:
                if "intent" in meta:
                    raise CorpusFormatError(
                        path,
                        number,
                        "second intent for one utterance",
                        f"{text!r} after '# intent = {meta['intent']}' on line {intent_line}",
                        "one '# intent = NAME' line per utterance (a multi-intent label is "
                        "one name joined with '#': a#b)",
                    )
                meta["intent"], intent_line = m.group(1), number
                continue
            if text.lstrip("#").strip().startswith("intent"):
                raise CorpusFormatError(
                    path,
                    number,
                    "malformed intent comment",
                    repr(text),
                    "'# intent = NAME' with a name without white space",
                )
            mm = _META.match(text)
            if mm:
                meta[mm.group(1)] = mm.group(2)
            continue
        fields = text.split("\t") if "\t" in text else text.split(" ")
        if len(fields) != 2 or not fields[0] or not fields[1]:
            raise CorpusFormatError(
                path,
                number,
                "wrong column count",
                f"{len(fields)} field(s) ({text!r})",
                "token<TAB>tag (two fields)",
            )
        if first is None:
            first = number
        tokens.append(fields[0])
        tags.append(fields[1])
    flush(-1)
    if not out:
        raise CorpusFormatError(
            path,
            None,
            "no utterance",
            "no token line",
            "'# intent = NAME' then token<TAB>tag lines",
        )
    return out


def intents_of(sentences: Sequence, what: str = "training") -> list[str]:
    """The ``meta["intent"]`` of every sentence (a :func:`read_intent_conll` result)."""
    out = []
    for i, s in enumerate(sentences):
        meta = getattr(s, "meta", None) or {}
        if "intent" not in meta:
            where = f"{s.source}:{s.line}" if getattr(s, "source", None) else f"utterance {i}"
            raise ValueError(
                f"{what} {where}: no intent; give intents= (one per utterance) or sentences "
                "read by crftagger.slots.read_intent_conll"
            )
        out.append(meta["intent"])
    return out


def read_user_file(path, intents_path=None) -> tuple[list[Sentence], list[str]]:
    """A user's utterances with intents: an intent-comment file, or (with ``intents_path``) a
    token<TAB>tag file whose intents are in a separate one-per-line file."""
    if intents_path is None:
        sentences = read_intent_conll(path)
        return sentences, intents_of(sentences)
    from crftagger.corpora import read_conll

    sentences = list(read_conll(path, ("word", "tag")))
    return sentences, align(sentences, read_intents(intents_path), intents_path, path)
