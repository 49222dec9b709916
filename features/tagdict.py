"""Tag dictionaries: the labels a word carries in the training data, as token values.

A :class:`TagDictionary` counts, for every word of the labelled training
sentences (lower-cased unless ``lowercase=False``), how often it carries each
label. Extractors of kind ``tagdict`` turn it into token values:

``form="class"``
    the word's ambiguity class, the sorted set of its labels joined by ``|``
    (``"ADJ|NOUN"``); :data:`UNKNOWN` for a word the table does not hold.
``form="rare"``
    for a word seen at most ``rare`` times (or never), its class joined to its
    last ``suffix`` characters (``"NOUN~ing"``, ``"_UNK~ing"``); :data:`FREQUENT`
    for the other words.

The table is learned from the training labels, so a training word would
always look known, and known with every label it can take, while a word at
tagging time may be new or rarer: a model trained on such values over-trusts
them. At training time every sentence therefore gets its values from the
table of the *other* folds (cross-validation: ``folds`` groups of documents,
each a run of sentences with the same ``doc_id``, or of single sentences
where there is none), exactly as a tagging-time sentence sees a table that
never held it. At tagging time the values come from the whole table, which a
saved model carries (:class:`~crftagger.tagger.Tagger`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

UNKNOWN = "_UNK"
FREQUENT = "_F"
FORMS = ("class", "rare")
#: Column name prefix under which the extractor passes the values on.
PREFIX = "tagdict:"


class TagDictionaryError(ValueError):
    """A malformed tag-dictionary table or definition."""


class TagDictionary:
    """Label counts per word: ``{word: {label: count}}`` (see the module docstring)."""

    def __init__(self, counts: dict[str, Counter], lowercase: bool = True):
        self.counts = counts
        self.lowercase = bool(lowercase)

    @classmethod
    def learn(cls, tokens: Sequence[Sequence[str]], labels: Sequence[Sequence[str]],
              lowercase: bool = True) -> TagDictionary:
        """The table of labelled sentences (``tokens[i][t]`` carries ``labels[i][t]``)."""
        counts: dict[str, Counter] = {}
        for i, (toks, labs) in enumerate(zip(tokens, labels, strict=True)):
            if len(toks) != len(labs):
                raise TagDictionaryError(f"sentence {i}: {len(toks)} tokens but {len(labs)} labels")
            for w, t in zip(toks, labs, strict=True):
                key = w.lower() if lowercase else w
                c = counts.get(key)
                if c is None:
                    c = counts[key] = Counter()
                c[t] += 1
        return cls(counts, lowercase)

    def __len__(self) -> int:
        return len(self.counts)

    def key(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    @staticmethod
    def value(counts: Counter | None, word: str, form: str, rare: int, suffix: int) -> str:
        """The value of ``word`` whose label counts are ``counts`` (None: unknown)."""
        cls = UNKNOWN if not counts else "|".join(sorted(counts))
        if form == "class":
            return cls
        n = 0 if not counts else sum(counts.values())
        if n > rare:
            return FREQUENT
        return f"{cls}~{word[-suffix:] if suffix > 0 else ''}"

    def values(self, tokens: Sequence[str], form: str, rare: int = 5, suffix: int = 3) -> list[str]:
        """Values of ``tokens`` from the whole table."""
        get = self.counts.get
        return [self.value(get(self.key(w)), w, form, rare, suffix) for w in tokens]

    # ------------------------------------------------------------------ storage
    def to_blocks(self) -> tuple[list[str], list[str]]:
        """``(words, entries)``: entry ``i`` is ``"LABEL COUNT LABEL COUNT ..."`` of word ``i`` (sorted)."""
        words = sorted(self.counts)
        entries = [" ".join(f"{t} {n}" for t, n in sorted(self.counts[w].items())) for w in words]
        return words, entries

    @classmethod
    def from_blocks(cls, words: Sequence[str], entries: Sequence[str], lowercase: bool,
                    where: str = "tag dictionary") -> TagDictionary:
        if len(words) != len(entries):
            raise TagDictionaryError(f"{where}: {len(words)} words but {len(entries)} entries")
        counts: dict[str, Counter] = {}
        for i, (w, e) in enumerate(zip(words, entries, strict=True)):
            parts = e.split(" ")
            if not e or len(parts) % 2:
                raise TagDictionaryError(f"{where}: entry {i} ({w!r}) is {e!r}; expected 'LABEL COUNT ...' pairs")
            c = Counter()
            for t, n in zip(parts[::2], parts[1::2], strict=True):
                if not n.isdigit() or int(n) < 1:
                    raise TagDictionaryError(f"{where}: entry {i} ({w!r}): count {n!r} of {t!r} is not a "
                                             "positive integer")
                c[t] = int(n)
            if w in counts:
                raise TagDictionaryError(f"{where}: word {w!r} is listed twice")
            counts[w] = c
        return cls(counts, lowercase)

    def fingerprint(self) -> str:
        """sha256 of the table's content."""
        h = hashlib.sha256(b"lower" if self.lowercase else b"cased")
        for w, e in zip(*self.to_blocks(), strict=True):
            h.update(w.encode("utf-8") + b"\0" + e.encode("utf-8") + b"\n")
        return h.hexdigest()


def folds_of(doc_ids: Sequence[str | None], folds: int) -> list[int]:
    """Fold of every sentence: runs of one ``doc_id`` stay together, in turn over ``folds``."""
    out = []
    group = -1
    prev = object()
    for d in doc_ids:
        if d is None or d != prev:
            group += 1
        prev = d
        out.append(group % folds)
    return out


def cross_validated(tokens: Sequence[Sequence[str]], labels: Sequence[Sequence[str]],
                    doc_ids: Sequence[str | None], specs: dict[str, dict], lowercase: bool,
                    folds: int) -> tuple[TagDictionary, dict[str, list[list[str]]]]:
    """The whole table and, per extractor of ``specs``, every training sentence's values.

    A sentence's values come from the counts of the sentences outside its
    fold (:func:`folds_of`).
    """
    if folds < 2:
        raise TagDictionaryError(f"tag dictionary: folds={folds}; expected at least 2")
    full = TagDictionary.learn(tokens, labels, lowercase)
    fold = folds_of(doc_ids, folds)
    own: list[dict[str, Counter]] = [{} for _ in range(folds)]
    for f, toks, labs in zip(fold, tokens, labels, strict=True):
        d = own[f]
        for w, t in zip(toks, labs, strict=True):
            k = full.key(w)
            c = d.get(k)
            if c is None:
                c = d[k] = Counter()
            c[t] += 1
    out: dict[str, list[list[str]]] = {name: [] for name in specs}
    for f, toks in zip(fold, tokens, strict=True):
        mine = own[f]
        rest = []
        for w in toks:
            k = full.key(w)
            c = full.counts[k] - mine.get(k, Counter())
            rest.append(+c)
        for name, d in specs.items():
            out[name].append([TagDictionary.value(c, w, d["form"], d["rare"], d["suffix"])
                              for c, w in zip(rest, toks, strict=True)])
    return full, out


def settings(d: dict) -> dict:
    """The definition ``d`` of a ``tagdict`` extractor with defaults filled in."""
    out = {"kind": "tagdict", "form": d.get("form", "class"), "lowercase": bool(d.get("lowercase", True)),
           "folds": d.get("folds", 10), "rare": d.get("rare", 5), "suffix": d.get("suffix", 3)}
    return out


def check(name: str, d: dict) -> None:
    """Raise :class:`TagDictionaryError` unless ``d`` is a valid ``tagdict`` definition."""
    s = settings(d)
    if s["form"] not in FORMS:
        raise TagDictionaryError(f"extractor {name!r}: tag-dictionary form {s['form']!r}; expected one of {FORMS}")
    for k, lo in (("folds", 2), ("rare", 0), ("suffix", 0)):
        v = s[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise TagDictionaryError(f"extractor {name!r}: {k}={v!r}; expected an integer >= {lo}")
