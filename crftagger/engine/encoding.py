"""Encoding of attribute sequences into flat integer arrays.

A corpus of ``S`` sequences with ``N`` items (tokens) in all is a struct of
arrays, CSR twice:

``seq_ptr``   int64[S + 1]   items of sequence ``s`` are ``seq_ptr[s]:seq_ptr[s + 1]``
``item_ptr``  int64[N + 1]   attributes of item ``i`` are ``item_ptr[i]:item_ptr[i + 1]``
``attr_ids``  int32[nnz]     attribute ids (``0 <= id < A``)
``attr_vals`` float64[nnz]   attribute values (1.0 for a plain binary attribute)
``y``         int32[N]       label ids, or ``None`` when the labels are unknown

An *attribute* is an observation string such as ``"w[0]=the"``; a *feature*
is a weight on an (attribute, label) pair or on a (label, label) pair.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: Largest attribute value (in absolute value) accepted. Larger values overflow
#: the float64 scores (``value * weight`` summed over the features) and made
#: training drop every state feature without a word.
MAX_ATTRIBUTE_VALUE = 1e30


class Vocabulary:
    """A string <-> id map with ids in first-seen order.

    After :meth:`freeze`, :meth:`add` no longer grows the vocabulary and
    unknown strings map to ``-1``.
    """

    __slots__ = ("_index", "_items", "frozen")

    def __init__(self, items: Iterable[str] = ()):
        self._index: dict[str, int] = {}
        self._items: list[str] = []
        self.frozen = False
        for it in items:
            self.add(it)

    @classmethod
    def from_list(cls, items: Sequence[str]) -> Vocabulary:
        """A vocabulary of ``items`` with ids ``0..n-1`` in order, built in one C-level pass.

        Meant for loading stored vocabularies; raises ``ValueError`` naming the
        first repeated item, since a repeat would leave an id without a string.
        """
        vocab = cls()
        vocab._items = list(items)
        vocab._index = dict(zip(vocab._items, range(len(vocab._items)), strict=True))
        if len(vocab._index) != len(vocab._items):
            seen: set[str] = set()
            for i, it in enumerate(vocab._items):
                if it in seen:
                    raise ValueError(f"the vocabulary holds {it!r} twice (again at position {i})")
                seen.add(it)
        return vocab

    def add(self, item: str) -> int:
        """Return the id of ``item``, adding it unless frozen (then unknown is -1)."""
        idx = self._index.get(item)
        if idx is None:
            if self.frozen:
                return -1
            idx = len(self._items)
            self._index[item] = idx
            self._items.append(item)
        return idx

    def add_many(self, items: Iterable[str]) -> list[int]:
        """``[self.add(it) for it in items]``, in one call (frozen: unknown items give -1)."""
        index = self._index
        if self.frozen:
            return [index.get(it, -1) for it in items]
        n0 = len(index)
        ids = [index.setdefault(it, len(index)) for it in items]
        if len(index) > n0:
            from itertools import islice

            self._items.extend(islice(index, n0, None))
        return ids

    def get(self, item: str, default: int = -1) -> int:
        return self._index.get(item, default)

    def freeze(self) -> Vocabulary:
        self.frozen = True
        return self

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._index

    def __getitem__(self, idx: int) -> str:
        return self._items[idx]

    def __iter__(self):
        return iter(self._items)

    @property
    def items(self) -> list[str]:
        return self._items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._items == other._items

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, frozen={self.frozen})"


@dataclass
class AttributeSequences:
    """Attribute sequences as CSR arrays (see the module docstring for the layout)."""

    seq_ptr: np.ndarray
    item_ptr: np.ndarray
    attr_ids: np.ndarray
    attr_vals: np.ndarray
    y: np.ndarray | None = None

    @property
    def n_sequences(self) -> int:
        return len(self.seq_ptr) - 1

    @property
    def n_items(self) -> int:
        return len(self.item_ptr) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.seq_ptr)

    def check(self, n_attributes: int | None = None, n_labels: int | None = None) -> None:
        """Validate shapes, dtypes and ranges; raise ``ValueError`` naming what is wrong."""
        for name, arr, dt in (
            ("seq_ptr", self.seq_ptr, np.int64),
            ("item_ptr", self.item_ptr, np.int64),
            ("attr_ids", self.attr_ids, np.int32),
            ("attr_vals", self.attr_vals, np.float64),
        ):
            if arr.dtype != dt or arr.ndim != 1:
                raise ValueError(
                    f"{name}: expected 1-d {np.dtype(dt).name}, found {arr.ndim}-d {arr.dtype}"
                )
            if not arr.flags.c_contiguous:
                raise ValueError(f"{name}: expected a C-contiguous array")
        if len(self.seq_ptr) < 1 or self.seq_ptr[0] != 0 or self.seq_ptr[-1] != self.n_items:
            raise ValueError(
                f"seq_ptr must start at 0 and end at the number of items {self.n_items}, "
                f"found {self.seq_ptr[:1].tolist()}..{self.seq_ptr[-1:].tolist()}"
            )
        if np.any(np.diff(self.seq_ptr) < 0) or np.any(np.diff(self.item_ptr) < 0):
            raise ValueError("seq_ptr and item_ptr must be non-decreasing")
        if self.item_ptr[0] != 0 or self.item_ptr[-1] != len(self.attr_ids):
            raise ValueError(
                f"item_ptr must start at 0 and end at len(attr_ids)={len(self.attr_ids)}, "
                f"found {self.item_ptr[0]}..{self.item_ptr[-1]}"
            )
        if len(self.attr_vals) != len(self.attr_ids):
            raise ValueError(
                f"attr_vals has {len(self.attr_vals)} entries, attr_ids has {len(self.attr_ids)}"
            )
        if not np.all(np.abs(self.attr_vals) <= MAX_ATTRIBUTE_VALUE):
            bad = int(np.flatnonzero(~(np.abs(self.attr_vals) <= MAX_ATTRIBUTE_VALUE))[0])
            raise ValueError(
                f"attribute value #{bad} is {self.attr_vals[bad]}; values must be finite "
                f"with absolute value at most {MAX_ATTRIBUTE_VALUE:g}"
            )
        if len(self.attr_ids) and self.attr_ids.min() < -1:
            raise ValueError("attribute ids must be >= -1 (-1 marks an unknown attribute)")
        if n_attributes is not None and len(self.attr_ids) and self.attr_ids.max() >= n_attributes:
            raise ValueError(
                f"attribute id {int(self.attr_ids.max())} out of range for {n_attributes} attributes"
            )
        if self.y is not None:
            if self.y.dtype != np.int32 or self.y.shape != (self.n_items,):
                raise ValueError(
                    f"y: expected int32[{self.n_items}], found {self.y.dtype}{list(self.y.shape)}"
                )
            if (
                n_labels is not None
                and len(self.y)
                and (self.y.min() < 0 or self.y.max() >= n_labels)
            ):
                raise ValueError(
                    f"label ids must lie in [0, {n_labels}), found {self.y.min()}..{self.y.max()}"
                )


AttrDict = Mapping[str, float] | Sequence[str]


def encode_dicts(
    X: Iterable[Sequence[AttrDict]],
    attributes: Vocabulary,
    y: Iterable[Sequence[str]] | None = None,
    labels: Vocabulary | None = None,
    normalise=None,
) -> AttributeSequences:
    """Encode sklearn-crfsuite style input into :class:`AttributeSequences`.

    Each item is a ``{name: value}`` dict (a ``bool`` or number value; a string
    value ``v`` becomes the attribute ``"name:v"`` with value 1, as
    sklearn-crfsuite does) or a list of attribute names (value 1).
    Unknown attributes of a frozen vocabulary are dropped from the arrays, as
    CRFsuite skips them; unknown labels of a frozen label vocabulary raise.

    ``normalise(item, s, t)``, when given, is called for every item that is
    not a dict of ``str`` names to ``str``, ``bool``, ``int`` or ``float``
    values within range, and its result (or its error) is used instead: the
    caller's input rules in the same pass as the encoding.
    """
    # typed arrays instead of lists: 4 + 8 bytes per attribute, no Python objects
    seq_ptr = array("q", [0])
    item_ptr = array("q", [0])
    ids = array("i")
    # values other than 1 as (position, value) pairs: most attributes are 1
    other_at = array("q")
    other_val = array("d")
    ys = array("i")
    # bound methods hoisted out of the loops (this loop is most of ``CRF.predict`` on dicts):
    # a known name costs one dict lookup; ``add`` only sees new names (-1 when frozen)
    get, add = attributes._index.get, attributes.add
    ids_append, ptr_append = ids.append, item_ptr.append
    at_append, val_append = other_at.append, other_val.append
    y_iter = iter(y) if y is not None else None
    n_items = 0
    for s, xseq in enumerate(X):
        yseq = None
        if y_iter is not None:
            try:
                yseq = next(y_iter)
            except StopIteration:
                raise ValueError(
                    f"y has fewer sequences than X (ran out at sequence {s})"
                ) from None
            if len(yseq) != len(xseq):
                raise ValueError(
                    f"sequence {s}: X has {len(xseq)} items but y has {len(yseq)} labels"
                )
        for t, item in enumerate(xseq):
            fast = False
            if normalise is not None:
                # the fast path: exact types, numbers in range; anything else is normalised
                start = len(ids)
                if item.__class__ is dict:
                    for name, value in item.items():
                        kind = value.__class__
                        if name.__class__ is not str:
                            break
                        if kind is str:
                            name = f"{name}:{value}"
                            value = 1.0
                        elif not (
                            (kind is float or kind is int or kind is bool)
                            and -MAX_ATTRIBUTE_VALUE <= value <= MAX_ATTRIBUTE_VALUE
                        ):
                            break
                        a = get(name)
                        if a is None:
                            a = add(name)
                        if a >= 0:
                            if value != 1.0:
                                at_append(len(ids))
                                val_append(value)
                            ids_append(a)
                    else:
                        fast = True
                if not fast:
                    del ids[start:]
                    while other_at and other_at[-1] >= start:
                        other_at.pop()
                        other_val.pop()
                    item = normalise(item, s, t)
            if fast:
                pass
            elif isinstance(item, Mapping):
                for name, value in item.items():
                    if value.__class__ is str:
                        key = f"{name}:{value}"
                        a = get(key)
                        if a is None:
                            a = add(key)
                        if a >= 0:
                            ids_append(a)
                        continue
                    if isinstance(value, str):
                        name, value = f"{name}:{value}", 1.0
                    else:
                        value = float(value)
                    if not abs(value) <= MAX_ATTRIBUTE_VALUE:
                        raise ValueError(
                            f"sequence {s}, item {t}: attribute {name!r} has value {value}; "
                            f"expected a finite number with absolute value at most "
                            f"{MAX_ATTRIBUTE_VALUE:g}"
                        )
                    a = get(name)
                    if a is None:
                        a = add(name)
                    if a >= 0:
                        if value != 1.0:
                            at_append(len(ids))
                            val_append(value)
                        ids_append(a)
            else:
                for name in item:
                    a = add(str(name))
                    if a >= 0:
                        ids_append(a)
            ptr_append(len(ids))
            if yseq is not None:
                lab = yseq[t]
                k = labels.add(lab) if labels is not None else -1
                if k < 0:
                    raise ValueError(f"sequence {s}, item {t}: label {lab!r} is not a known label")
                ys.append(k)
        n_items += len(xseq)
        seq_ptr.append(n_items)
    if y_iter is not None and next(y_iter, None) is not None:
        raise ValueError(f"y has more sequences than X ({len(seq_ptr) - 1})")
    return AttributeSequences(
        seq_ptr=_as_numpy(seq_ptr, np.int64),
        item_ptr=_as_numpy(item_ptr, np.int64),
        attr_ids=_as_numpy(ids, np.int32),
        attr_vals=_values(len(ids), other_at, other_val),
        y=_as_numpy(ys, np.int32) if y is not None else None,
    )


def decode_dicts(data: AttributeSequences, attributes: Vocabulary) -> list[list[dict[str, float]]]:
    """Attribute arrays back to sklearn-crfsuite dicts (unknown ids dropped, duplicates added up)."""
    names = attributes.items
    ids, vals = data.attr_ids.tolist(), data.attr_vals.tolist()
    ip, sp = data.item_ptr.tolist(), data.seq_ptr.tolist()
    items = []
    for i in range(data.n_items):
        d: dict[str, float] = {}
        for a, v in zip(ids[ip[i] : ip[i + 1]], vals[ip[i] : ip[i + 1]], strict=True):
            if a >= 0:
                d[names[a]] = d.get(names[a], 0.0) + v
        items.append(d)
    return [items[sp[s] : sp[s + 1]] for s in range(data.n_sequences)]


def _values(n: int, at: array, val: array) -> np.ndarray:
    """float64[n] of ones, with ``val`` at positions ``at``."""
    out = np.ones(n, dtype=np.float64)
    if len(at):
        out[_as_numpy(at, np.int64)] = _as_numpy(val, np.float64)
    return out


def _as_numpy(arr: array, dtype) -> np.ndarray:
    """A numpy view of a typed ``array.array`` (no copy; empty arrays get a fresh one)."""
    if len(arr) == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(arr, dtype=dtype)
