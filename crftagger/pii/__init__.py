"""Personal data (PII) detection and masking.

Validated pattern recognizers (:mod:`crftagger.pii.recognizers`) and a
crftagger tagger's spans (:mod:`crftagger.pii.analyzer`, which also states
the overlap rule and thresholds), replaced by one operator per type
(:mod:`crftagger.pii.operators`: ``redact``, ``mask``, ``hash``,
``pseudonym``, ``keep``, with a reversible mapping and :func:`deanonymize`).
:mod:`crftagger.pii.build` trains the default English model on the
synthetic personal-data corpus and scores detections on its held-out test
split. Command line: ``crftagger mask``.
"""

from crftagger.pii.analyzer import DEFAULT_LABELS, Analyzer, resolve_overlaps
from crftagger.pii.masker import PIIMasker
from crftagger.pii.operators import (
    OPERATORS,
    Anonymizer,
    MaskedItem,
    MaskResult,
    deanonymize,
    make_operator,
)
from crftagger.pii.recognizers import RECOGNIZER_NAMES, Detection, PIIError

__all__ = [
    "DEFAULT_LABELS",
    "OPERATORS",
    "RECOGNIZER_NAMES",
    "Analyzer",
    "Anonymizer",
    "Detection",
    "MaskResult",
    "MaskedItem",
    "PIIError",
    "PIIMasker",
    "deanonymize",
    "make_operator",
    "resolve_overlaps",
]
