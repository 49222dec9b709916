"""Inputs found by fuzzing: each must give a crftagger error, not a crash,
a silently wrong result or unbounded work.

Calls that could kill the interpreter (python-crfsuite's C reader) run in a
subprocess with a timeout, so that a segfault fails the test instead of the
test run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(code: str, timeout: float, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUMBA_NUM_THREADS="1", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


# --------------------------------------------------------------------------- corrupted CRFsuite files


@pytest.fixture(scope="module")
def crfsuite_model(tmp_path_factory) -> Path:
    pycrfsuite = pytest.importorskip("pycrfsuite")
    rng = random.Random(0)
    words = "the cat sat on a mat dog ran far".split()
    trainer = pycrfsuite.Trainer(verbose=False)
    for _ in range(30):
        xs = [rng.choice(words) for _ in range(5)]
        trainer.append(
            [{"w:" + w: 1.0, "b": 1.0} for w in xs],
            ["N" if w in ("cat", "dog", "mat") else "O" for w in xs],
        )
    trainer.set_params({"max_iterations": 20})
    path = tmp_path_factory.mktemp("crfsuite") / "small.crfsuite"
    trainer.train(str(path))
    return path


def _mutate(buf: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    b = bytearray(buf)
    if seed % 4 == 0:
        return bytes(b[: rng.randrange(len(b))])
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


_OPEN_MUTANTS = """
import json, sys
from crftagger import CRF
from crftagger.errors import CrftaggerError
from crftagger.io.crfsuite import load_crfsuite

for path in json.loads(sys.argv[1] if len(sys.argv) > 1 else open("paths.json").read()):
    print("START", path, flush=True)
    for how in ("engine", "dump"):
        try:
            if how == "engine":
                est = CRF.load(path)  # the crfsuite engine: python-crfsuite opens the file
                out = est.predict([[{"w:cat": 1.0, "b": 1.0}, {"w:the": 1.0}]])
                est.state_features_
            else:
                out = load_crfsuite(path, full_precision=False).n_features
            print("RESULT", how, out, flush=True)
        except CrftaggerError as exc:
            print("ERROR", how, type(exc).__name__, str(exc)[:200], flush=True)
"""


def test_corrupted_crfsuite_files_never_crash(crfsuite_model, tmp_path):
    buf = crfsuite_model.read_bytes()
    paths = []
    for seed in range(200):
        p = tmp_path / f"mutant{seed:03d}.crfsuite"
        p.write_bytes(_mutate(buf, seed))
        paths.append(str(p))
    n_errors = 0
    for start in range(0, len(paths), 25):
        batch = paths[start : start + 25]
        (tmp_path / "paths.json").write_text(json.dumps(batch))
        proc = _run(_OPEN_MUTANTS, timeout=300, cwd=tmp_path)
        started = [ln.split(" ", 1)[1] for ln in proc.stdout.splitlines() if ln.startswith("START")]
        assert proc.returncode == 0, (
            f"exit status {proc.returncode} while opening {started[-1] if started else '?'}\n"
            f"{proc.stderr[-2000:]}"
        )
        assert started == batch
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("RESULT", "ERROR"))]
        assert len(lines) == 2 * len(batch)
        n_errors += sum(ln.startswith("ERROR") for ln in lines)
        for ln in lines:
            if ln.startswith("ERROR"):
                assert "mutant" in ln  # the message names the file
    assert n_errors > 100  # most mutants are refused


def test_intact_crfsuite_file_still_opens(crfsuite_model, tmp_path):
    (tmp_path / "paths.json").write_text(json.dumps([str(crfsuite_model)]))
    proc = _run(_OPEN_MUTANTS, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "RESULT engine [['N', 'O']]" in proc.stdout
    assert "ERROR" not in proc.stdout
