"""sklearn-crfsuite's own ``tests/test_metrics.py``, run on ``crftagger.metrics``.

The peer file is copied into a temporary folder with one change, its import
line, and run by pytest in a subprocess. Every test passes, so no failure is
expected: ``test_flat_fscore``, which fails on sklearn-crfsuite 0.3.6 itself
with a current scikit-learn (0.3.6 passes ``beta`` to ``fbeta_score`` by
position, which scikit-learn now refuses; 0.5.0 passes it by name), passes
here because ``beta`` goes by name. The peer's ``test_flat_f1_score_binary``
is marked xfail for an old scikit-learn bug; with a current scikit-learn it
passes (an unexpected pass, which pytest does not count as a failure).
"""

from __future__ import annotations

import re
import subprocess
import sys

from peer_files import peer_file

PEER_IMPORT = "from sklearn_crfsuite import metrics"
OURS = "from crftagger import metrics"


def _counts(summary: str) -> dict[str, int]:
    return {
        k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|xpassed|xfailed|error)", summary)
    }


def test_sklearn_crfsuite_metrics_suite_passes(tmp_path):
    src = peer_file("sklearn-crfsuite/test_metrics.py").read_text(encoding="utf-8")
    assert src.count(PEER_IMPORT) == 1, "the peer file's import line changed"
    (tmp_path / "test_metrics.py").write_text(src.replace(PEER_IMPORT, OURS), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    counts = _counts(out.strip().splitlines()[-1])
    n_tests = len(re.findall(r"^def test_", src, flags=re.M))
    assert counts.get("failed", 0) == 0 and counts.get("error", 0) == 0, out
    assert counts.get("passed", 0) + counts.get("xpassed", 0) == n_tests, out
    for name in ("test_flat_fscore", "test_sequence_accuracy", "test_flat_accuracy"):
        assert re.search(rf"PASSED .*::{name}\b", out), out
