"""Every exception crftagger raises, under one base class.

``except crftagger.errors.CrftaggerError`` catches anything the library
raises on purpose; each class also derives from the built-in exception that
callers caught before (``ValueError`` for bad input, ``FileNotFoundError``
for a missing file, ...), so ``except ValueError`` keeps working.

Messages name the file, the line or the position, what was found and what
was expected.

:class:`NotFittedError` also derives from scikit-learn's ``NotFittedError``;
it is created on first use, so that importing this module (which every part
of crftagger does) does not import scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence


class CrftaggerError(Exception):
    """Base class of every error crftagger raises."""


class UserError(CrftaggerError):
    """An error caused by the user's input; the command line prints it without a traceback."""


# --------------------------------------------------------------------------- tag schemes and metrics


class SchemeError(CrftaggerError, ValueError):
    """A tag sequence that a scheme does not allow, or a malformed tag.

    Attributes give the details: ``position`` (0-based token index, or the
    sequence length for "end of sentence"), ``found``, ``previous``,
    ``expected`` (list of tags), ``scheme``, and, when known, ``sentence``
    (index), ``source`` (file) and ``line`` (1-based line of the sentence's
    first token).
    """

    def __init__(
        self,
        message: str,
        *,
        position: int | None = None,
        found: str | None = None,
        previous: str | None = None,
        expected: Sequence[str] = (),
        scheme: str | None = None,
    ):
        super().__init__(message)
        self.detail = message
        self.position = position
        self.found = found
        self.previous = previous
        self.expected = list(expected)
        self.scheme = scheme
        self.sentence: int | None = None
        self.source: str | None = None
        self.line: int | None = None

    def locate(self, sentence: int | None, source: str | None = None, line: int | None = None):
        """Return a copy whose message also names the sentence, file and line."""
        where = []
        if source is not None:
            where.append(f"{source}")
        if sentence is not None:
            where.append(f"sentence {sentence}")
        if line is not None:
            where.append(f"starting at line {line}")
        err = SchemeError(
            (" ".join(where) + ": " if where else "") + self.detail,
            position=self.position,
            found=self.found,
            previous=self.previous,
            expected=self.expected,
            scheme=self.scheme,
        )
        err.sentence, err.source, err.line = sentence, source, line
        return err


class LengthMismatchError(CrftaggerError, ValueError):
    """Gold and predicted sequences that do not line up."""


# --------------------------------------------------------------------------- engine


class ModelError(CrftaggerError, ValueError):
    """Invalid model parameters, training options or input data."""


class ObjectiveInputError(CrftaggerError, ValueError):
    """The arrays given to an objective are inconsistent."""


class TrainingError(CrftaggerError, ValueError):
    """A trainer was given an invalid parameter."""


class DecodingError(CrftaggerError, ValueError):
    """Labels, constraints or forced labels that decoding cannot honour."""


# --------------------------------------------------------------------------- model files


class ModelFileError(CrftaggerError, ValueError):
    """A model file (or the data given to write one) is malformed.

    The message names the file, what was found and what was expected.
    """


class CRFsuiteModelError(CrftaggerError, ValueError):
    """A CRFsuite model file that cannot be read."""


# --------------------------------------------------------------------------- user API


class CRFError(CrftaggerError, ValueError):
    """Bad parameters or input given to :class:`crftagger.CRF`."""


class TaggerError(CrftaggerError, ValueError):
    """A tagger that cannot be built, saved or loaded as asked."""


class TaggerInputError(CrftaggerError, ValueError):
    """Input sentences that the tagger cannot read."""


# --------------------------------------------------------------------------- command line and benchmarks


class BenchmarkError(CrftaggerError, ValueError):
    """Bad benchmark options."""


class EvalFormatError(CrftaggerError, ValueError):
    """A line of an evaluation file that does not follow conlleval's format."""


class TagInputError(CrftaggerError, ValueError):
    """Input text that ``crftagger tag`` cannot read."""


class ConvertFormatError(CrftaggerError, ValueError):
    """A line of the input that cannot be converted."""


# --------------------------------------------------------------------------- features


class FeatureInputError(CrftaggerError, ValueError):
    """Input sentences do not have the shape the feature set needs."""


class FeatureSpecError(CrftaggerError, ValueError):
    """A feature set description is invalid."""


class TemplateError(CrftaggerError, ValueError):
    """A feature template or template file is malformed."""


class DocumentFeatureError(CrftaggerError, ValueError):
    """An unknown document feature name or bad input."""


class ClusterFileError(CrftaggerError, ValueError):
    """A cluster file line is malformed."""


class MissingClustersError(ClusterFileError, FileNotFoundError):
    """A cluster extractor's file is missing and no in-memory table stands in for it."""


class ClusterLearnError(CrftaggerError, ValueError):
    """Bad input or parameters for the cluster learner."""


class GazetteerFileError(CrftaggerError, ValueError):
    """A gazetteer file cannot be read."""


class MissingDataPackage(CrftaggerError, ImportError):
    """A gazetteer source needs a package that is not installed."""


class TagDictionaryError(CrftaggerError, ValueError):
    """A malformed tag-dictionary table or definition."""


# --------------------------------------------------------------------------- corpora


class CorpusFormatError(CrftaggerError, ValueError):
    """Bad corpus input.

    The message names the file, the 1-based line, what was found and what was
    expected: ``"train.txt:12: wrong column count: found 3 fields ('a b c'); expected 4"``.
    The parts are also kept as attributes.
    """

    def __init__(self, path, line: int | None, problem: str, found: str, expected: str):
        self.path = None if path is None else str(path)
        self.line = line
        self.problem = problem
        self.found = found
        self.expected = expected
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {problem}: found {found}; expected {expected}")


class CorpusTemplateError(CrftaggerError, ValueError):
    """A synthetic-corpus template line that cannot be used (unknown slot, unbalanced brace)."""


class CorpusNotFoundError(CrftaggerError, FileNotFoundError):
    """A corpus file is in none of the places searched; the message says where and how to get it."""


class ChecksumError(CrftaggerError, ValueError):
    """Downloaded or built content does not have the registered size or sha256."""


class DownloadError(CrftaggerError, OSError):
    """A source could not be fetched (network or HTTP error)."""


# --------------------------------------------------------------------------- scikit-learn's NotFittedError


def _not_fitted_error() -> type:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(CRFError, SklearnNotFittedError):
        """The estimator is used before ``fit`` (also scikit-learn's ``NotFittedError``)."""

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"
    return NotFittedError


def __getattr__(name: str):
    if name == "NotFittedError":
        cls = _not_fitted_error()
        globals()["NotFittedError"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
