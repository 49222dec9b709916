"""crftagger beside a neural tagger (spaCy 3.8, trained from scratch on CPU), corpus by corpus.

    python benchmarks/neural.py [--corpora conll2003,ud_english_ewt,atis] [--max-minutes 10]
                                [--curve conll2003] [--curve-minutes 2] [--out DIR]
    crftagger benchmark --neural [--corpora ...] [--max-minutes 10] [--out DIR]

For every selected corpus two rows are measured, each in a fresh worker
process (so that its peak resident memory is its own):

``crftagger``
    :meth:`Tagger.train <crftagger.api.tagger.Tagger.train>` with the corpus'
    recipe, exactly as the ``crftagger`` row of :mod:`crftagger.benchmarks.suite`
    (numba kernels compiled on a tiny problem first, reported apart);
``spacy``
    a spaCy pipeline trained from scratch (no pretrained vectors, no pretrained
    model) from the stock CPU configuration that ``spacy init config --lang en
    --pipeline ner`` (NER and slot corpora) or ``--pipeline morphologizer``
    (POS: the component that predicts ``token.pos_``, the UPOS tag) writes,
    generated here by :func:`spacy.cli.init_config.init_config` with
    ``optimize="efficiency"``. Training runs spaCy's own loop
    (:func:`spacy.training.loop.train_while_improving`: its batcher, optimiser,
    dropout, dev evaluation every ``eval_frequency`` steps and patience) and
    stops at the first of: spaCy's patience or ``max_steps``, or the wall-clock
    cap (``--max-minutes``). The checkpoint with the best dev score is kept,
    as ``spacy train`` keeps ``model-best``.

Both rows train on the same train split, select on nothing but what their
trainers do (spaCy evaluates on the dev split for its checkpoints; the
crftagger recipe trains on train only), and are evaluated on the same test
split **on gold tokens** with the same scorer (:func:`crftagger.benchmarks.suite.score`:
:mod:`crftagger.metrics` span F1 with conlleval rules in the corpus' scheme, or
token accuracy for POS).

The spaCy data are built directly from the sentences that
:func:`crftagger.corpora.load` returns (:func:`to_docs`, :func:`write_docbin`):
one ``Doc`` per sentence with the gold tokens, spans decoded from the gold tags
with conlleval's rules and set as ``doc.ents`` (every other token outside), or
the UPOS tags as ``token.pos_``. spaCy's CoNLL converter is never used, so
CoNLL-2003's ``-DOCSTART- -X- -X- O`` lines (which the reader drops, and which
that converter would read as a token) cannot leak into training. Predictions
are read back (:func:`docs_to_tags`) and written in the corpus' own scheme
before scoring; :func:`round_trip_mismatches` checks that the gold tags survive
the DocBin exactly.

Each row reports: F1 (or accuracy), training seconds (wall; for spaCy
initialisation plus its training loop, dev evaluations included), tagging
words per second (test sentences from tokens to tags, best of two passes; for
spaCy building the ``Doc`` objects and ``nlp.pipe``), the model size on disk
(crftagger's single file; spaCy's saved pipeline folder), the peak RSS of the
worker process (training included), and the cold start: a fresh Python
process that imports the library, loads the saved model and tags one
sentence, timed from the parent (median of three).

``--curve CORPUS`` adds learning curves: both systems trained on nested
fixed-seed subsets of train (:data:`FRACTIONS`), spaCy with the smaller cap
``--curve-minutes`` per point, scored on the full test split; a table in
``neural.md`` and the figure ``neural_learning_curve.png``.

This module is also the worker: ``python -m crftagger.benchmarks.neural
--worker SPEC`` runs one row and prints its result as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crftagger.benchmarks import suite
from crftagger.errors import BenchmarkError

#: Corpora of a default run (NER, POS, slots).
CORPORA = ("conll2003", "ud_english_ewt", "atis")
#: Row kinds, in report order.
ROWS = ("crftagger", "spacy")
#: Training-set fractions of the learning curves (nested subsets, fixed seed).
FRACTIONS = (0.01, 0.05, 0.10, 0.25, 0.50, 1.0)
#: Seed of the learning-curve subsets.
CURVE_SEED = 0
#: spaCy component per task.
SPACY_COMPONENT = {"ner": "ner", "slots": "ner", "chunk": "ner", "pos": "morphologizer"}
#: Dev sentences spaCy evaluates its checkpoints on at each learning-curve point.
CURVE_DEV_SIZE = 500
#: Sentence tagged by the cold-start measurement.
COLD_SENTENCE = ["John", "Smith", "flew", "from", "Boston", "to", "Paris", "on", "Monday", "."]
HERE = Path(__file__).resolve().parent


def _require_spacy():
    try:
        import spacy
    except ImportError:
        raise BenchmarkError(
            "the neural rows need spaCy, which is not installed; expected it from the optional "
            "extra: pip install 'crftagger[compare]'"
        ) from None
    return spacy


# ---------------------------------------------------------------------------- conversion
def component_for(info) -> str:
    """The spaCy component trained for the corpus' task (``ner`` or ``morphologizer``)."""
    if info.scheme is None:
        return "morphologizer"
    comp = SPACY_COMPONENT.get(info.task, "ner")
    return comp


def to_docs(sentences, info, vocab) -> list:
    """One spaCy ``Doc`` per sentence: gold tokens, gold spans as ``doc.ents`` or UPOS as ``pos_``.

    Spans are decoded from the gold tags with conlleval's rules (what the
    scorer reads), so every span the scorer counts is a spaCy entity; tokens
    outside every span are marked outside (``O``), not missing.
    """
    from spacy.tokens import Doc, Span

    from crftagger.schemes import extract_spans

    col = info.label_column
    docs = []
    for s in sentences:
        words = list(s.tokens)
        tags = list(s.columns[col])
        if info.scheme is None:
            doc = Doc(vocab, words=words, pos=tags)
        else:
            doc = Doc(vocab, words=words)
            doc.ents = [Span(doc, sp.start, sp.end, label=sp.type) for sp in extract_spans(tags)]
        docs.append(doc)
    return docs


def docs_to_tags(docs, info) -> list[list[str]]:
    """Tags of each ``Doc``: ``pos_`` for POS, else ``doc.ents`` written in the corpus' scheme."""
    from crftagger.schemes import tags_from_spans

    out = []
    for doc in docs:
        if info.scheme is None:
            out.append([t.pos_ for t in doc])
        else:
            spans = [(e.label_, e.start, e.end) for e in doc.ents]
            out.append(tags_from_spans(spans, len(doc), info.scheme))
    return out


def write_docbin(sentences, info, path, vocab=None) -> Path:
    """The sentences as a spaCy ``.spacy`` file (``DocBin``) at ``path``."""
    spacy = _require_spacy()
    from spacy.tokens import DocBin

    vocab = vocab if vocab is not None else spacy.blank("en").vocab
    db = DocBin(attrs=["ORTH", "POS", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
    for doc in to_docs(sentences, info, vocab):
        db.add(doc)
    path = Path(path)
    db.to_disk(path)
    return path


def read_docbin(path, vocab=None) -> list:
    """The ``Doc`` objects of a ``.spacy`` file."""
    spacy = _require_spacy()
    from spacy.tokens import DocBin

    vocab = vocab if vocab is not None else spacy.blank("en").vocab
    return list(DocBin().from_disk(path).get_docs(vocab))


def round_trip_mismatches(sentences, info, docs) -> dict[str, list[int]]:
    """Sentences changed by the DocBin: indices by what differs (all lists empty: exact).

    ``tokens``: the token strings; ``spans``: the gold spans (conlleval
    decoding) against ``doc.ents``, or the UPOS tags against ``pos_``;
    ``tags``: the tags written back in the corpus' scheme against the gold
    tags as written (differs from ``spans`` only where the source writes a
    span in a non-canonical way that decodes to the same spans, e.g. an IOB1
    ``B-`` that follows no span of its type).
    """
    from crftagger.schemes import extract_spans

    if len(docs) != len(sentences):
        raise BenchmarkError(
            f"DocBin holds {len(docs)} documents; expected {len(sentences)} (one per sentence)"
        )
    col = info.label_column
    written = docs_to_tags(docs, info)
    bad: dict[str, list[int]] = {"tokens": [], "spans": [], "tags": []}
    for k, (s, doc, t) in enumerate(zip(sentences, docs, written, strict=True)):
        gold = list(s.columns[col])
        if [w.text for w in doc] != list(s.tokens):
            bad["tokens"].append(k)
        if info.scheme is None:
            same = [w.pos_ for w in doc] == gold
        else:
            ents = [(e.label_, e.start, e.end) for e in doc.ents]
            same = ents == [tuple(sp) for sp in extract_spans(gold)]
            same = same and all(w.ent_iob_ in ("B", "I", "O") for w in doc)
        if not same:
            bad["spans"].append(k)
        if t != gold:
            bad["tags"].append(k)
    return bad


# ---------------------------------------------------------------------------- spaCy
def spacy_config(component: str, train_path, dev_path, max_steps: int = 20000, seed: int = 0):
    """spaCy's stock CPU config (``spacy init config --lang en --pipeline COMPONENT``)."""
    _require_spacy()
    from spacy.cli.init_config import init_config

    config = init_config(
        lang="en", pipeline=[component], optimize="efficiency", gpu=False, pretraining=False
    )
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    config["training"]["max_steps"] = int(max_steps)
    config["training"]["seed"] = int(seed)
    config["system"]["seed"] = int(seed)
    return config


def train_spacy(config, out_dir, max_seconds: float, log=None):
    """Train with spaCy's loop until patience, ``max_steps`` or ``max_seconds``; keep the best.

    Returns ``(nlp, info)``: the best dev checkpoint loaded back, and the
    training record (seconds, steps, epochs, best dev score, why it stopped).
    """
    spacy = _require_spacy()
    from spacy.schemas import ConfigSchemaTraining
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import (
        create_evaluation_callback,
        create_train_batches,
        train_while_improving,
    )
    from spacy.util import registry, resolve_dot_names

    out_dir = Path(out_dir)
    best_dir = out_dir / "model-best"
    t0 = time.perf_counter()
    nlp = init_nlp(config)
    cfg = nlp.config.interpolate()
    T = registry.resolve(cfg["training"], schema=ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(cfg, [T["train_corpus"], T["dev_corpus"]])
    optimizer = T["optimizer"]
    evaluate = create_evaluation_callback(nlp, dev_corpus, T["score_weights"])
    steps = train_while_improving(
        nlp,
        optimizer,
        create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"]),
        evaluate,
        dropout=T["dropout"],
        accumulate_gradient=T["accumulate_gradient"],
        patience=T["patience"],
        max_steps=T["max_steps"],
        eval_frequency=T["eval_frequency"],
        exclude=T["frozen_components"],
        annotating_components=T["annotating_components"],
        before_update=T["before_update"],
    )
    stop = "patience or max_steps"
    info: dict = {}
    best_score = None
    saved = False
    for _batch, info, is_best in steps:
        if is_best:
            with nlp.use_params(optimizer.averages):
                if best_dir.exists():
                    shutil.rmtree(best_dir)
                nlp.to_disk(best_dir)
            saved = True
            best_score = info.get("score")
            if log:
                log(
                    f"      step {info['step']} epoch {info['epoch']} dev score "
                    f"{best_score:.4f} ({time.perf_counter() - t0:.0f} s)"
                )
        if time.perf_counter() - t0 >= max_seconds:
            stop = f"wall-clock cap {max_seconds / 60:.1f} min"
            # one more dev evaluation of the weights reached at the cap: kept if better
            with nlp.use_params(optimizer.averages):
                score, _ = evaluate()
                if best_score is None or score > best_score:
                    if best_dir.exists():
                        shutil.rmtree(best_dir)
                    nlp.to_disk(best_dir)
                    saved, best_score = True, score
            break
    if not saved:  # capped before the first evaluation: keep the last weights
        with nlp.use_params(optimizer.averages):
            nlp.to_disk(best_dir)
    train_s = time.perf_counter() - t0
    nlp = spacy.load(best_dir)
    return nlp, {
        "train_seconds": train_s,
        "steps": info.get("step"),
        "epochs": info.get("epoch"),
        "best_dev_score": best_score,
        "stopped_by": stop,
        "eval_frequency": T["eval_frequency"],
        "patience": T["patience"],
        "max_steps": T["max_steps"],
    }


def spacy_tag(nlp, sentences) -> list:
    """Run the pipeline over the gold tokens of ``sentences``; the tagged ``Doc`` objects."""
    from spacy.tokens import Doc

    return list(nlp.pipe(Doc(nlp.vocab, words=list(s.tokens)) for s in sentences))


def _dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------- worker
def _subset(train: list, fraction: float | None, seed: int = CURVE_SEED) -> list:
    """The first ``fraction`` of a fixed permutation of ``train``, in corpus order (nested)."""
    if fraction is None or fraction >= 1.0:
        return train
    import numpy as np

    k = max(1, round(fraction * len(train)))
    perm = np.random.default_rng(seed).permutation(len(train))
    return [train[i] for i in sorted(perm[:k].tolist())]


def _run_spacy(spec, info, train, dev, test, work: Path) -> dict:
    spacy = _require_spacy()
    vocab = spacy.blank("en").vocab
    t0 = time.perf_counter()
    train_path = write_docbin(train, info, work / "train.spacy", vocab)
    dev_path = write_docbin(dev, info, work / "dev.spacy", vocab)
    convert_s = time.perf_counter() - t0
    trip = {
        split: round_trip_mismatches(sents, info, read_docbin(path, vocab))
        for split, sents, path in (("train", train, train_path), ("dev", dev, dev_path))
    }
    if any(trip[split][what] for split in trip for what in ("tokens", "spans")):
        raise BenchmarkError(f"the DocBin changed gold tokens or spans: {trip}")
    component = component_for(info)
    config = spacy_config(component, train_path, dev_path, max_steps=spec.get("max_steps", 20000))
    nlp, tr = train_spacy(config, work, spec["max_seconds"], log=_stderr_log)
    docs, tag_s = suite._best_of(lambda: spacy_tag(nlp, test), spec.get("tag_repeat", 2))
    model_dir = work / "model-best"
    return {
        **tr,
        "features": f"spaCy {spacy.__version__} {component} (init config, efficiency, CPU)",
        "convert_seconds": convert_s,
        "round_trip": {split: {k: len(v) for k, v in d.items()} for split, d in trip.items()},
        "round_trip_tag_changes": {split: d["tags"][:20] for split, d in trip.items()},
        "tag_seconds": tag_s,
        "model_bytes": _dir_bytes(model_dir),
        "model_path": str(model_dir),
        "pred": docs_to_tags(docs, info),
    }


def _run_crftagger(spec, info, train, test, work: Path) -> dict:
    """The suite's ``crftagger`` row (recipe training), keeping the model file for the cold start."""
    from crftagger.api.tagger import Tagger

    sspec = suite.Settings().spec(info.name, "crftagger", spec["data_dir"])
    r = suite._recipe(sspec, info)
    fs = r.feature_set(spec["data_dir"])
    opts = dict(recipe=r, feature_set=fs, scheme=info.scheme, label_column=info.label_column)
    t0 = time.perf_counter()
    warm = Tagger.train(train[:20], **{**opts, "recipe": r.replace(max_iterations=2)})
    warm.tag(train[:20])
    warmup = time.perf_counter() - t0
    t0 = time.perf_counter()
    tagger = Tagger.train(train, **opts)
    train_s = time.perf_counter() - t0
    # answers in the corpus' own scheme (the tagger's default output is IOB2), so that
    # token accuracy compares like with like; span F1 (conlleval) is the same either way
    out_scheme = info.scheme if info.scheme is not None else "output"
    pred, tag_s = suite._best_of(
        lambda: tagger.tag(test, output_scheme=out_scheme), spec.get("tag_repeat", 2)
    )
    path = tagger.save(work / "model.crftagger")
    return {
        "features": f"{fs.name} v{fs.version} (recipe {info.name})",
        "warmup_seconds": warmup,
        "train_seconds": train_s,
        "iterations": len(tagger.info["training_log"]),
        "tag_seconds": tag_s,
        "model_bytes": path.stat().st_size,
        "model_path": str(path),
        "pred": pred,
    }


def _stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_row(spec: dict) -> dict:
    """Train and evaluate one row in this process (see the module docstring)."""
    from crftagger.corpora import get, load

    info = get(spec["corpus"])
    train = _subset(load(info.name, "train", spec["data_dir"]), spec.get("fraction"))
    test = load(info.name, "test", spec["data_dir"])
    work = Path(spec["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    if spec["row"] == "spacy":
        if "dev" in info.splits:
            dev = load(info.name, "dev", spec["data_dir"])
        else:  # every 10th training sentence, as the suite carves a dev split
            dev = train[suite.DEV_EVERY - 1 :: suite.DEV_EVERY]
        dev = dev[: spec["dev_size"]] if spec.get("dev_size") else dev
        res = _run_spacy(spec, info, train, dev, test, work)
    elif spec["row"] == "crftagger":
        res = _run_crftagger(spec, info, train, test, work)
    else:
        raise BenchmarkError(f"unknown row {spec['row']!r}; expected one of {', '.join(ROWS)}")
    pred = res.pop("pred")
    gold = [list(s.columns[info.label_column]) for s in test]
    n_test = sum(len(s) for s in test)
    res.update(suite.score(info, gold, pred))
    res.update(
        corpus=info.name,
        task=info.task,
        scheme=info.scheme,
        row=spec["row"],
        fraction=spec.get("fraction"),
        train_sentences=len(train),
        train_tokens=sum(len(s) for s in train),
        test_sentences=len(test),
        test_tokens=n_test,
        tokens_per_second=n_test / res["tag_seconds"] if res["tag_seconds"] > 0 else None,
        peak_rss_mb=suite._peak_rss_mb(),
    )
    return res


def spawn(spec: dict, timeout: float) -> dict:
    """One row in a fresh interpreter (``--worker``); its result, or ``{"error": ...}``, with
    spaCy's step lines as ``rec["log"]``."""
    return suite.spawn_row(
        spec, timeout, module="crftagger.benchmarks.neural", log_prefix="      step"
    )


_COLD = {
    "crftagger": (
        "from crftagger.api.tagger import Tagger\n"
        "from crftagger.sentence import Sentence\n"
        "t = Tagger.load({path!r})\n"
        "print(t.tag([Sentence({words!r}, {columns!r})]))\n"
    ),
    "spacy": (
        "import spacy\n"
        "from spacy.tokens import Doc\n"
        "nlp = spacy.load({path!r})\n"
        "d = nlp(Doc(nlp.vocab, words={words!r}))\n"
        "print([t.pos_ or t.ent_iob_ for t in d])\n"
    ),
}


def cold_start(row: str, model_path: str, repeat: int = 3, sentence=None) -> float:
    """Median seconds of a fresh ``python -c`` that imports, loads the model and tags one sentence.

    ``sentence`` (a :class:`~crftagger.sentence.Sentence`, e.g. the first test
    sentence) gives the words and the input columns a feature set may read
    (CoNLL-2003's recipe reads the POS column); default :data:`COLD_SENTENCE`.
    """
    words, columns = COLD_SENTENCE, {}
    if sentence is not None:
        words, columns = list(sentence.tokens), dict(sentence.columns)
    code = _COLD[row].format(path=model_path, words=words, columns=columns)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise BenchmarkError(f"cold start of the {row} model failed: {proc.stderr[-1000:]}")
    return statistics.median(times)


# ---------------------------------------------------------------------------- parent
def _cold(row, model_path, corpus, root, log) -> float | None:
    """Cold start on the corpus' first test sentence (gold labels removed); ``None`` if it fails."""
    from crftagger.corpora import get, load
    from crftagger.sentence import Sentence

    info = get(corpus)
    s = load(corpus, "test", root)[0]
    cols = {k: v for k, v in s.columns.items() if k != info.label_column}
    try:
        return cold_start(row, model_path, sentence=Sentence(list(s.tokens), cols))
    except BenchmarkError as exc:
        log(f"    cold start failed: {str(exc).splitlines()[-1]}")
        return None


def run(
    corpora=CORPORA,
    out_dir=HERE,
    data_dir=None,
    max_minutes: float = 10.0,
    curve: tuple[str, ...] = (),
    curve_minutes: float = 2.0,
    fractions=FRACTIONS,
    rows_run=ROWS,
    recorded=None,
    log=print,
) -> dict:
    """Both rows on every corpus, then the learning curves; write ``neural.json``/``neural.md``.

    ``rows_run`` limits the per-corpus rows that are trained here; a
    ``crftagger`` row not trained is read from ``recorded`` (a
    ``results.json`` of :mod:`crftagger.benchmarks.suite`) when given. The
    report is rewritten after every row, so a run cut short keeps what finished.
    """
    _require_spacy()
    from crftagger import config
    from crftagger.corpora import registry

    root = config.data_dir(data_dir)
    for corpus in (*corpora, *curve):
        info = registry.get(corpus)
        for split in ("train", "test"):
            registry.locate(info, split, root)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = suite.environment()
    import spacy

    env["machine"]["spacy"] = spacy.__version__
    start = time.perf_counter()
    rows: list[dict] = []
    points: list[dict] = []
    base = {"data_dir": None if root is None else str(root)}
    settings = {
        "corpora": list(corpora),
        "max_minutes": max_minutes,
        "curve": list(curve),
        "curve_minutes": curve_minutes,
        "fractions": list(fractions),
        "curve_seed": CURVE_SEED,
        "curve_dev_size": CURVE_DEV_SIZE,
        "rows_run": list(rows_run),
        "numba_num_threads_env": os.environ.get("NUMBA_NUM_THREADS"),
    }

    def write(final: bool) -> dict:
        doc = {
            **env,
            "settings": settings,
            "complete": final,
            "total_seconds": time.perf_counter() - start,
            "rows": [{k: v for k, v in r.items() if k != "model_path"} for r in rows],
            "curve": [{k: v for k, v in r.items() if k != "model_path"} for r in points],
        }
        (out_dir / "neural.json").write_text(json.dumps(doc, indent=1) + "\n")
        if doc["curve"]:
            plot_curves(
                doc["curve"],
                out_dir / "neural_learning_curve.png",
                doc["settings"]["curve_minutes"],
            )
        (out_dir / "neural.md").write_text(render_markdown(doc))
        return doc

    with tempfile.TemporaryDirectory(prefix="crftagger-neural-") as tmp:
        for corpus in corpora:
            for row in ROWS:
                if row not in rows_run:
                    if row == "crftagger" and recorded is not None:
                        rows.append(recorded_row(recorded, corpus))
                    continue
                spec = {
                    **base,
                    "corpus": corpus,
                    "row": row,
                    "max_seconds": 60.0 * max_minutes,
                    "work_dir": str(Path(tmp) / corpus / row),
                }
                log(f"[{time.perf_counter() - start:7.1f}s] {corpus} / {row} ...")
                rec = spawn(spec, timeout=60.0 * max_minutes + 1800)
                rec.setdefault("corpus", corpus)
                rec.setdefault("row", row)
                if "error" not in rec:
                    rec["cold_start_seconds"] = _cold(row, rec["model_path"], corpus, root, log)
                    m = rec["metric"]
                    log(
                        f"    {m} {rec[m]:.2f}  train {rec['train_seconds']:.1f}s  "
                        f"tag {rec['tokens_per_second']:.0f} w/s  model "
                        f"{rec['model_bytes'] / 1e6:.1f} MB  peak {rec['peak_rss_mb']:.0f} MB  "
                        f"cold {rec['cold_start_seconds']:.2f}s"
                    )
                else:
                    log(f"    FAILED: {rec['error'].splitlines()[-1] if rec['error'] else ''}")
                rec["source"] = "this run"
                rows.append(rec)
                write(False)
        for corpus in curve:
            for frac in fractions:
                for row in ROWS:
                    spec = {
                        **base,
                        "corpus": corpus,
                        "row": row,
                        "fraction": frac,
                        "max_seconds": 60.0 * curve_minutes,
                        "work_dir": str(Path(tmp) / "curve" / corpus / f"{frac}" / row),
                        "dev_size": CURVE_DEV_SIZE,
                        "tag_repeat": 2 if frac >= 1.0 else 1,
                    }
                    log(f"[{time.perf_counter() - start:7.1f}s] curve {corpus} {frac:.0%} / {row}")
                    rec = spawn(spec, timeout=60.0 * curve_minutes + 1800)
                    rec.setdefault("corpus", corpus)
                    rec.setdefault("row", row)
                    rec.setdefault("fraction", frac)
                    if "error" in rec:
                        log(f"    FAILED: {rec['error'].splitlines()[-1]}")
                    else:
                        if frac >= 1.0:  # a full-train model: its cold start too
                            rec["cold_start_seconds"] = _cold(
                                row, rec["model_path"], corpus, root, log
                            )
                        log(
                            f"    {rec['metric']} {rec[rec['metric']]:.2f}  train "
                            f"{rec['train_seconds']:.0f}s"
                        )
                    points.append(rec)
                    write(False)
                    shutil.rmtree(spec["work_dir"], ignore_errors=True)
    return write(True)


def recorded_row(path, corpus: str) -> dict:
    """The ``crftagger`` row of ``corpus`` from a suite ``results.json`` (figures measured there)."""
    doc = json.loads(Path(path).read_text())
    for r in doc["rows"]:
        if r.get("corpus") == corpus and r.get("row") == "crftagger" and "error" not in r:
            keep = (
                "corpus", "row", "features", "metric", "f1", "accuracy", "precision", "recall",
                "train_seconds", "iterations", "tokens_per_second", "model_bytes", "peak_rss_mb",
                "scheme", "task", "train_sentences", "test_sentences", "test_tokens",
            )  # fmt: skip
            out = {k: r.get(k) for k in keep}
            out["features"] = f"{r.get('features')} (recipe {corpus})"
            out["source"] = (
                f"`{Path(path).name}`, commit {str(doc.get('commit'))[:10]}, {doc.get('date')}"
            )
            return out
    raise BenchmarkError(f"{path}: no crftagger row for {corpus}; expected one from the suite")


def merge(json_paths, out_dir=HERE, notes=()) -> dict:
    """Rows and curve points of several ``neural.json`` files as one report in ``out_dir``.

    Runs of the per-corpus rows and of the learning curves may be made apart
    (e.g. in parallel); the first file gives the commit, the machine and the
    settings, later files add their rows, their curve points and their
    settings (a file with curve points gives the curve settings).
    """
    docs = [json.loads(Path(p).read_text()) for p in json_paths]
    if not docs:
        raise BenchmarkError("merge: no neural.json files given; expected at least one")
    doc = dict(docs[0])
    doc["rows"] = [r for d in docs for r in d["rows"]]
    doc["curve"] = [p for d in docs for p in d["curve"]]
    settings = dict(docs[0]["settings"])
    for d in docs[1:]:
        if d["curve"]:
            for k in ("curve", "curve_minutes", "fractions", "curve_seed"):
                settings[k] = d["settings"][k]
        if d["rows"]:
            settings["corpora"] = list(
                dict.fromkeys([*settings["corpora"], *d["settings"]["corpora"]])
            )
            settings["max_minutes"] = d["settings"]["max_minutes"]
    commits = list(dict.fromkeys(d["commit"] for d in docs))
    doc["commit"] = ", ".join(c or "unknown" for c in commits)  # each part names its own
    doc["dirty"] = any(d.get("dirty") for d in docs)
    doc["settings"] = settings
    doc["parts"] = [
        {
            "date": d["date"],
            "commit": d["commit"],
            "total_seconds": d["total_seconds"],
            "settings": d["settings"],
        }
        for d in docs
    ]
    doc["total_seconds"] = max(d["total_seconds"] for d in docs)
    doc["notes"] = list(notes)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "neural.json").write_text(json.dumps(doc, indent=1) + "\n")
    if doc["curve"]:
        plot_curves(
            doc["curve"], out_dir / "neural_learning_curve.png", doc["settings"]["curve_minutes"]
        )
    (out_dir / "neural.md").write_text(render_markdown(doc))
    return doc


# ---------------------------------------------------------------------------- report
def _value(r: dict):
    return None if "error" in r else r.get(r.get("metric", "f1"))


def plot_curves(points: list[dict], path, cap_minutes: float | None = None) -> Path:
    """Score against training sentences (log x), one line per system and corpus, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    styles = {"crftagger": ("o-", "tab:blue"), "spacy": ("s--", "tab:orange")}
    for corpus in dict.fromkeys(p["corpus"] for p in points):
        for row in ROWS:
            pts = sorted(
                (p["train_sentences"], _value(p))
                for p in points
                if p["corpus"] == corpus and p["row"] == row and _value(p) is not None
            )
            if not pts:
                continue
            style, color = styles[row]
            label = "crftagger (recipe)" if row == "crftagger" else "spaCy from scratch"
            if row == "spacy" and cap_minutes:
                label += f" (capped at {cap_minutes:g} min)"
            ax.plot([x for x, _ in pts], [y for _, y in pts], style, color=color, label=label)
            for x, y in pts:
                ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=7, color=color)  # fmt: skip
    metric = points[0].get("metric", "f1")
    corpora = ", ".join(dict.fromkeys(p["corpus"] for p in points))
    ax.set_xscale("log")
    sizes = sorted({(p["train_sentences"], p.get("fraction")) for p in points})
    ax.set_xticks([n for n, _ in sizes])
    ax.set_xticklabels([f"{n:,}" + (f"\n{f:.0%}" if f else "") for n, f in sizes], fontsize=8)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.margins(x=0.06, y=0.12)
    ax.set_xlabel("training sentences (log scale)")
    ax.set_ylabel("test span F1 (conlleval)" if metric == "f1" else "test token accuracy (%)")
    ax.set_title(f"Learning curve, {corpora} (gold tokens)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def table_rows(doc: dict) -> list[dict]:
    """The per-corpus rows; a corpus' missing ``crftagger`` row is its 100 % learning-curve point."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in doc["rows"]):
        have = {r["row"]: r for r in doc["rows"] if r["corpus"] == corpus}
        for row in ROWS:
            r = have.get(row)
            if r is not None:
                out.append(r)
            if r is None or r.get("source", "this run") != "this run":
                # a row not trained here: the same-run full-train curve point beside it
                full = [
                    p
                    for p in doc["curve"]
                    if p["corpus"] == corpus and p["row"] == row and p.get("fraction") == 1.0
                ]
                if full and "error" not in full[0]:
                    out.append({**full[0], "source": "this run (learning-curve point at 100 %)"})
    return out


def _f(v, spec=".2f") -> str:
    return "-" if v is None else format(v, spec)


def render_markdown(doc: dict) -> str:
    m = doc["machine"]
    s = doc["settings"]
    out = [
        "# crftagger beside spaCy trained from scratch",
        "",
        "Generated by `benchmarks/neural.py` (`crftagger benchmark --neural`); do not edit by hand.",
        "",
        f"- commit `{doc['commit']}`{' (with uncommitted changes)' if doc.get('dirty') else ''}, "
        f"{doc['date']}",
        f"- machine: {m['cores']} cores, {m['cpu']}, {m['platform']}, Python {m['python']}, "
        f"numba {m['numba']}, spaCy {m.get('spacy')}",
        f"- NUMBA_NUM_THREADS={s['numba_num_threads_env']} (numba threads {m['numba_threads']}); "
        f"spaCy on CPU, no GPU",
        f"- spaCy wall-clock cap: {s['max_minutes']:g} min per corpus"
        + (f", {s['curve_minutes']:g} min per learning-curve point" if s["curve"] else ""),
        f"- total run time {doc['total_seconds'] / 60:.1f} min"
        + (
            f" ({len(doc['parts'])} parts, each started at the time given: "
            + "; ".join(
                f"{p['date']} at `{str(p.get('commit'))[:10]}`, {p['total_seconds'] / 60:.1f} min, "
                + (
                    f"rows of {', '.join(p['settings']['corpora'])}"
                    if p["settings"]["corpora"]
                    else ""
                )
                + (" and " if p["settings"]["corpora"] and p["settings"]["curve"] else "")
                + (
                    f"curves of {', '.join(p['settings']['curve'])}"
                    if p["settings"]["curve"]
                    else ""
                )
                for p in doc["parts"]
            )
            + ")"
            if doc.get("parts")
            else ""
        ),
        "",
        "## Per corpus",
        "",
        "Test split, gold tokens, one scorer (`crftagger.metrics`): span F1 with conlleval "
        "rules in the corpus' scheme, or UPOS token accuracy. train s = wall seconds of "
        "training (spaCy: initialisation and its loop, dev evaluations included; crftagger: "
        "`Tagger.train` with the recipe, kernel compilation excluded). words/s = test "
        "sentences from tokens to tags, best of 2. Peak RSS = the worker process, training "
        "included. Cold start = fresh process: import, load the model, tag one sentence "
        "(median of 3).",
        "",
        "| corpus | row | model | F1 | acc | train s | stopped by | words/s | model MB "
        "| peak RSS MB | cold start s | measured |",
        "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in table_rows(doc):
        if "error" in r:
            err = r["error"].splitlines()[-1] if r["error"] else "failed"
            out.append(f"| {r['corpus']} | {r['row']} | FAILED: {err} |" + " |" * 9)
            continue
        if r["row"] == "spacy":
            stopped = f"{r['stopped_by']} ({r['steps']} steps, {r['epochs']} epochs)"
        else:
            stopped = f"{r['iterations']} iterations"
        out.append(
            f"| {r['corpus']} | {r['row']} | {r['features']} | {_f(r.get('f1'))} | "
            f"{_f(r.get('accuracy'))} | {r['train_seconds']:.1f} | {stopped} | "
            f"{r['tokens_per_second']:,.0f} | {r['model_bytes'] / 1e6:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {_f(r.get('cold_start_seconds'))} | "
            f"{r.get('source', 'this run')} |"
        )
    if doc["curve"]:
        out += [
            "",
            "## Learning curves",
            "",
            f"Nested subsets of train (a fixed permutation, seed {s['curve_seed']}, its first "
            f"k sentences), scored on the full test split. spaCy capped at "
            f"{s['curve_minutes']:g} min per point (it stops earlier on its own patience), "
            f"its checkpoints chosen on the first {s.get('curve_dev_size', 'all')} dev "
            "sentences; crftagger trains with the corpus' recipe.",
            "",
            "![learning curve](neural_learning_curve.png)",
            "",
            "| corpus | fraction | train sentences | crftagger | spaCy | spaCy train s "
            "| spaCy stopped by |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for corpus in dict.fromkeys(p["corpus"] for p in doc["curve"]):
            for frac in dict.fromkeys(p["fraction"] for p in doc["curve"]):
                by = {
                    p["row"]: p
                    for p in doc["curve"]
                    if p["corpus"] == corpus and p["fraction"] == frac
                }
                c, sp = by.get("crftagger", {}), by.get("spacy", {})
                n = c.get("train_sentences") or sp.get("train_sentences")
                stop = f"{sp['stopped_by']} ({sp['steps']} steps)" if "stopped_by" in sp else "-"
                out.append(
                    f"| {corpus} | {frac:.0%} | {n if n is not None else '-'} | "
                    f"{_f(_value(c) if c else None)} | {_f(_value(sp) if sp else None)} | "
                    f"{_f(sp.get('train_seconds'), '.0f')} | {stop} |"
                )
    trips = []
    for r in doc["rows"]:
        for split, d in (r.get("round_trip") or {}).items():
            if d.get("tags"):
                trips.append(
                    f"{r['corpus']} {split}: {d['tags']} sentences (indices "
                    f"{r['round_trip_tag_changes'][split]}) whose tags are written differently "
                    f"in {(r.get('scheme') or 'plain tags').upper()} after the round trip but "
                    f"decode to the same spans (a `B-` where the scheme writes `I-`)"
                )
    checked = ", ".join(r["corpus"] for r in doc["rows"] if r.get("round_trip"))
    out += [
        "",
        "## Notes",
        "",
        "- The spaCy training and dev data are built in Python from the sentences "
        "`crftagger.corpora.load` returns (one `Doc` per sentence, gold tokens, spans decoded "
        "with conlleval's rules as `doc.ents`, UPOS as `token.pos_`), saved as `DocBin` files "
        "and read back by spaCy's own corpus reader. spaCy's CoNLL converter is not used, so "
        "CoNLL-2003's `-DOCSTART- -X- -X- O` lines (which that converter does not recognise) "
        "never reach training. Every train and dev sentence was checked after the `DocBin` "
        f"round trip ({checked}): tokens and spans (or UPOS tags) identical in every "
        "sentence; " + ("; ".join(trips) if trips else "tags identical as written too") + ".",
        "- spaCy's configuration is the stock one of `spacy init config --lang en --pipeline "
        "ner` (or `morphologizer` for UPOS), `optimize=efficiency`, CPU: a hash-embedding "
        "CNN `tok2vec` without pretrained vectors, trained from scratch; only the paths, the "
        "seed (0) and the stop are set here. Its loop keeps the best dev checkpoint (dev "
        "split of the corpus), as `spacy train` keeps `model-best`.",
        "- crftagger's rows train with each corpus' recipe (`Tagger.train(corpus, "
        "recipe=corpus)`), on train only; the `measured` column says whether a row was "
        "trained in this run or read from the accuracy suite's `results.json` (same recipe "
        "and protocol, measured at the commit named there).",
        "- Both systems tag gold tokens; spaCy's tokenizer is not used, so neither row pays "
        "for tokenisation.",
        "- Speeds and cold starts were measured on a shared machine (other jobs ran on its "
        "2 cores); the spaCy rows are bound by their wall-clock cap, so a longer cap may "
        "raise their scores.",
        *(f"- {n}" for n in doc.get("notes", [])),
    ]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- CLI
def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the neural run (also used by ``crftagger benchmark --neural``)."""
    p.add_argument(
        "--max-minutes",
        type=float,
        default=10.0,
        help="wall-clock cap of spaCy's training per corpus, minutes (default 10)",
    )
    p.add_argument(
        "--curve",
        default=None,
        help="comma-separated corpora for learning curves (default: none; e.g. conll2003)",
    )
    p.add_argument(
        "--curve-minutes",
        type=float,
        default=2.0,
        help="wall-clock cap of spaCy's training per learning-curve point (default 2)",
    )


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``benchmarks/neural.py`` alone (choosing rows, reading recorded ones)."""
    p.add_argument(
        "--rows",
        default=",".join(ROWS),
        help=f"rows trained per corpus (default {','.join(ROWS)}; '' for the curves only)",
    )
    p.add_argument(
        "--fractions",
        default=",".join(f"{f:g}" for f in FRACTIONS),
        help="training-set fractions of the learning curves (default %(default)s)",
    )
    p.add_argument(
        "--recorded",
        default=None,
        metavar="RESULTS_JSON",
        help="read crftagger rows not trained here from this results.json of the accuracy suite",
    )


def _fractions(text: str | None) -> tuple[float, ...]:
    if not text:
        return FRACTIONS
    try:
        out = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        out = ()
    if not out or any(not 0.0 < f <= 1.0 for f in out):
        raise BenchmarkError(
            f"--fractions: found {text!r}; expected comma-separated numbers in (0, 1]"
        )
    return out


def cmd_neural(args) -> int:
    """Run from parsed arguments (``corpora``, ``out``, ``data_dir``, ``max_minutes``, ``curve``)."""
    from crftagger.corpora import registry

    given = getattr(args, "corpora", None)
    given = ",".join(CORPORA) if given is None else given  # "" runs the curves only
    corpora = tuple(c.strip() for c in given.split(",") if c.strip())
    curve = tuple(c.strip() for c in (args.curve or "").split(",") if c.strip())
    known = set(registry.names()) if hasattr(registry, "names") else None
    for c in (*corpora, *curve):
        if known is not None and c not in known:
            raise BenchmarkError(
                f"unknown corpus {c!r}; expected one of {', '.join(sorted(known))}"
            )
    rows_run = tuple(
        r.strip() for r in getattr(args, "rows_run", ",".join(ROWS)).split(",") if r.strip()
    )
    bad = [r for r in rows_run if r not in ROWS]
    if bad:
        raise BenchmarkError(f"--rows: found {', '.join(bad)}; expected some of {', '.join(ROWS)}")
    doc = run(
        corpora,
        args.out,
        getattr(args, "data_dir", None),
        max_minutes=args.max_minutes,
        curve=curve,
        curve_minutes=args.curve_minutes,
        rows_run=rows_run,
        recorded=getattr(args, "recorded", None),
        fractions=_fractions(getattr(args, "fractions", None)),
    )
    print(f"wrote {Path(args.out) / 'neural.md'} ({doc['total_seconds'] / 60:.1f} min)")
    return 1 if any("error" in r for r in (*doc["rows"], *doc["curve"])) else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="benchmarks/neural.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpora", help=f"comma-separated corpora (default {','.join(CORPORA)})")
    p.add_argument("--out", default=str(HERE), help=f"output folder (default {HERE})")
    p.add_argument("--data-dir", default=None, help="corpora folder (default $CRFTAGGER_DATA)")
    p.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="do not run: merge these neural.json files into one report in --out",
    )
    p.add_argument(
        "--note",
        action="append",
        default=[],
        help="with --merge: a line added to the report's notes (repeatable)",
    )
    add_arguments(p)
    add_run_arguments(p)
    args = p.parse_args(argv)
    args.rows_run = args.rows
    try:
        if args.merge:
            merge(args.merge, args.out, args.note)
            print(f"wrote {Path(args.out) / 'neural.md'}")
            return 0
        return cmd_neural(args)
    except BenchmarkError as exc:
        print(f"neural: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.stdout.write(json.dumps(run_row(json.loads(sys.argv[2]))) + "\n")
        sys.exit(0)
    sys.exit(main())
