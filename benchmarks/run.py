"""Accuracy benchmark: crftagger, CRFsuite on the same features and a plain baseline, per corpus.

    python benchmarks/run.py [--quick] [--corpora a,b] [--data-dir DIR] [--out DIR]

Writes ``results.json`` and ``results.md`` (default: beside this script). The
same run is available as ``crftagger benchmark`` (default output: the current
folder); all options and the measurement protocol are described in
:mod:`crftagger.benchmarks.suite`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crftagger.benchmarks.suite import main

if __name__ == "__main__":
    sys.exit(main(default_out=str(Path(__file__).resolve().parent)))
