"""Training benchmark: CRFsuite vs crftagger on CoNLL-2000 chunking, same run, same attributes.

Attributes are CRFsuite's own chunking templates (example/chunking.py: 19
templates plus __BOS__/__EOS__), extracted in plain Python outside the timed
region. Every engine runs in its own subprocess: it loads and extracts the
data, resets the peak-RSS counter, then trains (L-BFGS, c2 = 1.0), tags the
test set and reports its peak resident memory. ``--algorithm`` trains with
another of CRFsuite's algorithms on both sides (``l2sgd``, ``ap``, ``pa``,
``arow``, each with CRFsuite's default options; ``--c2`` goes to ``lbfgs`` and
``l2sgd`` only), for a side-by-side of the online trainers.

    python benchmarks/bench_train.py [--data-dir DIR] [--repeat N] [--iterations I] [--quick]
        [--algorithm lbfgs|l2sgd|ap|pa|arow]

Columns: seconds per objective evaluation (optimiser seconds / evaluations;
CRFsuite times its iterations with ``clock()``, i.e. CPU time, so its two
per-evaluation columns are the same number), CPU seconds per evaluation (all
threads; for the epoch-based algorithms an evaluation is an epoch), fit seconds
(wall time of ``fit`` including the conversion of the attribute lists and the
feature generation), CPU seconds of ``fit`` (all threads; on a busy machine
the fairer single-thread comparison), optimiser seconds, peak RSS of the worker,
the peak minus the RSS after loading the data, the peak minus the RSS right
before ``fit``, model file size, test span F1 (conlleval-style), and ratios
against CRFsuite. Numba kernels are compiled on a tiny problem before
the timed run; that compile time is reported separately.

The ``*-arrays`` engines are crftagger as it is meant to be used: the same
attributes (feature set ``crfsuite-chunking``, which reproduces CRFsuite's
templates exactly) come from ``crftagger.features`` as CSR arrays, so the
worker never holds the per-token Python lists that CRFsuite needs. Their
feature count and F1 must equal the list-fed rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _util  # noqa: E402

HERE = Path(__file__).resolve()


ALGORITHMS = ("lbfgs", "l2sgd", "ap", "pa", "arow")


def _engine_params(args) -> dict:
    params = dict(algorithm=args.algorithm, max_iterations=args.iterations)
    if args.algorithm in ("lbfgs", "l2sgd"):
        params["c2"] = args.c2
    return params


def _load_arrays(root: Path, n_train: int | None, n_test: int | None):
    """CoNLL-2000 through crftagger.corpora + crftagger.features (no per-token Python lists)."""
    from crftagger.corpora import load
    from crftagger.engine.encoding import Vocabulary
    from crftagger.features import FeatureExtractor, feature_set

    train = load("conll2000", "train", data_dir=root)[:n_train]
    test = load("conll2000", "test", data_dir=root)[:n_test]
    t0 = time.perf_counter()
    ext = FeatureExtractor(feature_set("crfsuite-chunking"))
    labels = Vocabulary()
    X = ext.transform(train, labels=labels, label_column="chunk")
    ext.freeze()
    Xt = ext.transform(test)
    seconds = time.perf_counter() - t0
    yt = [s.columns["chunk"] for s in test]
    return X, ext.attributes, labels, Xt, yt, seconds


def worker(args) -> dict:
    import numba

    root = _util.data_dir(args.data_dir)
    vocab = {}
    if args.input == "arrays":
        X, attributes, labels, Xt, yt, extract_s = _load_arrays(root, args.n_train, args.n_test)
        names = labels.items
        y = [[names[i] for i in X.y[X.seq_ptr[s] : X.seq_ptr[s + 1]]] for s in range(X.n_sequences)]
        vocab = dict(attributes=attributes)
        warm_X, warm_y = _util.load_chunking(root, 20, 5)[:2]
    else:
        X, y, Xt, yt, extract_s = _util.load_chunking(root, args.n_train, args.n_test)
        warm_X, warm_y = X[:20], y[:20]
    data_rss = _util.rss_mb()
    from crftagger import CRF

    params = _engine_params(args)
    compile_s = 0.0
    if args.engine == "crfsuite":
        backend = CRF(engine="crfsuite", **params)
    else:
        threads = numba.config.NUMBA_NUM_THREADS if args.threads == 0 else args.threads
        backend = CRF(engine="numba", threads=threads, **params)
        # compile the kernels once, outside the measured run
        t0 = time.perf_counter()
        CRF(threads=threads, algorithm=args.algorithm, max_iterations=2).fit(
            warm_X, warm_y
        ).predict(warm_X)
        compile_s = time.perf_counter() - t0
    runtime_rss = _util.rss_mb()
    reset_ok = _util.reset_peak()
    cpu0 = _util.cpu_seconds()
    t0 = time.perf_counter()
    backend.fit(X, y, **vocab)
    fit_s = time.perf_counter() - t0
    fit_cpu_s = _util.cpu_seconds() - cpu0
    peak = _util.peak_mb()
    log = backend.training_log_
    if args.engine == "crfsuite":
        trials = [int(r.get("linesearch_trials") or 0) for r in log]
        iter_s = [r.get("time", 0.0) for r in log]
        if args.algorithm == "lbfgs":
            n_evals = sum(trials) + 1  # plus the evaluation at the starting point
        else:
            n_evals = len(log)  # one pass over the data per epoch
        opt_s = sum(iter_s)  # CRFsuite measures its iterations with clock(): CPU time
        opt_cpu_s = opt_s
        with tempfile.TemporaryDirectory() as d:
            size = backend.save(Path(d) / "model.crfsuite").stat().st_size
    else:
        model = backend.model_
        n_evals = model.n_evaluations
        opt_s = model.training_seconds
        opt_cpu_s = model.training_cpu_seconds
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "model.crftagger"
            model.save(path)
            size = path.stat().st_size
    t0 = time.perf_counter()
    pred = backend.predict(Xt)
    tag_s = time.perf_counter() - t0
    f1 = _util.span_f1(yt, pred)
    return dict(
        engine=args.engine + ("-arrays" if args.input == "arrays" else ""),
        threads=args.threads,
        n_train=X.n_sequences if vocab else len(X),
        n_test=Xt.n_sequences if vocab else len(Xt),
        extract_s=extract_s,
        compile_s=compile_s,
        fit_s=fit_s,
        fit_cpu_s=fit_cpu_s,
        opt_s=opt_s,
        n_evals=n_evals,
        s_per_eval=opt_s / max(n_evals, 1),
        cpu_per_eval=opt_cpu_s / max(n_evals, 1),
        iterations=len(log),
        final_loss=backend.final_loss_,
        n_features=backend.n_features_,
        data_rss_mb=data_rss,
        runtime_rss_mb=runtime_rss,
        peak_mb=peak,
        peak_over_data_mb=peak - data_rss if reset_ok else None,
        fit_growth_mb=peak - runtime_rss if reset_ok else None,
        model_bytes=size,
        tag_s=tag_s,
        f1=f1,
    )


def _algorithm_name(args) -> str:
    name = {"lbfgs": "L-BFGS", "l2sgd": "l2sgd", "ap": "averaged perceptron"}.get(args.algorithm)
    if name is not None:
        return f"{name} c2={args.c2}" if args.algorithm != "ap" else name
    return {"pa": "passive-aggressive (PA-I, c=1, averaged)", "arow": "AROW (variance 1, gamma 1)"}[
        args.algorithm
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--repeat", type=int, default=1, help="runs per engine; medians are reported")
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument("--c2", type=float, default=1.0)
    p.add_argument("--algorithm", default="lbfgs", choices=ALGORITHMS, help="on both engines")
    p.add_argument("--quick", action="store_true", help="1000 training sentences, 30 iterations")
    p.add_argument("--n-train", type=int, default=None)
    p.add_argument("--n-test", type=int, default=None)
    p.add_argument(
        "--engines",
        default="crfsuite,numba1,numba,numba1-arrays,numba-arrays",
        help="comma list of crfsuite, numba1 (1 thread), numba (all threads), and "
        "numba1-arrays / numba-arrays (attributes from crftagger.features)",
    )
    p.add_argument("--input", default="lists", choices=["lists", "arrays"], help=argparse.SUPPRESS)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--engine", default=None, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help="also write the raw results to this file")
    args = p.parse_args(argv)
    if args.quick:
        args.n_train = args.n_train or 1000
        args.iterations = min(args.iterations, 30)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    import numba

    n_all = numba.config.NUMBA_NUM_THREADS
    runs = {
        "crfsuite": ("crfsuite", 0, "lists"),
        "numba1": ("numba", 1, "lists"),
        "numba": ("numba", 0, "lists"),
        "numba1-arrays": ("numba", 1, "arrays"),
        "numba-arrays": ("numba", 0, "arrays"),
    }
    names = [e.strip() for e in args.engines.split(",") if e.strip()]
    common = ["--iterations", str(args.iterations), "--c2", str(args.c2)]
    common += ["--algorithm", args.algorithm]
    if args.data_dir:
        common += ["--data-dir", args.data_dir]
    if args.n_train:
        common += ["--n-train", str(args.n_train)]
    if args.n_test:
        common += ["--n-test", str(args.n_test)]
    results: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(args.repeat):
        for name in names:  # interleave engines so drifts in machine load hit all of them
            engine, threads, inp = runs[name]
            rec = _util.run_worker(
                HERE,
                [
                    "--worker",
                    "--engine",
                    engine,
                    "--threads",
                    str(threads),
                    "--input",
                    inp,
                    *common,
                ],
            )
            results[name].append(rec)
            print(
                f"# run {r + 1}/{args.repeat} {name}: fit {rec['fit_s']:.1f}s F1 {rec['f1']:.2f}",
                file=sys.stderr,
            )
    med = {n: _util.median_record(v) for n, v in results.items()}
    ref = med.get("crfsuite")
    label = {
        "crfsuite": "CRFsuite",
        "numba1": "crftagger 1 thread",
        "numba": f"crftagger {n_all} threads",
        "numba1-arrays": "crftagger 1 thread, arrays",
        "numba-arrays": f"crftagger {n_all} threads, arrays",
    }
    headers = [
        "engine",
        "s/eval",
        "CPU s/eval",
        "fit s",
        "fit CPU s",
        "optim s",
        "iters",
        "evals",
        "features",
        "peak MB",
        "-data",
        "fit+",
        "model MB",
        "F1",
        "fit x",
        "CPU/eval x",
        "peak x",
        "fit+ x",
        "dF1",
    ]
    rows = []
    for n in names:
        m = med[n]
        rows.append(
            [
                label[n],
                _util.fmt(m["s_per_eval"], ".4f"),
                _util.fmt(m["cpu_per_eval"], ".4f"),
                _util.fmt(m["fit_s"], ".1f"),
                _util.fmt(m["fit_cpu_s"], ".1f"),
                _util.fmt(m["opt_s"], ".1f"),
                str(m["iterations"]),
                str(m["n_evals"]),
                str(m["n_features"]),
                _util.fmt(m["peak_mb"], ".0f"),
                _util.fmt(m["peak_over_data_mb"], ".0f"),
                _util.fmt(m["fit_growth_mb"], ".0f"),
                _util.fmt(m["model_bytes"] / 1e6, ".1f"),
                _util.fmt(m["f1"], ".2f"),
                _util.fmt(m["fit_s"] / ref["fit_s"], ".2f") if ref else "-",
                _util.fmt(m["cpu_per_eval"] / ref["cpu_per_eval"], ".2f") if ref else "-",
                _util.fmt(m["peak_mb"] / ref["peak_mb"], ".2f") if ref else "-",
                _util.fmt(m["fit_growth_mb"] / ref["fit_growth_mb"], ".2f")
                if ref and m["fit_growth_mb"]
                else "-",
                _util.fmt(m["f1"] - ref["f1"], "+.2f") if ref else "-",
            ]
        )
    first = med[names[0]]
    print(
        f"CoNLL-2000 chunking, {first['n_train']} train / {first['n_test']} test sentences, "
        f"CRFsuite chunking attributes, {_algorithm_name(args)}, {args.iterations} iterations, "
        f"median of {args.repeat} run(s)"
    )
    _util.print_table(headers, rows)
    extra = ", ".join(
        f"{label[n]}: {_util.fmt(med[n]['compile_s'], '.1f')}s" for n in names if n != "crfsuite"
    )
    print(
        f"attribute extraction (plain Python, untimed): {first['extract_s']:.1f}s; "
        f"numba compile before the run: {extra or '-'}"
    )
    print(
        "peak MB: peak resident memory of the worker (data included); -data: peak minus the RSS "
        "after loading the data (engine runtime + training); fit+: peak minus the RSS just before "
        "fit (after imports and the numba compile)"
    )
    if args.repeat > 1 and ref:
        best_ref = min(r["fit_s"] for r in results["crfsuite"])
        print(
            f"best of {args.repeat} fit seconds (least disturbed run on a shared machine): "
            + ", ".join(
                f"{label[n]} {min(r['fit_s'] for r in results[n]):.1f}s "
                f"({min(r['fit_s'] for r in results[n]) / best_ref:.2f}x)"
                for n in names
            )
        )
    print(
        "final loss: "
        + ", ".join(f"{label[n]} {_util.fmt(med[n]['final_loss'], '.3f')}" for n in names)
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
