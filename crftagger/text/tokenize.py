"""Tokenisers with exact character offsets, and a sentence splitter that needs no download.

Every tokeniser returns, for a text, its sentences as lists of ``(start,
end)`` character offsets into the original string: ``text[start:end]`` is the
token, exactly as written (quotes stay ``"``, nothing is normalised), so a
span found by a tagger maps back to the very characters it covers whatever
the text holds (unicode, CRLF, tabs, repeated spaces). No token holds white
space and no non-space character is left out of every token.

``treebank``
    Penn Treebank conventions, those of the news corpora (CoNLL-2000,
    CoNLL-2002/2003, the English Web Treebank): nltk's Treebank word
    tokeniser (``"don't"`` -> ``do n't``, ``"Smith's"`` -> ``Smith 's``,
    punctuation split off, ``"U.S."`` kept) run on each sentence.
``tweet``
    nltk's TweetTokenizer patterns (handles, hashtags, URLs, emoticons,
    phone numbers), matched on the original text so the offsets are exact:
    an HTML entity such as ``&amp;`` is one token (the tokeniser would have
    written ``&``) and a run of ``!!!!!`` stays five tokens (it would have
    shortened it to three).
``whitespace``
    Pre-tokenised text: a token is a run of non-space characters.

Sentences (:class:`SentenceSplitter`) end at ``.``, ``!`` or ``?`` (closing
quotes and brackets included) before white space and an upper-case letter,
digit, quote or bracket, unless the word is an abbreviation (a built-in
English list plus the abbreviations learned from the training tokens: words
ending in ``.`` seen inside training sentences, such as ``Corp.`` and
``U.S.``) or an initial (``J.``); a blank line always ends a sentence, and
with ``lines=True`` every line break does. A sentence longer than
``max_tokens`` is cut into pieces of at most that many tokens, so no input
makes one unbounded lattice. The tokeniser, its abbreviations and these
settings are saved with a model (:meth:`Tokenizer.to_dict`), so a loaded
model tokenises as its training corpus did.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from crftagger.errors import TaggerInputError

Offsets = list[tuple[int, int]]

# Abbreviations that end with "." and seldom end a sentence (lower case, without the final dot).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep rev hon pres
    messrs mme mlle inc corp co ltd bros plc dept univ assn ave blvd rd no nos vol vols fig figs
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    e.g i.e cf vs approx est u.s u.k u.n e.u u.s.a a.m p.m""".split()
)

TOKENIZERS = ("treebank", "tweet", "whitespace")

# The tokeniser of text like each registered corpus' (the rest are news-style or chat text
# with Treebank-like punctuation).
CORPUS_TOKENIZERS = {"wnut17": "tweet"}

_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s)")
_NEXT = re.compile(r"\s+(?=[\"'\u201c\u2018(\[\dA-Z\u00c0-\u00de])")
_BLANK = re.compile(r"\n[^\S\n]*\n\s*")
_LINE = re.compile(r"\r?\n\s*")
_WORD_BEFORE = re.compile(r"(\S+)$")
_NON_SPACE = re.compile(r"\S+")
_SPACE = re.compile(r"\s")
_KEEP_WHOLE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?<![.])"
    r"|(?<!\S)(?:https?://|www\.)[^\s<>\"]+?(?=[.,;:!?)\]\"']*(?:\s|$))"
)


def corpus_tokenizer(corpus: str | None) -> str:
    """The tokeniser name for text like a registered corpus' (``treebank`` when unknown)."""
    return CORPUS_TOKENIZERS.get(corpus or "", "treebank")


def learn_abbreviations(sentences: Iterable[Sequence[str]], min_count: int = 2) -> list[str]:
    """Words ending in ``.`` that occur inside training sentences (not as their last token).

    Returned lower-cased without the final dot, those seen at least
    ``min_count`` times and not in :data:`ABBREVIATIONS` already, sorted.
    """
    counts: Counter[str] = Counter()
    for toks in sentences:
        for tok in list(toks)[:-1]:
            if len(tok) > 1 and tok.endswith(".") and any(c.isalpha() for c in tok):
                counts[tok[:-1].lower()] += 1
    return sorted(w for w, n in counts.items() if n >= min_count and w not in ABBREVIATIONS)


class SentenceSplitter:
    """Rule-based sentence boundaries over raw text (see the module docstring)."""

    def __init__(self, abbreviations: Iterable[str] = (), lines: bool = False):
        self.extra = sorted({a.lower().rstrip(".") for a in abbreviations})
        self.abbreviations = ABBREVIATIONS | set(self.extra)
        self.lines = bool(lines)

    def _is_abbreviation(self, word: str) -> bool:
        w = word.rstrip(".").lower().lstrip("\"'(\u201c\u2018[")
        if not w:
            return False
        if w in self.abbreviations:
            return True
        # initials: "J." and "J.R.R."
        return all(len(p) == 1 and p.isalpha() for p in w.split("."))

    def split(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every sentence (white space between sentences left out)."""
        cuts = set()
        breaks = _LINE if self.lines else _BLANK
        for m in breaks.finditer(text):
            cuts.add(m.start())
        for m in _END.finditer(text):
            end = m.end()
            if not _NEXT.match(text, end):
                continue
            if text[m.start()] == "." and m.group().startswith(".") and len(m.group()) == 1:
                before = _WORD_BEFORE.search(text, max(0, m.end() - 64), m.end())
                if before is not None and self._is_abbreviation(before.group(1)):
                    continue
            cuts.add(end)
        out = []
        start = 0
        for cut in sorted(cuts) + [len(text)]:
            piece = text[start:cut]
            lead = len(piece) - len(piece.lstrip())
            stripped = piece.strip()
            if stripped:
                s = start + lead
                out.append((s, s + len(stripped)))
            start = cut
        return out


class Tokenizer:
    """Base class: ``sentences(text)`` gives the token offsets of each sentence."""

    name = "base"

    def __init__(
        self, abbreviations: Iterable[str] = (), lines: bool = False, max_tokens: int = 500
    ):
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f"max_tokens: expected a positive integer, found {max_tokens!r}")
        self.splitter = SentenceSplitter(abbreviations, lines=lines)
        self.max_tokens = max_tokens

    # the tokens of one sentence's text, offsets relative to it
    def _tokens(self, text: str) -> Offsets:
        raise NotImplementedError

    def tokenize(self, text: str) -> Offsets:
        """Offsets of every token of ``text`` (all sentences)."""
        return [t for sent in self.sentences(text) for t in sent]

    def sentences(self, text: str) -> list[Offsets]:
        """Token offsets ``(start, end)`` of each sentence of ``text``."""
        if not isinstance(text, str):
            raise TaggerInputError(f"expected text as a str, found {type(text).__name__}")
        out: list[Offsets] = []
        for s0, s1 in self._pieces(text):
            toks = [(s0 + a, s0 + b) for a, b in self._tokens(text[s0:s1])]
            for i in range(0, len(toks), self.max_tokens):
                out.append(toks[i : i + self.max_tokens])
        return out

    def _pieces(self, text: str, limit: int = 20_000) -> Iterable[tuple[int, int]]:
        """The splitter's sentences, one over ``limit`` characters cut at white space (a
        tokeniser's regular expressions then never see more than ``limit`` characters)."""
        for s0, s1 in self.splitter.split(text):
            while s1 - s0 > limit:
                cut = text.rfind(" ", s0 + 1, s0 + limit)
                if cut <= s0:
                    m = _SPACE.search(text, s0 + limit, s1)
                    cut = m.start() if m else s1
                if cut >= s1:
                    break
                yield s0, cut
                s0 = cut + 1
                while s0 < s1 and text[s0].isspace():
                    s0 += 1
            if s1 > s0:
                yield s0, s1

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "abbreviations": list(self.splitter.extra),
            "lines": self.splitter.lines,
            "max_tokens": self.max_tokens,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(abbreviations={len(self.splitter.extra)}, "
            f"lines={self.splitter.lines}, max_tokens={self.max_tokens})"
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, Tokenizer) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class WhitespaceTokenizer(Tokenizer):
    """Tokens are runs of non-space characters (pre-tokenised text); a line is a sentence
    unless ``lines=False``."""

    name = "whitespace"

    def __init__(
        self, abbreviations: Iterable[str] = (), lines: bool = True, max_tokens: int = 500
    ):
        super().__init__(abbreviations, lines=lines, max_tokens=max_tokens)

    def _tokens(self, text: str) -> Offsets:
        return [m.span() for m in _NON_SPACE.finditer(text)]


class TreebankTokenizer(Tokenizer):
    """Penn Treebank conventions (nltk's ``TreebankWordTokenizer``), exact offsets."""

    name = "treebank"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tb_instance = None

    @property
    def _tb(self):
        # nltk (which imports scipy) is loaded on the first text, not with the model
        if self._tb_instance is None:
            from nltk.tokenize import TreebankWordTokenizer

            self._tb_instance = TreebankWordTokenizer()
        return self._tb_instance

    def _tokens(self, text: str) -> Offsets:
        # e-mail addresses and URLs stay whole (the Treebank rules would cut them at "@" and ":")
        out: Offsets = []
        pos = 0
        for m in _KEEP_WHOLE.finditer(text):
            out.extend((pos + a, pos + b) for a, b in self._treebank(text[pos : m.start()]))
            out.append(m.span())
            pos = m.end()
        out.extend((pos + a, pos + b) for a, b in self._treebank(text[pos:]))
        return out

    def _treebank(self, text: str) -> Offsets:
        if not text.strip():
            return []
        try:
            return [(s, e) for s, e in self._tb.span_tokenize(text) if e > s]
        except ValueError:
            pass
        # nltk could not align its tokens with the text (it rewrites some quote forms):
        # tokenise each white-space separated chunk on its own, a chunk it still cannot
        # align staying one token
        out: Offsets = []
        for m in _NON_SPACE.finditer(text):
            a, chunk = m.start(), m.group()
            try:
                spans = [(s, e) for s, e in self._tb.span_tokenize(chunk) if e > s]
            except ValueError:
                spans = [(0, len(chunk))]
            out.extend((a + s, a + e) for s, e in spans)
        return out


class TweetTokenizer(Tokenizer):
    """nltk's TweetTokenizer patterns matched on the original text (exact offsets)."""

    name = "tweet"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._patterns = None

    def _regexes(self):
        # nltk is loaded on the first text, not with the model
        if self._patterns is None:
            from nltk.tokenize import TweetTokenizer as _Tweet
            from nltk.tokenize.casual import ENT_RE

            self._patterns = (_Tweet().WORD_RE, ENT_RE)
        return self._patterns

    @property
    def _word_re(self):
        return self._regexes()[0]

    def _tokens(self, text: str) -> Offsets:
        out: Offsets = []
        pos = 0
        for ent in self._regexes()[1].finditer(text):
            out.extend(self._words(text, pos, ent.start()))
            out.append(ent.span())
            pos = ent.end()
        out.extend(self._words(text, pos, len(text)))
        return out

    def _words(self, text: str, start: int, end: int) -> Offsets:
        out: Offsets = []
        piece = text[start:end]
        pos = 0
        for m in self._word_re.finditer(piece):
            # characters the patterns skip (anything not white space) become tokens of their own
            out.extend((start + a, start + b) for a, b in _gaps(piece, pos, m.start()))
            a, b = m.span()
            # a match never holds white space in crftagger's tokens
            out.extend((start + a + x, start + a + y) for x, y in _gaps(m.group(), 0, b - a))
            pos = b
        out.extend((start + a, start + b) for a, b in _gaps(piece, pos, len(piece)))
        return out


def _gaps(text: str, start: int, end: int) -> Offsets:
    return [(start + m.start(), start + m.end()) for m in _NON_SPACE.finditer(text[start:end])]


_CLASSES: dict[str, type[Tokenizer]] = {
    "treebank": TreebankTokenizer,
    "tweet": TweetTokenizer,
    "whitespace": WhitespaceTokenizer,
}


def get_tokenizer(spec=None, **params) -> Tokenizer:
    """A tokeniser from a name (``"treebank"``, ``"tweet"``, ``"whitespace"``), a dict written by
    :meth:`Tokenizer.to_dict`, or a :class:`Tokenizer` (returned as is)."""
    if isinstance(spec, Tokenizer):
        return spec
    if spec is None:
        spec = "treebank"
    if isinstance(spec, str):
        spec = {"name": spec, **params}
    if not isinstance(spec, dict):
        raise ValueError(f"tokenizer: expected a name or a dict, found {type(spec).__name__}")
    spec = dict(spec)
    name = spec.pop("name", None)
    if name not in _CLASSES:
        raise ValueError(f"tokenizer: unknown name {name!r}; expected one of {list(TOKENIZERS)}")
    unknown = set(spec) - {"abbreviations", "lines", "max_tokens"}
    if unknown:
        raise ValueError(f"tokenizer {name!r}: unknown settings {sorted(unknown)}")
    abbr = spec.get("abbreviations", [])
    if not isinstance(abbr, list) or not all(isinstance(a, str) and len(a) < 64 for a in abbr):
        raise ValueError("tokenizer: abbreviations must be a list of short strings")
    if len(abbr) > 100_000:
        raise ValueError(f"tokenizer: {len(abbr)} abbreviations; expected at most 100000")
    lines = spec.get("lines", name == "whitespace")
    if not isinstance(lines, bool):
        raise ValueError(f"tokenizer: lines must be true or false, found {lines!r}")
    max_tokens = spec.get("max_tokens", 500)
    if (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 1 <= max_tokens <= 10**6
    ):
        raise ValueError(
            f"tokenizer: max_tokens must be an integer in 1..1000000, found {max_tokens!r}"
        )
    return _CLASSES[name](abbreviations=abbr, lines=lines, max_tokens=max_tokens)
