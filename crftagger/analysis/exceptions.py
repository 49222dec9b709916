"""Errors of :mod:`crftagger.analysis` (both derive from :class:`crftagger.errors.CrftaggerError`)."""

from __future__ import annotations

from crftagger.errors import CrftaggerError


class AnalysisInputError(CrftaggerError, ValueError):
    """Bad input or parameters for a significance test or an error analysis."""


class MissingPlotPackage(CrftaggerError, ImportError):
    """A figure was asked for but matplotlib is not installed."""
