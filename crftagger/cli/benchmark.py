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
    p.set_defaults(func=suite.cmd_benchmark)
