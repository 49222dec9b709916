"""Tagging benchmark: tokens per second, CRFsuite's tagger vs crftagger's batch predict.

Both taggers use the SAME weights: a CRFsuite model is trained on CoNLL-2000
(CRFsuite's chunking attributes) and imported at full precision into a
:class:`~crftagger.engine.model.LinearChainCRF`, so the predictions must be identical
(the script checks it). Attributes are given (extracted beforehand, untimed).

    python benchmarks/bench_tag.py [--data-dir DIR] [--repeat N] [--iterations I] [--quick]

Rows:

* CRFsuite ``Tagger.tag`` per sentence, building each ``ItemSequence`` from
  the attribute lists (the usual python-crfsuite loop), and with the
  ``ItemSequence`` objects built beforehand;
* crftagger ``encode`` + batch ``predict`` from the same attribute lists, and
  batch ``predict`` alone on already encoded arrays, with 1 thread and with
  all threads.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _util  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return _util.median(times), out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument(
        "--iterations", type=int, default=50, help="L-BFGS iterations of the CRFsuite model"
    )
    p.add_argument("--quick", action="store_true", help="1000 training sentences, 20 iterations")
    p.add_argument("--n-train", type=int, default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.n_train = args.n_train or 1000
        args.iterations = min(args.iterations, 20)

    import numba
    import pycrfsuite

    from crftagger.engine.encoding import encode_dicts
    from crftagger.io.crfsuite import load_crfsuite

    root = _util.data_dir(args.data_dir)
    X, y, Xt, yt, _ = _util.load_chunking(root, args.n_train, None)
    n_tokens = sum(len(s) for s in Xt)
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "chunk.crfsuite")
        trainer = pycrfsuite.Trainer(verbose=False)
        for xs, ys in zip(X, y, strict=True):
            trainer.append(pycrfsuite.ItemSequence(xs), ys)
        trainer.set_params({"c2": 1.0, "max_iterations": args.iterations})
        trainer.train(path)
        tagger = pycrfsuite.Tagger()
        tagger.open(path)
        model = load_crfsuite(path)
    del X, y, trainer

    rows = []

    def crfsuite_lists():
        return [tagger.tag(pycrfsuite.ItemSequence(x)) for x in Xt]

    t, ref = timed(crfsuite_lists, args.repeat)
    rows.append(("CRFsuite tag (ItemSequence built per call)", t))
    items = [pycrfsuite.ItemSequence(x) for x in Xt]
    t, _ = timed(lambda: [tagger.tag(x) for x in items], args.repeat)
    rows.append(("CRFsuite tag (ItemSequence prebuilt)", t))

    labels = model.labels.items
    data = encode_dicts(Xt, model.attributes)
    n_all = numba.config.NUMBA_NUM_THREADS
    model.predict(data, threads=1)  # compile outside the timings
    mismatches = 0
    for threads in (1, n_all):

        def ours_lists(threads=threads):
            enc = encode_dicts(Xt, model.attributes)
            return model.predict(enc, threads=threads)

        t, out = timed(ours_lists, args.repeat)
        rows.append((f"crftagger encode + predict, {threads} thread(s)", t))
        t, out = timed(lambda threads=threads: model.predict(data, threads=threads), args.repeat)
        rows.append((f"crftagger predict (encoded), {threads} thread(s)", t))
        flat_ref = [lab for s in ref for lab in s]
        mismatches = sum(labels[k] != r for k, r in zip(out.tolist(), flat_ref, strict=True))

    print(
        f"CoNLL-2000 test: {len(Xt)} sentences, {n_tokens} tokens; CRFsuite model "
        f"({model.n_features} features, {args.iterations} L-BFGS iterations) imported into crftagger; "
        f"median of {args.repeat} runs"
    )
    base = rows[0][1]
    _util.print_table(
        ["tagger", "seconds", "tokens/s", "speed x"],
        [[name, f"{t:.3f}", f"{n_tokens / t:,.0f}", f"{base / t:.2f}"] for name, t in rows],
    )
    print(f"tokens labelled differently from CRFsuite: {mismatches}")
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
