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

Forced tags of the answers
--------------------------
Answers are often written in another scheme than the model's labels
(IOB2 or IOB1 answers of a BIOES model). A forced tag of the answers must
appear in the answer, or the call is refused with a reason; it is never
decoded into an answer without it. :func:`compatible_labels` gives, for one
position, the labels that are written as the tag wherever they stand (IOB2
``B-PER``: BIOES ``B-PER`` or ``S-PER``) and refuses a tag whose writing
depends on the neighbouring labels in a way one label does not settle (IOB1
``B-LOC`` says the token before is LOC too). :class:`ForcedLattice` is exact
for every pair of schemes: over states ``(y[t-1], y[t])`` a forced tag
is a mask at its position and the next, and one Viterbi pass gives the best
valid sequence whose answer shows every forced tag (tested against
enumeration of all label sequences).

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
from functools import cached_property

import numpy as np
from numba import prange

from crftagger.engine import kernels
from crftagger.engine._jit import njit, njit_parallel
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
    tags_from_spans,
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

    @cached_property
    def span_masks(self) -> dict:
        """The log masks :meth:`Lattice.span_log_probability` reads, made once: ``types``
        (span type -> 0 / -inf per label), ``boundary`` and ``continues`` (``[L, L]``)."""
        types = {}
        for t in dict.fromkeys(x for x in self.span_type if x is not None):
            types[t] = _log_mask(np.array([x == t for x in self.span_type]))
        return {
            "types": types,
            "boundary": np.ascontiguousarray(_log_mask(self.boundary)),
            "continues": np.ascontiguousarray(_log_mask(self.continues)),
        }

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


def _written_at(c: Constraints, scheme, a: int | None, lab: int, b: int | None) -> str:
    """The tag that label ``lab`` is written as in ``scheme`` between labels ``a`` and ``b``.

    ``a`` / ``b`` are the labels before and after (``None``: the sentence edge).
    A tag of a scheme depends only on its token's span, on whether a span
    boundary lies on either side, and on the types next to it, so the three
    labels settle it; it is read off a three-token sequence written with
    :func:`crftagger.schemes.tags_from_spans`.
    """
    typ = c.span_type[lab]
    if typ is None:
        return OUTSIDE
    starts = a is None or bool(c.boundary[a, lab])
    ends = b is None or bool(c.boundary[lab, b])
    spans = []
    left = c.span_type[a] if a is not None else None
    right = c.span_type[b] if b is not None else None
    if starts and left is not None:
        spans.append(Span(left, 0, 1))
    spans.append(Span(typ, 1 if starts else 0, 2 if ends else 3))
    if ends and right is not None:
        spans.append(Span(right, 2, 3))
    return tags_from_spans(spans, 3, scheme, lossy_ok=True)[1]


def _contexts(c: Constraints, lab: int) -> list[tuple[int | None, int | None]]:
    """The (previous, next) labels, ``None`` for a sentence edge, that may surround ``lab``."""
    before: list[int | None] = [None] if c.allowed_start[lab] else []
    before += [i for i in range(c.n_labels) if c.allowed_trans[i, lab]]
    after: list[int | None] = [None] if c.allowed_end[lab] else []
    after += [j for j in range(c.n_labels) if c.allowed_trans[lab, j]]
    return [(x, y) for x in before for y in after]


def compatible_labels(
    tag: str, labels: Sequence[str], tag_scheme: str | None, label_scheme: str | None
) -> list[int]:
    """Ids of the model labels that make the answer show ``tag`` (forced decoding).

    The answers are the model's labels (scheme ``label_scheme``) written in
    ``tag_scheme``. A label is returned when, wherever the model's scheme
    lets it stand, it is written as ``tag``: ``B-PER`` of IOB2 answers is
    ``B-PER`` or ``S-PER`` of a BIOES model, ``I-PER`` is ``I-PER`` or
    ``E-PER``. So forcing these ids puts ``tag`` in the answer.

    A tag whose writing depends on the neighbouring tokens in a way the
    model's labels do not settle (IOB1's ``B-LOC`` says the token before is
    LOC too, which no BIOES label ensures; IOB2's ``I-LOC`` from an IOB1
    model, whose ``I-LOC`` is written ``B-LOC`` after ``O``) is refused with
    :class:`DecodingError`, naming a label and the neighbour that would
    change it, rather than decoding an answer without it. A tag that is not
    of ``tag_scheme`` (``S-PER`` for IOB2 answers) is refused too. An empty
    list means that no label has the tag's type (or, without schemes, that
    the tag is not a label).
    """
    labels = list(labels)
    if tag_scheme is None or tag_scheme == label_scheme:
        # the answers are the labels themselves
        return [labels.index(tag)] if tag in labels else []
    sch = get_scheme(tag_scheme)
    if tag == OUTSIDE:
        return [i for i, lab in enumerate(labels) if lab == OUTSIDE]
    prefix, typ = split_tag(tag)
    if prefix not in sch.roles or not typ:
        raise DecodingError(
            f"fixed tag {tag!r} is not a {sch.name} tag, and the answers are written in "
            f"{sch.name}; expected O or " + ", ".join(f"{p}-TYPE" for p in sch.roles)
        )
    c = build_constraints(labels, label_scheme)
    if not c.span_labels:
        return [labels.index(tag)] if tag in labels else []
    found, counter = [], None
    for lab in range(len(labels)):
        if c.span_type[lab] != typ:
            continue
        ctx = _contexts(c, lab)
        written = {(x, y): _written_at(c, sch, x, lab, y) for x, y in ctx}
        if written and all(w == tag for w in written.values()):
            found.append(lab)
        elif counter is None and tag in written.values():
            (x, y), w = next((k, w) for k, w in written.items() if w != tag)
            counter = (lab, x, y, w)
    if found or counter is None:
        return found
    lab, x, y, w = counter

    def name(i):
        return "the sentence edge" if i is None else repr(labels[i])

    raise DecodingError(
        f"fixed tag {tag!r} of the {sch.name} answers depends on the neighbouring tokens, "
        f"which one label of this {c.scheme or 'unconstrained'} model does not settle: "
        f"{labels[lab]!r} between {name(x)} and {name(y)} is written {w!r}; no label "
        f"ensures {tag!r}, so the answer could lack it. Force tags of answers written in "
        f"{c.scheme or 'the model labels'} (output scheme {c.scheme!r}), whose tags stand alone"
    )


# --------------------------------------------------------------------------- kernels


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
    """Best allowed label sequence of every sequence (constrained Viterbi).

    A batch of more than one chunk (``BATCH_CHUNK`` sequences) runs in parallel
    over chunks on numba's threads; a smaller one, or one thread, runs on the
    calling thread alone, since starting the parallel region costs more than
    decoding one message (milliseconds against microseconds on a loaded
    machine). Each sequence is decoded alone, so the result never depends on
    the threads.

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
    import numba

    small = seq_ptr.shape[0] - 1 <= kernels.BATCH_CHUNK
    kernel = _decode_serial if small or numba.get_num_threads() == 1 else _decode_chunks
    kernel(
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
        bias,
    )


@njit
def _decode_range(
    s0,
    s1,
    seq_ptr,
    item_ptr,
    attr_ids,
    attr_vals,
    feat_ptr,
    feat_label,
    w,
    Tr,
    allowed_start,
    allowed_end,
    out,
    bias,
):
    """Decode sequences ``s0 .. s1-1`` of :func:`decode_batch` with their own workspaces;
    ``Tr`` holds the masked transitions."""
    L = Tr.shape[0]
    tmax = max(kernels.max_length(seq_ptr, s0, s1), 1)
    E = np.empty((tmax, L))
    delta = np.empty((tmax, L))
    back = np.zeros((tmax, L), dtype=np.int32)
    for s in range(s0, s1):
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


@njit
def _masked_transitions(w, K, L, allowed_trans):
    Tr = np.empty((L, L))
    kernels.mask_transitions(kernels.transition_view(w, K, L), allowed_trans, Tr)
    return Tr


@njit
def _decode_serial(
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
    """:func:`decode_batch` on the calling thread alone (no parallel region to start)."""
    Tr = _masked_transitions(w, feat_label.shape[0], L, allowed_trans)
    _decode_range(
        0,
        seq_ptr.shape[0] - 1,
        seq_ptr,
        item_ptr,
        attr_ids,
        attr_vals,
        feat_ptr,
        feat_label,
        w,
        Tr,
        allowed_start,
        allowed_end,
        out,
        bias,
    )


@njit_parallel
def _decode_chunks(
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
    """:func:`decode_batch` in parallel over chunks of ``BATCH_CHUNK`` sequences."""
    S = seq_ptr.shape[0] - 1
    Tr = _masked_transitions(w, feat_label.shape[0], L, allowed_trans)
    chunk = kernels.BATCH_CHUNK
    for c in prange((S + chunk - 1) // chunk):
        s0 = c * chunk
        _decode_range(
            s0,
            min(S, s0 + chunk),
            seq_ptr,
            item_ptr,
            attr_ids,
            attr_vals,
            feat_ptr,
            feat_label,
            w,
            Tr,
            allowed_start,
            allowed_end,
            out,
            bias,
        )


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


@njit
def _lse_into(a, Tr, mask, add, out):
    """``out[j] = log sum_i exp(a[i] + Tr[i, j] + mask[i, j]) + add[j]`` (``-inf`` for an empty sum)."""
    L = a.shape[0]
    for j in range(L):
        m = NEG_INF
        for i in range(L):
            v = a[i] + Tr[i, j] + mask[i, j]
            if v > m:
                m = v
        if m == NEG_INF:
            out[j] = NEG_INF
            continue
        acc = 0.0
        for i in range(L):
            v = a[i] + Tr[i, j] + mask[i, j]
            if v != NEG_INF:
                acc += np.exp(v - m)
        out[j] = m + np.log(acc) + add[j]


@njit
def _span_forward(Ec, Trc, alpha, beta, type_mask, log_b, log_c, start, end):
    """``log`` of the summed score of the paths with the span ``[start, end)`` of the type that
    ``type_mask`` selects (``alpha``/``beta`` log-space, :meth:`Lattice.forward_backward`)."""
    T, L = Ec.shape
    a = np.empty(L)
    nxt = np.empty(L)
    if start == 0:
        for j in range(L):
            a[j] = Ec[0, j] + type_mask[j]
    else:
        add = np.empty(L)
        for j in range(L):
            add[j] = Ec[start, j] + type_mask[j]
        _lse_into(alpha[start - 1], Trc, log_b, add, a)
    for t in range(start + 1, end):
        for j in range(L):
            nxt[j] = Ec[t, j] + type_mask[j]
        _lse_into(a, Trc, log_c, nxt, nxt)
        a, nxt = nxt, a
    m = NEG_INF
    if end == T:
        for j in range(L):
            if a[j] > m:
                m = a[j]
        if m == NEG_INF:
            return NEG_INF
        acc = 0.0
        for j in range(L):
            if a[j] != NEG_INF:
                acc += np.exp(a[j] - m)
        return m + np.log(acc)
    for i in range(L):
        for j in range(L):
            v = a[i] + Trc[i, j] + log_b[i, j] + Ec[end, j] + beta[end, j]
            if v > m:
                m = v
    if m == NEG_INF:
        return NEG_INF
    acc = 0.0
    for i in range(L):
        for j in range(L):
            v = a[i] + Trc[i, j] + log_b[i, j] + Ec[end, j] + beta[end, j]
            if v != NEG_INF:
                acc += np.exp(v - m)
    return m + np.log(acc)


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
        alpha, beta, log_z = self.forward_backward()
        if log_z == NEG_INF:
            return NEG_INF
        masks = self.constraints.span_masks
        type_mask = masks["types"].get(type_)
        if type_mask is None:
            return NEG_INF
        total = _span_forward(
            self.Ec,
            self.Trc,
            alpha,
            beta,
            type_mask,
            masks["boundary"],
            masks["continues"],
            start,
            end,
        )
        return float(total - log_z)

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


# --------------------------------------------------------------------------- forced tags of the answers


def _agreeing(c: Constraints, scheme, tags: Iterable[str]) -> dict[int, tuple[set, set]]:
    """For each label ``l`` that can be written as one of ``tags``: the labels (or ``None``,
    the sentence edge) allowed before it and after it.

    A tag of any scheme depends on the labels before and after in two separate
    ways, through the left pair (does a span start here, after the same
    type?) and the right pair (does it end here, before the same type?), so
    the triples written as a tag are ``{(a, l, b): a in before_l, b in after_l}``;
    this is checked, and a set of alternative tags that is not of that form is
    refused.
    """
    wanted = set(tags)
    out: dict[int, tuple[set, set]] = {}
    for lab in range(c.n_labels):
        ok = {(a, b) for a, b in _contexts(c, lab) if _written_at(c, scheme, a, lab, b) in wanted}
        if not ok:
            continue
        before, after = {a for a, _ in ok}, {b for _, b in ok}
        allowed = set(_contexts(c, lab))
        if {(a, b) for a in before for b in after} & allowed != ok:
            raise DecodingError(
                f"the forced alternatives {sorted(wanted)} cannot be decoded exactly together "
                f"(label {c.labels[lab]!r} agrees with them in contexts that are not a product)"
            )
        out[lab] = (before, after)
    return out


class ForcedLattice:
    """Exact forced decoding of tags written in another scheme than the model's labels.

    ``fixed={position: tag}`` names tags of the answers (``tag_scheme``), such
    as IOB1's ``B-LOC``, whose writing depends on the neighbouring labels.
    Whether label ``l`` at ``p`` is written ``tag`` depends on the pair
    ``(y[p-1], l)`` and on the pair ``(l, y[p+1])`` separately
    (:func:`_agreeing`), so over states ``(y[t-1], y[t])`` (``y[-1]`` the
    sentence start) each forced tag is a mask of the states allowed at ``p``
    and at ``p + 1``. One Viterbi pass over that pair lattice is the best
    valid label sequence whose answer shows every forced tag; when there is
    none, :class:`DecodingError` says so.

    Parameters
    ----------
    E : float64[T, L]
        Emission scores (position, label).
    Tr : float64[L, L]
        Transition scores (previous, current).
    constraints : Constraints
        The model's labels and scheme.
    fixed : mapping
        ``{position: tag or list of tags}`` of ``tag_scheme``.
    tag_scheme : str or None
        Scheme of the answers (``None``: the answers are the labels).
    """

    def __init__(self, E, Tr, constraints: Constraints, fixed, tag_scheme: str | None):
        E = np.ascontiguousarray(E, dtype=np.float64)
        T, L = E.shape
        c = constraints
        self.constraints, self.T, self.L = c, T, L
        S = (L + 1) * L  # state (i, j) = i * L + j; i == L is the sentence start
        prev = np.repeat(np.arange(L + 1), L)
        cur = np.tile(np.arange(L), L + 1)
        self.cur = cur
        start = (prev == L) & (c.allowed_start[cur] != 0)
        end = c.allowed_end[cur] != 0
        trans = (cur[:, None] == prev[None, :]) & (prev[None, :] < L)
        trans &= c.allowed_trans[cur[:, None], cur[None, :]] != 0
        trs = np.where(trans, Tr[cur[:, None], cur[None, :]], NEG_INF)
        allowed = np.ones((T, S), dtype=bool)
        for p, tags in fixed.items():
            if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p < T:
                raise DecodingError(
                    f"forced tag at position {p!r}, outside the sentence of {T} tokens"
                )
            tags = [tags] if isinstance(tags, str) else list(tags)
            if tag_scheme is None or tag_scheme == c.scheme:
                ids = [i for i, lab in enumerate(c.labels) if lab in tags]
                agree = {i: (set(range(L)) | {None}, set(range(L)) | {None}) for i in ids}
            else:
                if c.scheme is None and not c.span_labels:
                    raise DecodingError("the model's labels are not span tags of a scheme")
                sch = get_scheme(tag_scheme)
                for tag in tags:
                    prefix, typ = split_tag(tag)
                    if tag != OUTSIDE and (prefix not in sch.roles or not typ):
                        raise DecodingError(
                            f"forced tag {tag!r} is not a {sch.name} tag; expected O or "
                            + ", ".join(f"{x}-TYPE" for x in sch.roles)
                        )
                agree = _agreeing(c, sch, tags)
            if not agree:
                raise DecodingError(
                    f"forced tag {tags[0] if len(tags) == 1 else tags!r} at position {p} is not a "
                    f"label of this model (no label is written so); its labels are {list(c.labels)}"
                )
            here = np.zeros(S, dtype=bool)
            nxt = np.ones(S, dtype=bool)
            for lab, (before, after) in agree.items():
                for a in before:
                    here[(L if a is None else a) * L + lab] = True
                if p + 1 < T:
                    nxt[lab * L : (lab + 1) * L] = False
                    for b in after:
                        if b is not None:
                            nxt[lab * L + b] = True
                elif None not in after:
                    here[lab::L] = False  # cannot end the sentence here
            allowed[p] &= here
            if p + 1 < T:
                allowed[p + 1] &= nxt
        self.fixed = dict(fixed)
        self.tag_scheme = tag_scheme
        es = E[:, cur].copy()
        es[~allowed] = NEG_INF
        names = tuple(f"{prev_}>{cur_}" for prev_, cur_ in zip(prev, cur, strict=True))
        pc = Constraints(
            labels=names,
            scheme=c.scheme,
            allowed_trans=np.ascontiguousarray(trans.astype(np.uint8)),
            allowed_start=np.ascontiguousarray(start.astype(np.uint8)),
            allowed_end=np.ascontiguousarray(end.astype(np.uint8)),
            span_type=tuple(c.span_type[j] for j in cur),
            # a state reads as its current label: span boundaries as between the labels
            boundary=np.ascontiguousarray(c.boundary[cur[:, None], cur[None, :]]),
            continues=np.ascontiguousarray(c.continues[cur[:, None], cur[None, :]]),
            span_labels=False,
        )
        self.inner = Lattice(es, np.where(trans, trs, 0.0), pc)

    def best(self) -> tuple[np.ndarray, float]:
        """Best path of labels ``int32[T]`` whose answer shows the forced tags, and its score."""
        try:
            path, score = self.inner.best()
        except DecodingError:
            scheme = self.constraints.scheme or "no scheme"
            raise DecodingError(
                f"no label sequence allowed by {scheme} is written with the forced tags "
                f"{self.fixed} in {self.tag_scheme or 'the model labels'}"
            ) from None
        return self.cur[path].astype(np.int32), score

    def kbest(self, k: int) -> list[tuple[np.ndarray, float, float]]:
        """Up to ``k`` best such paths as ``(labels int32[T], score, probability)``; the
        probability is renormalised over the paths that show the forced tags."""
        return [(self.cur[p].astype(np.int32), s, q) for p, s, q in self.inner.kbest(k)]

    def span_probability(self, type_: str, start: int, end: int) -> float:
        """Probability that ``(type_, start, end)`` is exactly a span, over the paths that
        show the forced tags."""
        return self.inner.span_probability(type_, start, end)

    def marginals(self) -> np.ndarray:
        """``p(y_t = l)`` over the paths that show the forced tags, float64[T, L]."""
        m = self.inner.marginals()
        out = np.zeros((self.T, self.L))
        for j in range(self.L):
            out[:, j] = m[:, self.cur == j].sum(axis=1)
        return out
