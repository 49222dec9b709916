"""The engine interface: who trains the weights of a CRF.

Two engines take the same options (:mod:`crftagger.engine.options`) and the
same data, and hand back a training log of per-iteration dicts:

:class:`NumbaEngine`
    crftagger's own CRF (:class:`~crftagger.engine.model.LinearChainCRF` or,
    at order 2, :class:`~crftagger.engine.second_order.SecondOrderCRF`) on
    the numba kernels; it reads :class:`AttributeSequences` (interned
    attribute ids) and label ids, and calls one :class:`ProgressCallback`
    per iteration for the loss, the dev scores and the progress bar.
:class:`CRFsuiteEngine`
    CRFsuite through python-crfsuite; it reads attribute dicts and label
    strings (what python-crfsuite appends) and gives the model file's bytes.

:class:`crftagger.CRF` is the one front on both (and
:class:`crftagger.Tagger` trains through ``CRF``); :func:`get_engine` maps a
name to its engine.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numba
import numpy as np

from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.engine.options import CRFSUITE_NAMES, ENGINES
from crftagger.errors import CRFError


class ProgressCallback:
    """Training callback: dev scores and the training loss per iteration.

    ``model`` is the :class:`~crftagger.engine.model.LinearChainCRF` being trained
    (its feature index is set when training starts). With ``dev`` (labelled
    :class:`AttributeSequences`) each iteration records ``dev_accuracy``
    (plain Viterbi); ``dev_scorer(model, w) -> dict`` adds its own entries
    (e.g. ``dev_f1`` from scheme-constrained decoding). The trainer hands
    over the loss it logs for the iteration (``loss=``); it is recorded and
    shown on the progress bar. ``bar`` is a tqdm bar (or None).
    """

    def __init__(self, model, dev: AttributeSequences | None = None, dev_scorer=None, bar=None):
        self.model = model
        self.dev = dev
        self.dev_scorer = dev_scorer
        self.bar = bar
        self.records: list[dict] = []
        if dev is not None:
            self.dev_out = np.empty(dev.n_items, dtype=np.int32)

    def __call__(self, iteration, w, loss: float | None = None):
        w = np.ascontiguousarray(w, dtype=np.float64)
        rec: dict = {"iteration": int(iteration)}
        if loss is not None:
            rec["loss"] = float(loss)
        if self.dev is not None and self.dev.n_items:
            d = self.dev
            self.model.decode_with(w, d, out=self.dev_out)
            rec["dev_accuracy"] = float(np.mean(self.dev_out == d.y))
        if self.dev_scorer is not None:
            rec.update(self.dev_scorer(self.model, w))
        self.records.append(rec)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(
                {k: round(v, 4) for k, v in rec.items() if k != "iteration"}, refresh=False
            )
        return rec.get("dev_f1", rec.get("dev_accuracy"))

    def merge_into(self, log: list[dict]) -> list[dict]:
        """The trainer's log with the recorded dev scores added (matched by iteration)."""
        by_iter = {r["iteration"]: r for r in self.records}
        out = []
        for rec in log:
            rec = dict(rec)
            rec.pop("score", None)
            extra = by_iter.get(rec["iteration"], {})
            for k, v in extra.items():
                if k.startswith("dev_"):
                    rec[k] = v
            out.append(rec)
        return out


def progress_bar(total: int | None, desc: str, enabled: bool):
    """A tqdm bar writing to stderr, or None when disabled."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="it", leave=True, dynamic_ncols=True)


class NumbaEngine:
    """crftagger's own CRF on the numba kernels."""

    name = "numba"

    def train(
        self,
        data: AttributeSequences,
        labels: Vocabulary,
        attributes: Vocabulary,
        *,
        algorithm: str,
        options: dict,
        features: dict,
        order: int = 1,
        threads=None,
        dev: AttributeSequences | None = None,
        dev_scorer=None,
        progress: bool = False,
    ):
        """Train on ``data`` (label ids in ``data.y``); return ``(model, log)``.

        ``features`` holds ``min_freq``, ``all_possible_states`` and
        ``all_possible_transitions``; ``dev`` carries label ids (``-1`` for a
        label training never saw: always counted wrong).
        """
        from crftagger.engine.budget import check_training_budget
        from crftagger.engine.second_order import model_class

        lengths = data.lengths()
        check_training_budget(
            len(labels),
            int(lengths.max()) if len(lengths) else 0,
            data.n_items,
            order=order,
            threads=threads if threads else numba.get_num_threads(),
            memories=options.get("num_memories"),
        )
        model = model_class(order)(labels, attributes)
        bar = progress_bar(options.get("max_iterations"), "training", progress)
        cb = None
        if dev is not None or dev_scorer is not None or bar is not None:
            cb = ProgressCallback(model, dev=dev, dev_scorer=dev_scorer, bar=bar)
        opts = dict(options)
        trainer_opts = {k: opts.pop(k) for k in list(opts) if k.startswith("calibration_")}
        try:
            model.fit(
                data,
                algorithm=algorithm,
                threads=threads,
                callback=cb,
                all_possible_states=bool(features.get("all_possible_states")),
                all_possible_transitions=bool(features.get("all_possible_transitions")),
                min_freq=float(features.get("min_freq") or 0.0),
                **opts,
                **trainer_opts,
            )
        finally:
            if bar is not None:
                bar.close()
        log = model.training_log if cb is None else cb.merge_into(model.training_log)
        return model, log


def refuse_nul(X, y=None, what: str = "X") -> None:
    """CRFsuite cuts strings at NUL (``a\\0x`` and ``a\\0y`` would be one attribute): refuse them."""
    for s, xseq in enumerate(X):
        for t, item in enumerate(xseq):
            for name in item:
                if "\0" in name:
                    raise CRFError(
                        f"{what} sequence {s}, item {t}: attribute {name!r} holds a NUL character; "
                        "expected none with engine='crfsuite' (CRFsuite cuts strings at NUL, "
                        "so different attributes would merge)"
                    )
    for s, yseq in enumerate(y or ()):
        for t, lab in enumerate(yseq):
            if "\0" in lab:
                raise CRFError(
                    f"y sequence {s}, item {t}: label {lab!r} holds a NUL character; expected "
                    "none with engine='crfsuite' (CRFsuite cuts strings at NUL)"
                )


class CRFsuiteEngine:
    """CRFsuite through python-crfsuite (``Trainer``), the reference."""

    name = "crfsuite"

    def train(
        self,
        X: list,
        y: list,
        *,
        algorithm: str,
        options: dict,
        features: dict,
        dev: tuple[list, list] | None = None,
        verbose: bool = False,
        model_filename=None,
        keep_tempfiles: bool = False,
        trainer_cls=None,
    ):
        """Train on attribute dicts ``X`` and label strings ``y``; return ``(bytes, log, path, n_features)``.

        ``path`` is the model file when it is kept (``model_filename`` or
        ``keep_tempfiles``), else None; ``n_features`` the number of features
        CRFsuite generated. ``dev`` is CRFsuite's holdout set (scored each
        iteration as ``dev_accuracy``, never trained on); its labels must be
        training labels, since CRFsuite would add any other to the model.
        """
        import pycrfsuite

        from crftagger.engine.budget import check_training_budget

        refuse_nul(X, y)
        if dev is not None:
            refuse_nul(*dev, what="X_dev")
        check_training_budget(
            len({t for seq in y for t in seq}),
            max((len(seq) for seq in y), default=0),
            sum(len(seq) for seq in y),
            memories=options.get("num_memories"),
        )
        if dev is not None:
            known = {t for seq in y for t in seq}
            for s, seq in enumerate(dev[1]):
                for t, lab in enumerate(seq):
                    if lab not in known:
                        raise CRFError(
                            f"y_dev sequence {s}, item {t}: label {lab!r} is not in the training labels "
                            f"{sorted(known)} (CRFsuite would add it to the model)"
                        )
        params = {}
        for name, v in (*features.items(), *options.items()):
            if v is not None:
                params[CRFSUITE_NAMES.get(name, name)] = v
        trainer_cls = trainer_cls or pycrfsuite.Trainer
        try:
            trainer = trainer_cls(algorithm=algorithm, params=params, verbose=bool(verbose))
        except ValueError as exc:
            raise CRFError(f"CRFsuite refused the options {params}: {exc}") from None
        for xseq, yseq in zip(X, y, strict=True):
            trainer.append(xseq, yseq)
        if dev is not None:
            for xseq, yseq in zip(*dev, strict=True):
                trainer.append(xseq, yseq, 1)
        workdir = None
        if model_filename:
            path = Path(model_filename)
        else:
            workdir = tempfile.mkdtemp(prefix="crftagger-crfsuite-")
            path = Path(workdir) / "model.crfsuite"
        try:
            trainer.train(str(path), holdout=-1 if dev is None else 1)
            blob = path.read_bytes()
        finally:
            if workdir is not None and not keep_tempfiles:
                shutil.rmtree(workdir, ignore_errors=True)
        kept = str(path) if (workdir is None or keep_tempfiles) else None
        iterations = list(getattr(trainer.logparser, "iterations", []) or [])
        log = []
        for it in iterations:
            rec = {k: v for k, v in it.items() if k != "scores"}
            rec["iteration"] = it.get("num")
            if "item_accuracy_float" in rec:
                rec["dev_accuracy"] = rec["item_accuracy_float"]
            log.append(rec)
        return blob, log, kept, getattr(trainer.logparser, "featgen_num_features", None)


_ENGINES = {"numba": NumbaEngine, "crfsuite": CRFsuiteEngine}


def get_engine(name: str):
    """The engine called ``name`` (``"numba"`` or ``"crfsuite"``)."""
    if name not in _ENGINES:
        raise CRFError(f"unknown engine {name!r}; expected one of {ENGINES}")
    return _ENGINES[name]()
