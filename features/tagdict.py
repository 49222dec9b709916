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
``form="span"``
    a dictionary of the phrases that are labelled spans in the training data
    (read from ``B-``/``I-``/``E-``/``S-`` labels with conlleval's rules, so any
    span scheme works), matched in each sentence longest first, left to right:
    ``"B-TYPE"`` on the first token of a match and ``"I-TYPE"`` on the others,
    where TYPE is the span type the phrase carries most often (ties: the first
    by name); :data:`NO_SPAN` elsewhere. A slot-filling corpus names the same
    restaurants, dishes and cities again and again; this gives the model the
    phrase as a unit ("olive garden", "new york") where the word features see
    single words.

The table is learned from the training labels, so a training word (or
phrase) would always look known, and known with every label it can take, while a word at
tagging time may be new or rarer: a model trained on such values over-trusts
them. At training time every sentence therefore gets its values from the
table of the *other* folds (cross-validation: ``folds`` groups of documents,
each a run of sentences with the same ``doc_id``, or of single sentences
where there is none), exactly as a tagging-time sentence sees a table that
never held it. At tagging time the values come from the whole table, which a
saved model carries (:class:`~crftagger.api.tagger.Tagger`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

from crftagger.errors import TagDictionaryError

UNKNOWN = "_UNK"
FREQUENT = "_F"
#: The ``span`` form's value of a token outside every dictionary phrase.
NO_SPAN = "O"
FORMS = ("class", "rare", "span")
#: Column name prefix under which the extractor passes the values on.
PREFIX = "tagdict:"


class TagDictionary:
    """Label counts per word: ``{word: {label: count}}``, and for the ``span``
    form span-type counts per phrase: ``{(word, ...): {type: count}}`` (see the
    module docstring)."""

    def __init__(
        self,
        counts: dict[str, Counter],
        lowercase: bool = True,
        spans: dict[tuple[str, ...], Counter] | None = None,
    ):
        self.counts = counts
        self.lowercase = bool(lowercase)
        self.spans = spans
        self._starts: dict[str, int] | None = None

    @classmethod
    def learn(
        cls,
        tokens: Sequence[Sequence[str]],
        labels: Sequence[Sequence[str]],
        lowercase: bool = True,
        spans: bool = False,
    ) -> TagDictionary:
        """The table of labelled sentences (``tokens[i][t]`` carries ``labels[i][t]``);
        with ``spans``, also the phrase table of the ``span`` form."""
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
        table = cls(counts, lowercase)
        if spans:
            table.spans = {}
            for i, (toks, labs) in enumerate(zip(tokens, labels, strict=True)):
                for phrase, typ in _labelled_phrases(i, table.keys(toks), labs):
                    c = table.spans.get(phrase)
                    if c is None:
                        c = table.spans[phrase] = Counter()
                    c[typ] += 1
        return table

    def __len__(self) -> int:
        return len(self.counts)

    def key(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    def keys(self, tokens: Sequence[str]) -> list[str]:
        return [w.lower() for w in tokens] if self.lowercase else list(tokens)

    def span_values(self, tokens: Sequence[str]) -> list[str]:
        """The ``span`` form's values of ``tokens`` from the whole phrase table."""
        if self.spans is None:
            raise TagDictionaryError(
                "the tag dictionary has no phrase table (learn it with spans=True)"
            )
        if self._starts is None:
            self._starts = phrase_starts(self.spans)
        return match_phrases(self.keys(tokens), self._starts, self.spans.get)

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

    def span_blocks(self) -> tuple[list[str], list[str]]:
        """``(phrases, entries)`` of the phrase table: phrase ``i`` is the JSON list of its
        words, entry ``i`` is ``"TYPE COUNT TYPE COUNT ..."`` (sorted)."""
        if self.spans is None:
            return [], []
        keys = sorted(self.spans)
        phrases = [json.dumps(list(k), ensure_ascii=False) for k in keys]
        entries = [" ".join(f"{t} {n}" for t, n in sorted(self.spans[k].items())) for k in keys]
        return phrases, entries

    @classmethod
    def from_blocks(
        cls,
        words: Sequence[str],
        entries: Sequence[str],
        lowercase: bool,
        where: str = "tag dictionary",
        phrases: Sequence[str] | None = None,
        phrase_entries: Sequence[str] | None = None,
    ) -> TagDictionary:
        if len(words) != len(entries):
            raise TagDictionaryError(f"{where}: {len(words)} words but {len(entries)} entries")
        counts: dict[str, Counter] = {}
        for i, (w, e) in enumerate(zip(words, entries, strict=True)):
            if w in counts:
                raise TagDictionaryError(f"{where}: word {w!r} is listed twice")
            counts[w] = _counts(where, f"entry {i} ({w!r})", e, "LABEL")
        spans = None
        if phrases is not None:
            if phrase_entries is None or len(phrases) != len(phrase_entries):
                raise TagDictionaryError(
                    f"{where}: {len(phrases)} phrases but "
                    f"{'no' if phrase_entries is None else len(phrase_entries)} phrase entries"
                )
            spans = {}
            for i, (p, e) in enumerate(zip(phrases, phrase_entries, strict=True)):
                try:
                    words_of = json.loads(p)
                except ValueError:
                    words_of = None
                if (
                    not isinstance(words_of, list)
                    or not words_of
                    or not all(isinstance(x, str) for x in words_of)
                ):
                    raise TagDictionaryError(
                        f"{where}: phrase {i} is {p!r}; expected a JSON list of words"
                    )
                key = tuple(words_of)
                if key in spans:
                    raise TagDictionaryError(f"{where}: phrase {p} is listed twice")
                spans[key] = _counts(where, f"phrase entry {i} ({p})", e, "TYPE")
        return cls(counts, lowercase, spans)

    def fingerprint(self) -> str:
        """sha256 of the table's content."""
        h = hashlib.sha256(b"lower" if self.lowercase else b"cased")
        for w, e in zip(*self.to_blocks(), strict=True):
            h.update(w.encode("utf-8") + b"\0" + e.encode("utf-8") + b"\n")
        if self.spans is not None:
            h.update(b"\0spans\0")
            for p, e in zip(*self.span_blocks(), strict=True):
                h.update(p.encode("utf-8") + b"\0" + e.encode("utf-8") + b"\n")
        return h.hexdigest()


def _counts(where: str, what: str, entry: str, name: str) -> Counter:
    """The counts of one stored ``"NAME COUNT NAME COUNT ..."`` entry."""
    parts = entry.split(" ")
    if not entry or len(parts) % 2:
        raise TagDictionaryError(f"{where}: {what} is {entry!r}; expected '{name} COUNT ...' pairs")
    c = Counter()
    for t, n in zip(parts[::2], parts[1::2], strict=True):
        if not (n.isascii() and n.isdigit()) or int(n) < 1:
            raise TagDictionaryError(
                f"{where}: {what}: count {n!r} of {t!r} is not a positive integer"
            )
        c[t] = int(n)
    return c


def _labelled_phrases(i: int, keys: Sequence[str], labels: Sequence[str]):
    """``(phrase, type)`` of every labelled span of sentence ``i`` (conlleval's decoding)."""
    from crftagger.schemes import SchemeError, extract_spans

    try:
        spans = extract_spans(list(labels))
    except SchemeError as exc:
        raise TagDictionaryError(
            f"sentence {i}: {exc}; the tag dictionary's span form reads span "
            "labels (O, B-TYPE, I-TYPE, E-TYPE, S-TYPE ...)"
        ) from None
    for sp in spans:
        if not sp.type or any(ch.isspace() for ch in sp.type):
            raise TagDictionaryError(
                f"sentence {i}: span type {sp.type!r} at tokens {sp.start}..{sp.end - 1}; "
                "the tag dictionary's span form expects types without white space"
            )
        yield tuple(keys[sp.start : sp.end]), sp.type


def phrase_starts(spans: dict) -> dict[str, int]:
    """``{first word: length of the longest phrase starting with it}``."""
    out: dict[str, int] = {}
    for k in spans:
        if len(k) > out.get(k[0], 0):
            out[k[0]] = len(k)
    return out


def match_phrases(keys: Sequence[str], starts: dict[str, int], lookup) -> list[str]:
    """The ``span`` form's values: phrases found by ``lookup(phrase) -> Counter or None``
    (an empty Counter counts as absent), matched longest first, left to right."""
    n = len(keys)
    out = [NO_SPAN] * n
    i = 0
    while i < n:
        m = starts.get(keys[i], 0)
        step = 1
        for length in range(min(m, n - i), 0, -1):
            c = lookup(tuple(keys[i : i + length]))
            if c:
                typ = min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                out[i] = "B-" + typ
                for j in range(i + 1, i + length):
                    out[j] = "I-" + typ
                step = length
                break
        i += step
    return out


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


def cross_validated(
    tokens: Sequence[Sequence[str]],
    labels: Sequence[Sequence[str]],
    doc_ids: Sequence[str | None],
    specs: dict[str, dict],
    lowercase: bool,
    folds: int,
) -> tuple[TagDictionary, dict[str, list[list[str]]]]:
    """The whole table and, per extractor of ``specs``, every training sentence's values.

    A sentence's values come from the counts of the sentences outside its
    fold (:func:`folds_of`).
    """
    if folds < 2:
        raise TagDictionaryError(f"tag dictionary: folds={folds}; expected at least 2")
    want_spans = any(d["form"] == "span" for d in specs.values())
    full = TagDictionary.learn(tokens, labels, lowercase, spans=want_spans)
    fold = folds_of(doc_ids, folds)
    if want_spans:
        span_values = _cross_validated_spans(full, tokens, labels, fold, folds)
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
            if d["form"] == "span":
                continue
            out[name].append(
                [
                    TagDictionary.value(c, w, d["form"], d["rare"], d["suffix"])
                    for c, w in zip(rest, toks, strict=True)
                ]
            )
    for name, d in specs.items():
        if d["form"] == "span":
            out[name] = span_values
    return full, out


def _cross_validated_spans(
    full: TagDictionary, tokens, labels, fold: list[int], folds: int
) -> list[list[str]]:
    """The ``span`` values of every training sentence from the phrases of the other folds."""
    own: list[dict[tuple, Counter]] = [{} for _ in range(folds)]
    for i, (f, toks, labs) in enumerate(zip(fold, tokens, labels, strict=True)):
        d = own[f]
        for phrase, typ in _labelled_phrases(i, full.keys(toks), labs):
            c = d.get(phrase)
            if c is None:
                c = d[phrase] = Counter()
            c[typ] += 1
    starts = phrase_starts(full.spans)
    rest_of = []
    for f in range(folds):
        rest = {p: full.spans[p] - c for p, c in own[f].items()}
        rest_of.append(lambda p, rest=rest: rest.get(p, full.spans.get(p)))
    return [
        match_phrases(full.keys(toks), starts, rest_of[f])
        for f, toks in zip(fold, tokens, strict=True)
    ]


def settings(d: dict) -> dict:
    """The definition ``d`` of a ``tagdict`` extractor with defaults filled in."""
    out = {
        "kind": "tagdict",
        "form": d.get("form", "class"),
        "lowercase": bool(d.get("lowercase", True)),
        "folds": d.get("folds", 10),
        "rare": d.get("rare", 5),
        "suffix": d.get("suffix", 3),
    }
    return out


def check(name: str, d: dict) -> None:
    """Raise :class:`TagDictionaryError` unless ``d`` is a valid ``tagdict`` definition."""
    s = settings(d)
    if s["form"] not in FORMS:
        raise TagDictionaryError(
            f"extractor {name!r}: tag-dictionary form {s['form']!r}; expected one of {FORMS}"
        )
    for k, lo in (("folds", 2), ("rare", 0), ("suffix", 0)):
        v = s[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise TagDictionaryError(f"extractor {name!r}: {k}={v!r}; expected an integer >= {lo}")
