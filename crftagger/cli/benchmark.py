"""``crftagger benchmark``: the benchmark suite of :mod:`crftagger.benchmarks.suite` on the command line."""

from __future__ import annotations

import argparse


def register(sub):
    from crftagger.benchmarks import suite

    p = sub.add_parser(
        "benchmark",
        help="accuracy, speed, size and memory on the registered corpora",
        description="Train crftagger, CRFsuite on the same features and a plain sklearn-crfsuite "
        "baseline on every registered corpus; write results.json and results.md.",
    )
    suite.add_arguments(p)
    p.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="folder holding the corpora (same as the global --data-dir)",
    )
    p.add_argument(
        "--neural",
        action="store_true",
        help="instead: crftagger beside spaCy trained from scratch (benchmarks/neural.py; "
        "needs the optional extra crftagger[compare]); reads --corpora and --out; "
        "writes neural.md, neural.json",
    )
    from crftagger.benchmarks import neural

    g = p.add_argument_group("with --neural")
    neural.add_arguments(g)
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    from crftagger.benchmarks import neural, suite

    if args.neural:
        return neural.cmd_neural(args)
    return suite.cmd_benchmark(args)
