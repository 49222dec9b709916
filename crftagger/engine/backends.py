"""Two interchangeable training/tagging engines behind one interface.

``NumbaBackend``
    crftagger's own :class:`~crftagger.engine.model.LinearChainCRF` (numba kernels).
``CRFsuiteBackend``
    CRFsuite through python-crfsuite (``Trainer`` / ``Tagger``), the reference.

Both take the same parameter names (CRFsuite's) and the same input:

* ``X``: a list of sequences, each a list of items; an item is a
  ``{name: value}`` dict (a string value ``v`` means the attribute
  ``"name:v"`` with value 1, as sklearn-crfsuite and python-crfsuite do) or a
  list of attribute names; or an :class:`~crftagger.engine.encoding.AttributeSequences`
  whose attribute ids refer to the ``attributes`` vocabulary given to the
  backend.
* ``y``: a list of label sequences (strings), or ``None`` when ``X`` is an
  :class:`AttributeSequences` that carries label ids of the ``labels``
  vocabulary given to the backend.

Empty sequences are allowed: they are ignored in training and get empty
predictions. Non-finite attribute values, mismatched lengths and labels that
the model does not know raise :class:`BackendError` (a ``ValueError``).

``training_log_`` is a list of per-iteration dicts with at least
``iteration``, ``loss``, ``active_features`` and ``seconds`` (and ``dev_score``
when dev data were given).
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from crftagger.engine.encoding import AttributeSequences, Vocabulary, encode_dicts

ENGINES = ("numba", "crfsuite")

#: CRFsuite parameters that each algorithm accepts (besides the feature.* ones).
_CRFSUITE_PARAMS = {
    "lbfgs": ("c1", "c2", "max_iterations", "num_memories", "epsilon", "period", "delta",
              "linesearch", "max_linesearch"),
    "l2sgd": ("c2", "max_iterations", "period", "delta"),
    "ap": ("max_iterations", "epsilon"),
}


class BackendError(ValueError):
    """Bad input or options given to a backend."""


# ---------------------------------------------------------------------------- input checks
def _check_item(item, s: int, t: int) -> None:
    if isinstance(item, Mapping):
        for name, value in item.items():
            if isinstance(value, str):
                continue
            if isinstance(value, bool):
                continue
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise BackendError(
                    f"sequence {s}, item {t}: attribute {name!r} has value {value!r}; "
                    "expected a number or a string"
                ) from None
            if not math.isfinite(v):
                raise BackendError(
                    f"sequence {s}, item {t}: attribute {name!r} has value {v}; expected a finite number"
                )
    elif isinstance(item, str) or not isinstance(item, Sequence):
        raise BackendError(
            f"sequence {s}, item {t}: expected a dict of attributes or a list of attribute names, "
            f"found {type(item).__name__}"
        )


def _check_xy(X, y=None, what: str = "X") -> None:
    """Check lengths and values of list input before anything else sees it."""
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise BackendError(f"{what}: expected a list of sequences, found {type(X).__name__}")
    if y is not None:
        if isinstance(y, (str, bytes)) or not isinstance(y, Sequence):
            raise BackendError(f"labels for {what}: expected a list of label sequences, found {type(y).__name__}")
        if len(X) != len(y):
            raise BackendError(f"{what} has {len(X)} sequences but its labels have {len(y)}")
    for s, xseq in enumerate(X):
        if isinstance(xseq, (str, bytes, Mapping)) or not isinstance(xseq, Sequence):
            raise BackendError(f"{what}: sequence {s} must be a list of items, found {type(xseq).__name__}")
        if y is not None:
            yseq = y[s]
            if isinstance(yseq, str):
                raise BackendError(f"labels of sequence {s}: expected a list of labels, found a string")
            if len(yseq) != len(xseq):
                raise BackendError(f"sequence {s}: {what} has {len(xseq)} items but {len(yseq)} labels")
            for t, lab in enumerate(yseq):
                if not isinstance(lab, str):
                    raise BackendError(f"sequence {s}, item {t}: label {lab!r} is not a string")
        for t, item in enumerate(xseq):
            _check_item(item, s, t)


def _check_dev_labels(y_dev, known: set) -> None:
    for s, yseq in enumerate(y_dev):
        for t, lab in enumerate(yseq):
            if lab not in known:
                raise BackendError(
                    f"X_dev sequence {s}, item {t}: label {lab!r} is not in the training labels "
                    f"{sorted(known)}"
                )


def _split(flat: np.ndarray, seq_ptr: np.ndarray) -> list:
    return [flat[seq_ptr[s]:seq_ptr[s + 1]] for s in range(len(seq_ptr) - 1)]


# ---------------------------------------------------------------------------- log parsing
_ITER_RE = re.compile(r"\*{5} (?:Iteration|Epoch) #(\d+) \*{5}(.*?)(?=\*{5} |\Z)", re.S)
_FIELDS = {
    "loss": (re.compile(r"^Loss: ([-+0-9.eEinfa]+)", re.M), float),
    "feature_norm": (re.compile(r"^Feature norm: ([-+0-9.eEinfa]+)", re.M), float),
    "error_norm": (re.compile(r"^Error norm: ([-+0-9.eEinfa]+)", re.M), float),
    "active_features": (re.compile(r"^Active features: (\d+)", re.M), int),
    "seconds": (re.compile(r"^Seconds required for this iteration: ([0-9.]+)", re.M), float),
    "dev_score": (re.compile(r"^Item accuracy: \d+ / \d+ \(([0-9.]+)\)", re.M), float),
}


def parse_crfsuite_log(text: str) -> dict:
    """Parse CRFsuite's training messages.

    Returns ``{"n_features": int | None, "iterations": [per-iteration dicts],
    "total_seconds": float | None}``; per-iteration dicts hold ``iteration``
    and whichever of ``loss``, ``feature_norm``, ``error_norm``,
    ``active_features``, ``seconds``, ``dev_score`` (holdout item accuracy)
    CRFsuite printed. The numbers are CRFsuite's printed ones (6 decimals).
    """
    m = re.search(r"^Number of features: (\d+)", text, re.M)
    n_features = int(m.group(1)) if m else None
    iterations = []
    for it in _ITER_RE.finditer(text):
        rec: dict = {"iteration": int(it.group(1))}
        body = it.group(2)
        for key, (rx, conv) in _FIELDS.items():
            f = rx.search(body)
            if f:
                rec[key] = conv(f.group(1))
        iterations.append(rec)
    m = re.search(r"^Total seconds required for training: ([0-9.]+)", text, re.M)
    return {
        "n_features": n_features,
        "iterations": iterations,
        "total_seconds": float(m.group(1)) if m else None,
    }


# ---------------------------------------------------------------------------- interface
class Backend:
    """Common interface; see the module docstring.

    Parameters are CRFsuite's: ``algorithm`` ("lbfgs", "l2sgd", "ap"), ``c1``,
    ``c2``, ``max_iterations``, ``epsilon``, ``period``, ``delta``,
    ``num_memories``, ``linesearch``, ``max_linesearch``, ``min_freq``
    (``feature.minfreq``), ``all_possible_states``, ``all_possible_transitions``.
    ``attributes`` / ``labels`` are the vocabularies that
    :class:`AttributeSequences` input refers to. ``None`` for a numeric option
    means the engine's default.
    """

    engine = ""

    def __init__(
        self,
        algorithm: str = "lbfgs",
        c1: float | None = None,
        c2: float | None = None,
        max_iterations: int | None = None,
        epsilon: float | None = None,
        period: int | None = None,
        delta: float | None = None,
        num_memories: int | None = None,
        linesearch: str | None = None,
        max_linesearch: int | None = None,
        min_freq: float | None = None,
        all_possible_states: bool = False,
        all_possible_transitions: bool = False,
        threads: int | None = None,
        attributes: Vocabulary | None = None,
        labels: Vocabulary | None = None,
        verbose: bool = False,
    ):
        self.algorithm = algorithm
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.epsilon = epsilon
        self.period = period
        self.delta = delta
        self.num_memories = num_memories
        self.linesearch = linesearch
        self.max_linesearch = max_linesearch
        self.min_freq = min_freq
        self.all_possible_states = all_possible_states
        self.all_possible_transitions = all_possible_transitions
        self.threads = threads
        self.attributes = attributes
        self.labels = labels
        self.verbose = verbose

    _PARAM_NAMES = (
        "algorithm", "c1", "c2", "max_iterations", "epsilon", "period", "delta", "num_memories",
        "linesearch", "max_linesearch", "min_freq", "all_possible_states",
        "all_possible_transitions", "threads", "attributes", "labels", "verbose",
    )

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in self._PARAM_NAMES}

    def set_params(self, **params) -> Backend:
        for k, v in params.items():
            if k not in self._PARAM_NAMES:
                raise BackendError(f"unknown parameter {k!r}; expected one of {self._PARAM_NAMES}")
            setattr(self, k, v)
        return self

    def _algorithm_params(self) -> dict:
        """The options that are set (not ``None``) and that the algorithm takes."""
        if self.algorithm not in _CRFSUITE_PARAMS:
            raise BackendError(
                f"unknown algorithm {self.algorithm!r}; expected one of {tuple(_CRFSUITE_PARAMS)}"
            )
        allowed = _CRFSUITE_PARAMS[self.algorithm]
        out = {}
        for name in ("c1", "c2", "max_iterations", "epsilon", "period", "delta", "num_memories",
                     "linesearch", "max_linesearch"):
            v = getattr(self, name)
            if v is None:
                continue
            if name not in allowed:
                raise BackendError(f"algorithm {self.algorithm!r} takes no parameter {name!r}")
            if name != "linesearch":
                if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                    raise BackendError(f"{name} must be a finite number >= 0, found {v!r}")
            out[name] = v
        if self.min_freq is not None and (not math.isfinite(self.min_freq)):
            raise BackendError(f"min_freq must be finite, found {self.min_freq!r}")
        return out

    # -- input normalisation ---------------------------------------------------------
    def _labels_of(self, X, y) -> list | None:
        """Label sequences as lists of strings (from ``y`` or from ``X.y``)."""
        if y is not None or not isinstance(X, AttributeSequences):
            return y
        if X.y is None:
            return None
        if self.labels is None:
            raise BackendError("AttributeSequences labels need the backend's `labels` vocabulary")
        if len(X.y) and (X.y.min() < 0 or X.y.max() >= len(self.labels)):
            raise BackendError(
                f"label ids must lie in [0, {len(self.labels)}), found {X.y.min()}..{X.y.max()}"
            )
        names = np.asarray(self.labels.items, dtype=object)
        return [list(v) for v in _split(names[X.y], X.seq_ptr)]

    def _as_dicts(self, X) -> list:
        """List input unchanged; AttributeSequences as lists of ``{name: value}`` dicts."""
        if not isinstance(X, AttributeSequences):
            _check_xy(X)
            return X
        if self.attributes is None:
            raise BackendError("AttributeSequences input needs the backend's `attributes` vocabulary")
        X.check(n_attributes=len(self.attributes))
        names = self.attributes.items
        ids, vals = X.attr_ids.tolist(), X.attr_vals.tolist()
        ip = X.item_ptr.tolist()
        items = [
            {names[a]: v for a, v in zip(ids[ip[i]:ip[i + 1]], vals[ip[i]:ip[i + 1]], strict=True) if a >= 0}
            for i in range(X.n_items)
        ]
        sp = X.seq_ptr.tolist()
        return [items[sp[s]:sp[s + 1]] for s in range(X.n_sequences)]

    def _dev_set(self, X_dev, y_dev, known_labels: set) -> tuple[list, list]:
        """Checked development data as ``(dicts, label sequences)``; its labels must be known."""
        y_dev = self._labels_of(X_dev, y_dev)
        if y_dev is None:
            raise BackendError("X_dev needs labels y_dev")
        X_dev = self._as_dicts(X_dev)
        _check_xy(X_dev, y_dev, "X_dev")
        _check_dev_labels(y_dev, known_labels)
        return X_dev, y_dev

    # -- to be provided by engines ----------------------------------------------------
    def fit(self, X, y=None, X_dev=None, y_dev=None) -> Backend:
        raise NotImplementedError

    def predict(self, X) -> list[list[str]]:
        raise NotImplementedError

    def predict_marginals_array(self, X) -> list[np.ndarray]:
        raise NotImplementedError

    def predict_single(self, xseq) -> list[str]:
        return self.predict([xseq])[0]

    def predict_marginals(self, X) -> list[list[dict[str, float]]]:
        """``p(y_t = label | x)`` per item as ``{label: probability}`` dicts (sklearn-crfsuite's form)."""
        classes = self.classes_
        return [[dict(zip(classes, row.tolist(), strict=True)) for row in m] for m in self.predict_marginals_array(X)]

    def score(self, X, y) -> float:
        """Token accuracy of ``predict(X)`` against ``y``.

        A gold label the model never saw in training simply counts as an error.
        """
        y = self._labels_of(X, y)
        pred = self.predict(X)
        if len(pred) != len(y):
            raise BackendError(f"X has {len(pred)} sequences but y has {len(y)}")
        total = correct = 0
        for s, (p, g) in enumerate(zip(pred, y, strict=True)):
            if len(p) != len(g):
                raise BackendError(f"sequence {s}: X has {len(p)} items but y has {len(g)} labels")
            total += len(g)
            correct += sum(a == b for a, b in zip(p, g, strict=True))
        return correct / total if total else 0.0

    @property
    def final_loss_(self) -> float | None:
        """Loss of the last training iteration (``None`` when the log has none)."""
        for rec in reversed(self.training_log_):
            if "loss" in rec:
                return rec["loss"]
        return None


# ---------------------------------------------------------------------------- numba engine
class NumbaBackend(Backend):
    """crftagger's own CRF (:class:`~crftagger.engine.model.LinearChainCRF`).

    ``order=2`` trains a second-order model
    (:class:`~crftagger.engine.second_order.SecondOrderCRF`, ``algorithm="lbfgs"`` only).
    """

    engine = "numba"
    _PARAM_NAMES = Backend._PARAM_NAMES + ("order",)

    def __init__(self, *args, order: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order

    def _encode_train(self, X, y):
        if isinstance(X, AttributeSequences):
            if self.attributes is None:
                raise BackendError("AttributeSequences input needs the backend's `attributes` vocabulary")
            attributes = self.attributes
            if y is None:
                if X.y is None:
                    raise BackendError("fit needs labels: y is None and X carries none")
                if self.labels is None:
                    raise BackendError("AttributeSequences labels need the backend's `labels` vocabulary")
                X.check(n_attributes=len(attributes), n_labels=len(self.labels))
                return X, attributes, self.labels
            y = self._labels_of(X, y)
            X = self._as_dicts(X)
            return self._encode_lists(X, y, Vocabulary(attributes.items))
        if y is None:
            raise BackendError("fit needs labels y")
        return self._encode_lists(X, y, Vocabulary())

    def _encode_lists(self, X, y, attributes):
        _check_xy(X, y)
        labels = Vocabulary(self.labels.items) if self.labels is not None else Vocabulary()
        data = encode_dicts(X, attributes, y, labels)
        return data, attributes, labels

    def _encode_predict(self, X) -> AttributeSequences:
        self._require_fitted()
        if isinstance(X, AttributeSequences):
            if self.attributes is None or self.attributes.items != self.model_.attributes.items[: len(self.attributes)]:
                X = self._as_dicts(X)
            else:
                X.check(n_attributes=len(self.model_.attributes))
                return X
        _check_xy(X)
        return encode_dicts(X, self.model_.attributes)

    def _require_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise BackendError("the backend is not fitted: call fit() first")

    def fit(self, X, y=None, X_dev=None, y_dev=None) -> NumbaBackend:
        from crftagger.engine.second_order import model_class

        params = self._algorithm_params()
        try:
            cls = model_class(self.order)
        except ValueError as exc:
            raise BackendError(str(exc)) from None
        if self.order == 2 and self.algorithm != "lbfgs":
            raise BackendError(f"order=2 trains with algorithm 'lbfgs' only, found {self.algorithm!r}")
        data, attributes, labels = self._encode_train(X, y)
        attributes = Vocabulary(attributes.items).freeze()
        labels = Vocabulary(labels.items).freeze()
        model = cls(labels, attributes)
        callback = None
        if X_dev is not None:
            Xd, y_dev = self._dev_set(X_dev, y_dev, set(labels.items))
            dev = encode_dicts(Xd, attributes, y_dev, labels)
            callback = _DevScorer(model, dev)
        model.fit(
            data,
            algorithm=self.algorithm,
            threads=self.threads,
            callback=callback,
            all_possible_states=self.all_possible_states,
            all_possible_transitions=self.all_possible_transitions,
            min_freq=self.min_freq or 0.0,
            **params,
        )
        self.model_ = model
        self.classes_ = list(labels.items)
        self.n_features_ = model.n_features
        log = [dict(rec) for rec in model.training_log]
        for rec in log:
            if callback is not None and "score" in rec:
                rec["dev_score"] = rec.pop("score")
        self.training_log_ = log
        return self

    def predict_ids(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Flat label ids int32[N] and the ``seq_ptr`` int64[S + 1] that splits them."""
        data = self._encode_predict(X)
        return self.model_.predict(data, threads=self.threads), data.seq_ptr

    def predict(self, X) -> list[list[str]]:
        ids, seq_ptr = self.predict_ids(X)
        names = np.asarray(self.classes_, dtype=object)
        return [list(v) for v in _split(names[ids], seq_ptr)]

    def predict_marginals_array(self, X) -> list[np.ndarray]:
        """Per sequence a float64[T, L] array of marginals, columns in ``classes_`` order."""
        data = self._encode_predict(X)
        return _split(self.model_.predict_marginals(data, threads=self.threads), data.seq_ptr)

    @property
    def state_features_(self):
        self._require_fitted()
        return self.model_.state_features_

    @property
    def transition_features_(self):
        self._require_fitted()
        return self.model_.transition_features_


class _DevScorer:
    """Training callback ``(iteration, w) -> token accuracy on the dev data``."""

    def __init__(self, model, dev: AttributeSequences):
        self.model = model
        self.dev = dev
        self.out = np.empty(dev.n_items, dtype=np.int32)

    def __call__(self, iteration, w):
        if self.dev.n_items == 0:
            return 0.0
        self.model.decode_with(w, self.dev, out=self.out)
        return float(np.mean(self.out == self.dev.y))


# ---------------------------------------------------------------------------- CRFsuite engine
class CRFsuiteBackend(Backend):
    """CRFsuite through python-crfsuite; the model file lives in a temporary folder."""

    engine = "crfsuite"

    def _crfsuite_params(self) -> dict:
        params = self._algorithm_params()
        if self.min_freq is not None:
            params["feature.minfreq"] = float(self.min_freq)
        params["feature.possible_states"] = bool(self.all_possible_states)
        params["feature.possible_transitions"] = bool(self.all_possible_transitions)
        if "linesearch" in params:
            params["linesearch"] = str(params["linesearch"])
        return params

    def fit(self, X, y=None, X_dev=None, y_dev=None) -> CRFsuiteBackend:
        import pycrfsuite

        params = self._crfsuite_params()
        y = self._labels_of(X, y)
        if y is None:
            raise BackendError("fit needs labels y")
        X = self._as_dicts(X)
        _check_xy(X, y)
        dev = None
        if X_dev is not None:
            dev = self._dev_set(X_dev, y_dev, {lab for seq in y for lab in seq})
        messages: list[str] = []
        trainer = pycrfsuite.Trainer(algorithm=self.algorithm, verbose=False)
        trainer.message = messages.append
        trainer.select(self.algorithm, "crf1d")
        for xseq, yseq in zip(X, y, strict=True):
            trainer.append(pycrfsuite.ItemSequence(xseq), list(yseq))
        if dev is not None:
            for xseq, yseq in zip(*dev, strict=True):
                trainer.append(pycrfsuite.ItemSequence(xseq), list(yseq), 1)
        trainer.set_params(params)
        workdir = tempfile.mkdtemp(prefix="crftagger-crfsuite-")
        self._cleanup = weakref.finalize(self, shutil.rmtree, workdir, True)
        self.model_path_ = str(Path(workdir) / "model.crfsuite")
        start = time.perf_counter()
        trainer.train(self.model_path_, holdout=1 if dev is not None else -1)
        self.training_seconds_ = time.perf_counter() - start
        self.training_text_ = "".join(messages)
        parsed = parse_crfsuite_log(self.training_text_)
        self.n_features_ = parsed["n_features"]
        self.training_log_ = parsed["iterations"]
        self._open()
        return self

    def _open(self) -> None:
        import pycrfsuite

        self.tagger_ = pycrfsuite.Tagger()
        self.tagger_.open(self.model_path_)
        self.classes_ = list(self.tagger_.labels())

    def _require_fitted(self) -> None:
        if not hasattr(self, "tagger_"):
            raise BackendError("the backend is not fitted: call fit() first")

    def predict(self, X) -> list[list[str]]:
        import pycrfsuite

        self._require_fitted()
        X = self._as_dicts(X)
        tag = self.tagger_.tag
        return [tag(pycrfsuite.ItemSequence(xseq)) if len(xseq) else [] for xseq in X]

    def predict_marginals_array(self, X) -> list[np.ndarray]:
        """Per sequence a float64[T, L] array of marginals, columns in ``classes_`` order."""
        import pycrfsuite

        self._require_fitted()
        X = self._as_dicts(X)
        out = []
        tagger, classes = self.tagger_, self.classes_
        for xseq in X:
            m = np.empty((len(xseq), len(classes)), dtype=np.float64)
            if len(xseq):
                tagger.set(pycrfsuite.ItemSequence(xseq))
                for t in range(len(xseq)):
                    for j, lab in enumerate(classes):
                        m[t, j] = tagger.marginal(lab, t)
            out.append(m)
        return out

    @property
    def state_features_(self):
        self._require_fitted()
        return dict(self.tagger_.info().state_features)

    @property
    def transition_features_(self):
        self._require_fitted()
        return dict(self.tagger_.info().transitions)

    def to_crf(self):
        """The trained model imported (full precision) as a :class:`LinearChainCRF`."""
        from crftagger.io.crfsuite import load_crfsuite

        self._require_fitted()
        return load_crfsuite(self.model_path_)


def make_backend(engine: str, **params) -> Backend:
    """A backend by engine name ("numba" or "crfsuite")."""
    if engine == "numba":
        return NumbaBackend(**params)
    if engine == "crfsuite":
        return CRFsuiteBackend(**params)
    raise BackendError(f"unknown engine {engine!r}; expected one of {ENGINES}")
