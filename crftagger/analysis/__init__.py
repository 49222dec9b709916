"""Comparing systems and reading their errors.

:mod:`crftagger.analysis.significance`: the span F1 of two systems on the
same gold data, with a paired bootstrap confidence interval of their
difference and an approximate-randomisation p-value, per type and overall
(command line: ``crftagger compare``).

:mod:`crftagger.analysis.errors`: every gold/predicted span pair classified
(correct, wrong type, wrong boundary, wrong type and boundary, missed,
spurious) per type, with examples in context and a span-type confusion
matrix, as text, JSON and a PNG figure.
"""

from crftagger.analysis.errors import ERROR_CLASSES, ErrorReport, SpanPair, error_report
from crftagger.analysis.exceptions import AnalysisInputError, MissingPlotPackage
from crftagger.analysis.significance import Comparison, TypeComparison, compare

__all__ = [
    "ERROR_CLASSES",
    "AnalysisInputError",
    "Comparison",
    "ErrorReport",
    "MissingPlotPackage",
    "SpanPair",
    "TypeComparison",
    "compare",
    "error_report",
]
