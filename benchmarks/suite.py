"""Accuracy, speed, size and memory on the registered corpora (``crftagger benchmark``).

For every selected corpus three rows are measured, each in its own
subprocess (so that its peak resident memory is its own):

``crftagger``
    what users run: :meth:`Tagger.train <crftagger.api.tagger.Tagger.train>`
    with the corpus' recipe (:mod:`crftagger.recipes`: feature set, training
    scheme, CRF order, regularisation, O bias), then :meth:`Tagger.tag`
    (scheme-constrained decoding, answers in the corpus' scheme);
``crfsuite``
    :class:`crftagger.CRF` with ``engine="crfsuite"`` (CRFsuite through
    python-crfsuite, first order, plain Viterbi) trained on the very same
    attributes (:meth:`FeatureExtractor.to_dicts`) with the same training
    parameters;
``baseline``
    a plain sklearn-crfsuite model on the tutorial's dict features
    (:func:`baseline_features`), ``c1 = c2 = 0.1``, 100 iterations.

A row trains on the train split, tags the evaluation split (``test``) and
reports: conlleval (lenient) and strict span F1 with precision and recall, or
token accuracy for POS; training seconds (feature extraction plus ``fit``;
numba kernels are compiled on a tiny problem beforehand and that time is
reported apart); tagging tokens per second end to end from the raw sentences
(feature extraction, decoding, conversion to the corpus' tag scheme; best of
two passes); the model file size (for crftagger the tagger file with
everything needed to tag, word-cluster tables included); the peak RSS of the
process.

Spans are always scored in the corpus' own scheme. A corpus listed in
:data:`TRAIN_SCHEMES` is trained in another scheme (its gold tags are decoded
leniently and re-encoded) and its predictions are converted back before
scoring.

The results go to ``results.json`` and ``results.md`` in the output folder,
with the commit, the machine and the targets of :data:`TARGETS` (met or not).
``--quick`` subsamples the training data and runs few iterations on a few
corpora, to check that everything works in a few minutes.

This module is also the worker: ``python -m crftagger.benchmarks.suite
--worker SPEC`` runs one row described by the JSON ``SPEC`` and prints its
result as one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Per-corpus settings of the ``crftagger`` and ``crfsuite`` rows are the recipes
# of :mod:`crftagger.recipes`.
from crftagger import recipes
from crftagger.errors import BenchmarkError

#: Every benchmarked corpus, in report order.
CORPORA = (
    "conll2000",
    "conll2003",
    "ud_english_ewt",
    "conll2002_es",
    "wnut17",
    "atis",
    "snips",
    "mit_restaurant",
)
#: Corpora of ``--quick`` (small ones first, one per task).
QUICK_CORPORA = ("atis", "conll2003", "ud_english_ewt")
#: Row kinds, in report order.
ROWS = ("crftagger", "crfsuite", "baseline")

#: Training parameters where a corpus has no recipe of its own (CRFsuite's names).
TRAIN_PARAMS = recipes.Recipe("default").train_params()
#: Iteration cap of the quick run (a full run uses each corpus' recipe; CRFsuite's
#: convergence test may stop earlier).
QUICK_ITERATIONS = 20
QUICK_TRAIN_SIZE = 1500
#: The baseline's parameters (sklearn-crfsuite tutorial).
BASELINE_PARAMS = dict(
    algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True
)


@dataclass(frozen=True)
class Target:
    """An accuracy target on the test split (percent) and published reference points."""

    corpus: str
    title: str
    metric: str  # "f1" (conlleval span F1) or "accuracy" (token accuracy)
    threshold: float
    reference: str


TARGETS = {
    t.corpus: t
    for t in (
        Target(
            "conll2000",
            "CoNLL-2000 chunking",
            "f1",
            94.3,
            "CRFsuite example 93.6; CoNLL-2000 winner 93.48",
        ),
        Target(
            "conll2003",
            "CoNLL-2003 NER (IOB1)",
            "f1",
            87.0,
            "Stanford CRF 85.5; with non-local features 86.9",
        ),
        Target(
            "ud_english_ewt",
            "UD English EWT UPOS",
            "accuracy",
            95.5,
            "UDPipe 1.2 94.4 (gold tokens)",
        ),
        Target("conll2002_es", "CoNLL-2002 Spanish NER", "f1", 81.4, "CoNLL-2002 winner 81.4"),
        Target("wnut17", "WNUT-17 NER", "f1", 35.0, "shared-task best 40.8"),
        Target("atis", "ATIS slots", "f1", 94.5, "CRF 92.9, RNN 94.1"),
        Target("snips", "SNIPS slots", "f1", 90.0, ""),
        Target("mit_restaurant", "MIT Restaurant slots", "f1", 78.0, ""),
    )
}

#: Fraction of train carved off as a dev split for corpora without one
#: (every 10th sentence), used only with ``--eval-split dev``.
DEV_EVERY = 10


# ---------------------------------------------------------------------------- settings
@dataclass
class Settings:
    """What one benchmark run does; stored in ``results.json``."""

    mode: str = "full"
    corpora: tuple[str, ...] = CORPORA
    rows: tuple[str, ...] = ROWS
    max_iterations: int | None = None  # None: per corpus (its recipe)
    baseline_iterations: int = BASELINE_PARAMS["max_iterations"]
    train_size: int | None = None
    test_size: int | None = None
    eval_split: str = "test"
    c1: float | None = None  # None: per corpus (its recipe)
    c2: float | None = None
    train_schemes: dict[str, str] = field(
        default_factory=lambda: {
            n: r.train_scheme for n, r in recipes.RECIPES.items() if r.train_scheme
        }
    )
    #: CRF order of the crftagger rows (CRFsuite trains first-order models only).
    orders: dict[str, int] = field(
        default_factory=lambda: {n: r.order for n, r in recipes.RECIPES.items() if r.order != 1}
    )
    #: Outside-label decoding bias of the crftagger rows (the CRFsuite rows decode plainly).
    o_biases: dict[str, float] = field(
        default_factory=lambda: {n: r.o_bias for n, r in recipes.RECIPES.items() if r.o_bias}
    )
    timeout: float = 3600.0

    def _param(self, corpus: str, name: str) -> float:
        v = getattr(self, name)
        return getattr(recipes.recipe(corpus), name) if v is None else v

    def spec(self, corpus: str, row: str, data_dir: str | None) -> dict:
        """The JSON description of one row for the worker."""
        return {
            "corpus": corpus,
            "row": row,
            "data_dir": data_dir,
            "train_size": self.train_size,
            "test_size": self.test_size,
            "eval_split": self.eval_split,
            "max_iterations": self.baseline_iterations
            if row == "baseline"
            else self._param(corpus, "max_iterations"),
            "c1": BASELINE_PARAMS["c1"] if row == "baseline" else self._param(corpus, "c1"),
            "c2": BASELINE_PARAMS["c2"] if row == "baseline" else self._param(corpus, "c2"),
            "train_scheme": None if row == "baseline" else self.train_schemes.get(corpus),
            "order": self.orders.get(corpus, 1) if row == "crftagger" else 1,
            "o_bias": self.o_biases.get(corpus, 0.0) if row == "crftagger" else 0.0,
        }


# ---------------------------------------------------------------------------- features
def baseline_pos_column(info) -> str | None:
    """The POS column the baseline reads: ``"pos"`` when it is an input column, else ``None``."""
    return "pos" if "pos" in info.columns and info.label_column != "pos" else None


def baseline_features(tokens, pos=None) -> list[dict]:
    """The sklearn-crfsuite tutorial's features of one sentence (one dict per token).

    Token: bias, lower case, 3- and 2-letter suffixes, isupper, istitle,
    isdigit, POS and its first two letters; previous and next token: lower
    case, istitle, isupper, POS and its first two letters; ``BOS`` / ``EOS``
    at the sentence edges. Without ``pos`` the POS features are left out.
    """
    n = len(tokens)
    out = []
    for i, word in enumerate(tokens):
        f = {
            "bias": 1.0,
            "word.lower()": word.lower(),
            "word[-3:]": word[-3:],
            "word[-2:]": word[-2:],
            "word.isupper()": word.isupper(),
            "word.istitle()": word.istitle(),
            "word.isdigit()": word.isdigit(),
        }
        if pos is not None:
            f["postag"] = pos[i]
            f["postag[:2]"] = pos[i][:2]
        for off, key in ((-1, "-1"), (1, "+1")):
            j = i + off
            if 0 <= j < n:
                w = tokens[j]
                f[f"{key}:word.lower()"] = w.lower()
                f[f"{key}:word.istitle()"] = w.istitle()
                f[f"{key}:word.isupper()"] = w.isupper()
                if pos is not None:
                    f[f"{key}:postag"] = pos[j]
                    f[f"{key}:postag[:2]"] = pos[j][:2]
            else:
                f["BOS" if off < 0 else "EOS"] = True
        out.append(f)
    return out


# ---------------------------------------------------------------------------- data
def _subsample(sentences: list, size: int | None, seed: int = 0) -> list:
    """``size`` sentences drawn without replacement with a fixed seed, in corpus order."""
    if size is None or size >= len(sentences):
        return sentences
    import numpy as np

    keep = np.sort(np.random.default_rng(seed).choice(len(sentences), size=size, replace=False))
    return [sentences[i] for i in keep.tolist()]


def load_splits(info, eval_split: str, data_dir, train_size=None, test_size=None):
    """``(train, evaluation)`` sentence lists.

    ``eval_split="dev"`` on a corpus without a dev split evaluates on every
    :data:`DEV_EVERY`-th training sentence and trains on the others.
    """
    from crftagger.corpora import load

    train = load(info.name, "train", data_dir)
    if eval_split == "dev" and "dev" not in info.splits:
        evaluation = [s for i, s in enumerate(train) if i % DEV_EVERY == DEV_EVERY - 1]
        train = [s for i, s in enumerate(train) if i % DEV_EVERY != DEV_EVERY - 1]
    else:
        evaluation = load(info.name, eval_split, data_dir)
    return _subsample(train, train_size), _subsample(evaluation, test_size, seed=1)


def to_scheme(tags, src: str | None, dst: str | None) -> list[str]:
    """Tags re-encoded from scheme ``src`` to ``dst`` (unchanged when they are equal).

    ``src=None`` reads the tags leniently (conlleval). Predictions that the
    source scheme does not allow are read as conlleval would (``repair="begin"``).
    """
    if dst is None or src == dst:
        return list(tags)
    from crftagger.schemes import convert

    return convert(tags, src, dst, repair="begin" if src is not None else "error")


def score(info, gold, pred) -> dict:
    """Span scores (percent) in the corpus' scheme, or token accuracy for plain tags."""
    from crftagger.metrics import span_scores, token_accuracy

    if info.scheme is None:
        return {
            "metric": "accuracy",
            "accuracy": 100.0 * token_accuracy(gold, pred),
            "f1": None,
            "f1_strict": None,
            "precision": None,
            "recall": None,
        }
    lenient = span_scores(gold, pred, mode="conlleval", zero_division=0)
    strict = span_scores(gold, pred, mode="strict", scheme=info.scheme, zero_division=0)
    return {
        "metric": "f1",
        "f1": 100.0 * lenient.micro.f1,
        "precision": 100.0 * lenient.micro.precision,
        "recall": 100.0 * lenient.micro.recall,
        "f1_strict": 100.0 * strict.micro.f1,
        "accuracy": 100.0 * lenient.accuracy,
        "gold_spans": lenient.micro.gold,
        "predicted_spans": lenient.micro.predicted,
    }


# ---------------------------------------------------------------------------- worker
def _peak_rss_mb() -> float:
    """Peak resident set size of this process in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024.0 * 1024.0) if sys.platform == "darwin" else kb / 1024.0


def _best_of(fn, repeat: int = 2):
    """``(result, seconds)`` of the fastest of ``repeat`` calls of ``fn``."""
    best, out = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return out, best


def _recipe(spec, info):
    """The corpus' recipe with the row's settings (which the run's options may have changed)."""
    return recipes.recipe(info.name).replace(
        c1=spec["c1"],
        c2=spec["c2"],
        max_iterations=spec["max_iterations"],
        train_scheme=spec["train_scheme"],
        order=spec.get("order", 1),
        o_bias=float(spec.get("o_bias", 0.0)),
    )


def _run_crftagger(spec, info, train, test) -> dict:
    """The ``crftagger`` row: ``Tagger.train`` with the recipe, ``Tagger.tag``, ``Tagger.save``."""
    import numba

    from crftagger.api.tagger import Tagger

    r = _recipe(spec, info)
    fs = r.feature_set(spec["data_dir"])  # learns (or reads the cached) word clusters: not timed
    opts = dict(recipe=r, feature_set=fs, scheme=info.scheme, label_column=info.label_column)

    # Compile the numba kernels (features, training, decoding) on a tiny problem
    # before anything is timed.
    t0 = time.perf_counter()
    warm = Tagger.train(train[:20], **{**opts, "recipe": r.replace(max_iterations=2)})
    warm.tag(train[:20])
    warmup = time.perf_counter() - t0

    t0 = time.perf_counter()
    tagger = Tagger.train(train, **opts)
    train_s = time.perf_counter() - t0
    # answers in the corpus' own scheme (CoNLL-2003's IOB1), as the gold tags are written:
    # the token accuracy and the strict reading compare tags as written
    pred, tag_s = _best_of(lambda: tagger.tag(test, output_scheme=tagger.scheme))
    with tempfile.TemporaryDirectory() as d:
        # The tagger's file: weights, vocabularies, feature set and the
        # word-cluster tables it reads, everything needed to tag.
        size = tagger.save(Path(d) / "model.crftagger").stat().st_size
    log = tagger.info["training_log"]
    m = tagger.model
    return {
        "engine": "numba",
        "features": f"{fs.name} v{fs.version}",
        "feature_params": getattr(fs, "params", None),
        "cluster_text": list(r.cluster_text),
        "train_scheme": tagger.model_scheme,
        "order": m.order,
        "o_bias": tagger.o_bias,
        "threads": numba.get_num_threads(),
        "warmup_seconds": warmup,
        "feature_seconds": None,
        "train_seconds": train_s,
        "iterations": len(log),
        "final_loss": log[-1].get("loss") if log else None,
        "active_features": log[-1].get("active_features") if log else None,
        "n_labels": m.n_labels,
        "n_features": m.n_features,
        "n_attributes": len(m.attributes),
        "tag_seconds": tag_s,
        "model_bytes": size,
        "pred": pred,
    }


def _run_crfsuite(spec, info, train, test) -> dict:
    """The ``crfsuite`` row: ``CRF(engine="crfsuite")`` on the recipe's attributes."""
    from crftagger.api.crf import CRF

    r = _recipe(spec, info)
    fs = r.feature_set(spec["data_dir"])
    scheme = spec["train_scheme"] or info.scheme
    # Gold training tags in the training scheme (read leniently when re-encoded).
    y = [
        list(s[info.label_column])
        if scheme == info.scheme
        else to_scheme(s[info.label_column], None, scheme)
        for s in train
    ]
    t0 = time.perf_counter()
    fs.extractor().to_dicts(train[:20], y=y[:20])
    warmup = time.perf_counter() - t0

    t0 = time.perf_counter()
    fx = fs.extractor()
    X = fx.to_dicts(train, y=y)
    t_feat = time.perf_counter() - t0
    crf = CRF(engine="crfsuite", **r.train_params()).fit(X, y)
    del X
    train_s = time.perf_counter() - t0
    fx.freeze()

    def tag():
        return [to_scheme(p, scheme, info.scheme) for p in crf.predict(fx.to_dicts(test))]

    pred, tag_s = _best_of(tag)
    with tempfile.TemporaryDirectory() as d:
        size = crf.save(Path(d) / "model.crfsuite").stat().st_size
    log = crf.training_log_
    return {
        "engine": "crfsuite",
        "features": f"{fs.name} v{fs.version}",
        "feature_params": getattr(fs, "params", None),
        "cluster_text": list(r.cluster_text),
        "train_scheme": scheme,
        "order": 1,
        "o_bias": 0.0,
        "threads": 1,
        "warmup_seconds": warmup,
        "feature_seconds": t_feat,
        "train_seconds": train_s,
        "iterations": len(log),
        "final_loss": crf.final_loss_,
        "active_features": log[-1].get("active_features") if log else None,
        "n_labels": len(crf.classes_),
        "n_features": crf.n_features_,
        "n_attributes": None,
        "tag_seconds": tag_s,
        "model_bytes": size,
        "pred": pred,
    }


def _run_baseline(spec, info, train, test) -> dict:
    import sklearn_crfsuite

    pos_col = baseline_pos_column(info)

    def feats(sents):
        return [baseline_features(s.tokens, s[pos_col] if pos_col else None) for s in sents]

    params = {
        **BASELINE_PARAMS,
        "c1": spec["c1"],
        "c2": spec["c2"],
        "max_iterations": spec["max_iterations"],
    }
    t0 = time.perf_counter()
    X = feats(train)
    t_feat = time.perf_counter() - t0
    y = [list(s[info.label_column]) for s in train]
    crf = sklearn_crfsuite.CRF(**params)
    crf.fit(X, y)
    del X
    train_s = time.perf_counter() - t0
    pred, tag_s = _best_of(lambda: crf.predict(feats(test)))
    log = crf.training_log_
    iterations = len(log.iterations) if log is not None and hasattr(log, "iterations") else None
    return {
        "engine": "crfsuite",
        "features": "sklearn-crfsuite tutorial" + (" (with POS)" if pos_col else ""),
        "feature_params": {"pos_column": pos_col},
        "train_scheme": info.scheme,
        "threads": 1,
        "warmup_seconds": 0.0,
        "feature_seconds": t_feat,
        "train_seconds": train_s,
        "iterations": iterations,
        "final_loss": log.iterations[-1].get("loss") if iterations else None,
        "active_features": log.iterations[-1].get("active_features") if iterations else None,
        "n_labels": len(crf.classes_),
        "n_features": len(crf.state_features_) + len(crf.transition_features_),
        "n_attributes": None,
        "tag_seconds": tag_s,
        "model_bytes": os.path.getsize(crf.modelfile.name),
        "pred": [list(p) for p in pred],
    }


def run_row(spec: dict) -> dict:
    """Train and evaluate one row (see the module docstring); runs in the worker process."""
    from crftagger.corpora import get

    info = get(spec["corpus"])
    train, test = load_splits(
        info, spec["eval_split"], spec["data_dir"], spec["train_size"], spec["test_size"]
    )
    if spec["row"] == "baseline":
        res = _run_baseline(spec, info, train, test)
    elif spec["row"] == "crftagger":
        res = _run_crftagger(spec, info, train, test)
    elif spec["row"] == "crfsuite":
        res = _run_crfsuite(spec, info, train, test)
    else:
        raise BenchmarkError(f"unknown row {spec['row']!r}; expected one of {ROWS}")
    pred = res.pop("pred")
    gold = [list(s[info.label_column]) for s in test]
    n_test = sum(len(s) for s in test)
    res.update(score(info, gold, pred))
    res.update(
        corpus=info.name,
        task=info.task,
        row=spec["row"],
        scheme=info.scheme,
        eval_split=spec["eval_split"],
        c1=spec["c1"],
        c2=spec["c2"],
        max_iterations=spec["max_iterations"],
        train_sentences=len(train),
        train_tokens=sum(len(s) for s in train),
        test_sentences=len(test),
        test_tokens=n_test,
        tokens_per_second=n_test / res["tag_seconds"] if res["tag_seconds"] > 0 else None,
        peak_rss_mb=_peak_rss_mb(),
    )
    return res


# ---------------------------------------------------------------------------- parent
def spawn_row(
    spec: dict, timeout: float, module: str = "crftagger.benchmarks.suite", log_prefix=None
) -> dict:
    """Run one row in a fresh interpreter (``python -m module --worker SPEC``); its result,
    or ``{"error": ...}``. ``log_prefix``: keep the worker's stderr lines that start with it
    as ``rec["log"]``."""
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    cmd = [sys.executable, "-m", module, "--worker", json.dumps(spec)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {
            "error": (proc.stderr or proc.stdout)[-3000:].strip() or f"exit code {proc.returncode}",
            "wall_seconds": wall,
        }
    rec = json.loads(lines[-1])
    rec["wall_seconds"] = wall
    if log_prefix is not None:
        rec["log"] = [ln for ln in proc.stderr.splitlines() if ln.startswith(log_prefix)]
    return rec


def _git(repo: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def environment() -> dict:
    """Commit, dirty flag, machine and versions."""
    import numba
    import numpy

    import crftagger

    repo = Path(crftagger.__file__).resolve().parent.parent
    commit = _git(repo, "rev-parse", "HEAD")
    status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import pycrfsuite

        pycrfsuite_version = getattr(pycrfsuite, "__version__", None)
    except ImportError:
        pycrfsuite_version = None
    return {
        "commit": commit,
        "dirty": None if status is None else bool(status),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cores": os.cpu_count(),
            "cpu": cpu,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "numba": numba.__version__,
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "pycrfsuite": pycrfsuite_version,
            "crftagger": crftagger.__version__,
        },
    }


def check_targets(rows: list[dict]) -> list[dict]:
    """Each target of a benchmarked corpus beside our (``crftagger`` row) figure."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        t = TARGETS.get(corpus)
        if t is None:
            continue
        by_row = {r["row"]: r for r in rows if r["corpus"] == corpus and "error" not in r}

        def value(row, t=t, by_row=by_row):
            r = by_row.get(row)
            return None if r is None else r.get(t.metric)

        ours = value("crftagger")
        out.append(
            {
                "corpus": corpus,
                "title": t.title,
                "metric": t.metric,
                "target": t.threshold,
                "reference": t.reference,
                "crftagger": ours,
                "crfsuite": value("crfsuite"),
                "baseline": value("baseline"),
                "met": None if ours is None else bool(ours >= t.threshold),
            }
        )
    return out


def run(settings: Settings, out_dir, data_dir=None, log=print) -> dict:
    """Run every (corpus, row) of ``settings``; write ``results.json`` and ``results.md``."""
    from crftagger import config
    from crftagger.corpora import registry

    root = config.data_dir(data_dir)
    for corpus in settings.corpora:
        info = registry.get(corpus)
        for split in ("train", settings.eval_split):
            if split in info.splits:
                registry.locate(info, split, root)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    start = time.perf_counter()
    rows = []
    for corpus in settings.corpora:
        for row in settings.rows:
            spec = settings.spec(corpus, row, None if root is None else str(root))
            log(f"[{time.perf_counter() - start:7.1f}s] {corpus} / {row} ...")
            rec = spawn_row(spec, settings.timeout)
            rec.setdefault("corpus", corpus)
            rec.setdefault("row", row)
            rows.append(rec)
            if "error" in rec:
                log(f"    FAILED: {rec['error'].splitlines()[-1] if rec['error'] else ''}")
            else:
                metric = rec["metric"]
                log(
                    f"    {metric} {rec[metric]:.2f}  train {rec['train_seconds']:.1f}s  "
                    f"{rec['iterations']} it  tag {rec['tokens_per_second']:.0f} tok/s  "
                    f"peak {rec['peak_rss_mb']:.0f} MB"
                )
    doc = {
        **env,
        "mode": settings.mode,
        "settings": asdict(settings),
        "total_seconds": time.perf_counter() - start,
        "rows": rows,
        "targets": check_targets(rows),
    }
    (out_dir / "results.json").write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    (out_dir / "results.md").write_text(render_markdown(doc))
    return doc


# ---------------------------------------------------------------------------- report
def _f(v, spec=".2f") -> str:
    return "-" if v is None else format(v, spec)


def _k(v) -> str:
    """A count in thousands."""
    return "-" if v is None else format(v / 1e3, ",.0f")


def _settings_lines(rows: list[dict]) -> list[str]:
    """One line per corpus: the settings of its ``crftagger`` (else ``crfsuite``) row."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        ours = [
            r for r in rows if r["corpus"] == corpus and r["row"] != "baseline" and "error" not in r
        ]
        if not ours:
            continue
        r = ours[0]
        text = ", ".join(r.get("cluster_text") or []) or "-"
        out.append(
            f"| {corpus} | {r['features']} | {r['c1']:g} | {r['c2']:g} | {r['max_iterations']} | "
            f"{(r.get('train_scheme') or '-').upper()} | {r.get('order', 1)} | "
            f"{r.get('o_bias') or 0:g} | {text} |"
        )
    return out


def render_markdown(doc: dict) -> str:
    """The human-readable report of a results document."""
    s = doc["settings"]
    m = doc["machine"]
    lines = [
        "# crftagger benchmark results",
        "",
        f"Generated by `crftagger benchmark` (benchmarks/run.py); do not edit by hand. "
        f"Mode: **{doc['mode']}**"
        + (
            " (subsampled training data and few iterations: a smoke test, not a measurement)"
            if doc["mode"] == "quick"
            else ""
        )
        + ".",
        "",
        f"- commit: `{doc['commit']}`" + (" (working tree dirty)" if doc["dirty"] else ""),
        f"- date: {doc['date']}; total time {doc['total_seconds'] / 60:.1f} min",
        f"- machine: {m['cores']} cores ({m['cpu']}), {m['platform']}, Python {m['python']}, "
        f"numpy {m['numpy']}, numba {m['numba']} ({m['numba_threads']} threads)",
        f"- evaluation split: {s['eval_split']}; train subsample: {s['train_size'] or 'all'}; "
        f"evaluation subsample: {s['test_size'] or 'all'}",
        "- crftagger and crfsuite rows: L-BFGS/OWL-QN with the per-corpus c1 / c2 and training "
        "scheme of the settings table below and at most that many iterations (CRFsuite's "
        "stopping test: delta 1e-5 over 10 iterations), same attributes; spans are scored after "
        "conversion back to the corpus scheme; where the settings table gives CRF order 2, the "
        "crftagger row is a second-order CRF and the crfsuite row (CRFsuite has first order only) "
        "is the first-order model on the same features; a non-zero O bias is added to the outside "
        "label's score at every token when the crftagger row decodes (chosen on dev; the crfsuite "
        "row decodes plainly)",
        f"- baseline rows: sklearn-crfsuite, tutorial features, c1 = c2 = 0.1, "
        f"{s['baseline_iterations']} iterations, all possible transitions",
        "",
        "## Training settings of the crftagger and crfsuite rows",
        "",
        "Chosen on dev splits (every 10th training sentence where a corpus has none). Word "
        "clusters are learned from the train and dev text of the listed corpora, never from a "
        "test split.",
        "",
        "| corpus | features | c1 | c2 | max. iterations | training scheme | CRF order (crftagger row) "
        "| O bias (crftagger row) | word clusters from |",
        "|---|---|---:|---:|---:|---|---:|---:|---|",
        *_settings_lines(doc["rows"]),
        "",
        "## Targets (test split, percent)",
        "",
        "| corpus | target | crftagger | met | crfsuite, same features | baseline | reference points |",
        "|---|---|---:|:---:|---:|---:|---|",
    ]
    for t in doc["targets"]:
        what = "span F1" if t["metric"] == "f1" else "token accuracy"
        met = "-" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(
            f"| {t['title']} | >= {t['target']:g} {what} | {_f(t['crftagger'])} | {met} | "
            f"{_f(t['crfsuite'])} | {_f(t['baseline'])} | {t['reference']} |"
        )
    lines += [
        "",
        "## All rows",
        "",
        "F1 = conlleval (lenient) span F1, strict = spans decoded with the corpus scheme's rules "
        "(malformed spans dropped), acc = token accuracy. Training time = feature extraction + fit "
        "(kernel compilation excluded, shown as `jit s`). Tagging speed = raw sentences to tags "
        "(features + decoding), best of 2. Peak RSS = whole worker process. Features = "
        "state + transition features before training; non-zero = active after training "
        "(L1 prunes the rest).",
        "",
        "| corpus | row | features | F1 | strict | P | R | acc | train s | iters | jit s | "
        "tag tok/s | model MB | peak RSS MB | features (K) | non-zero (K) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["rows"]:
        if "error" in r:
            err = r["error"].splitlines()[-1] if r["error"] else "failed"
            lines.append(
                f"| {r['corpus']} | {r['row']} | FAILED: {err.replace('|', '/')} |" + " |" * 13
            )
            continue
        lines.append(
            f"| {r['corpus']} | {r['row']} | {r['features']} | {_f(r['f1'])} | {_f(r['f1_strict'])} | "
            f"{_f(r['precision'])} | {_f(r['recall'])} | {_f(r['accuracy'])} | "
            f"{_f(r['train_seconds'], '.1f')} | {r['iterations'] if r['iterations'] is not None else '-'} | "
            f"{_f(r['warmup_seconds'], '.1f')} | {_f(r['tokens_per_second'], ',.0f')} | "
            f"{_f(r['model_bytes'] / 1e6)} | {_f(r['peak_rss_mb'], '.0f')} | "
            f"{_k(r.get('n_features'))} | {_k(r.get('active_features'))} |"
        )
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- command line
def _csv(value: str, allowed, what: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise BenchmarkError(
            f"--{what}: found {', '.join(bad) or 'nothing'}; expected a comma-separated "
            f"list of {', '.join(allowed)}"
        )
    return items


def add_arguments(p: argparse.ArgumentParser, default_out: str = ".") -> None:
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_TRAIN_SIZE} training sentences, {QUICK_ITERATIONS} "
        f"iterations, corpora {','.join(QUICK_CORPORA)}",
    )
    p.add_argument(
        "--corpora", help=f"comma-separated corpora (default: all of {','.join(CORPORA)})"
    )
    p.add_argument("--rows", help=f"comma-separated rows (default: {','.join(ROWS)})")
    p.add_argument(
        "--out",
        default=default_out,
        help=f"folder for results.json / results.md (default {default_out})",
    )
    p.add_argument(
        "--iterations",
        type=int,
        help="iteration cap of the crftagger/crfsuite rows for every corpus (default: per corpus)",
    )
    p.add_argument("--baseline-iterations", type=int, help="iterations of the baseline rows")
    p.add_argument(
        "--train-size", type=int, help="train on this many sentences (fixed random sample)"
    )
    p.add_argument(
        "--test-size", type=int, help="evaluate on this many sentences (fixed random sample)"
    )
    p.add_argument(
        "--eval-split",
        choices=("test", "dev"),
        default="test",
        help="evaluate on test (default) or dev (carved from train when a corpus has none)",
    )
    p.add_argument(
        "--c1",
        type=float,
        help=f"L1 weight of our rows for every corpus (default: per corpus, else {TRAIN_PARAMS['c1']})",
    )
    p.add_argument(
        "--c2",
        type=float,
        help=f"L2 weight of our rows for every corpus (default: per corpus, else {TRAIN_PARAMS['c2']})",
    )
    p.add_argument(
        "--train-scheme",
        action="append",
        default=[],
        metavar="CORPUS=SCHEME",
        help="train CORPUS in SCHEME (repeatable; SCHEME 'own' keeps the corpus scheme)",
    )
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per row")


def settings_from_args(args) -> Settings:
    from crftagger.schemes import get_scheme

    quick = bool(args.quick)
    s = Settings(mode="quick" if quick else "full")
    if quick:
        s.corpora, s.max_iterations, s.train_size = (
            QUICK_CORPORA,
            QUICK_ITERATIONS,
            QUICK_TRAIN_SIZE,
        )
        s.baseline_iterations = QUICK_ITERATIONS
    if args.corpora:
        s.corpora = _csv(args.corpora, CORPORA, "corpora")
    if args.rows:
        s.rows = _csv(args.rows, ROWS, "rows")
    for name, v in (
        ("max_iterations", args.iterations),
        ("baseline_iterations", args.baseline_iterations),
        ("train_size", args.train_size),
        ("test_size", args.test_size),
    ):
        if v is not None:
            if v < 1:
                raise BenchmarkError(
                    f"--{name.replace('_', '-')}: found {v}; expected a positive integer"
                )
            setattr(s, name, v)
    for name in ("c1", "c2"):
        v = getattr(args, name)
        if v is not None:
            if not v >= 0:
                raise BenchmarkError(f"--{name}: found {v}; expected a number >= 0")
            setattr(s, name, v)
    for item in args.train_scheme:
        corpus, sep, scheme = item.partition("=")
        if not sep or corpus not in CORPORA:
            raise BenchmarkError(
                f"--train-scheme: found {item!r}; expected CORPUS=SCHEME with CORPUS in "
                f"{', '.join(CORPORA)}"
            )
        if scheme == "own":
            s.train_schemes.pop(corpus, None)
        else:
            s.train_schemes[corpus] = get_scheme(scheme).name
    s.eval_split = args.eval_split
    s.timeout = args.timeout
    return s


def cmd_benchmark(args) -> int:
    settings = settings_from_args(args)
    doc = run(settings, args.out, getattr(args, "data_dir", None))
    print(
        f"wrote {Path(args.out) / 'results.md'} and results.json "
        f"({doc['total_seconds'] / 60:.1f} min)"
    )
    return 1 if any("error" in r for r in doc["rows"]) else 0


def main(argv=None, default_out: str = ".") -> int:
    """Stand-alone entry point (benchmarks/run.py)."""
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0])
    add_arguments(p, default_out)
    p.add_argument(
        "--data-dir", default=None, help="folder holding the corpora (default $CRFTAGGER_DATA)"
    )
    args = p.parse_args(argv)
    try:
        return cmd_benchmark(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"benchmark: error: {exc}", file=sys.stderr)
        return 1


def _worker_main(argv) -> int:
    if len(argv) != 2 or argv[0] != "--worker":
        print("usage: python -m crftagger.benchmarks.suite --worker SPEC_JSON", file=sys.stderr)
        return 2
    res = run_row(json.loads(argv[1]))
    sys.stdout.write(json.dumps(res) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
