"""``PIIMasker``: an :class:`~crftagger.pii.analyzer.Analyzer` and an
:class:`~crftagger.pii.operators.Anonymizer` in one object.

::

    from crftagger.pii import PIIMasker

    masker = PIIMasker(tagger=None, operators={"PERSON": "pseudonym", "DEFAULT": "redact"})
    masker.analyze("Call +1 202 555 0143")  # [Detection(type='PHONE', ...)]
    result = masker.mask("Mail ann@example.com")
    result.text  # 'Mail [EMAIL]'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from crftagger.pii.analyzer import Analyzer
from crftagger.pii.operators import Anonymizer, MaskResult
from crftagger.pii.recognizers import Detection


class PIIMasker:
    """Find and replace personal data.

    Parameters
    ----------
    tagger : Tagger, optional
        A tagger for names, places, organisations (and whatever it knows); None:
        patterns only. See :class:`~crftagger.pii.analyzer.Analyzer` for
        ``region``, ``thresholds``, ``labels`` and ``patterns``.
    operators, seed, salt
        See :class:`~crftagger.pii.operators.Anonymizer`.
    """

    def __init__(
        self,
        tagger=None,
        region: str | None = "US",
        thresholds: Mapping[str, float] | None = None,
        operators: Mapping[str, Any] | None = None,
        seed: int = 0,
        salt: str | None = None,
        labels: Mapping[str, str | None] | None = None,
        patterns: bool | Sequence[str] = True,
    ):
        self.analyzer = Analyzer(
            tagger, region=region, thresholds=thresholds, labels=labels, patterns=patterns
        )
        self.anonymizer = Anonymizer(operators, seed=seed, salt=salt)

    def analyze(self, text: str) -> list[Detection]:
        """The detections of ``text`` after thresholds and the overlap rule, sorted by start."""
        return self.analyzer.analyze(text)

    def mask(self, text: str, session=None) -> MaskResult:
        """``text`` with every detection replaced by its type's operator.

        ``session`` (from :meth:`session`) makes several calls replace alike
        (same pseudonym, same placeholder number for the same original).
        """
        return self.anonymizer.anonymize(text, self.analyze(text), session)

    def session(self):
        return self.anonymizer.session()

    def mask_many(self, texts: Iterable[str]) -> Iterator[MaskResult]:
        """Mask ``texts`` in one session."""
        session = self.session()
        for text in texts:
            yield self.mask(text, session)
