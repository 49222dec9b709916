"""``crftagger.CRF``: sklearn-crfsuite's ``CRF`` estimator on crftagger's engines.

Existing sklearn-crfsuite code runs after changing the import::

    from crftagger import CRF            # was: from sklearn_crfsuite import CRF

    crf = CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100,
              all_possible_transitions=True)
    crf.fit(X_train, y_train)            # X: lists of {attribute: value} dicts per token
    y_pred = crf.predict(X_test)

Parameters keep sklearn-crfsuite's names and meaning (``None`` means the
engine's default, which is CRFsuite's). Two more: ``engine`` (``"numba"``,
crftagger's own CRF, the default; ``"crfsuite"``, CRFsuite through
python-crfsuite) and ``threads`` (numba threads; results do not depend on it).

Which options each engine honours:

==========================  ==========================  =========================
options                     ``engine="numba"``          ``engine="crfsuite"``
==========================  ==========================  =========================
lbfgs: c1, c2, ...          yes (OWL-QN when c1 > 0)    yes
l2sgd: c2, calibration_*    yes                         yes
ap: max_iterations, eps.    yes                         yes
pa, arow                    yes                         yes
min_freq, all_possible_*    yes                         yes
verbose                     tqdm bar: loss, dev score   CRFsuite's log lines
model_filename              CRFsuite model file [1]_    CRFsuite model file
keep_tempfiles, trainer_cls no temporary files          as sklearn-crfsuite
==========================  ==========================  =========================

.. [1] A second-order model (``order=2``), which no CRFsuite file holds, is
   written as a crftagger model file.

An option that the chosen algorithm does not take is an error (as in
CRFsuite).

Input is read as python-crfsuite reads it. An item is a dict or a list of
attribute names. Names are strings (UTF-8 ``bytes`` are decoded, so a model
trained on ``"w"`` sees ``b"w"``). Values are finite numbers (absolute value
at most ``crftagger.engine.encoding.MAX_ATTRIBUTE_VALUE``, 1e30), booleans,
strings or UTF-8 bytes (``{"w": "the"}`` and ``{"w": b"the"}`` are the
attribute ``"w:the"`` with value 1); a nested dict ``{"w": {"lower": 1.0}}``
is ``"w:lower"``, and a list or set of strings ``{"w": ["a", "b"]}`` is
``"w:a"`` and ``"w:b"``. A tuple value is refused, as python-crfsuite refuses
it (so are NaN and infinite values, which python-crfsuite would take). A
sequence may also be a ``pycrfsuite.ItemSequence``. Empty sequences are
allowed: training skips them and they get empty predictions.

As in sklearn-crfsuite, the fitted attributes (``tagger_``, ``classes_``,
``size_``, ``attributes_``, ``num_attributes_``, ``state_features_``,
``transition_features_``) are ``None`` before :meth:`CRF.fit`, and
``CRF(model_filename=path)`` with an existing file (CRFsuite's or
crftagger's) is a fitted estimator. ``tagger_`` is a ``pycrfsuite.Tagger``
(CRFsuite engine) or a :class:`~crftagger.api.crfsuite_tagger.ModelTagger`
with the same methods (numba engine). ``predict`` returns a list of lists, as
sklearn-crfsuite 0.3 does (0.5 returns an object array of the same lists).

Pickling keeps the fitted model: the numba engine through its arrays and
vocabularies, the CRFsuite engine through the bytes of its model file (as
sklearn-crfsuite does).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from crftagger.engine.encoding import (
    MAX_ATTRIBUTE_VALUE,
    AttributeSequences,
    Vocabulary,
    decode_dicts,
    encode_dicts,
)
from crftagger.engine.engines import (  # noqa: F401
    ProgressCallback,
    get_engine,
    progress_bar,
    refuse_nul,
)
from crftagger.engine.options import (  # noqa: F401
    ALGORITHM_OPTIONS,
    ALL_OPTIONS,
    CRFSUITE_ALGORITHMS,
    ENGINES,
    LINESEARCHES,
    NUMBA_ALGORITHMS,
    check_algorithm,
    check_min_freq,
    check_options,
    check_threads,
)
from crftagger.errors import CRFError, NotFittedError


class TrainingLog(list):
    """Per-iteration dicts (``iteration``, ``loss``, ``active_features``, ``seconds``, ...).

    A list, with sklearn-crfsuite's log-parser names ``iterations`` and
    ``last_iteration`` as well.
    """

    @property
    def iterations(self) -> list[dict]:
        return list(self)

    @property
    def last_iteration(self) -> dict | None:
        return self[-1] if self else None


# --------------------------------------------------------------------------- input checks


_NUMBERS = (bool, int, float, np.integer, np.floating, np.bool_)


def _name(key, s: int, t: int, what: str = "attribute name") -> str:
    """An attribute name: a str, or bytes read as UTF-8 (python-crfsuite passes bytes through)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            raise CRFError(
                f"sequence {s}, item {t}: {what} {key[:40]!r} is not UTF-8 text"
            ) from None
    raise CRFError(
        f"sequence {s}, item {t}: {what} {key!r} is of type {type(key).__name__}; "
        "expected a string (or UTF-8 bytes)"
    )


def _item_to_dict(item, s: int, t: int) -> Mapping | Sequence[str]:
    """Normalise one item to ``{name: float}`` (or keep a list of names); errors name the place.

    Items are read as python-crfsuite reads them: str (or UTF-8 bytes) keys;
    number, boolean, str or bytes values (``{"w": b"x"}`` is ``"w:x"``); a
    dict value prefixes its keys; a list or set value lists names.
    """
    if isinstance(item, Mapping):
        plain = True
        for name, value in item.items():
            kind = value.__class__
            if name.__class__ is not str or kind not in _PLAIN_VALUES:
                if not isinstance(name, str) or not isinstance(value, (str, *_NUMBERS)):
                    plain = False
                    break
            elif (
                kind is str or kind is bool or -MAX_ATTRIBUTE_VALUE <= value <= MAX_ATTRIBUTE_VALUE
            ):
                continue  # the common case: exact types, a value in range
            if not isinstance(value, (str, bool)) and not abs(_float(value)) <= MAX_ATTRIBUTE_VALUE:
                raise CRFError(
                    f"sequence {s}, item {t}: attribute {name!r} has value {value!r:.40}; "
                    f"expected a finite number with absolute value at most {MAX_ATTRIBUTE_VALUE:g}"
                )
        if plain:
            return item
        flat: dict[str, float] = {}
        for name, value in item.items():
            _flatten_value(_name(name, s, t), value, flat, s, t)
        return flat
    if isinstance(item, (str, bytes)) or not isinstance(item, (Sequence, set, frozenset)):
        raise CRFError(
            f"sequence {s}, item {t}: expected a dict of attributes or a list of attribute "
            f"names, found {type(item).__name__}"
        )
    if all(isinstance(name, str) for name in item):
        return item if isinstance(item, Sequence) else list(item)
    return [_name(name, s, t) for name in item]


#: Value types read without further checks (besides the range of numbers).
_PLAIN_VALUES = frozenset({str, bool, int, float})


def _float(value) -> float:
    """``float(value)``; an int too large for a float is infinite (then refused as such)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _flatten_value(name: str, value, out: dict, s: int, t: int) -> None:
    if isinstance(value, (str, bytes)):
        key, v = f"{name}:{_name(value, s, t, f'the value of attribute {name!r}')}", 1.0
    elif isinstance(value, Mapping):
        for sub, v2 in value.items():
            _flatten_value(f"{name}:{_name(sub, s, t)}", v2, out, s, t)
        return
    elif isinstance(value, (list, set)):
        for v2 in value:
            if not isinstance(v2, (str, bytes)):
                raise CRFError(
                    f"sequence {s}, item {t}: attribute {name!r} lists {v2!r}; expected strings"
                )
            k = f"{name}:{_name(v2, s, t, f'a name listed by attribute {name!r}')}"
            out[k] = out.get(k, 0.0) + 1.0
        return
    elif isinstance(value, _NUMBERS):
        key, v = name, _float(value)
    else:
        hint = (
            " (python-crfsuite refuses tuples too: use a list or a set of strings)"
            if isinstance(value, (tuple, frozenset))
            else ""
        )
        raise CRFError(
            f"sequence {s}, item {t}: attribute {name!r} has a {type(value).__name__} value "
            f"{value!r:.60}; expected a number, a boolean, a string, bytes, a dict, or a list "
            f"or set of strings{hint}"
        )
    if not abs(v) <= MAX_ATTRIBUTE_VALUE:
        raise CRFError(
            f"sequence {s}, item {t}: attribute {name!r} has value {v}; "
            f"expected a finite number with absolute value at most {MAX_ATTRIBUTE_VALUE:g}"
        )
    out[key] = out.get(key, 0.0) + v


def _is_item_sequence(xseq) -> bool:
    """Whether ``xseq`` is a ``pycrfsuite.ItemSequence`` (checked without importing pycrfsuite)."""
    cls = type(xseq)
    return cls.__name__ == "ItemSequence" and cls.__module__.startswith("pycrfsuite")


def check_X(X, what: str = "X") -> list:
    """Validate sklearn-crfsuite input; return it with items normalised (a new outer list).

    ``X`` may be any iterable of sequences (a generator is read once); a
    sequence is a list of items or a ``pycrfsuite.ItemSequence``.
    """
    return [
        [_item_to_dict(item, s, t) for t, item in enumerate(xseq)]
        for s, xseq in enumerate(_sequences(X, what))
    ]


def _sequences(X, what: str = "X"):
    """The sequences of ``X`` (``ItemSequence`` as its items), checked one by one as read."""
    if isinstance(X, (str, bytes, Mapping)) or not isinstance(X, Iterable):
        raise CRFError(f"{what}: expected a list of sequences, found {type(X).__name__}")
    for s, xseq in enumerate(X):
        if _is_item_sequence(xseq):
            xseq = xseq.items()
        elif isinstance(xseq, (str, bytes, Mapping)) or not isinstance(
            xseq, (Sequence, np.ndarray)
        ):
            raise CRFError(
                f"{what}: sequence {s} must be a list of items, found {type(xseq).__name__}"
            )
        yield xseq


def _lengths(data: AttributeSequences) -> list[range]:
    """Stand-ins of the sequences of ``data`` for :func:`check_y` (it reads their lengths)."""
    return [range(int(n)) for n in data.lengths()]


def _check_arrays(data: AttributeSequences, attributes: Vocabulary, what: str) -> None:
    try:
        data.check(n_attributes=len(attributes))
    except ValueError as exc:
        raise CRFError(f"{what}: {exc}") from None


def check_y(y, X: list, what: str = "y") -> list[list[str]]:
    """Validate label sequences against ``X``; return them as lists of str."""
    if y is None:
        raise CRFError(f"{what}: labels are needed")
    if isinstance(y, (str, bytes, Mapping)) or not isinstance(y, Iterable):
        raise CRFError(f"{what}: expected a list of label sequences, found {type(y).__name__}")
    if not isinstance(y, (Sequence, np.ndarray)):
        y = list(y)
    if len(y) != len(X):
        raise CRFError(f"{what} has {len(y)} label sequences for {len(X)} sequences")
    out = []
    for s, (xseq, yseq) in enumerate(zip(X, y, strict=True)):
        if isinstance(yseq, str) or not isinstance(yseq, (Sequence, np.ndarray)):
            raise CRFError(
                f"{what}: sequence {s} must be a list of labels, found {type(yseq).__name__}"
            )
        if len(yseq) != len(xseq):
            raise CRFError(f"sequence {s}: {len(xseq)} items but {len(yseq)} labels in {what}")
        for t, lab in enumerate(yseq):
            if not isinstance(lab, str) or not lab:
                raise CRFError(
                    f"sequence {s}, item {t}: label {lab!r} in {what} is not a non-empty string"
                )
        out.append(list(yseq))
    return out


# --------------------------------------------------------------------------- the estimator


class CRF(BaseEstimator):
    """A linear-chain CRF with sklearn-crfsuite's interface (see the module docstring).

    Parameters
    ----------
    algorithm : {"lbfgs", "l2sgd", "ap", "pa", "arow"}, default "lbfgs"
        Training algorithm.
    min_freq, all_possible_states, all_possible_transitions
        Feature generation (CRFsuite's ``feature.*``).
    c1, c2, max_iterations, num_memories, epsilon, period, delta, linesearch, max_linesearch
        L-BFGS / OWL-QN options (``c1``: L1, ``c2``: L2 coefficient of ``||w||^2``).
    calibration_eta, calibration_rate, calibration_samples, calibration_candidates, calibration_max_trials
        l2sgd learning-rate calibration.
    pa_type, c, error_sensitive, averaging
        Passive-aggressive options.
    variance, gamma
        AROW options.
    verbose : bool
        Show training progress (numba: a tqdm bar with loss and dev score).
    model_filename : str, optional
        Also write the trained model there, as a CRFsuite model file (a
        second-order model: a crftagger model file). An existing file there
        is loaded when the estimator is used before :meth:`fit`.
    keep_tempfiles : bool
        CRFsuite engine: keep its temporary model file.
    trainer_cls : class, optional
        CRFsuite engine: a ``pycrfsuite.Trainer`` subclass.
    engine : {"numba", "crfsuite"}, default "numba"
    threads : int, optional
        numba threads for training and prediction (``None``: numba's setting).
    order : {1, 2}, default 1
        2 trains a second-order CRF (:class:`~crftagger.engine.second_order.SecondOrderCRF`:
        transition weights over label triples; numba engine, ``lbfgs`` only).
    """

    _crfsuite_cache: bytes | None

    def __init__(
        self,
        algorithm="lbfgs",
        min_freq=None,
        all_possible_states=None,
        all_possible_transitions=None,
        c1=None,
        c2=None,
        max_iterations=None,
        num_memories=None,
        epsilon=None,
        period=None,
        delta=None,
        linesearch=None,
        max_linesearch=None,
        calibration_eta=None,
        calibration_rate=None,
        calibration_samples=None,
        calibration_candidates=None,
        calibration_max_trials=None,
        pa_type=None,
        c=None,
        error_sensitive=None,
        averaging=None,
        variance=None,
        gamma=None,
        verbose=False,
        model_filename=None,
        keep_tempfiles=False,
        trainer_cls=None,
        engine="numba",
        threads=None,
        order=1,
    ):
        self.algorithm = algorithm
        self.min_freq = min_freq
        self.all_possible_states = all_possible_states
        self.all_possible_transitions = all_possible_transitions
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.num_memories = num_memories
        self.epsilon = epsilon
        self.period = period
        self.delta = delta
        self.linesearch = linesearch
        self.max_linesearch = max_linesearch
        self.calibration_eta = calibration_eta
        self.calibration_rate = calibration_rate
        self.calibration_samples = calibration_samples
        self.calibration_candidates = calibration_candidates
        self.calibration_max_trials = calibration_max_trials
        self.pa_type = pa_type
        self.c = c
        self.error_sensitive = error_sensitive
        self.averaging = averaging
        self.variance = variance
        self.gamma = gamma
        self.verbose = verbose
        self.model_filename = model_filename
        self.keep_tempfiles = keep_tempfiles
        self.trainer_cls = trainer_cls
        self.engine = engine
        self.threads = threads
        self.order = order

    # ------------------------------------------------------------------ validation
    def check_params(self) -> tuple[str, dict]:
        """``(algorithm, options)``: the canonical algorithm name and the options that are set.

        Raises :class:`~crftagger.errors.CRFError` for an unknown engine or
        algorithm, an option the algorithm does not take, or a bad value
        (the checks :meth:`fit` runs before reading any data).
        """
        algorithm = check_algorithm(self.algorithm, self.engine, self.order)
        options = check_options(algorithm, {name: getattr(self, name) for name in ALL_OPTIONS})
        check_min_freq(self.min_freq)
        check_threads(self.threads)
        return algorithm, options

    def __sklearn_is_fitted__(self) -> bool:
        return self._fitted()

    def _fitted(self) -> bool:
        """Whether a model is held; an existing ``model_filename`` file is loaded first.

        As in sklearn-crfsuite, ``CRF(model_filename=path)`` with ``path`` an
        existing model file (CRFsuite's or crftagger's) is a fitted estimator.
        """
        if (
            getattr(self, "_model", None) is not None
            or getattr(self, "_crfsuite_bytes", None) is not None
        ):
            return True
        path = self.model_filename
        if not path or not os.path.isfile(path):
            return False
        model, blob = read_model_file(path, self.engine)
        self._model, self._crfsuite_bytes = model, blob
        self._crfsuite_source = str(path)
        self._tagger = self._info_cached = self._imported = self._crfsuite_cache = None
        self._n_features = None
        if getattr(self, "training_log_", None) is None:
            self.training_log_ = TrainingLog()
        return True

    def _require_fitted(self) -> None:
        if not self._fitted():
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() first")

    @property
    def fitted_engine_(self) -> str:
        self._require_fitted()
        return "numba" if getattr(self, "_model", None) is not None else "crfsuite"

    # ------------------------------------------------------------------ fit
    def fit(
        self, X, y, X_dev=None, y_dev=None, *, attributes: Vocabulary | None = None, dev_scorer=None
    ) -> CRF:
        """Train on ``X`` and ``y`` (lists of labels); return self.

        ``X`` is a list of sequences of attribute dicts (sklearn-crfsuite's
        input) or an :class:`~crftagger.engine.encoding.AttributeSequences`
        whose attribute ids refer to ``attributes`` (what a feature extractor
        gives; ``X_dev`` then takes the same form). ``X_dev`` / ``y_dev`` are
        scored after every iteration (``training_log_``); ``dev_scorer(model,
        w) -> dict`` adds scores of its own to each iteration (numba engine).
        """
        if (X_dev is None) != (y_dev is None):
            raise CRFError("pass both X_dev and y_dev to use the holdout data")
        algorithm, options = self.check_params()
        arrays = isinstance(X, AttributeSequences)
        if arrays:
            if not isinstance(attributes, Vocabulary):
                raise CRFError(
                    "X is an AttributeSequences: pass attributes=, the Vocabulary its "
                    "attribute ids refer to"
                )
            _check_arrays(X, attributes, "X")
            y = check_y(y, _lengths(X))
        else:
            X = check_X(X)
            y = check_y(y, X)
        if not any(len(s) for s in y):
            raise CRFError("the training data hold no labelled item (every sequence is empty)")
        dev = None
        if X_dev is not None:
            if arrays:
                if not isinstance(X_dev, AttributeSequences):
                    raise CRFError("X is an AttributeSequences, so X_dev must be one as well")
                _check_arrays(X_dev, attributes, "X_dev")
                y_dev = check_y(y_dev, _lengths(X_dev), "y_dev")
            else:
                X_dev = check_X(X_dev, "X_dev")
                y_dev = check_y(y_dev, X_dev, "y_dev")
            dev = (X_dev, y_dev)
        self._model = None
        self._crfsuite_bytes = None
        self._tagger = None
        self._info_cached = None
        self._imported = None
        self._crfsuite_cache = None
        self._n_features = None
        features = {
            "min_freq": self.min_freq,
            "all_possible_states": self.all_possible_states,
            "all_possible_transitions": self.all_possible_transitions,
        }
        if self.engine == "numba":
            self._fit_numba(X, y, dev, attributes, algorithm, options, features, dev_scorer)
        else:
            self._fit_attributes = attributes if arrays else None
            if arrays:
                X = decode_dicts(X, attributes)
                if dev is not None:
                    dev = (decode_dicts(dev[0], attributes), dev[1])
            blob, log, path, n_features = get_engine("crfsuite").train(
                X,
                y,
                algorithm=algorithm,
                options=options,
                features=features,
                dev=dev,
                verbose=bool(self.verbose),
                model_filename=self.model_filename,
                keep_tempfiles=self.keep_tempfiles,
                trainer_cls=self.trainer_cls,
            )
            self._crfsuite_bytes = blob
            self._n_features = n_features
            self.crfsuite_model_path_ = path
            self.training_log_ = TrainingLog(log)
        self.training_params_ = {"algorithm": algorithm, **options}
        return self

    def _fit_numba(self, X, y, dev, attributes, algorithm, options, features, dev_scorer) -> None:
        if self.trainer_cls is not None:
            raise CRFError("trainer_cls is a python-crfsuite option: use engine='crfsuite'")
        labels = Vocabulary()
        if isinstance(X, AttributeSequences):
            ids = labels.add_many(t for seq in y for t in seq)
            data = AttributeSequences(
                X.seq_ptr, X.item_ptr, X.attr_ids, X.attr_vals, np.asarray(ids, dtype=np.int32)
            )
        else:
            attributes = Vocabulary()
            data = encode_dicts(X, attributes, y, labels)
            attributes.freeze()
        labels.freeze()
        dev_data = None
        if dev is not None:
            dev_X, dev_y = dev
            # dev labels never seen in training get id -1: always counted wrong
            if isinstance(dev_X, AttributeSequences):
                dev_data = AttributeSequences(
                    dev_X.seq_ptr, dev_X.item_ptr, dev_X.attr_ids, dev_X.attr_vals
                )
            else:
                dev_data = encode_dicts(dev_X, attributes)
            dev_data.y = np.asarray([labels.get(t) for seq in dev_y for t in seq], dtype=np.int32)
        model, log = get_engine("numba").train(
            data,
            labels,
            attributes,
            algorithm=algorithm,
            options=options,
            features=features,
            order=self.order,
            threads=self.threads,
            dev=dev_data,
            dev_scorer=dev_scorer,
            progress=bool(self.verbose),
        )
        self.training_log_ = TrainingLog(log)
        self._model = model
        self._n_features = model.n_features
        if self.model_filename:
            if model.order == 1:  # the file sklearn-crfsuite and CRFsuite read
                from crftagger.io.container import _atomic_write

                _atomic_write(Path(self.model_filename), [self._crfsuite_blob()])
            else:
                model.save(
                    self.model_filename,
                    header={"estimator": "crftagger.CRF", "params": _json_params(self)},
                )

    # ------------------------------------------------------------------ CRFsuite engine state
    @property
    def tagger_(self):
        """The tagger of the fitted model, ``None`` before :meth:`fit` (as in sklearn-crfsuite).

        CRFsuite engine: a ``pycrfsuite.Tagger``. numba engine: a
        :class:`~crftagger.api.crfsuite_tagger.ModelTagger` with the same
        methods (``labels``, ``set``, ``tag``, ``marginal``, ``probability``,
        ``info``, ``dump``) on crftagger's model.
        """
        if not self._fitted():
            return None
        if getattr(self, "_tagger", None) is None and self._model is not None:
            from crftagger.api.crfsuite_tagger import ModelTagger

            self._tagger = ModelTagger(self._model, threads=self.threads)
            self._info_cached = None
        if getattr(self, "_tagger", None) is None:
            import pycrfsuite

            from crftagger.io.crfsuite import check_crfsuite_bytes

            # python-crfsuite's C reader trusts every offset: a corrupted file
            # would crash the process, so crftagger's reader checks it first
            check_crfsuite_bytes(
                self._crfsuite_bytes, getattr(self, "_crfsuite_source", "CRFsuite model")
            )
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self._crfsuite_bytes)
            self._tagger = tagger
            self._info_cached = None
        return self._tagger

    @property
    def _info(self):
        if getattr(self, "_info_cached", None) is None:
            self._info_cached = self.tagger_.info()
        return self._info_cached

    @property
    def model_(self):
        """The fitted :class:`~crftagger.engine.model.LinearChainCRF`.

        For the CRFsuite engine the model file is imported with full-precision
        weights (:mod:`crftagger.io.crfsuite`).
        """
        self._require_fitted()
        if self._model is not None:
            return self._model
        if getattr(self, "_imported", None) is None:
            from crftagger.io.crfsuite import load_crfsuite

            fd, tmp = tempfile.mkstemp(suffix=".crfsuite")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(self._crfsuite_bytes)
                self._imported = load_crfsuite(tmp)
            finally:
                os.unlink(tmp)
        return self._imported

    # ------------------------------------------------------------------ prediction
    def _prepare(self, X):
        """``X`` for the fitted engine: attribute arrays (numba) or checked dicts (CRFsuite).

        ``X`` may be attribute dicts or an :class:`AttributeSequences` whose ids
        refer to the ``attributes`` vocabulary given to :meth:`fit` (for the
        numba engine, the model's attributes).
        """
        if isinstance(X, AttributeSequences):
            if self._model is not None:
                _check_arrays(X, self._model.attributes, "X")
                return X
            attributes = getattr(self, "_fit_attributes", None)
            if attributes is None:
                raise CRFError(
                    "X is an AttributeSequences, but this CRFsuite model was not trained on "
                    "attribute arrays: pass attribute dicts"
                )
            _check_arrays(X, attributes, "X")
            return decode_dicts(X, attributes)
        if self._model is None:
            return check_X(X)
        # input rules and encoding in one pass (the rules only run on items off the fast path)
        return encode_dicts(_sequences(X), self._model.attributes, normalise=_item_to_dict)

    def predict(self, X) -> list[list[str]]:
        """Viterbi labels of every sequence, a list of lists of str.

        A list, as sklearn-crfsuite 0.3 returns (its own tests compare the
        result with ``==``); sklearn-crfsuite 0.5 returns an object array of
        lists, ``np.array(crf.predict(X), dtype=object)``.
        """
        self._require_fitted()
        X = self._prepare(X)
        if self._model is None:
            refuse_nul(X)
            tagger = self.tagger_
            return [list(tagger.tag(xseq)) if len(xseq) else [] for xseq in X]
        data = X
        ids = self._model.predict(data, threads=self.threads)
        names = np.asarray(self._model.labels.items, dtype=object)
        sp = data.seq_ptr
        return [names[ids[sp[s] : sp[s + 1]]].tolist() for s in range(data.n_sequences)]

    def predict_single(self, xseq) -> list[str]:
        """Labels of one sequence."""
        return self.predict([xseq])[0]

    def predict_marginals_array(self, X) -> list[np.ndarray]:
        """Per sequence ``p(y_t = l | x)`` as float64[T, L], columns in ``classes_`` order."""
        self._require_fitted()
        X = self._prepare(X)
        if self._model is None:
            refuse_nul(X)
            tagger, classes = self.tagger_, self._labels()
            out = []
            for xseq in X:
                m = np.empty((len(xseq), len(classes)))
                if len(xseq):
                    tagger.set(xseq)
                    for t in range(len(xseq)):
                        for j, lab in enumerate(classes):
                            m[t, j] = tagger.marginal(lab, t)
                out.append(m)
            return out
        data = X
        marg = self._model.predict_marginals(data, threads=self.threads)
        sp = data.seq_ptr
        return [marg[sp[s] : sp[s + 1]] for s in range(data.n_sequences)]

    def predict_marginals(self, X) -> list[list[dict[str, float]]]:
        """``p(y_t = label | x)`` per item as ``{label: probability}`` dicts."""
        classes = self._labels()
        return [
            [dict(zip(classes, row.tolist(), strict=True)) for row in m]
            for m in self.predict_marginals_array(X)
        ]

    def predict_marginals_single(self, xseq) -> list[dict[str, float]]:
        return self.predict_marginals([xseq])[0]

    def score(self, X, y) -> float:
        """Token accuracy of ``predict(X)`` against ``y`` (sklearn-crfsuite's ``score``)."""
        pred = self.predict(X)
        y = check_y(y, pred)
        total = sum(len(s) for s in y)
        if total == 0:
            return 0.0
        correct = sum(
            a == b for ps, gs in zip(pred, y, strict=True) for a, b in zip(ps, gs, strict=True)
        )
        return correct / total

    # ------------------------------------------------------------------ fitted attributes
    @property
    def classes_(self) -> list[str] | None:
        """The labels, in the model's order (``None`` before :meth:`fit`)."""
        return self._labels() if self._fitted() else None

    def _labels(self) -> list[str]:
        self._require_fitted()
        if self._model is not None:
            return list(self._model.labels.items)
        return list(self.tagger_.labels())

    @property
    def state_features_(self) -> dict[tuple[str, str], float] | None:
        """``{(attribute, label): weight}`` of the non-zero state features (``None`` before fit)."""
        if not self._fitted():
            return None
        if self._model is None:
            return dict(self._info.state_features)
        return {k: v for k, v in self._model.state_features_.items() if v != 0.0}

    @property
    def transition_features_(self) -> dict[tuple[str, str], float] | None:
        """``{(previous, current): weight}`` of the non-zero transition features (``None`` before fit)."""
        if not self._fitted():
            return None
        if self._model is None:
            return dict(self._info.transitions)
        return {k: v for k, v in self._model.transition_features_.items() if v != 0.0}

    @property
    def attributes_(self) -> list[str] | None:
        """Attributes with at least one non-zero state feature (as CRFsuite keeps them); ``None`` before fit."""
        if not self._fitted():
            return None
        if self._model is None:
            attrs: list = [None] * int(self._info.header["num_attrs"])
            for name, idx in self._info.attributes.items():
                attrs[int(idx)] = name
            return attrs
        m = self._model
        nz = m.state_weights != 0
        owner = np.repeat(np.arange(len(m.attributes)), np.diff(m.feat_ptr))
        keep = np.unique(owner[nz])
        return [m.attributes[int(a)] for a in keep]

    @property
    def n_features_(self) -> int:
        """Number of features of the model (state and transition features, zero weights included).

        After :meth:`fit` with the CRFsuite engine: the number CRFsuite generated.
        """
        self._require_fitted()
        n = getattr(self, "_n_features", None)
        return int(n) if n is not None else int(self.model_.n_features)

    @property
    def final_loss_(self) -> float | None:
        """Loss of the last training iteration (``None`` when the log has none)."""
        for rec in reversed(getattr(self, "training_log_", None) or []):
            if "loss" in rec:
                return rec["loss"]
        return None

    @property
    def num_attributes_(self) -> int | None:
        """Number of attributes with a non-zero state feature (``None`` before fit)."""
        attrs = self.attributes_
        return None if attrs is None else len(attrs)

    @property
    def size_(self) -> int | None:
        """Model size in bytes, ``None`` before fit.

        As sklearn-crfsuite reports it: the size of the CRFsuite model file
        (the file ``model_filename`` receives). A second-order model, which
        no CRFsuite file holds, is measured in the same layout: its state and
        bigram features as a CRFsuite file, plus one CRFsuite feature record
        (20 bytes) per non-zero trigram weight.
        """
        if not self._fitted():
            return None
        if self._model is None:
            return len(self._crfsuite_bytes)
        if self._model.order == 1:
            return len(self._crfsuite_blob())
        from crftagger.io.crfsuite import _FEATURE, _crf1d_bytes

        m = self._model
        trigrams = int(np.count_nonzero(m.trigram_weights))
        return len(_crf1d_bytes(m)) + trigrams * _FEATURE.itemsize

    def _crfsuite_blob(self) -> bytes:
        """The fitted model as the bytes of a CRFsuite model file (cached)."""
        self._require_fitted()
        if self._model is None:
            return self._crfsuite_bytes
        blob = getattr(self, "_crfsuite_cache", None)
        if blob is None:
            from crftagger.io.crfsuite import crfsuite_bytes

            if self._model.order != 1:
                raise CRFError(
                    "a CRFsuite model file holds a first-order CRF; this model has order=2"
                )
            blob = crfsuite_bytes(self._model)
            self._crfsuite_cache = blob
        return blob

    def dump(self, path=None) -> str:
        """CRFsuite's plain-text dump of the model (``crfsuite dump``, ``Tagger.dump``); returned,
        and written to ``path`` when given.

        Both engines give the same text for the same weights: the model as
        the CRFsuite file it is written as (first-order models only).
        """
        from crftagger.io.crfsuite import crfsuite_dump

        text = crfsuite_dump(self._crfsuite_blob(), getattr(self, "_crfsuite_source", "model"))
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def sequence_probabilities(self, X, y) -> np.ndarray:
        """``p(y_s | x_s)`` of every given label sequence, float64[S] (1 for an empty sequence).

        The per-sequence form of ``tagger_.set(xseq); tagger_.probability(yseq)``.
        A label the model does not know is an error.
        """
        self._require_fitted()
        X = self._prepare(X)
        if self._model is None:
            y = check_y(y, X)
            tagger = self.tagger_
            known = set(tagger.labels())
            out = np.ones(len(X))
            for s, (xseq, yseq) in enumerate(zip(X, y, strict=True)):
                for t, lab in enumerate(yseq):
                    if lab not in known:
                        raise CRFError(
                            f"y sequence {s}, item {t}: label {lab!r} is not one of the model's "
                            f"labels {sorted(known)}"
                        )
                if len(xseq):
                    tagger.set(xseq)
                    out[s] = tagger.probability(yseq)
            return out
        data = X
        y = check_y(y, _lengths(data))
        labels = self._model.labels
        ids = []
        for s, yseq in enumerate(y):
            for t, lab in enumerate(yseq):
                k = labels.get(lab)
                if k < 0:
                    raise CRFError(
                        f"y sequence {s}, item {t}: label {lab!r} is not one of the model's "
                        f"labels {list(labels.items)}"
                    )
                ids.append(k)
        labelled = AttributeSequences(
            data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, np.asarray(ids, np.int32)
        )
        scores = self._model.sequence_scores(labelled)
        logz = self._model.log_partition(labelled, threads=self.threads)
        return np.exp(scores - logz)

    # ------------------------------------------------------------------ files and pickling
    def save(self, path, prune: bool = True) -> Path:
        """Write the fitted model: a crftagger model file (numba) or the CRFsuite file (crfsuite).

        With ``prune`` (numba engine; CRFsuite files are pruned by CRFsuite
        itself) zero-weight state features and the attributes left without
        features are not written; predictions stay identical.
        """
        self._require_fitted()
        if self._model is None:
            from crftagger.io.container import _atomic_write

            path = Path(path)
            _atomic_write(path, [self._crfsuite_bytes])
            return path
        return self._model.save(
            path, header={"estimator": "crftagger.CRF", "params": _json_params(self)}, prune=prune
        )

    @classmethod
    def load(cls, path, engine: str | None = None) -> CRF:
        """Read a model written by :meth:`save` or by CRFsuite / sklearn-crfsuite.

        A crftagger file gives the numba engine; a CRFsuite file keeps the
        CRFsuite engine unless ``engine="numba"`` (then its weights are
        imported at full precision).
        """
        from crftagger.io.crfsuite import MAGIC

        path = Path(path)
        with open(path, "rb") as fh:
            head = fh.read(len(MAGIC))
        if head == MAGIC:
            est = cls(engine=engine or "crfsuite")
            est._model, est._crfsuite_bytes = read_model_file(path, est.engine)
            est._crfsuite_source = str(path)
            if est._model is None:
                est.tagger_  # noqa: B018 - fail now on a broken file
            est.training_log_ = TrainingLog()
            return est
        model, fields = _read_crftagger_file(path)
        user = fields.get("user", {})
        params = {
            k: v for k, v in (user.get("params") or {}).items() if k in cls._get_param_names()
        }
        est = cls(**params)
        est.engine = "numba"
        est._model = model
        est._crfsuite_bytes = None
        est.training_log_ = TrainingLog()
        return est

    def __getstate__(self):
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k
            not in (
                "_tagger",
                "_info_cached",
                "_model",
                "_imported",
                "_fit_attributes",
                "_crfsuite_cache",
            )
        }
        model = self.__dict__.get("_model")
        if model is not None:
            state["_model_arrays"] = model.arrays()
            state["_model_kind"] = model.MODEL_KIND
        return state

    def __setstate__(self, state):
        from crftagger.engine.model import build_model

        state = dict(state)
        arrays = state.pop("_model_arrays", None)
        kind = state.pop("_model_kind", None)
        state.setdefault("order", 1)
        self.__dict__.update(state)
        self._tagger = None
        self._info_cached = None
        self._crfsuite_cache = None
        self._model = None
        if arrays is not None:
            if kind is None:  # pickles that predate the kind field
                kind = (
                    "crftagger.SecondOrderCRF"
                    if "pair_mask" in arrays
                    else "crftagger.LinearChainCRF"
                )
            self._model = build_model(arrays, kind, where="pickled CRF")


def _read_crftagger_file(path: Path):
    """``(model, fields)`` of a crftagger model file."""
    from crftagger.engine.model import MODEL_KINDS, build_model
    from crftagger.io import container

    arrays, fields = container.load(path)
    kind = fields.get("kind")
    if kind not in MODEL_KINDS:
        raise CRFError(f"{path}: model kind {kind!r}, expected one of {sorted(MODEL_KINDS)}")
    return build_model(arrays, kind, where=str(path)), fields


def read_model_file(path, engine: str = "numba"):
    """``(model, crfsuite_bytes)`` of a CRFsuite or crftagger model file, for ``engine``.

    ``engine="numba"`` gives a crftagger model (a CRFsuite file imported at
    full precision) and ``None``; ``engine="crfsuite"`` gives ``None`` and
    validated CRFsuite bytes (a first-order crftagger model is converted).
    """
    from crftagger.io.crfsuite import MAGIC, check_crfsuite_bytes, crfsuite_bytes

    if engine not in ENGINES:
        raise CRFError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(len(MAGIC))
    if head == MAGIC:
        # python-crfsuite's C reader trusts every offset: check the whole file first
        content = check_crfsuite_bytes(path.read_bytes(), path)
        if engine == "numba":
            return content.to_crf(), None
        return None, path.read_bytes()
    model, _ = _read_crftagger_file(path)
    if engine == "numba":
        return model, None
    if model.order != 1:
        raise CRFError(
            f"{path}: a model of order {model.order} cannot run on engine='crfsuite' "
            "(CRFsuite is first-order): use engine='numba'"
        )
    return None, crfsuite_bytes(model)


def _json_params(est: CRF) -> dict:
    """The estimator's parameters that are plain JSON values (for model-file headers)."""
    out = {}
    for k, v in est.get_params(deep=False).items():
        if v is None or isinstance(v, (bool, int, float, str)):
            out[k] = v
    return out
