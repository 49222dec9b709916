"""One base class for every error, and scikit-learn's NotFittedError."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.validation import check_is_fitted

from crftagger import CRF, errors


def test_every_error_derives_from_the_base():
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, BaseException) and c.__module__ == errors.__name__
    ]
    assert len(classes) >= 30
    for cls in classes:
        assert issubclass(cls, errors.CrftaggerError), cls
    assert issubclass(errors.NotFittedError, errors.CrftaggerError)


def test_errors_keep_their_builtin_bases():
    assert issubclass(errors.CorpusNotFoundError, FileNotFoundError)
    assert issubclass(errors.MissingClustersError, FileNotFoundError)
    assert issubclass(errors.MissingDataPackage, ImportError)
    assert issubclass(errors.DownloadError, OSError)
    assert issubclass(errors.SchemeError, ValueError)


def test_not_fitted_is_scikit_learns():
    crf = CRF()
    assert errors.NotFittedError is errors.NotFittedError  # created once
    assert issubclass(errors.NotFittedError, SklearnNotFittedError)
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(crf)
    with pytest.raises(errors.NotFittedError, match="not fitted"):
        crf.predict([[{"a": 1.0}]])
    crf.fit([[{"a": 1.0}, {"b": 1.0}]], [["X", "Y"]])
    check_is_fitted(crf)


def test_importing_the_errors_does_not_import_scikit_learn():
    code = "import sys, crftagger.errors; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
