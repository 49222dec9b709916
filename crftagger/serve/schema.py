"""Request and response models of the HTTP service (they make its OpenAPI schema).

Fields are strict: a wrong type is refused, never coerced, and an unknown
field is refused, so that a typing mistake in a client is an error and not
a silently ignored option.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TagRequest(_Strict):
    """Exactly one of ``text``, ``texts``, ``tokens`` or ``sentences``."""

    model: str | None = Field(None, description="a served model's name (default: the first)")
    text: str | None = Field(None, description="one raw text")
    texts: list[str] | None = Field(None, description="raw texts, answered in order")
    tokens: list[str] | None = Field(None, description="one pre-tokenised sentence")
    sentences: list[list[str]] | None = Field(None, description="pre-tokenised sentences")
    confidence: bool = Field(
        True, description="each span's probability (false: null, about twice as fast)"
    )


class TextsRequest(_Strict):
    """Exactly one of ``text`` or ``texts``."""

    model: str | None = None
    text: str | None = None
    texts: list[str] | None = None


class MaskRequest(TextsRequest):
    """Exactly one of ``text`` or ``texts``; ``reversible`` adds the mapping back."""

    reversible: bool = Field(False, description="also return replacement -> original")


class TokenSpan(BaseModel):
    label: str
    start: int = Field(description="first token")
    end: int = Field(description="token after the last")
    text: str
    confidence: float | None


class Tagged(BaseModel):
    tags: list[str]
    spans: list[TokenSpan]


class TagResponse(BaseModel):
    model: str
    doc: dict[str, Any] | None = Field(None, description="a Doc: text, tokens, sentences, spans")
    docs: list[dict[str, Any]] | None = None
    tags: list[str] | None = None
    spans: list[TokenSpan] | None = None
    results: list[Tagged] | None = None


class SlotsResponse(BaseModel):
    model: str
    result: dict[str, Any] | None = Field(
        None, description="intent, intent_confidence and slots with character offsets"
    )
    results: list[dict[str, Any]] | None = None


class MaskResponse(BaseModel):
    model: str
    result: dict[str, Any] | None = Field(None, description="masked text and what was masked")
    results: list[dict[str, Any]] | None = None


class Health(BaseModel):
    status: str
    models: list[str]


class ModelInfo(BaseModel):
    name: str
    kind: str
    file: str
    sha256: str
    labels: list[str]
    span_types: list[str]
    tokenizer: dict[str, Any] | None
    endpoints: list[str]


class Models(BaseModel):
    default: str
    models: list[ModelInfo]
