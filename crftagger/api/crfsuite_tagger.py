"""python-crfsuite's ``Tagger`` interface on a crftagger model (``CRF.tagger_`` of the numba engine).

sklearn-crfsuite code reaches past the estimator to ``crf.tagger_``, a
``pycrfsuite.Tagger``: ``tagger_.labels()``, ``tagger_.set(xseq)`` then
``tagger_.marginal(label, t)`` or ``tagger_.probability(yseq)``,
``tagger_.tag(xseq)``, ``tagger_.info()`` and ``tagger_.dump(filename)``.
:class:`ModelTagger` answers the same calls on crftagger's own model, with
its kernels: same inputs (python-crfsuite's item formats, read as
:func:`crftagger.api.crf.check_X` reads them), same results as CRFsuite
on the same weights, and errors as :class:`~crftagger.errors.CRFError`
(a ``ValueError``, as python-crfsuite raises) naming what was wrong.

``info()`` and ``dump()`` describe the model as the CRFsuite file it is
written as (:func:`crftagger.io.crfsuite.crfsuite_bytes`): the same labels,
attribute numbering and file header that CRFsuite would show; ``info()``
keeps the exact weights where CRFsuite's text dump rounds them to six
decimals. A second-order model has no CRFsuite file: ``info()`` and
``dump()`` refuse it, the other calls work.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crftagger.engine.encoding import AttributeSequences
from crftagger.errors import CRFError


@dataclass
class ModelInfo:
    """What ``pycrfsuite.Tagger.info()`` gives (its ``ParsedDump``), for a crftagger model.

    ``header`` maps CRFsuite's file-header fields to their text (as in the
    dump); ``labels`` and ``attributes`` map names to ids as text;
    ``transitions`` is ``{(previous, current): weight}`` and
    ``state_features`` ``{(attribute, label): weight}``, non-zero weights only.
    """

    header: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    transitions: dict[tuple[str, str], float] = field(default_factory=dict)
    state_features: dict[tuple[str, str], float] = field(default_factory=dict)


class ModelTagger:
    """A ``pycrfsuite.Tagger`` stand-in on a fitted crftagger model.

    Parameters
    ----------
    model : LinearChainCRF or SecondOrderCRF, optional
        The fitted model; or call :meth:`open` / :meth:`open_inmemory`.
    threads : int, optional
        numba threads for the kernels.
    """

    def __init__(self, model=None, threads: int | None = None):
        self._model = model
        self.threads = threads
        self._data: AttributeSequences | None = None
        self._marginals: np.ndarray | None = None

    # ------------------------------------------------------------------ the model
    def open(self, name):
        """Read a model file (CRFsuite's or crftagger's); returns ``contextlib.closing(self)``."""
        from crftagger.api.crf import read_model_file

        self._model, _ = read_model_file(name, "numba")
        self._data = self._marginals = None
        return contextlib.closing(self)

    def open_inmemory(self, value: bytes):
        """Read the bytes of a CRFsuite model file (validated first)."""
        from crftagger.io.crfsuite import check_crfsuite_bytes

        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise CRFError(f"expected the bytes of a CRFsuite model, found {type(value).__name__}")
        self._model = check_crfsuite_bytes(bytes(value), "in-memory model").to_crf()
        self._data = self._marginals = None
        return contextlib.closing(self)

    def close(self) -> None:
        """Drop the model (later calls raise until :meth:`open`)."""
        self._model = None
        self._data = self._marginals = None

    @property
    def model(self):
        if self._model is None:
            raise CRFError("this tagger holds no model: open() one first")
        return self._model

    def labels(self) -> list[str]:
        """The labels of the model, in its order."""
        return list(self.model.labels.items)

    # ------------------------------------------------------------------ the current sequence
    def set(self, xseq) -> None:
        """Make ``xseq`` (one sequence of items) the current sequence of ``tag``/``marginal``/``probability``."""
        from crftagger.api.crf import check_X
        from crftagger.engine.encoding import encode_dicts

        model = self.model
        self._data = encode_dicts(check_X([xseq], "xseq"), model.attributes)
        self._marginals = None

    def _current(self):
        if self._data is None:
            raise CRFError("no current sequence: call set(xseq) or tag(xseq) first")
        return self._data

    @property
    def _length(self) -> int:
        return int(self._current().n_items)

    def tag(self, xseq=None) -> list[str]:
        """Viterbi labels of ``xseq`` (it becomes the current sequence) or of the current sequence."""
        if xseq is not None:
            self.set(xseq)
        data = self._current()
        if data.n_items == 0:
            return []
        ids = self.model.predict(data, threads=self.threads)
        names = self.model.labels.items
        return [names[int(i)] for i in ids]

    def _label_id(self, label) -> int:
        k = self.model.labels.get(label) if isinstance(label, str) else -1
        if k < 0:
            raise CRFError(f"label {label!r} is not one of the model's labels {self.labels()}")
        return int(k)

    def marginal(self, y, pos) -> float:
        """``p(y_pos = y | x)`` for the current sequence."""
        k = self._label_id(y)
        T = self._length
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)) or not 0 <= pos < T:
            raise CRFError(f"position {pos!r} is out of range for a sequence of {T} items")
        if self._marginals is None:
            self._marginals = self.model.predict_marginals(self._current(), threads=self.threads)
        return float(self._marginals[int(pos), k])

    def probability(self, yseq) -> float:
        """``p(yseq | x)`` of a whole label sequence for the current sequence."""
        data = self._current()
        if isinstance(yseq, str) or not hasattr(yseq, "__len__"):
            raise CRFError(f"yseq: expected a list of labels, found {type(yseq).__name__}")
        T = int(data.n_items)
        if len(yseq) != T:
            raise CRFError(f"the sequence has {T} items but yseq has {len(yseq)} labels")
        if T == 0:
            return 1.0
        y = np.asarray([self._label_id(lab) for lab in yseq], dtype=np.int32)
        labelled = AttributeSequences(data.seq_ptr, data.item_ptr, data.attr_ids, data.attr_vals, y)
        model = self.model
        score = model.sequence_scores(labelled)[0]
        logz = model.log_partition(labelled, threads=self.threads)[0]
        return float(np.exp(score - logz))

    # ------------------------------------------------------------------ the model as CRFsuite shows it
    def _crfsuite_bytes(self) -> bytes:
        from crftagger.io.crfsuite import crfsuite_bytes

        model = self.model
        if getattr(model, "order", 1) != 1:
            raise CRFError(
                f"info() and dump() show a CRFsuite model file, which holds a first-order CRF; "
                f"this model has order {model.order}"
            )
        return crfsuite_bytes(model)

    def info(self) -> ModelInfo:
        """The model's header, labels, attributes and non-zero weights (``pycrfsuite``'s ``info()``)."""
        from crftagger.io.crfsuite import _HEADER, STATE, check_crfsuite_bytes

        buf = self._crfsuite_bytes()
        content = check_crfsuite_bytes(buf, "model")
        names = (
            "magic size type version num_features num_labels num_attrs off_features "
            "off_labels off_attrs off_labelrefs off_attrrefs"
        ).split()
        header = {}
        for name, value in zip(names, _HEADER.unpack_from(buf, 0), strict=True):
            if isinstance(value, bytes):
                header[name] = value.decode("ascii", "replace")
            else:
                header[name] = f"0x{value:X}" if name.startswith("off_") else str(value)
        info = ModelInfo(
            header=header,
            labels={s: str(i) for i, s in enumerate(content.labels)},
            attributes={s: str(i) for i, s in enumerate(content.attributes)},
        )
        labels, attrs = content.labels, content.attributes
        for t, s, d, w in zip(
            content.feature_type.tolist(),
            content.src.tolist(),
            content.dst.tolist(),
            content.weight.tolist(),
            strict=True,
        ):
            if t == STATE:
                info.state_features[(attrs[s], labels[d])] = w
            else:
                info.transitions[(labels[s], labels[d])] = w
        return info

    def dump(self, filename=None) -> None:
        """Write CRFsuite's text dump of the model to ``filename`` (or to standard output)."""
        from crftagger.io.crfsuite import crfsuite_dump

        text = crfsuite_dump(self._crfsuite_bytes(), "model")
        if filename is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            Path(filename).write_text(text, encoding="utf-8")

    def __repr__(self) -> str:
        if self._model is None:
            return "<ModelTagger (no model)>"
        return f"<ModelTagger of {len(self._model.labels)} labels>"
