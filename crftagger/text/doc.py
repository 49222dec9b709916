"""``Doc``: a text with its sentences, tokens, tags and spans, all with exact character offsets.

::

    doc = tagger("Barack Obama visited Paris on Monday. He met Emmanuel Macron.")
    for span in doc.spans:
        print(span.label, span.start, span.end, span.text, round(span.confidence, 3))
    # PER 0 12 Barack Obama 0.998
    # LOC 21 26 Paris 0.991 ...
    doc.to_json()             # {"text": ..., "tokens": [...], "sentences": [...], "spans": [...]}
    Doc.from_dict(doc.to_dict()) == doc

Offsets are end-exclusive indices into the original string:
``doc.text[span.start:span.end] == span.text`` and
``doc.text[token.start:token.end] == token.text`` always hold. ``token_start``
/ ``token_end`` give a span's token range (end-exclusive, indices into
``doc.tokens``). ``confidence`` is the model's probability of exactly that
span (:meth:`crftagger.Tagger.spans`).

:class:`TextMixin` gives a tagger (:class:`crftagger.Tagger`,
:class:`crftagger.api.pipeline.Pipeline`) ``__call__``, ``parse`` and
``pipe``; the tagger supplies ``tokenizer`` and ``_annotate(sentences)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from crftagger.errors import TaggerInputError


@dataclass(frozen=True)
class Token:
    """One token: its text, character offsets, index in the document and tag."""

    text: str
    start: int
    end: int
    i: int
    tag: str | None = None


@dataclass(frozen=True)
class Span:
    """A labelled span of the text (character and token offsets end-exclusive)."""

    label: str
    start: int
    end: int
    text: str
    token_start: int
    token_end: int
    confidence: float | None = 1.0


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence of the document: its character offsets and its token range."""

    start: int
    end: int
    token_start: int
    token_end: int


@dataclass
class Doc:
    """A tagged text (see the module docstring)."""

    text: str
    tokens: list[Token] = field(default_factory=list)
    sentences: list[SentenceSpan] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self) -> Iterator[Token]:
        return iter(self.tokens)

    @property
    def tags(self) -> list[str | None]:
        """The tag of every token, in order."""
        return [t.tag for t in self.tokens]

    def sentence_tokens(self) -> list[list[Token]]:
        """The tokens of each sentence."""
        return [self.tokens[s.token_start : s.token_end] for s in self.sentences]

    def inline(self) -> str:
        """The text with every span bracketed: ``[PER Barack Obama] visited [LOC Paris] ...``."""
        out, pos = [], 0
        for sp in self.spans:
            out.append(self.text[pos : sp.start])
            out.append(f"[{sp.label} {sp.text}]")
            pos = sp.end
        out.append(self.text[pos:])
        return "".join(out)

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``text``, ``tokens``, ``sentences`` and ``spans``."""
        return {
            "text": self.text,
            "tokens": [
                {"text": t.text, "start": t.start, "end": t.end, "tag": t.tag} for t in self.tokens
            ],
            "sentences": [
                {
                    "start": s.start,
                    "end": s.end,
                    "token_start": s.token_start,
                    "token_end": s.token_end,
                }
                for s in self.sentences
            ],
            "spans": [
                {
                    "label": s.label,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "token_start": s.token_start,
                    "token_end": s.token_end,
                    "confidence": s.confidence,
                }
                for s in self.spans
            ],
        }

    def to_json(self, **kwargs) -> str:
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, obj: dict) -> Doc:
        """Read :meth:`to_dict`'s output back, checking every offset against the text."""
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise TaggerInputError('doc: expected an object with a "text" string')
        text = obj["text"]
        try:
            tokens = [
                Token(t["text"], int(t["start"]), int(t["end"]), i, t.get("tag"))
                for i, t in enumerate(obj.get("tokens", []))
            ]
            sentences = [SentenceSpan(**s) for s in obj.get("sentences", [])]
            spans = [Span(**s) for s in obj.get("spans", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise TaggerInputError(f"doc: malformed token, sentence or span ({exc})") from None
        for what, items in (("token", tokens), ("span", spans)):
            for x in items:
                if not 0 <= x.start <= x.end <= len(text) or text[x.start : x.end] != x.text:
                    raise TaggerInputError(
                        f"doc: {what} {x.text!r} at {x.start}:{x.end} is not that text "
                        f"of the document (found {text[x.start : x.end]!r})"
                    )
        return cls(text, tokens, sentences, spans)


class TextMixin:
    """``__call__`` / ``parse`` / ``pipe`` over ``self.tokenizer`` and ``self._annotate``."""

    tokenizer: Any = None

    def _annotate(self, sentences: list, confidence: bool = True) -> list[tuple[list[str], list]]:
        raise NotImplementedError

    def _check_raw_text(self) -> None:
        """Raise when this tagger cannot read raw text (the default: it can)."""

    def _text_tokenizer(self):
        from crftagger.text.tokenize import get_tokenizer

        tok = getattr(self, "tokenizer", None)
        return get_tokenizer(tok)

    def __call__(self, text: str) -> Doc:
        return self.parse(text)

    def parse(self, text: str, confidence: bool = True) -> Doc:
        """Tokenise, split into sentences and tag one text (see :class:`Doc`).

        ``confidence=False`` leaves the spans' confidences out (None): the
        tags come from one batched Viterbi pass, about twice as fast."""
        return self._docs([text], confidence)[0]

    def pipe(
        self, texts: Iterable[str], batch_size: int = 64, confidence: bool = True
    ) -> Iterator[Doc]:
        """Docs of many texts, tagged ``batch_size`` texts at a time, in order
        (``confidence`` as in :meth:`parse`)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise TaggerInputError(f"batch_size: expected a positive integer, found {batch_size!r}")
        if isinstance(texts, str):
            raise TaggerInputError("pipe: expected an iterable of texts, found one str (use parse)")
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self._docs(batch, confidence)
                batch = []
        if batch:
            yield from self._docs(batch, confidence)

    def _tagged(self, texts: list[str], confidence: bool = True) -> tuple[list, list]:
        """The sentences' character offsets of each text and the answers of every sentence
        (``(tags, spans)``, in order), tagged in one call."""
        from crftagger.sentence import Sentence

        self._check_raw_text()
        tokenizer = self._text_tokenizer()
        offsets, sents = [], []
        for k, text in enumerate(texts):
            if not isinstance(text, str):
                raise TaggerInputError(f"text {k}: expected a str, found {type(text).__name__}")
            per = tokenizer.sentences(text)
            offsets.append(per)
            for s in per:
                sents.append(Sentence(tokens=[text[a:b] for a, b in s], doc_id=f"text-{k}"))
        if not sents:
            answers = []
        elif confidence:
            answers = self._annotate(sents)
        else:
            answers = self._annotate(sents, confidence=False)
        return offsets, answers

    def _docs(self, texts: list[str], confidence: bool = True) -> list[Doc]:
        offsets, answers = self._tagged(texts, confidence)
        out, j = [], 0
        for text, per in zip(texts, offsets, strict=True):
            tokens: list[Token] = []
            sentences: list[SentenceSpan] = []
            spans: list[Span] = []
            for s in per:
                tags, found = answers[j]
                j += 1
                t0 = len(tokens)
                for (a, b), tag in zip(s, tags, strict=True):
                    tokens.append(Token(text[a:b], a, b, len(tokens), tag))
                sentences.append(SentenceSpan(s[0][0], s[-1][1], t0, len(tokens)))
                for sp in found:
                    a, b = s[sp.start][0], s[sp.end - 1][1]
                    spans.append(
                        Span(sp.type, a, b, text[a:b], t0 + sp.start, t0 + sp.end, sp.confidence)
                    )
            out.append(Doc(text, tokens, sentences, spans))
        return out

    def _doc_dicts(self, texts: list[str], confidence: bool = True) -> list[dict]:
        """``[doc.to_dict() for doc in self._docs(texts, confidence)]``, built without the
        Doc objects (the HTTP service's answers)."""
        offsets, answers = self._tagged(texts, confidence)
        out, j = [], 0
        for text, per in zip(texts, offsets, strict=True):
            tokens: list[dict] = []
            sentences: list[dict] = []
            spans: list[dict] = []
            for s in per:
                tags, found = answers[j]
                j += 1
                t0 = len(tokens)
                tokens += [
                    {"text": text[a:b], "start": a, "end": b, "tag": tag}
                    for (a, b), tag in zip(s, tags, strict=True)
                ]
                sentences.append(
                    {
                        "start": s[0][0],
                        "end": s[-1][1],
                        "token_start": t0,
                        "token_end": len(tokens),
                    }
                )
                for sp in found:
                    a, b = s[sp.start][0], s[sp.end - 1][1]
                    spans.append(
                        {
                            "label": sp.type,
                            "start": a,
                            "end": b,
                            "text": text[a:b],
                            "token_start": t0 + sp.start,
                            "token_end": t0 + sp.end,
                            "confidence": sp.confidence,
                        }
                    )
            out.append({"text": text, "tokens": tokens, "sentences": sentences, "spans": spans})
        return out
