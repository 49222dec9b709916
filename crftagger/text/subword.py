"""Align word labels with the pieces of a subword tokenizer, and subword predictions with words.

A neural tagger reads subwords (WordPiece, BPE, SentencePiece pieces) and
predicts one label per subword; crftagger's corpora and metrics are per word.
This module maps between the two, so that a subword tagger's output can be
scored with :func:`crftagger.metrics.span_scores` on the very words crftagger
is scored on, and word-level gold labels can be turned into subword training
labels.

The alignment is a list of *word ids*, one per subword: the index of the word
the subword belongs to, or ``None`` for a special token (``[CLS]``,
``[SEP]``, padding) and any piece that covers no character of a word. It is
what Hugging Face's ``Encoding.word_ids`` gives for pre-tokenised input
(``is_split_into_words=True`` / ``is_pretokenized=True``). For raw text,
:func:`word_ids_from_offsets` builds it from the subwords' character offsets
and the words' character offsets (crftagger's tokenisers give those), and
:func:`encoding_word_ids` does either straight from a ``tokenizers.Encoding``
(the optional extra ``pip install crftagger[subword]``; this module imports
without it). Word ids must name every word ``0 .. n-1`` in order, each word's
subwords side by side.

Words to subwords (:func:`word_to_subword_labels`)
--------------------------------------------------
``"first"``
    The first subword of each word gets the word's label, the other subwords
    get the ignore value.
``"every"``
    Every subword gets a label. Without a scheme, the word's label is copied
    to all its subwords (right for part-of-speech tags). With a span scheme
    the word spans are carried over to the subwords and written again with
    the scheme's rules, so that the subwords hold exactly the same spans: in
    IOB2 a ``B-X`` word gives ``B-X I-X I-X``; in BIOES a ``S-X`` word gives
    ``B-X I-X E-X``, a ``B-X`` word ``B-X I-X``, an ``E-X`` word ``I-X E-X``,
    an ``I-X`` word ``I-X I-X`` (BILOU likewise with ``L``/``U``; IOB1, IOE1
    and IOE2 by their own rules).

Special tokens always get the ignore value: ``-100`` (:data:`IGNORE_INDEX`,
the value PyTorch's cross-entropy skips) when labels are turned into ids
through ``label2id``, else ``None``; pass ``ignore=`` for another value.

Subwords to words
-----------------
:func:`subword_to_word_labels` reads one label per subword (strings, or ids
with ``id2label``), :func:`probabilities_to_word_labels` a ``[subwords,
labels]`` array of probabilities. Subwords with word id ``None`` and labels
equal to the ignore value are skipped. Strategies:

``"first"``
    the label of the word's first (labelled) subword;
``"majority"``
    the most frequent label among the word's subwords, ties going to the one
    seen first;
``"mean"`` (probabilities only)
    the argmax of the mean of the word's probability vectors (ties going to
    the first column).

Without a scheme labels are opaque strings and the definitions above are
applied as they stand. With a span scheme, ``"majority"`` votes on the
entity *type* (``O`` counting as one), because a word labelled ``B-X`` has
mostly ``I-X`` subwords under ``"every"``, and ``"mean"`` takes the type of
its argmax label. The word's prefix is then rebuilt from the subwords of the
winning type (for ``"mean"``, those whose own argmax has that type): it
begins as the first of them begins and ends as the last of them ends
(``B-X I-X E-X`` gives ``S-X``, ``B-X I-X I-X`` in IOB2 gives ``B-X``); when
no subword's argmax has the type, the argmax label is kept. ``"first"`` keeps
the first subword's tag as it is.

The word tags are then made valid for the scheme with
:func:`crftagger.schemes.convert` under the ``repair`` policy: ``"begin"``
(default; an orphan continuation opens a span, a span that is not closed
ends where its type stops, as conlleval reads them), ``"outside"`` (such tags
become ``O``), ``"error"`` (raise) or ``None`` (leave the tags as they are).
So with the default, a BIOES ``"every"`` labelling read back with
``"first"`` (``B-X`` from an ``S-X`` word) gives the original word tags
again. For IOE1 and IOE2, where a span's end is marked on its last subword,
read ``"every"`` labellings back with ``"majority"`` or ``"mean"``.

Every function raises :class:`SubwordAlignmentError` (a ``ValueError``) on
input that does not line up, naming what it found and what it expected, and
:class:`crftagger.errors.SchemeError` on tags the scheme does not allow.

>>> word_ids = [None, 0, 0, 1, None]  # [CLS] Jo ##hn runs [SEP]
>>> word_to_subword_labels(["B-PER", "O"], word_ids, "every", scheme="iob2")
[None, 'B-PER', 'I-PER', 'O', None]
>>> subword_to_word_labels([None, "B-PER", "I-PER", "O", None], word_ids, "majority", scheme="iob2")
['B-PER', 'O']
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from crftagger.errors import CrftaggerError
from crftagger.schemes import (
    OUTSIDE,
    REPAIRS,
    Scheme,
    SchemeError,
    Span,
    convert,
    decode,
    get_scheme,
    split_tag,
    tags_from_spans,
    validate,
)

__all__ = [
    "IGNORE_INDEX",
    "TO_SUBWORDS",
    "TO_WORDS",
    "MissingTokenizersError",
    "SubwordAlignmentError",
    "check_word_ids",
    "encoding_word_ids",
    "probabilities_to_word_labels",
    "subword_to_word_labels",
    "word_ids_from_offsets",
    "word_to_subword_labels",
]

#: The ignore value for label ids (PyTorch's ``CrossEntropyLoss(ignore_index=-100)``).
IGNORE_INDEX = -100

#: Strategies of :func:`word_to_subword_labels`.
TO_SUBWORDS = ("first", "every")

#: Strategies of :func:`subword_to_word_labels` (``"mean"`` needs probabilities).
TO_WORDS = ("first", "majority", "mean")

_DEFAULT: Any = object()  # "ignore value not given"

WordIds = list[int | None]


class SubwordAlignmentError(CrftaggerError, ValueError):
    """Word ids, offsets, labels or probabilities that do not line up."""


class MissingTokenizersError(CrftaggerError, ImportError):
    """A helper needs the optional ``tokenizers`` package (``pip install crftagger[subword]``)."""


# --------------------------------------------------------------------------- word ids


def _as_word_id(value: Any, position: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise SubwordAlignmentError(
            f"word_ids[{position}]: found {value!r}; expected a word index >= 0 or None "
            "(special token)"
        )
    return int(value)


def check_word_ids(
    word_ids: Sequence[int | None],
    n_words: int | None = None,
    *,
    what: str = "words",
    describe: Callable[[int], str] | None = None,
) -> int:
    """Check an alignment and return the number of words it names.

    Word ids must run ``0, 1, ..., n - 1`` in order, each word's subwords
    side by side (``None``, special tokens, may stand anywhere else). With
    ``n_words``, the alignment must name exactly that many words (``what`` is
    the name of the thing counted in the message, ``describe(w)`` an optional
    description of word ``w``).

    >>> check_word_ids([None, 0, 0, 1, None])
    2
    >>> check_word_ids([None, 0, 2, None])
    Traceback (most recent call last):
    ...
    crftagger.text.subword.SubwordAlignmentError: word_ids[2]: word id jumps from 0 to 2, so word 1 has no subword; expected 0 or 1
    """

    def name(w: int) -> str:
        return f"word {w}" + (f" ({describe(w)})" if describe is not None else "")

    prev: int | None = None  # last word id seen
    prev_pos = -1
    for p, raw in enumerate(word_ids):
        w = _as_word_id(raw, p)
        if w is None:
            continue
        if prev is None:
            if w != 0:
                raise SubwordAlignmentError(
                    f"word_ids[{p}]: the first word id is {w}, so "
                    f"{name(0)} has no subword; expected 0"
                )
        elif w == prev:
            if prev_pos != p - 1:
                raise SubwordAlignmentError(
                    f"word_ids[{p}]: word {w} resumes after a special token at "
                    f"position {p - 1}; expected each word's subwords side by side"
                )
        elif w < prev:
            raise SubwordAlignmentError(
                f"word_ids[{p}]: found word id {w} after word id {prev}; expected {prev} or "
                f"{prev + 1} (words in order; for a pair of sequences, whose word ids start "
                "again at 0, align each sequence on its own)"
            )
        elif w > prev + 1:
            missing = name(prev + 1) if w == prev + 2 else f"words {prev + 1}..{w - 1}"
            raise SubwordAlignmentError(
                f"word_ids[{p}]: word id jumps from {prev} to {w}, so {missing} "
                f"{'has' if w == prev + 2 else 'have'} no subword; expected {prev} or {prev + 1}"
            )
        prev, prev_pos = w, p
    found = 0 if prev is None else prev + 1
    if n_words is not None and found != n_words:
        if found < n_words:
            detail = (
                f"{name(found)} and any after it have no subword (a truncated encoding?)"
                if found < n_words - 1
                else f"{name(found)} has no subword (a truncated encoding?)"
            )
        else:
            detail = f"there are word ids up to {found - 1}"
        raise SubwordAlignmentError(
            f"found {n_words} {what} but the word ids name {found} words; {detail}; "
            f"expected word ids 0..{n_words - 1}"
        )
    return found


def _word_ids(word_ids: Sequence[int | None]) -> WordIds:
    if isinstance(word_ids, str | bytes) or callable(word_ids):
        raise SubwordAlignmentError(
            f"word_ids: found {type(word_ids).__name__}; expected a list of word indices and "
            "None (for a transformers BatchEncoding, call batch.word_ids(i))"
        )
    return [_as_word_id(w, p) for p, w in enumerate(word_ids)]


def _pair(value: Any, what: str, k: int) -> tuple[int, int]:
    try:
        a, b = value
        if isinstance(a, bool) or isinstance(b, bool):
            raise TypeError
        a, b = int(a), int(b)
    except (TypeError, ValueError):
        raise SubwordAlignmentError(
            f"{what}[{k}]: found {value!r}; expected a pair (start, end) of character offsets"
        ) from None
    if a < 0 or b < a:
        raise SubwordAlignmentError(f"{what}[{k}]: found ({a}, {b}); expected 0 <= start <= end")
    return a, b


def word_ids_from_offsets(
    subword_offsets: Sequence[tuple[int, int]],
    word_offsets: Sequence[tuple[int, int]],
    special_tokens_mask: Sequence[int] | None = None,
) -> WordIds:
    """Word ids of subwords from character offsets into the same text.

    A subword belongs to the word whose characters it overlaps. Subwords
    flagged in ``special_tokens_mask`` get ``None``, and so do subwords that
    cover no character of any word (a piece of white space). A subword with
    empty offsets (``start == end``) gets ``None`` too, unless a
    ``special_tokens_mask`` says it is not special: then it belongs to the
    word at its position (byte-level BPE's lone ``Ġ`` piece, whose offsets
    are trimmed to nothing). Raises :class:`SubwordAlignmentError` when a
    subword overlaps two words (the subword tokenizer cuts the text
    differently from the words), when word offsets overlap or are out of
    order, and when a word gets no subword.

    >>> word_ids_from_offsets([(0, 0), (0, 2), (2, 4), (5, 9), (0, 0)],
    ...                       [(0, 4), (5, 9)], [1, 0, 0, 0, 1])
    [None, 0, 0, 1, None]
    """
    subs = [_pair(o, "subword_offsets", k) for k, o in enumerate(subword_offsets)]
    words = [_pair(o, "word_offsets", k) for k, o in enumerate(word_offsets)]
    for k, (a, b) in enumerate(words):
        if a == b:
            raise SubwordAlignmentError(
                f"word_offsets[{k}]: found the empty word ({a}, {b}); expected start < end"
            )
        if k and a < words[k - 1][1]:
            raise SubwordAlignmentError(
                f"word_offsets[{k}]: found ({a}, {b}) starting before the previous word "
                f"{words[k - 1]} ends; expected words in order, not overlapping"
            )
    if special_tokens_mask is not None and len(special_tokens_mask) != len(subs):
        raise SubwordAlignmentError(
            f"found {len(special_tokens_mask)} special-token flags for {len(subs)} subwords; "
            "expected one flag per subword"
        )
    starts = [a for a, _ in words]
    out: WordIds = []
    for p, (a, b) in enumerate(subs):
        if special_tokens_mask is not None and special_tokens_mask[p]:
            out.append(None)
            continue
        if a == b:
            k = bisect.bisect_right(starts, a) - 1
            inside = special_tokens_mask is not None and k >= 0 and a < words[k][1]
            out.append(k if inside else None)
            continue
        # words k with start < b and a < end
        hi = bisect.bisect_left(starts, b)
        lo = hi
        while lo > 0 and words[lo - 1][1] > a:
            lo -= 1
        if hi - lo > 1:
            raise SubwordAlignmentError(
                f"subword {p} (characters {a}-{b}) overlaps word {lo} {words[lo]} and word "
                f"{lo + 1} {words[lo + 1]}; expected each subword inside one word (the subword "
                "tokenizer cuts the text differently from the words)"
            )
        out.append(lo if hi > lo else None)
    check_word_ids(
        out,
        len(words),
        what="words",
        describe=lambda w: f"characters {words[w][0]}-{words[w][1]}",
    )
    return out


def _import_tokenizers():
    try:
        import tokenizers
    except ImportError:
        raise MissingTokenizersError(
            "this helper needs the 'tokenizers' package, which is not installed; "
            "install it with: pip install 'crftagger[subword]'"
        ) from None
    return tokenizers


def encoding_word_ids(
    encoding: Any,
    word_offsets: Sequence[tuple[int, int]] | None = None,
    *,
    sequence: int | None = None,
) -> WordIds:
    """Word ids of a ``tokenizers.Encoding``, checked.

    Without ``word_offsets`` they are ``encoding.word_ids`` (right for
    pre-tokenised input, ``is_pretokenized=True``; for raw text they are the
    pre-tokenizer's words, not yours). With ``word_offsets`` (the character
    offsets of your words in the encoded text) they come from
    ``encoding.offsets`` through :func:`word_ids_from_offsets`. An encoding
    of a pair of sequences needs ``sequence`` (0 or 1): the subwords of the
    other sequence get ``None``, and ``word_offsets`` are offsets into the
    chosen sequence's text. A transformers ``BatchEncoding`` of a fast
    tokenizer holds these encodings in ``batch.encodings``.

    Needs the ``tokenizers`` package (``pip install crftagger[subword]``).
    """
    tokenizers = _import_tokenizers()
    if not isinstance(encoding, tokenizers.Encoding):
        hint = (
            "; for a transformers BatchEncoding pass batch.encodings[i]"
            if hasattr(encoding, "encodings")
            else ""
        )
        raise SubwordAlignmentError(
            f"expected a tokenizers.Encoding, found {type(encoding).__name__}{hint}"
        )
    seq_ids = list(encoding.sequence_ids)
    present = sorted({s for s in seq_ids if s is not None})
    if sequence is None:
        if len(present) > 1:
            raise SubwordAlignmentError(
                f"the encoding holds {len(present)} sequences (sequence ids {present}); "
                "expected one, or pass sequence= to choose one"
            )
    elif sequence not in present:
        raise SubwordAlignmentError(
            f"sequence={sequence!r}: the encoding holds sequence ids {present}; expected one of them"
        )
    keep = [sequence is None or s == sequence for s in seq_ids]
    if word_offsets is None:
        ids = [w if k else None for w, k in zip(encoding.word_ids, keep, strict=True)]
        check_word_ids(ids)
        return _word_ids(ids)
    mask = [int(bool(m) or not k) for m, k in zip(encoding.special_tokens_mask, keep, strict=True)]
    return word_ids_from_offsets(encoding.offsets, word_offsets, mask)


# --------------------------------------------------------------------------- words to subwords


def _check_strategy(strategy: str, allowed: Sequence[str], where: str) -> None:
    if strategy not in allowed:
        raise SubwordAlignmentError(
            f"{where}: unknown strategy {strategy!r}; expected one of {', '.join(allowed)}"
        )


def word_to_subword_labels(
    labels: Sequence[str],
    word_ids: Sequence[int | None],
    strategy: str = "first",
    *,
    scheme: str | Scheme | None = None,
    label2id: Mapping[str, int] | None = None,
    ignore: Any = _DEFAULT,
) -> list[Any]:
    """Labels of the subwords from the labels of the words.

    Parameters
    ----------
    labels
        One label per word.
    word_ids
        One word index per subword, ``None`` for special tokens
        (:func:`check_word_ids` rules).
    strategy
        ``"first"`` or ``"every"`` (module docstring).
    scheme
        The span scheme of ``labels`` (``"iob2"``/``"bio"``, ``"bioes"``/
        ``"iobes"``, ...). The labels are checked against it; with ``"every"``
        spans are rewritten over the subwords. ``None``: labels are opaque.
    label2id
        When given, the result holds label ids instead of labels.
    ignore
        The value of special tokens (and of non-first subwords under
        ``"first"``); default ``-100`` with ``label2id``, else ``None``.

    Returns
    -------
    list
        One label (or id, or ``ignore``) per subword.
    """
    _check_strategy(strategy, TO_SUBWORDS, "word_to_subword_labels")
    if isinstance(labels, str):
        raise SubwordAlignmentError("labels: found a string; expected a list of word labels")
    labels = list(labels)
    ids = _word_ids(word_ids)
    check_word_ids(ids, len(labels), what="word labels")
    if ignore is _DEFAULT:
        ignore = IGNORE_INDEX if label2id is not None else None
    sch = None if scheme is None else get_scheme(scheme)
    if sch is not None:
        validate(labels, sch)

    subword_tags: list[Any] = [None] * len(ids)
    positions = [p for p, w in enumerate(ids) if w is not None]
    if strategy == "every" and sch is not None:
        # carry every word span over to the subwords and write it with the scheme's rules
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for c, p in enumerate(positions):
            w = ids[p]
            assert w is not None
            first.setdefault(w, c)
            last[w] = c + 1
        spans = [Span(s.type, first[s.start], last[s.end - 1]) for s in decode(labels, sch)]
        compact = tags_from_spans(spans, len(positions), sch)
        for c, p in enumerate(positions):
            subword_tags[p] = compact[c]
        keep = [w is not None for w in ids]
    else:
        seen: set[int] = set()
        keep = []
        for p, w in enumerate(ids):
            labelled = w is not None and (strategy == "every" or w not in seen)
            keep.append(labelled)
            if w is not None:
                seen.add(w)
                subword_tags[p] = labels[w]
    out: list[Any] = []
    for p, tag in enumerate(subword_tags):
        if not keep[p]:
            out.append(ignore)
        elif label2id is None:
            out.append(tag)
        else:
            try:
                out.append(label2id[tag])
            except KeyError:
                w = ids[p]
                assert w is not None
                raise SubwordAlignmentError(
                    f"subword {p} (word {w}, labelled {labels[w]!r}): label {tag!r} is not in "
                    f"label2id; expected one of {', '.join(map(repr, label2id))}"
                ) from None
    return out


# --------------------------------------------------------------------------- subwords to words


def _groups(ids: WordIds) -> list[list[int]]:
    """Subword positions of each word."""
    n = check_word_ids(ids)
    groups: list[list[int]] = [[] for _ in range(n)]
    for p, w in enumerate(ids):
        if w is not None:
            groups[w].append(p)
    return groups


def _parse_tag(tag: Any, sch: Scheme, where: str) -> str | None:
    """The type of a tag of ``sch`` (``None`` for ``O``); raise on a tag it does not allow."""
    if tag == OUTSIDE:
        return None
    if isinstance(tag, str):
        prefix, typ = split_tag(tag)
        if typ and prefix in sch.roles:
            return typ
    allowed = ", ".join(f"{p}-TYPE" for p in sch.roles)
    raise SchemeError(
        f"{where}: found {tag!r}; {sch.name} expects O or {allowed}",
        found=repr(tag),
        expected=["O"] + [f"{p}-TYPE" for p in sch.roles],
        scheme=sch.name,
    )


def _lift(sch: Scheme, first_tag: str, last_tag: str) -> str:
    """The word tag that begins as ``first_tag`` begins and ends as ``last_tag`` ends."""
    pf, typ = split_tag(first_tag)
    rf, rl = sch.roles[pf], sch.roles[split_tag(last_tag)[0]]
    want = (rf.begins, rf.after_same, rl.ends, rl.before_same)
    for prefix, role in sch.roles.items():
        if (role.begins, role.after_same, role.ends, role.before_same) == want:
            return f"{prefix}-{typ}"
    return first_tag  # every built-in scheme has the combination; kept for custom schemes


def _most_frequent(items: Sequence[Any]) -> Any:
    """The most frequent item, ties going to the one seen first."""
    counts: dict[Any, int] = {}
    for x in items:
        counts[x] = counts.get(x, 0) + 1
    best = max(counts.values())
    return next(x for x in items if counts[x] == best)


def _vote(
    tags: list[Any], types: list[str | None] | None, strategy: str, sch: Scheme | None
) -> Any:
    """One word's tag from its subwords' tags (``types`` given with a scheme)."""
    if strategy == "first" or len(tags) == 1:
        return tags[0]
    if types is None:
        return _most_frequent(tags)
    typ = _most_frequent(types)
    if typ is None:
        return OUTSIDE
    assert sch is not None  # types come with a scheme
    mine = [t for t, ty in zip(tags, types, strict=True) if ty == typ]
    return _lift(sch, mine[0], mine[-1])


def _check_repair(repair: str | None) -> None:
    if repair is not None and repair not in REPAIRS:
        raise SubwordAlignmentError(
            f"unknown repair policy {repair!r}; expected one of {', '.join(REPAIRS)} or None"
        )


def _finish(tags: list[Any], sch: Scheme | None, repair: str | None) -> list[Any]:
    if sch is None or repair is None:
        return tags
    return convert(tags, sch, sch, repair=repair)


def subword_to_word_labels(
    subword_labels: Sequence[Any],
    word_ids: Sequence[int | None],
    strategy: str = "first",
    *,
    scheme: str | Scheme | None = None,
    id2label: Mapping[int, str] | Sequence[str] | None = None,
    ignore: Any = _DEFAULT,
    repair: str | None = "begin",
) -> list[Any]:
    """Labels of the words from the labels (or label ids) of their subwords.

    Parameters
    ----------
    subword_labels
        One label per subword (a model's argmax, or gold subword labels).
        Labels of special tokens (word id ``None``) are not read.
    word_ids
        One word index per subword, ``None`` for special tokens.
    strategy
        ``"first"`` or ``"majority"`` (module docstring); ``"mean"`` needs
        probabilities: :func:`probabilities_to_word_labels`.
    scheme
        The span scheme of the labels, or ``None`` for opaque labels.
    id2label
        Turns label ids into labels (a mapping, or a list indexed by id).
    ignore
        Subword labels equal to it are skipped (default ``-100`` with
        ``id2label``, else ``None``); a word must keep at least one label.
    repair
        With a scheme: ``"begin"``, ``"outside"``, ``"error"`` or ``None``
        (module docstring).

    Returns
    -------
    list
        One label per word.
    """
    if strategy == "mean":
        raise SubwordAlignmentError(
            "subword_to_word_labels: strategy 'mean' needs per-subword probabilities; "
            "expected probabilities_to_word_labels(probabilities, labels, word_ids)"
        )
    _check_strategy(strategy, TO_WORDS[:2], "subword_to_word_labels")
    _check_repair(repair)
    ids = _word_ids(word_ids)
    if isinstance(subword_labels, str):
        raise SubwordAlignmentError("subword_labels: found a string; expected a list of labels")
    subword_labels = list(subword_labels)
    if len(subword_labels) != len(ids):
        raise SubwordAlignmentError(
            f"found {len(subword_labels)} subword labels for {len(ids)} word ids; "
            "expected one label per subword"
        )
    if ignore is _DEFAULT:
        ignore = IGNORE_INDEX if id2label is not None else None
    sch = None if scheme is None else get_scheme(scheme)
    out: list[Any] = []
    for w, positions in enumerate(_groups(ids)):
        tags, kept = [], []
        for p in positions:
            lab = subword_labels[p]
            if _is(lab, ignore):
                continue
            if id2label is not None:
                lab = _lookup(id2label, lab, p)
            tags.append(lab)
            kept.append(p)
        if not tags:
            raise SubwordAlignmentError(
                f"word {w} (subwords {positions[0]}..{positions[-1]}) has no label: every one of "
                f"its subwords holds the ignore value {ignore!r}; expected at least one label"
            )
        types = None
        if sch is not None:
            types = [
                _parse_tag(t, sch, f"subword {p} of word {w}")
                for t, p in zip(tags, kept, strict=True)
            ]
        out.append(_vote(tags, types, strategy, sch))
    return _finish(out, sch, repair)


def _is(label: Any, ignore: Any) -> bool:
    if ignore is None:
        return label is None
    try:
        return bool(label == ignore)
    except (TypeError, ValueError):
        return False


def _lookup(id2label: Mapping[int, str] | Sequence[str], lab: Any, p: int) -> str:
    try:
        if isinstance(lab, bool) or not isinstance(lab, int | np.integer):
            raise TypeError
        if not isinstance(id2label, Mapping) and lab < 0:
            raise IndexError
        return id2label[int(lab)]
    except (TypeError, KeyError, IndexError):
        n = len(id2label)
        raise SubwordAlignmentError(
            f"subword {p}: found label id {lab!r}, which id2label does not know; expected "
            + (
                f"one of {', '.join(map(repr, id2label))}"
                if isinstance(id2label, Mapping)
                else f"an integer in 0..{n - 1}"
            )
        ) from None


def probabilities_to_word_labels(
    probabilities: Any,
    labels: Sequence[str],
    word_ids: Sequence[int | None],
    strategy: str = "mean",
    *,
    scheme: str | Scheme | None = None,
    repair: str | None = "begin",
) -> list[str]:
    """Labels of the words from per-subword probability vectors.

    Parameters
    ----------
    probabilities
        ``float[S, L]``: row ``s`` is subword ``s``, column ``l`` is
        ``labels[l]`` (probabilities, or any finite scores whose mean makes
        sense). Rows of special tokens are not read.
    labels
        The ``L`` labels of the columns, each once.
    word_ids
        ``S`` word indices, ``None`` for special tokens.
    strategy
        ``"mean"`` (argmax of the word's mean row), ``"first"`` or
        ``"majority"`` (over each row's argmax); module docstring.
    scheme, repair
        As for :func:`subword_to_word_labels`.
    """
    _check_strategy(strategy, TO_WORDS, "probabilities_to_word_labels")
    _check_repair(repair)
    ids = _word_ids(word_ids)
    labels = list(labels)
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 2 or probs.shape != (len(ids), len(labels)):
        raise SubwordAlignmentError(
            f"probabilities: found shape {probs.shape}; expected ({len(ids)}, {len(labels)}) "
            "(one row per subword, one column per label)"
        )
    if not np.isfinite(probs).all():
        r, c = np.argwhere(~np.isfinite(probs))[0]
        raise SubwordAlignmentError(
            f"probabilities[{r}, {c}]: found {probs[r, c]}; expected finite values"
        )
    if not labels:
        raise SubwordAlignmentError("labels: found none; expected the label of each column")
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise SubwordAlignmentError(f"labels: found {dup!r} twice; expected each label once")
    sch = None if scheme is None else get_scheme(scheme)
    col_types: list[str | None] | None = None
    if sch is not None:
        col_types = [_parse_tag(t, sch, f"labels[{k}]") for k, t in enumerate(labels)]
    argmax = probs.argmax(axis=1)
    out: list[str] = []
    for positions in _groups(ids):
        tags = [labels[int(argmax[p])] for p in positions]
        types = None if col_types is None else [col_types[int(argmax[p])] for p in positions]
        if strategy != "mean":
            out.append(_vote(tags, types, strategy, sch))
            continue
        mean = probs[positions].mean(axis=0)
        best = labels[int(mean.argmax())]  # ties: the first column
        if col_types is None or col_types[int(mean.argmax())] is None:
            out.append(best)
            continue
        assert types is not None
        typ = col_types[int(mean.argmax())]
        mine = [t for t, ty in zip(tags, types, strict=True) if ty == typ]
        # the prefix from the subwords whose own argmax has the winning type, if any
        assert sch is not None
        out.append(_lift(sch, mine[0], mine[-1]) if mine else best)
    return _finish(out, sch, repair)
