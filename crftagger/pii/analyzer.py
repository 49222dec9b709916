"""Find personal data in raw text: validated patterns plus a CRF tagger's spans.

Detections come from two sources:

* the pattern recognizers of :mod:`crftagger.pii.recognizers` (``source``
  ``"pattern:<name>"``, ``validated=True``): e-mail addresses, phone numbers,
  card numbers, IBANs, IP addresses, URLs, dates, US SSNs, UK NINOs;
* a :class:`crftagger.Tagger` run on the raw text (``tagger(text).spans``,
  ``source="crf"``, ``score`` the model's probability of exactly that span),
  its labels renamed by :data:`DEFAULT_LABELS` (``PER`` -> ``PERSON``, ``LOC``
  -> ``LOCATION``, ``ORG`` -> ``ORGANIZATION``; others keep their name; a
  label mapped to ``None`` is dropped).

Thresholds
----------
``thresholds={"PERSON": 0.6, "DEFAULT": 0.5}``: a detection whose score is
below the threshold of its type (else ``DEFAULT``, else 0) is dropped before
overlaps are resolved. Each threshold is a number in [0, 1].

Overlap rule
------------
Detections that overlap (share at least one character) are resolved so that
the result never overlaps; of two overlapping detections, the one kept is

1. the validated pattern over a CRF span;
2. otherwise the longer one (in characters);
3. at equal length, the higher score;
4. at equal score, the one that starts earlier (then: the pattern recognizer
   listed first, then the type name).

This is a total order, applied greedily: detections are sorted by it and each
is kept unless it overlaps one kept before. The result is sorted by start.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Any

from crftagger.pii.recognizers import (
    RECOGNIZER_NAMES,
    Detection,
    PatternRecognizer,
    PIIError,
    default_recognizers,
)

#: Tagger labels renamed to PII types (labels not listed keep their name; None drops a label).
DEFAULT_LABELS: dict[str, str | None] = {
    "PER": "PERSON",
    "PERSON": "PERSON",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "ORG": "ORGANIZATION",
    "MISC": None,
}


def check_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, float]:
    """``{type: threshold}`` with every value a number in [0, 1] (PIIError otherwise)."""
    if thresholds is None:
        return {}
    if not isinstance(thresholds, Mapping):
        raise PIIError(
            f"thresholds: found {type(thresholds).__name__}; expected a dict {{type: number in [0, 1]}}"
        )
    out = {}
    for key, value in thresholds.items():
        if not isinstance(key, str) or not key:
            raise PIIError(f"thresholds: found the key {key!r}; expected a PII type name")
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or math.isnan(value) or not 0.0 <= value <= 1.0:
            raise PIIError(f"threshold of {key}: found {value!r}; expected a number in [0, 1]")
        out[key] = float(value)
    return out


def priority(d: Detection, order: Mapping[str, int] | None = None) -> tuple:
    """The sort key of the overlap rule (smaller wins)."""
    rank = (order or {}).get(d.source, len(RECOGNIZER_NAMES))
    return (not d.validated, -(d.end - d.start), -d.score, d.start, rank, d.type)


def resolve_overlaps(
    detections: Sequence[Detection], order: Mapping[str, int] | None = None
) -> list[Detection]:
    """Keep non-overlapping detections by the overlap rule (module docstring); sorted by start."""
    starts: list[int] = []  # the kept detections, sorted by start (they never overlap)
    kept: list[Detection] = []
    for d in sorted(detections, key=lambda d: priority(d, order)):
        if d.end <= d.start:
            continue
        i = bisect.bisect_right(starts, d.start)
        if (i > 0 and kept[i - 1].end > d.start) or (i < len(kept) and starts[i] < d.end):
            continue
        starts.insert(i, d.start)
        kept.insert(i, d)
    return kept


class Analyzer:
    """Patterns and an optional tagger (see the module docstring).

    Parameters
    ----------
    tagger : Tagger, optional
        A crftagger tagger that reads raw text; None: patterns only.
    region : str or None
        Default region of phone numbers written without ``+country`` (None: only
        international numbers).
    thresholds : dict, optional
        ``{type or "DEFAULT": minimum score}``.
    labels : dict, optional
        Tagger label -> PII type, added to :data:`DEFAULT_LABELS` (None drops a label).
    patterns : bool or sequence of str
        True: every recognizer; False: none (CRF only); names from
        :data:`~crftagger.pii.recognizers.RECOGNIZER_NAMES`: those.
    """

    def __init__(
        self,
        tagger=None,
        region: str | None = "US",
        thresholds: Mapping[str, float] | None = None,
        labels: Mapping[str, str | None] | None = None,
        patterns: bool | Sequence[str] = True,
    ):
        self.tagger = tagger
        self.thresholds = check_thresholds(thresholds)
        self.labels = {**DEFAULT_LABELS, **dict(labels or {})}
        recs = default_recognizers(region)
        if patterns is True:
            self.recognizers: list[PatternRecognizer] = recs
        elif patterns is False:
            self.recognizers = []
        else:
            unknown = [p for p in patterns if p not in RECOGNIZER_NAMES]
            if unknown:
                raise PIIError(
                    f"patterns: found {', '.join(map(repr, unknown))}; expected names among "
                    + ", ".join(RECOGNIZER_NAMES)
                )
            self.recognizers = [r for r in recs if r.name in patterns]
        self._order = {f"pattern:{r.name}": i for i, r in enumerate(self.recognizers)}
        if tagger is not None and not callable(tagger):
            raise PIIError(f"tagger: found {type(tagger).__name__}; expected a crftagger Tagger")

    def threshold(self, type_: str) -> float:
        return self.thresholds.get(type_, self.thresholds.get("DEFAULT", 0.0))

    def pattern_detections(self, text: str) -> list[Detection]:
        return [d for r in self.recognizers for d in r.analyze(text)]

    def _from_doc(self, doc) -> list[Detection]:
        out = []
        for sp in doc.spans:
            type_ = self.labels.get(sp.label, sp.label)
            if type_ is not None:
                out.append(Detection(type_, sp.start, sp.end, sp.text, float(sp.confidence), "crf"))
        return out

    def crf_detections(self, text: str) -> list[Detection]:
        if self.tagger is None or not text.strip():
            return []
        return self._from_doc(self.tagger(text))

    def _keep(self, text: str, crf: list[Detection]) -> list[Detection]:
        found = self.pattern_detections(text) + crf
        kept = [d for d in found if d.score >= self.threshold(d.type)]
        return resolve_overlaps(kept, self._order)

    def candidates(self, text: str) -> list[Detection]:
        """Every detection above its threshold, overlaps not resolved."""
        _check_text(text)
        found = self.pattern_detections(text) + self.crf_detections(text)
        return [d for d in found if d.score >= self.threshold(d.type)]

    def analyze(self, text: str) -> list[Detection]:
        """The detections kept by the overlap rule, sorted by start."""
        _check_text(text)
        return self._keep(text, self.crf_detections(text))

    def analyze_many(self, texts: Sequence[str], batch_size: int = 64) -> list[list[Detection]]:
        """:meth:`analyze` of each text, the tagger run ``batch_size`` texts at a time."""
        texts = list(texts)
        for t in texts:
            _check_text(t)
        if self.tagger is None:
            crf: list[list[Detection]] = [[] for _ in texts]
        else:
            crf = [self._from_doc(doc) for doc in self.tagger.pipe(texts, batch_size=batch_size)]
        return [self._keep(t, c) for t, c in zip(texts, crf, strict=True)]


def _check_text(text) -> None:
    if not isinstance(text, str):
        raise PIIError(f"text: found {type(text).__name__}; expected str")
