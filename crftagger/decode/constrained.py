"""Scheme-aware decoding: valid tag sequences, forced labels, n-best lists, span confidences.

A tag scheme (:mod:`crftagger.schemes`) says which tag may follow which.
Because a scheme is first order (whether ``y_t`` may follow ``y_{t-1}``
depends on those two tags only, and the start and the end of a sentence act
like ``O``), it becomes three tables over the model's labels:

``allowed_trans uint8[L, L]``
    ``[previous, current]``: 1 when ``current`` may follow ``previous``;
``allowed_start uint8[L]`` / ``allowed_end uint8[L]``
    1 when the label may open / close a sentence.

Decoding rewrites the score lattice (forbidden choices score ``-inf``,
:func:`crftagger.engine.kernels.constrain_lattice`) and runs one Viterbi pass, so
the result is the best *valid* sequence; forced decoding adds per-position
label masks to the same rewrite.

Span confidences
----------------
The confidence of a span ``(X, s, e)`` (end-exclusive) is the probability
that decoding a label sequence drawn from the model yields exactly that span:

    P(span) = sum over valid y with (X, s, e) in spans(y) of p(y | x)

under the model restricted to the sequences the scheme allows (renormalised
over them; with no scheme, the plain model and conlleval's lenient reading).
Whether ``(X, s, e)`` is a span of ``y`` depends only on ``y[s-1 .. e]``:
every ``y_t`` for ``s <= t < e`` has type ``X``, there is a span *boundary*
between ``s-1`` and ``s`` and between ``e-1`` and ``e`` (or the sentence
edge), and none in between. So ``P`` is a forward pass restricted to the span
region, started from the forward variables ``alpha[s-1]`` and closed with the
backward variables ``beta[e]`` of the whole lattice::

    a_s[j]  = E[s, j] + logsumexp_i (alpha[s-1, i] + Tr[i, j] + log B[i, j])     (j of type X)
    a_t[j]  = E[t, j] + logsumexp_i (a_{t-1}[i] + Tr[i, j] + log C[i, j])        (s < t < e)
    log P   = logsumexp_{j,k} (a_{e-1}[j] + Tr[j, k] + log B[j, k] + E[e, k] + beta[e, k]) - log Z

where ``B[i, j] = 1`` when a span boundary lies between labels ``i`` and ``j``
and ``C[i, j] = 1`` when ``j`` continues the span of ``i`` (same type, no
boundary). It is not a product of token scores: it is an exact marginal of the
lattice, checked against the sum over all label sequences in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from crftagger.engine import kernels
from crftagger.engine._jit import njit
from crftagger.errors import DecodingError
from crftagger.schemes import (
    LENIENT_ROLES,
    OUTSIDE,
    Role,
    Span,
    get_scheme,
    is_boundary,
    pair_allowed,
    split_tag,
)

NEG_INF = -np.inf

#: Largest ``k`` accepted by :meth:`Lattice.kbest` (and ``Tagger.nbest``,
#: ``crftagger tag --nbest``) once ``k`` is cut to the number of label
#: sequences of the sentence: the list Viterbi keeps ``k`` partial paths per
#: position and label (memory ``k * T * L``, time ``k**2 * T * L**2``).
MAX_NBEST = 10_000


# --------------------------------------------------------------------------- scheme tables


@dataclass(frozen=True)
class Constraints:
    """What a scheme allows over a label set, plus the span structure of the labels.

    Attributes
    ----------
    labels : tuple of str
        The model's labels, in id order.
    scheme : str or None
        Canonical scheme name; ``None`` means no constraint (lenient span reading).
    allowed_trans : uint8[L, L]
        ``[previous, current]``, 1 = allowed.
    allowed_start, allowed_end : uint8[L]
        1 = the label may open / close a sentence.
    span_type : tuple of (str or None)
        Span type of every label (``None`` for ``O``).
    boundary : bool[L, L]
        ``[left, right]``: a span boundary lies between the two labels.
    continues : bool[L, L]
        ``[left, right]``: ``right`` continues the span of ``left``.
    span_labels : bool
        Every label is ``O`` or a ``PREFIX-TYPE`` tag the scheme knows (spans can be read).
    """

    labels: tuple[str, ...]
    scheme: str | None
    allowed_trans: np.ndarray
    allowed_start: np.ndarray
    allowed_end: np.ndarray
    span_type: tuple[str | None, ...]
    boundary: np.ndarray
    continues: np.ndarray
    span_labels: bool

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    @property
    def unconstrained(self) -> bool:
        return bool(
            self.allowed_trans.all() and self.allowed_start.all() and self.allowed_end.all()
        )

    def is_valid(self, path: Sequence[int]) -> bool:
        """Whether the label-id sequence ``path`` is allowed (empty sequences are)."""
        if len(path) == 0:
            return True
        if not (self.allowed_start[path[0]] and self.allowed_end[path[-1]]):
            return False
        return all(self.allowed_trans[a, b] for a, b in zip(path[:-1], path[1:], strict=True))


def build_constraints(labels: Sequence[str], scheme: str | None) -> Constraints:
    """The tables of :class:`Constraints` for ``labels`` under ``scheme``.

    ``scheme=None`` allows everything; spans are then read leniently
    (conlleval) when every label is ``O`` or ``PREFIX-TYPE`` with a prefix
    among ``B I E S L U``. A label that ``scheme`` cannot read (another
    prefix, no type) raises :class:`DecodingError` naming it.
    """
    labels = tuple(labels)
    L = len(labels)
    if L == 0:
        raise DecodingError("the model has no labels")
    name = None if scheme is None else get_scheme(scheme).name
    roles = LENIENT_ROLES if scheme is None else get_scheme(scheme).roles
    parsed: list[tuple[Role, str] | None] = []
    readable = True
    for lab in labels:
        if lab == OUTSIDE:
            parsed.append(None)
            continue
        prefix, typ = split_tag(lab)
        role = roles.get(prefix)
        if role is None or not typ:
            if scheme is not None:
                raise DecodingError(
                    f"label {lab!r} is not a {name} tag; {name} expects O or "
                    + ", ".join(f"{p}-TYPE" for p in roles)
                )
            readable = False
            parsed.append(None)
            continue
        parsed.append((role, typ))
    ones = np.ones(L, dtype=np.uint8)
    if scheme is None:
        trans = np.ones((L, L), dtype=np.uint8)
        start, end = ones, ones.copy()
    else:
        trans = np.array(
            [[pair_allowed(a, b) for b in parsed] for a in parsed], dtype=np.uint8
        ).reshape(L, L)
        start = np.array([pair_allowed(None, b) for b in parsed], dtype=np.uint8)
        end = np.array([pair_allowed(a, None) for a in parsed], dtype=np.uint8)
    boundary = np.array([[is_boundary(a, b) for b in parsed] for a in parsed], dtype=bool).reshape(
        L, L
    )
    typed = np.array([p is not None for p in parsed], dtype=bool)
    continues = ~boundary & typed[:, None] & typed[None, :]
    return Constraints(
        labels=labels,
        scheme=name,
        allowed_trans=np.ascontiguousarray(trans),
        allowed_start=np.ascontiguousarray(start),
        allowed_end=np.ascontiguousarray(end),
        span_type=tuple(None if p is None else p[1] for p in parsed),
        boundary=boundary,
        continues=continues,
        span_labels=readable,
    )


def compatible_labels(
    tag: str, labels: Sequence[str], tag_scheme: str | None, label_scheme: str | None
) -> list[int]:
    """Ids of the model labels that a tag written in another scheme may stand for.

    A tag of the output scheme (``B-PER`` in IOB2) matches the model labels
    of the same type whose roles do not contradict it (``B-PER`` and
    ``S-PER`` of a BIOES model: both begin a span). ``O`` matches ``O``.
    """
    if tag in labels and tag_scheme == label_scheme:
        return [labels.index(tag)]
    if tag == OUTSIDE:
        return [i for i, lab in enumerate(labels) if lab == OUTSIDE]
    out_roles = LENIENT_ROLES if tag_scheme is None else get_scheme(tag_scheme).roles
    in_roles = LENIENT_ROLES if label_scheme is None else get_scheme(label_scheme).roles
    prefix, typ = split_tag(tag)
    role = out_roles.get(prefix)
    if role is None or not typ:
        return [labels.index(tag)] if tag in labels else []
    ids = []
    for i, lab in enumerate(labels):
        p, t = split_tag(lab)
        r = in_roles.get(p)
        if r is None or t != typ:
            continue
        if {role.begins, r.begins} == {True, False} or {role.ends, r.ends} == {True, False}:
            continue
        ids.append(i)
    return ids


# --------------------------------------------------------------------------- kernels


@njit
def decode_batch(
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    w,
    L,
    allowed_trans,
    allowed_start,
    allowed_end,
    out,
    bias=None,
):
    """Best allowed label sequence of every sequence (constrained Viterbi, serial).

    For each sequence ``s`` with items ``i0 = seq_ptr[s] .. i1 = seq_ptr[s+1]``:
    ``E[t, l]`` = emission scores (:func:`crftagger.engine.kernels.emissions`),
    ``E[0, l] = -inf`` unless ``allowed_start[l]``, ``E[T-1, l] = -inf``
    unless ``allowed_end[l]``, ``Tr[i, j] = -inf`` unless
    ``allowed_trans[i, j]``, then ``out[i0:i1] = argmax_y score(y)``.

    Parameters
    ----------
    seq_ptr : int64[S+1]
    item_ptr : int64[N+1]
    attr_ids : int32[nnz]
    attr_vals : float64[nnz]
    feat_ptr : int64[A+1]
    feat_label : int32[K]
    w : float64[K + L*L]
        State weights then transitions viewed as ``[L, L]`` (previous, current).
    L : int
    allowed_trans : uint8[L, L]
        (previous, current).
    allowed_start, allowed_end : uint8[L]
    out : int32[N]
        Output label ids (``-1`` throughout a sequence without an allowed path).
    bias : float64[L], optional
        Added to the emission scores of every position (e.g. the outside-label bias).
    """
    S = seq_ptr.shape[0] - 1
    K = feat_label.shape[0]
    Tr = np.empty((L, L))
    kernels.mask_transitions(kernels.transition_view(w, K, L), allowed_trans, Tr)
    tmax = max(kernels.max_length(seq_ptr, 0, S), 1)
    E = np.empty((tmax, L))
    delta = np.empty((tmax, L))
    back = np.zeros((tmax, L), dtype=np.int32)
    for s in range(S):
        i0 = seq_ptr[s]
        i1 = seq_ptr[s + 1]
        T = i1 - i0
        if T == 0:
            continue
        kernels.emissions(item_ptr, attr_ids, attr_vals, i0, i1, feat_ptr, feat_label, w, E)
        if bias is not None:
            for t in range(T):
                for j in range(L):
                    E[t, j] += bias[j]
        for j in range(L):
            if allowed_start[j] == 0:
                E[0, j] = NEG_INF
            if allowed_end[j] == 0:
                E[T - 1, j] = NEG_INF
        kernels.viterbi_into(E[:T], Tr, out[i0:i1], delta, back)


# --------------------------------------------------------------------------- one sequence


def _lse(x: np.ndarray, axis=None) -> np.ndarray | float:
    """``log(sum(exp(x)))`` along ``axis``, ``-inf`` for an all ``-inf`` slice."""
    m = np.max(x, axis=axis, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m_safe), axis=axis, keepdims=True)) + m_safe
    if axis is None:
        return float(out.reshape(()))
    return np.squeeze(out, axis=axis)


def _log_mask(mask: np.ndarray) -> np.ndarray:
    return np.where(mask, 0.0, NEG_INF)


class Lattice:
    """The score lattice of one sentence under a model, with its scheme constraints.

    Parameters
    ----------
    E : float64[T, L]
        Emission scores (position, label).
    Tr : float64[L, L]
        Transition scores (previous, current).
    constraints : Constraints
    fixed : mapping, optional
        ``{position: label ids allowed there}`` (forced decoding).
    """

    def __init__(
        self,
        E: np.ndarray,
        Tr: np.ndarray,
        constraints: Constraints,
        fixed: Mapping[int, Iterable[int]] | None = None,
    ):
        E = np.ascontiguousarray(E, dtype=np.float64)
        Tr = np.ascontiguousarray(Tr, dtype=np.float64)
        T, L = E.shape
        if Tr.shape != (L, L) or constraints.n_labels != L:
            raise DecodingError(
                f"lattice shapes disagree: E {E.shape}, Tr {Tr.shape}, {constraints.n_labels} labels"
            )
        self.E, self.Tr, self.constraints = E, Tr, constraints
        allowed = np.ones((T, L), dtype=np.uint8)
        for t, ids in (fixed or {}).items():
            if not 0 <= t < T:
                raise DecodingError(
                    f"forced label at position {t}, outside the sentence of {T} tokens"
                )
            row = np.zeros(L, dtype=np.uint8)
            row[list(ids)] = 1
            allowed[t] = row
        self.allowed_labels = allowed
        self.Ec = np.empty((T, L))
        self.Trc = np.empty((L, L))
        kernels.constrain_lattice(
            E,
            Tr,
            constraints.allowed_trans,
            constraints.allowed_start,
            constraints.allowed_end,
            allowed,
            self.Ec,
            self.Trc,
        )
        self._fb = None

    @property
    def T(self) -> int:
        return self.E.shape[0]

    def forward_backward(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``alpha, beta float64[T, L]`` and ``log Z`` of the constrained lattice (cached)."""
        if self._fb is None:
            T, L = self.E.shape
            alpha = np.empty((max(T, 1), L))
            beta = np.empty((max(T, 1), L))
            log_z = kernels.forward_backward_log(self.Ec, self.Trc, alpha, beta)
            self._fb = (alpha[:T], beta[:T], float(log_z))
        return self._fb

    def best(self) -> tuple[np.ndarray, float]:
        """Best allowed path ``int32[T]`` and its score; :class:`DecodingError` if none."""
        path = np.empty(self.T, dtype=np.int32)
        if self.T == 0:
            return path, 0.0
        score = kernels.viterbi(self.Ec, self.Trc, path)
        if score == NEG_INF:
            raise DecodingError(self._no_path_message())
        return path, float(score)

    def _no_path_message(self) -> str:
        fixed = {
            t: [self.constraints.labels[j] for j in np.flatnonzero(row)]
            for t, row in enumerate(self.allowed_labels)
            if not row.all()
        }
        scheme = self.constraints.scheme or "no scheme"
        return (
            f"no label sequence allowed by {scheme} agrees with the forced labels {fixed}"
            if fixed
            else f"no label sequence is allowed by {scheme} for these labels"
        )

    def kbest(self, k: int) -> list[tuple[np.ndarray, float, float]]:
        """Up to ``k`` best allowed paths as ``(path int32[T], score, probability)``.

        The probability is ``exp(score - log Z)`` with ``Z`` summed over the
        allowed sequences.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise DecodingError(f"k must be a positive integer, found {k!r}")
        k = int(k)
        if k < 1:
            raise DecodingError(f"k must be a positive integer, found {k}")
        if self.T == 0:
            return [(np.empty(0, dtype=np.int32), 0.0, 1.0)]
        # no more than the L ** T label sequences there are
        L = self.Ec.shape[1]
        if L <= 1:
            k = 1
        elif self.T * math.log(L) < math.log(k) + 1:
            k = min(k, L**self.T)
        if k > MAX_NBEST:
            raise DecodingError(
                f"k must be at most {MAX_NBEST} for a sentence of {self.T} tokens and {L} labels "
                f"(the k-best search keeps k paths per position and label), found {k}"
            )
        paths = np.empty((k, self.T), dtype=np.int32)
        scores = np.empty(k)
        n = kernels.kbest(self.Ec, self.Trc, k, paths, scores)
        if n == 0:
            raise DecodingError(self._no_path_message())
        log_z = self.forward_backward()[2]
        return [(paths[r].copy(), float(scores[r]), math.exp(scores[r] - log_z)) for r in range(n)]

    def marginals(self) -> np.ndarray:
        """``p(y_t = l)`` over the allowed sequences, float64[T, L] (position, label)."""
        alpha, beta, log_z = self.forward_backward()
        out = np.zeros((self.T, self.E.shape[1]))
        if self.T:
            kernels.unary_marginals(alpha, beta, log_z, out)
        return out

    def span_log_probability(self, type_: str, start: int, end: int) -> float:
        """``log P((type_, start, end) is a span of y)`` (see the module docstring)."""
        T = self.T
        if not 0 <= start < end <= T:
            raise DecodingError(f"span [{start}, {end}) does not fit a sentence of {T} tokens")
        c = self.constraints
        alpha, beta, log_z = self.forward_backward()
        if log_z == NEG_INF:
            return NEG_INF
        in_type = np.array([t == type_ for t in c.span_type])
        if not in_type.any():
            return NEG_INF
        type_mask = _log_mask(in_type)
        log_b = _log_mask(c.boundary)
        log_c = _log_mask(c.continues)
        Ec, Trc = self.Ec, self.Trc
        if start == 0:
            a = Ec[0] + type_mask
        else:
            a = Ec[start] + type_mask + _lse(alpha[start - 1][:, None] + Trc + log_b, axis=0)
        for t in range(start + 1, end):
            a = Ec[t] + type_mask + _lse(a[:, None] + Trc + log_c, axis=0)
        if end == T:
            total = _lse(a)
        else:
            total = _lse(a[:, None] + Trc + log_b + (Ec[end] + beta[end])[None, :])
        return total - log_z

    def span_probability(self, type_: str, start: int, end: int) -> float:
        return math.exp(self.span_log_probability(type_, start, end))


def spans_of(path: Sequence[int], constraints: Constraints) -> list[Span]:
    """Spans of a label-id path read with the constraints' boundary rules (end-exclusive)."""
    c = constraints
    spans: list[Span] = []
    start = None
    for t, lab in enumerate(path):
        typ = c.span_type[lab]
        if start is not None and (typ is None or c.boundary[path[t - 1], lab]):
            spans.append(Span(c.span_type[path[start]], start, t))
            start = None
        if typ is not None and start is None:
            start = t
    if start is not None:
        spans.append(Span(c.span_type[path[start]], start, len(path)))
    return spans
