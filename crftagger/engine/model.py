"""The linear-chain CRF model: feature index, training, prediction.

Notation as in CRFsuite: ``T`` positions, ``L`` labels, ``A`` attributes,
``K`` state features. The parameters are one flat float64 vector ``w`` of
length ``K + L * L``:

``w[k]`` for ``k < K``
    weight of state feature ``k``, the pair (attribute ``a``, label
    ``feat_label[k]``) with ``feat_ptr[a] <= k < feat_ptr[a + 1]``; labels are
    sorted within each attribute (CSR over attributes).
``w[K:].reshape(L, L)``
    transition weights indexed ``[previous, current]``. Only pairs with
    ``trans_mask[prev * L + cur] == 1`` are features; the others stay 0.

There are no BOS/EOS transition weights (as in CRFsuite's crf1d).

Empty sequences are allowed everywhere: they contribute nothing to the
likelihood and get empty predictions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.engine.options import ALGORITHM_OPTIONS, ALL_OPTIONS, NUMBA_ALGORITHMS
from crftagger.errors import ModelError

#: Training algorithms, named as in CRFsuite.
ALGORITHMS = NUMBA_ALGORITHMS


@dataclass
class FeatureIndex:
    """Which (attribute, label) and (label, label) pairs are features.

    Attributes
    ----------
    feat_ptr : int64[A + 1]
        State features of attribute ``a`` are ``feat_ptr[a]:feat_ptr[a + 1]``.
    feat_label : int32[K]
        Label of each state feature, sorted within each attribute.
    trans_mask : uint8[L * L]
        1 where the transition ``[prev, cur]`` (flat ``prev * L + cur``) is a feature.
    state_freq : float64[K]
        Sum of the attribute values of each state feature in the training
        data (0 for features added by ``all_possible_states``).
    trans_freq : float64[L * L]
        Count of each transition in the training data.
    """

    feat_ptr: np.ndarray
    feat_label: np.ndarray
    trans_mask: np.ndarray
    state_freq: np.ndarray
    trans_freq: np.ndarray
    #: The label-pair states of a second-order training (a
    #: :class:`~crftagger.engine.second_order.PairSpace`); None for first order.
    pairs: Any = None

    @property
    def n_attributes(self) -> int:
        return len(self.feat_ptr) - 1

    @property
    def n_labels(self) -> int:
        return int(round(np.sqrt(len(self.trans_mask))))

    @property
    def n_state_features(self) -> int:
        return len(self.feat_label)

    @property
    def n_features(self) -> int:
        """State features plus active transition features (CRFsuite's "Number of features")."""
        return self.n_state_features + int(self.trans_mask.sum())

    @classmethod
    def build(
        cls,
        data: AttributeSequences,
        n_attributes: int,
        n_labels: int,
        all_possible_states: bool = False,
        all_possible_transitions: bool = False,
        min_freq: float = 0.0,
    ) -> FeatureIndex:
        """Build the index from labelled training data, with CRFsuite's rules.

        A state feature (a, l) is created for every attribute ``a`` seen on an
        item labelled ``l``, with frequency the sum of the attribute's values
        there; a transition (p, c) for every pair of consecutive labels, with
        frequency its count. ``all_possible_states`` / ``all_possible_transitions``
        add every remaining pair with frequency 0. Features whose frequency is
        below ``min_freq`` are dropped (CRFsuite's ``feature.minfreq``, which
        keeps ``freq >= min_freq``).
        """
        if data.y is None:
            raise ModelError("the feature index needs labelled data (y is None)")
        if n_labels < 1:
            raise ModelError(f"need at least one label, found {n_labels}")
        min_freq = float(min_freq)
        if not np.isfinite(min_freq):
            raise ModelError(f"min_freq must be finite, found {min_freq}")
        data.check(n_attributes=n_attributes, n_labels=n_labels)
        A, L = int(n_attributes), int(n_labels)

        # State features: one code attr * L + label per attribute occurrence,
        # sorted, then grouped. int32 codes when A * L allows (half the memory).
        code_dtype = np.int32 if A * L < 2**31 - 1 else np.int64
        codes = data.attr_ids.astype(code_dtype)
        codes *= L
        codes += np.repeat(data.y.astype(code_dtype), np.diff(data.item_ptr))
        vals = data.attr_vals
        known = data.attr_ids >= 0
        if not known.all():
            codes, vals = codes[known], vals[known]
        del known
        binary = bool(np.all(vals == 1.0))
        if binary:
            # the frequency is the count: sort in place, no permutation needed
            codes.sort()
        else:
            order = np.argsort(codes, kind="stable")
            codes = codes[order]
            vals = vals[order]
            del order
        if len(codes):
            new = np.empty(len(codes), dtype=bool)
            new[0] = True
            np.not_equal(codes[1:], codes[:-1], out=new[1:])
            starts = np.flatnonzero(new)
            del new
            uniq = codes[starts].astype(np.int64)
            if binary:
                freq = np.diff(np.append(starts, len(codes))).astype(np.float64)
            else:
                freq = np.add.reduceat(vals, starts)
        else:
            uniq = np.zeros(0, np.int64)
            freq = np.zeros(0, np.float64)
        del codes, vals
        if all_possible_states:
            full_freq = np.zeros(A * L, dtype=np.float64)
            full_freq[uniq] = freq
            keep = full_freq >= min_freq
            uniq = np.flatnonzero(keep).astype(np.int64)
            freq = full_freq[keep]
        else:
            keep = freq >= min_freq
            uniq, freq = uniq[keep], freq[keep]
        feat_attr = uniq // L
        feat_label = (uniq - feat_attr * L).astype(np.int32)
        feat_ptr = np.zeros(A + 1, dtype=np.int64)
        np.cumsum(np.bincount(feat_attr, minlength=A), out=feat_ptr[1:])

        # Transitions between consecutive items of the same sequence.
        y = data.y.astype(np.int64)
        if len(y) > 1:
            same_seq = np.ones(len(y) - 1, dtype=bool)
            inner_starts = data.seq_ptr[1:-1]
            inner_starts = inner_starts[(inner_starts > 0) & (inner_starts < len(y))]
            same_seq[inner_starts - 1] = False
            tcodes = y[:-1][same_seq] * L + y[1:][same_seq]
            trans_freq = np.bincount(tcodes, minlength=L * L).astype(np.float64)
            seen = np.bincount(tcodes, minlength=L * L) > 0
        else:
            trans_freq = np.zeros(L * L, dtype=np.float64)
            seen = np.zeros(L * L, dtype=bool)
        active = seen | bool(all_possible_transitions)
        trans_mask = (active & (trans_freq >= min_freq)).astype(np.uint8)
        return cls(
            feat_ptr=feat_ptr,
            feat_label=np.ascontiguousarray(feat_label),
            trans_mask=trans_mask,
            state_freq=np.ascontiguousarray(freq, dtype=np.float64),
            trans_freq=trans_freq,
        )

    def state_codes(self) -> np.ndarray:
        """``attr * L + label`` of every state feature (sorted ascending), int64[K]."""
        L = self.n_labels
        feat_attr = np.repeat(np.arange(self.n_attributes, dtype=np.int64), np.diff(self.feat_ptr))
        return feat_attr * L + self.feat_label

    def union(self, other: FeatureIndex) -> FeatureIndex:
        """The features of both indexes (same labels; ``other`` over at most as many
        attributes); the frequencies are this index's (0 for features only ``other`` has)."""
        A, L = self.n_attributes, self.n_labels
        if other.n_labels != L or other.n_attributes > A:
            raise ModelError(
                f"cannot join feature indexes over {other.n_attributes} attributes and "
                f"{other.n_labels} labels with one over {A} attributes and {L} labels"
            )
        mine = self.state_codes()
        codes = np.union1d(mine, other.state_codes())
        freq = np.zeros(len(codes))
        freq[np.searchsorted(codes, mine)] = self.state_freq
        feat_attr = codes // L
        feat_ptr = np.zeros(A + 1, dtype=np.int64)
        np.cumsum(np.bincount(feat_attr, minlength=A), out=feat_ptr[1:])
        return FeatureIndex(
            feat_ptr=feat_ptr,
            feat_label=np.ascontiguousarray((codes - feat_attr * L).astype(np.int32)),
            trans_mask=(self.trans_mask | other.trans_mask).astype(np.uint8),
            state_freq=freq,
            trans_freq=self.trans_freq,
        )


def _check_index_arrays(feat_ptr, feat_label, trans_mask, n_attributes: int, n_labels: int):
    """Validate the CSR feature index; return C-contiguous arrays of the right dtypes."""
    A, L = n_attributes, n_labels
    feat_ptr = np.ascontiguousarray(feat_ptr, dtype=np.int64)
    feat_label = np.ascontiguousarray(feat_label, dtype=np.int32)
    trans_mask = np.ascontiguousarray(trans_mask, dtype=np.uint8)
    if feat_ptr.shape != (A + 1,):
        raise ModelError(
            f"feat_ptr: expected int64[{A + 1}] for {A} attributes, found shape {feat_ptr.shape}"
        )
    if feat_ptr[0] != 0 or feat_ptr[-1] != len(feat_label) or np.any(np.diff(feat_ptr) < 0):
        raise ModelError(
            f"feat_ptr must be non-decreasing from 0 to len(feat_label)={len(feat_label)}, "
            f"found {feat_ptr[0]}..{feat_ptr[-1]}"
        )
    if len(feat_label) and (feat_label.min() < 0 or feat_label.max() >= L):
        raise ModelError(
            f"feat_label values must lie in [0, {L}), found {feat_label.min()}..{feat_label.max()}"
        )
    if len(feat_label) > 1:
        same_attr = np.repeat(np.arange(A), np.diff(feat_ptr))
        bad = (same_attr[1:] == same_attr[:-1]) & (feat_label[1:] <= feat_label[:-1])
        if bad.any():
            k = int(np.flatnonzero(bad)[0]) + 1
            raise ModelError(
                f"feat_label must be strictly increasing within each attribute (feature #{k})"
            )
    if trans_mask.shape != (L * L,):
        raise ModelError(f"trans_mask: expected uint8[{L * L}], found shape {trans_mask.shape}")
    if np.any(trans_mask > 1):
        raise ModelError("trans_mask values must be 0 or 1")
    return feat_ptr, feat_label, trans_mask


@contextmanager
def numba_threads(threads: int | None, single_blas: bool = True):
    """Run a block with ``numba.set_num_threads(threads)``; restore the previous count after.

    ``None`` or ``0`` keeps the current setting; a negative number means all
    cores but ``|threads| - 1`` (``-1`` = all). With ``single_blas`` the BLAS
    library (OpenBLAS/MKL behind numpy) is held to one thread inside the
    block: the optimiser's vector operations are far too small to gain from
    BLAS threads, and idle-spinning BLAS threads slow numba's parallel
    kernels down several times on a machine with few cores.
    """
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    n = None
    if threads:
        n = int(threads)
        if n < 0:
            n = max(1, limit + 1 + n)
        if n > limit:
            raise ModelError(f"threads={threads}: at most {limit} threads are available")
    before = numba.get_num_threads()
    blas = _single_blas() if single_blas else None
    if n is not None:
        numba.set_num_threads(n)
    try:
        yield numba.get_num_threads()
    finally:
        if n is not None:
            numba.set_num_threads(before)
        if blas is not None:
            blas.restore_original_limits()


def _single_blas():
    """Limit BLAS to one thread (returns the limiter, or None without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return threadpool_limits(limits=1, user_api="blas")


def _nonempty_seq_ptr(seq_ptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop empty sequences from ``seq_ptr`` (their items are none, so items keep their ids).

    Returns the compacted ``seq_ptr`` and the indices of the kept sequences.
    """
    lengths = np.diff(seq_ptr)
    kept = np.flatnonzero(lengths > 0)
    if len(kept) == len(lengths):
        return seq_ptr, kept
    compact = np.empty(len(kept) + 1, dtype=np.int64)
    compact[0] = 0
    compact[1:] = seq_ptr[kept + 1]
    return compact, kept


class LinearChainCRF:
    """A first-order linear-chain CRF over attribute sequences.

    Parameters
    ----------
    labels, attributes : Vocabulary
        Label and attribute vocabularies; ids are rows of the weights.
    feat_ptr, feat_label, w, trans_mask : ndarray, optional
        A fitted model's parameters (see the module docstring). Leave them out
        to create an unfitted model and call :meth:`fit`.
    """

    #: Markov order of the label chain (2 for :class:`~crftagger.engine.second_order.SecondOrderCRF`).
    order = 1
    #: The trainers this model takes.
    TRAINERS: tuple[str, ...] = NUMBA_ALGORITHMS

    def __init__(
        self,
        labels: Vocabulary,
        attributes: Vocabulary,
        feat_ptr: np.ndarray | None = None,
        feat_label: np.ndarray | None = None,
        w: np.ndarray | None = None,
        trans_mask: np.ndarray | None = None,
    ):
        if not isinstance(labels, Vocabulary) or not isinstance(attributes, Vocabulary):
            raise ModelError(
                "labels and attributes must be crftagger.engine.encoding.Vocabulary objects"
            )
        self.labels = labels
        self.attributes = attributes
        self.training_log: list[dict] = []
        self.index: FeatureIndex | None = None
        given = [x is not None for x in (feat_ptr, feat_label, w, trans_mask)]
        if any(given) and not all(given):
            raise ModelError("give all of feat_ptr, feat_label, w and trans_mask, or none of them")
        self.feat_ptr = self.feat_label = self.w = self.trans_mask = None
        if all(given):
            self.set_parameters(feat_ptr, feat_label, w, trans_mask)

    # ------------------------------------------------------------------ parameters
    def set_parameters(self, feat_ptr, feat_label, w, trans_mask) -> None:
        """Install (validated) parameters; see the module docstring for the layout."""
        L, A = len(self.labels), len(self.attributes)
        if L < 1:
            raise ModelError("the label vocabulary is empty")
        feat_ptr, feat_label, trans_mask = _check_index_arrays(
            feat_ptr, feat_label, trans_mask, A, L
        )
        w = np.ascontiguousarray(w, dtype=np.float64)
        K = len(feat_label)
        if w.shape != (K + L * L,):
            raise ModelError(f"w: expected float64[K + L*L] = [{K + L * L}], found shape {w.shape}")
        if not np.all(np.isfinite(w)):
            bad = int(np.flatnonzero(~np.isfinite(w))[0])
            raise ModelError(f"w[{bad}] is {w[bad]}; weights must be finite")
        if np.any(w[K:][trans_mask == 0] != 0):
            raise ModelError("transition weights outside trans_mask must be 0")
        self.feat_ptr, self.feat_label, self.w, self.trans_mask = (
            feat_ptr,
            feat_label,
            w,
            trans_mask,
        )

    @property
    def fitted(self) -> bool:
        return self.w is not None

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise ModelError("the model is not fitted: call fit() or give its parameters")

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    @property
    def n_state_features(self) -> int:
        self._require_fitted()
        return len(self.feat_label)

    @property
    def n_features(self) -> int:
        """State features plus active transitions (CRFsuite's count)."""
        return self.n_state_features + int(self.trans_mask.sum())

    @property
    def state_weights(self) -> np.ndarray:
        """Weights of the state features, float64[K] (a view of ``w``)."""
        self._require_fitted()
        return self.w[: len(self.feat_label)]

    @property
    def transition_weights(self) -> np.ndarray:
        """Transition weights, float64[L, L] indexed ``[previous, current]`` (a view of ``w``)."""
        self._require_fitted()
        L = self.n_labels
        return self.w[len(self.feat_label) :].reshape(L, L)

    @property
    def state_features_(self) -> dict[tuple[str, str], float]:
        """``{(attribute, label): weight}`` for every state feature (as sklearn-crfsuite)."""
        self._require_fitted()
        attrs = np.repeat(np.arange(len(self.attributes)), np.diff(self.feat_ptr))
        A, Lv = self.attributes.items, self.labels.items
        return {
            (A[a], Lv[lab]): float(v)
            for a, lab, v in zip(
                attrs.tolist(), self.feat_label.tolist(), self.state_weights.tolist(), strict=True
            )
        }

    @property
    def transition_features_(self) -> dict[tuple[str, str], float]:
        """``{(previous, current): weight}`` for every active transition feature."""
        self._require_fitted()
        L, Lv = self.n_labels, self.labels.items
        T = self.transition_weights
        return {
            (Lv[p], Lv[c]): float(T[p, c])
            for p in range(L)
            for c in range(L)
            if self.trans_mask[p * L + c]
        }

    # ------------------------------------------------------------------ data checks
    def _check_data(self, data: AttributeSequences, need_y: bool = False) -> AttributeSequences:
        if not isinstance(data, AttributeSequences):
            raise ModelError(f"expected AttributeSequences, found {type(data).__name__}")
        data.check(n_attributes=len(self.attributes), n_labels=self.n_labels if need_y else None)
        if need_y and data.y is None:
            raise ModelError("labels are needed (data.y is None)")
        if (
            data.y is not None
            and len(data.y)
            and (data.y.min() < 0 or data.y.max() >= self.n_labels)
        ):
            raise ModelError(
                f"label ids must lie in [0, {self.n_labels}), found {data.y.min()}..{data.y.max()}"
            )
        return data

    # ------------------------------------------------------------------ training
    def fit(
        self,
        data: AttributeSequences,
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
        threads: int | None = None,
        callback: Callable | None = None,
        warm_start: bool = False,
        all_possible_states: bool = False,
        all_possible_transitions: bool = False,
        min_freq: float = 0.0,
        keep_features: bool = False,
        **options,
    ) -> LinearChainCRF:
        """Build the feature index from ``data`` and train the weights.

        Parameters follow CRFsuite, and ``None`` means CRFsuite's default for
        the algorithm: ``"lbfgs"`` (OWL-QN when ``c1 > 0``; takes ``c1``,
        ``c2`` = 1, ``max_iterations``, ``epsilon`` = 1e-5, ``period`` = 10,
        ``delta`` = 1e-5, ``num_memories`` = 6, ``linesearch`` =
        "MoreThuente", ``max_linesearch`` = 20), ``"l2sgd"`` (``c2`` = 1,
        ``max_iterations`` = 1000, ``period`` = 10, ``delta`` = 1e-6),
        ``"ap"`` (``max_iterations`` = 100, ``epsilon`` = 0), ``"pa"``
        (``max_iterations`` = 100, ``epsilon`` = 0 and, as keywords,
        ``pa_type`` = 1, ``c`` = 1, ``error_sensitive`` and ``averaging`` on)
        or ``"arow"`` (``max_iterations`` = 100, ``epsilon`` = 0 and, as
        keywords, ``variance`` = 1, ``gamma`` = 1). Giving an option the
        algorithm does not take is an error. ``c2`` multiplies ``||w||^2``.
        ``threads`` sets numba's thread count during training (restored after;
        results do not depend on it). ``callback(iteration, w)`` is called after
        every iteration (as ``callback(iteration, w, loss=...)`` with the
        logged loss when it takes a ``loss`` keyword); it may return a value
        stored in the log (e.g. a dev score) or ``(value, stop)``. With ``warm_start`` the current weights of
        features that still exist start the optimisation; with ``keep_features``
        too, every feature of the current model stays in the index (with its
        weight as the start) besides those of ``data``: fine-tuning on new data
        keeps what the data do not show. Extra keyword
        ``options`` go to the trainer unchanged (e.g. ``seed``, ``eta0``).
        """
        from crftagger.engine import optimisers as _train

        if algorithm not in _TRAINER_NAMES:
            raise ModelError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")
        if algorithm not in self.TRAINERS:
            raise ModelError(
                f"order-{self.order} models train with algorithm {' or '.join(map(repr, self.TRAINERS))} "
                f"only, not {algorithm!r}"
            )
        if warm_start and self.fitted and self.order != 1:
            raise ModelError("warm_start is not available for second-order models")
        given = dict(
            c1=c1,
            c2=c2,
            max_iterations=max_iterations,
            epsilon=epsilon,
            period=period,
            delta=delta,
            num_memories=num_memories,
            linesearch=linesearch,
            max_linesearch=max_linesearch,
        )
        given = {k: v for k, v in given.items() if v is not None}
        for k in (*given, *options):
            if k in ALL_OPTIONS and k not in ALGORITHM_OPTIONS[algorithm]:
                raise ModelError(f"algorithm {algorithm!r} takes no parameter {k!r}")
        for name in ("c1", "c2", "epsilon", "delta"):
            v = given.get(name)
            if v is not None and not (isinstance(v, (int, float)) and np.isfinite(v) and v >= 0):
                raise ModelError(f"{name} must be a finite number >= 0, found {v!r}")
        data = self._check_data(data, need_y=True)
        L, A = self.n_labels, len(self.attributes)
        index = FeatureIndex.build(
            data,
            A,
            L,
            all_possible_states=all_possible_states,
            all_possible_transitions=all_possible_transitions,
            min_freq=min_freq,
        )
        w0 = None
        if keep_features and not (warm_start and self.fitted):
            raise ModelError("keep_features goes with warm_start on a fitted model")
        if warm_start and self.fitted:
            if keep_features:  # fine-tuning: the model's features stay, with their weights
                index = index.union(self._as_index())
            w0 = self._weights_in_index(index)
        seq_ptr, _ = _nonempty_seq_ptr(data.seq_ptr)
        data = AttributeSequences(seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, data.y)
        self.index = index
        start, cpu_start = time.perf_counter(), time.process_time()
        with numba_threads(threads):
            result = self._train(
                _train,
                algorithm,
                data,
                index,
                w0,
                given,
                callback,
                options,
                all_pairs=bool(all_possible_transitions),
            )
        self.training_seconds = time.perf_counter() - start
        #: CPU seconds of the trainer, all threads (CRFsuite times itself with clock()).
        self.training_cpu_seconds = time.process_time() - cpu_start
        self._install(index, np.ascontiguousarray(result.w, dtype=np.float64))
        self.training_log = [_log_record(e) for e in result.log]
        self.training_status = result.status
        self.n_evaluations = result.n_evaluations
        self.training_params = dict(
            algorithm=result.algorithm,
            **result.params,
            all_possible_states=bool(all_possible_states),
            all_possible_transitions=bool(all_possible_transitions),
            min_freq=float(min_freq),
            order=self.order,
        )
        return self

    def _train(self, train, algorithm, data, index, w0, params, callback, options, all_pairs=False):
        """Run the trainer of ``algorithm``; return its result."""
        return _run_trainer(train, algorithm, data, index, w0, params, callback, options)

    def _install(self, index: FeatureIndex, w: np.ndarray) -> None:
        """Install the trained weights ``w`` laid out on ``index``."""
        w[index.n_state_features :][index.trans_mask == 0] = 0.0
        self.set_parameters(index.feat_ptr, index.feat_label, w, index.trans_mask)

    def decode_with(
        self,
        w: np.ndarray,
        data: AttributeSequences,
        constraints=None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Labels of ``data`` under the weights ``w`` of the training in progress (int32[N]).

        ``w`` is laid out on the feature index of the running :meth:`fit`
        (what a training callback receives). With ``constraints``
        (:class:`~crftagger.decode.constrained.Constraints`) the decoding respects them;
        a sequence without an allowed path gets ``-1`` throughout.
        """
        from crftagger.decode import constrained
        from crftagger.engine import kernels

        index = self.index
        if index is None:
            raise ModelError("decode_with needs the feature index of a training in progress")
        w = np.ascontiguousarray(w, dtype=np.float64)
        if out is None:
            out = np.empty(data.n_items, dtype=np.int32)
        if data.n_items == 0:
            return out
        if constraints is None:
            seq_ptr, _ = _nonempty_seq_ptr(data.seq_ptr)
            kernels.predict_batch(
                seq_ptr,
                data.item_ptr,
                data.attr_ids,
                data.attr_vals,
                index.feat_ptr,
                index.feat_label,
                w,
                self.n_labels,
                out,
            )
        else:
            c = constraints
            constrained.decode_batch(
                data.seq_ptr,
                data.item_ptr,
                data.attr_ids,
                data.attr_vals,
                index.feat_ptr,
                index.feat_label,
                w,
                self.n_labels,
                c.allowed_trans,
                c.allowed_start,
                c.allowed_end,
                out,
            )
        return out

    def _weights_in_index(self, index: FeatureIndex) -> np.ndarray:
        """Current weights laid out for ``index`` (0 for features this model lacks)."""
        L = self.n_labels
        K = index.n_state_features
        w = np.zeros(K + L * L, dtype=np.float64)
        old_codes = FeatureIndex.state_codes(self._as_index())
        new_codes = index.state_codes()
        pos = np.searchsorted(old_codes, new_codes)
        pos = np.minimum(pos, max(len(old_codes) - 1, 0))
        hit = (
            (len(old_codes) > 0) & (old_codes[pos] == new_codes)
            if len(old_codes)
            else np.zeros(K, bool)
        )
        w[:K][hit] = self.state_weights[pos[hit]]
        w[K:] = self.transition_weights.ravel() * index.trans_mask
        return w

    def reindexed(
        self, labels: Vocabulary, attributes: Vocabulary, index: FeatureIndex
    ) -> LinearChainCRF:
        """This model's weights laid out on other vocabularies and another feature index.

        Features are matched by attribute and label names; a feature of
        ``index`` that this model lacks gets weight 0, and a weight of this
        model that ``index`` has no slot for is dropped. Used to evaluate an
        imported CRFsuite model with the feature index built from training data.
        """
        self._require_fitted()
        L_new, L_old = len(labels), self.n_labels
        lab_map = np.array([self.labels.get(x) for x in labels], dtype=np.int64)
        attr_map = np.array([self.attributes.get(x) for x in attributes], dtype=np.int64)
        K = index.n_state_features
        w = np.zeros(K + L_new * L_new, dtype=np.float64)
        feat_attr = np.repeat(np.arange(len(attributes), dtype=np.int64), np.diff(index.feat_ptr))
        old_attr = attr_map[feat_attr] if len(feat_attr) else np.zeros(0, np.int64)
        old_lab = lab_map[index.feat_label] if len(index.feat_label) else np.zeros(0, np.int64)
        valid = (old_attr >= 0) & (old_lab >= 0)
        old_codes = self._as_index().state_codes()
        want = old_attr * L_old + old_lab
        if len(old_codes):
            pos = np.minimum(np.searchsorted(old_codes, want), len(old_codes) - 1)
            hit = valid & (old_codes[pos] == want)
            w[:K][hit] = self.state_weights[pos[hit]]
        p = np.repeat(lab_map, L_new)
        c = np.tile(lab_map, L_new)
        ok = (p >= 0) & (c >= 0) & (index.trans_mask == 1)
        trans = np.zeros(L_new * L_new)
        trans[ok] = self.transition_weights[p[ok], c[ok]]
        w[K:] = trans
        return LinearChainCRF(
            labels, attributes, index.feat_ptr, index.feat_label, w, index.trans_mask
        )

    def pruned(self) -> LinearChainCRF:
        """A copy without the state features whose weight is exactly 0.

        After L1 (OWL-QN) training most state weights are exact zeros. The
        copy drops them, then drops the attributes left without any feature
        (the kept attributes keep their relative order and are renumbered),
        and keeps every transition. An attribute that is no longer in the
        vocabulary maps to -1 and is skipped, so the copy gives bit-identical
        emissions, predictions, marginals and ``log Z`` on any input: a
        dropped term ``value * 0.0`` is a signed zero, and adding a zero
        leaves a floating-point sum unchanged. Returns ``self`` when nothing
        can be dropped. Labels are shared with this model; the training
        index and log are not carried over.
        """
        self._require_fitted()
        A = len(self.attributes)
        keep = self.state_weights != 0.0
        feat_attr = np.repeat(np.arange(A, dtype=np.int64), np.diff(self.feat_ptr))
        kept_attr = np.zeros(A, dtype=bool)
        kept_attr[feat_attr[keep]] = True
        if keep.all() and kept_attr.all():
            return self
        new_id = np.cumsum(kept_attr) - 1  # old attribute id -> new id (where kept)
        feat_ptr = np.zeros(int(kept_attr.sum()) + 1, dtype=np.int64)
        np.cumsum(
            np.bincount(new_id[feat_attr[keep]], minlength=len(feat_ptr) - 1), out=feat_ptr[1:]
        )
        items = self.attributes.items
        attributes = Vocabulary.from_list([items[a] for a in np.flatnonzero(kept_attr).tolist()])
        if self.attributes.frozen:
            attributes.freeze()
        model = self._replace_state_features(
            attributes, feat_ptr, self.feat_label[keep], self.state_weights[keep]
        )
        for name in (
            "training_seconds",
            "training_cpu_seconds",
            "training_status",
            "n_evaluations",
            "training_params",
        ):
            if hasattr(self, name):
                setattr(model, name, getattr(self, name))
        return model

    def _replace_state_features(self, attributes, feat_ptr, feat_label, state_w):
        """A model with other state features and these transitions (labels shared)."""
        w = np.concatenate([state_w, self.w[self.n_state_features :]])
        return LinearChainCRF(
            self.labels, attributes, feat_ptr, feat_label, w, self.trans_mask.copy()
        )

    def _as_index(self) -> FeatureIndex:
        L = self.n_labels
        return FeatureIndex(
            self.feat_ptr,
            self.feat_label,
            self.trans_mask,
            np.zeros(len(self.feat_label)),
            np.zeros(L * L),
        )

    # ------------------------------------------------------------------ model files
    MODEL_KIND = "crftagger.LinearChainCRF"
    #: The model-file block of the transition mask the constructor takes.
    MASK_BLOCK = "trans_mask"

    def save(self, path, header: dict | None = None, prune: bool = True):
        """Write the model to one file (:mod:`crftagger.io.container`: no pickle, checksummed).

        ``header`` adds JSON fields (e.g. training parameters or scores).
        With ``prune`` (the default) the zero-weight state features and the
        attributes left without features are not written (see :meth:`pruned`;
        the loaded model predicts exactly as this one); ``prune=False`` keeps
        every feature and attribute, e.g. for a later warm start. Weights stay
        float64.
        """
        from crftagger.io import container

        self._require_fitted()
        m = self.pruned() if prune else self
        fields = {
            "kind": self.MODEL_KIND,
            "n_labels": m.n_labels,
            "n_attributes": len(m.attributes),
            "n_state_features": m.n_state_features,
        }
        if header:
            fields["user"] = dict(header)
        return container.save(path, m.arrays(), fields)

    def arrays(self) -> dict:
        """The parameters as the named blocks of a model file (vocabularies as string lists)."""
        self._require_fitted()
        return {
            "labels": list(self.labels.items),
            "attributes": list(self.attributes.items),
            "feat_ptr": self.feat_ptr,
            "feat_label": self.feat_label,
            "w": self.w,
            "trans_mask": self.trans_mask,
        }

    @classmethod
    def from_arrays(cls, arrays: dict, where: str = "model") -> LinearChainCRF:
        """A fitted model from the blocks of :meth:`arrays` (checked; errors name ``where``)."""
        missing = {"labels", "attributes", "feat_ptr", "feat_label", "w", cls.MASK_BLOCK} - set(
            arrays
        )
        if missing:
            raise ModelError(f"{where}: missing blocks {sorted(missing)}")
        try:
            labels = Vocabulary.from_list(arrays["labels"]).freeze()
            attributes = Vocabulary.from_list(arrays["attributes"]).freeze()
        except ValueError as exc:
            raise ModelError(f"{where}: {exc}") from None
        try:
            return cls(
                labels,
                attributes,
                arrays["feat_ptr"],
                arrays["feat_label"],
                arrays["w"],
                arrays[cls.MASK_BLOCK],
            )
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None

    @classmethod
    def load(cls, path) -> LinearChainCRF:
        """Read a model written by :meth:`save`; shapes are checked before use."""
        from crftagger.io import container

        arrays, fields = container.load(path)
        if fields.get("kind") != cls.MODEL_KIND:
            raise ModelError(
                f"{path}: model kind {fields.get('kind')!r}, expected {cls.MODEL_KIND!r}"
            )
        return build_model(arrays, cls.MODEL_KIND, where=str(path))

    # ------------------------------------------------------------------ inference
    def predict(self, data: AttributeSequences, threads: int | None = None) -> np.ndarray:
        """Viterbi labels of every item, int32[N] (label ids)."""
        from crftagger.engine import kernels

        self._require_fitted()
        data = self._check_data(data)
        out = np.empty(data.n_items, dtype=np.int32)
        if data.n_items:
            self._run_batch(kernels.predict_batch, data, out, threads)
        return out

    def predict_marginals(self, data: AttributeSequences, threads: int | None = None) -> np.ndarray:
        """Posterior ``p(y_t = l | x)`` of every item, float64[N, L] (rows: items, columns: labels)."""
        from crftagger.engine import kernels

        self._require_fitted()
        data = self._check_data(data)
        out = np.empty((data.n_items, self.n_labels), dtype=np.float64)
        if data.n_items:
            self._run_batch(kernels.marginals_batch, data, out, threads)
        return out

    def log_partition(self, data: AttributeSequences, threads: int | None = None) -> np.ndarray:
        """``log Z(x_s)`` of every sequence, float64[S] (0 for an empty sequence)."""
        from crftagger.engine import kernels

        self._require_fitted()
        data = self._check_data(data)
        logz = np.zeros(data.n_sequences, dtype=np.float64)
        kept = np.flatnonzero(data.lengths() > 0)
        if len(kept) == 0:
            return logz
        out = np.empty(len(kept), dtype=np.float64)
        self._run_batch(kernels.logz_batch, data, out, threads)
        logz[kept] = out
        return logz

    def decode(
        self, data: AttributeSequences, constraints=None, threads: int | None = None, bias=None
    ) -> np.ndarray:
        """Best labels of every item allowed by ``constraints`` (:class:`~crftagger.decode.constrained.Constraints`),
        int32[N]; ``-1`` throughout a sequence without an allowed path. ``bias float64[L]`` is
        added to the emission scores of every position."""
        if constraints is None and bias is None:
            return self.predict(data, threads)
        from crftagger.decode import constrained

        if constraints is None:
            constraints = constrained.build_constraints(self.labels.items, None)
        if bias is not None:
            bias = np.ascontiguousarray(bias, dtype=np.float64)
            if bias.shape != (self.n_labels,) or not np.all(np.isfinite(bias)):
                raise ModelError(
                    f"bias: expected {self.n_labels} finite numbers, found shape {bias.shape}"
                )

        self._require_fitted()
        data = self._check_data(data)
        out = np.empty(data.n_items, dtype=np.int32)
        c = constraints
        if data.n_items:
            # no BLAS runs here: the BLAS limit (a threadpoolctl call of 0.5-2 ms) is not needed
            with numba_threads(threads, single_blas=False):
                constrained.decode_batch(
                    data.seq_ptr,
                    data.item_ptr,
                    data.attr_ids,
                    data.attr_vals,
                    self.feat_ptr,
                    self.feat_label,
                    self.w,
                    self.n_labels,
                    c.allowed_trans,
                    c.allowed_start,
                    c.allowed_end,
                    out,
                    bias,
                )
        return out

    def lattice(self, E: np.ndarray, constraints, fixed=None):
        """The :class:`~crftagger.decode.constrained.Lattice` of one sentence's emissions ``E float64[T, L]``."""
        from crftagger.decode import constrained

        return constrained.Lattice(E, self.transition_weights, constraints, fixed)

    def _run_batch(self, kernel, data: AttributeSequences, out: np.ndarray, threads) -> None:
        """Run a batch kernel of :mod:`crftagger.engine.kernels` over the non-empty sequences of ``data``."""
        from crftagger.engine.kernels import BATCH_CHUNK

        seq_ptr, _ = _nonempty_seq_ptr(data.seq_ptr)
        if len(seq_ptr) - 1 <= BATCH_CHUNK:
            # one chunk: the calling thread alone (starting the parallel region costs
            # milliseconds on a loaded machine, the work microseconds)
            threads = 1
        with numba_threads(threads, single_blas=False):  # tagging kernels: no BLAS to limit
            kernel(
                seq_ptr,
                data.item_ptr,
                data.attr_ids,
                data.attr_vals,
                self.feat_ptr,
                self.feat_label,
                self.w,
                self.n_labels,
                out,
            )

    def sequence_scores(self, data: AttributeSequences) -> np.ndarray:
        """Unnormalised score of the given labels of every sequence, float64[S].

        ``score_s = sum_t sum_{a in x_t} value * w[(a, y_t)] + sum_{t>0} Tr[y_{t-1}, y_t]``,
        computed with numpy (independently of the kernels).
        """
        self._require_fitted()
        data = self._check_data(data, need_y=True)
        L = self.n_labels
        item_of = np.repeat(np.arange(data.n_items), np.diff(data.item_ptr))
        ids = data.attr_ids.astype(np.int64)
        known = ids >= 0
        codes = ids[known] * L + data.y[item_of[known]]
        feat_codes = self._as_index().state_codes()
        item_score = np.zeros(data.n_items, dtype=np.float64)
        if len(feat_codes) and len(codes):
            pos = np.minimum(np.searchsorted(feat_codes, codes), len(feat_codes) - 1)
            hit = feat_codes[pos] == codes
            contrib = np.where(hit, self.state_weights[pos] * data.attr_vals[known], 0.0)
            np.add.at(item_score, item_of[known], contrib)
        y = data.y.astype(np.int64)
        if len(y) > 1:
            first = np.zeros(len(y), dtype=bool)
            first[data.seq_ptr[:-1][np.diff(data.seq_ptr) > 0]] = True
            tr = np.zeros(len(y))
            tr[1:] = self.transition_weights[y[:-1], y[1:]]
            tr[first] = 0.0
            item_score += tr
        seq_of = np.repeat(np.arange(data.n_sequences), np.diff(data.seq_ptr))
        return np.bincount(seq_of, weights=item_score, minlength=data.n_sequences)

    def log_likelihood(self, data: AttributeSequences, threads: int | None = None) -> float:
        """``sum_s log p(y_s | x_s)`` over labelled ``data``."""
        return float(np.sum(self.sequence_scores(data)) - np.sum(self.log_partition(data, threads)))

    def loss(self, data: AttributeSequences, c2: float = 0.0, threads: int | None = None) -> float:
        """CRFsuite's L-BFGS objective ``-log_likelihood + c2 * ||w||^2``."""
        return -self.log_likelihood(data, threads) + float(c2) * float(self.w @ self.w)


#: The model class of each model kind (the ``kind`` field of a model file), as data.
MODEL_KINDS = {
    "crftagger.LinearChainCRF": ("crftagger.engine.model", "LinearChainCRF"),
    "crftagger.SecondOrderCRF": ("crftagger.engine.second_order", "SecondOrderCRF"),
}
#: The model kind of each CRF order.
ORDER_KINDS = {1: "crftagger.LinearChainCRF", 2: "crftagger.SecondOrderCRF"}


def model_kind(order) -> str:
    """The model kind of a CRF of ``order`` (1 or 2)."""
    if isinstance(order, bool) or order not in ORDER_KINDS:
        raise ModelError(f"order must be 1 or 2, found {order!r}")
    return ORDER_KINDS[order]


def model_class(kind: str) -> type[LinearChainCRF]:
    """The class of the model kind ``kind`` (see :data:`MODEL_KINDS`)."""
    import importlib

    if kind not in MODEL_KINDS:
        raise ModelError(f"model kind {kind!r}, expected one of {sorted(MODEL_KINDS)}")
    module, name = MODEL_KINDS[kind]
    return getattr(importlib.import_module(module), name)


def build_model(arrays, kind: str, where: str = "model") -> LinearChainCRF:
    """The one builder of a fitted model from stored blocks (model files, tagger files, pickles).

    ``kind`` picks the class (:data:`MODEL_KINDS`); every block is checked
    before any kernel reads it, and errors name ``where``.
    """
    cls = model_class(kind)
    model = cls.from_arrays(arrays, where=where)
    if cls.MASK_BLOCK != "trans_mask" and "trans_mask" in arrays:
        if not np.array_equal(model.trans_mask, np.asarray(arrays["trans_mask"]).ravel()):
            raise ModelError(f"{where}: the blocks trans_mask and {cls.MASK_BLOCK} disagree")
    return model


#: Trainer function of each algorithm in crftagger.engine.optimisers (pa and
#: arow: in crftagger.engine.online).
_TRAINER_NAMES = {
    "lbfgs": "lbfgs",
    "l2sgd": "sgd_l2",
    "ap": "averaged_perceptron",
    "pa": "passive_aggressive",
    "arow": "arow",
}
_ONLINE = ("pa", "arow")


def _log_record(entry) -> dict:
    """One training-log entry as a flat dict (iteration, loss, active_features, seconds, ...)."""
    rec = {
        "iteration": int(entry.iteration),
        "loss": float(entry.loss),
        "active_features": int(entry.active_features),
        "seconds": float(entry.seconds),
        "n_evaluations": int(entry.n_evaluations),
    }
    if entry.score is not None:
        rec["score"] = entry.score
    rec.update(entry.info or {})
    return rec


def _run_trainer(train, algorithm, data, index, w0, params, callback, options):
    """Run the trainer of ``algorithm`` from :mod:`crftagger.engine.optimisers`; return its result."""
    L = index.n_labels
    params = dict(params)
    if algorithm == "lbfgs":
        from crftagger.engine.objective import Objective

        objective = Objective(
            data,
            index.feat_ptr,
            index.feat_label,
            L,
            c2=params.pop("c2", 1.0),
            trans_mask=index.trans_mask,
        )
        return train.lbfgs(objective, w0, callback=callback, **params, **options)
    if algorithm in _ONLINE:
        from crftagger.engine import online

        train = online
    fn = getattr(train, _TRAINER_NAMES[algorithm])
    return fn(
        data,
        index.feat_ptr,
        index.feat_label,
        L,
        trans_mask=index.trans_mask,
        w0=w0,
        callback=callback,
        **params,
        **options,
    )
