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


# --------------------------------------------------------------------------- numerics


def _xy(value):
    X = [[{"w:the": 1.0}, {"w:cat": 1.0, "big": value}], [{"w:a": 1.0}, {"w:dog": 1.0}]]
    y = [["O", "N"], ["O", "N"]]
    return X, y


@pytest.mark.parametrize("value", [1e50, -1e31, float("inf"), float("nan"), 1e308])
@pytest.mark.parametrize("engine", ["numba", "crfsuite"])
def test_huge_or_non_finite_attribute_values_are_refused(value, engine):
    from crftagger import CRF
    from crftagger.errors import CRFError

    if engine == "crfsuite":
        pytest.importorskip("pycrfsuite")
    X, y = _xy(value)
    with pytest.raises(
        CRFError, match=r"sequence 0, item 1: attribute 'big' has value .*at most 1e\+30"
    ):
        CRF(engine=engine, max_iterations=5).fit(X, y)
    # nested dicts are flattened with the same check
    X[0][1] = {"w": {"big": value}}
    with pytest.raises(CRFError, match=r"sequence 0, item 1: attribute 'w:big'"):
        CRF(engine=engine, max_iterations=5).fit(X, y)


def test_attribute_values_up_to_the_limit_still_train():
    from crftagger import CRF
    from crftagger.engine.encoding import MAX_ATTRIBUTE_VALUE, Vocabulary, encode_dicts

    X, y = _xy(1e6)
    est = CRF(max_iterations=20).fit(X, y)
    assert est.state_features_  # not an empty model
    assert est.predict(X) == y
    with pytest.raises(ValueError, match="sequence 0, item 1: attribute 'big'"):
        encode_dicts(_xy(1e50)[0], Vocabulary())
    encode_dicts(_xy(MAX_ATTRIBUTE_VALUE)[0], Vocabulary())


@pytest.fixture(scope="module")
def o_tagger():
    from crftagger import Tagger
    from crftagger.corpora import synthetic

    splits = synthetic.make_splits(60, 10, 10, seed=3)
    return Tagger.train(splits.train, "pii", label_column="ner", max_iterations=10)


@pytest.mark.parametrize("value", [1e308, 1e30, -1e7, float("inf"), float("nan")])
def test_o_bias_out_of_range_is_refused(o_tagger, value):
    from crftagger.errors import TaggerError

    with pytest.raises(
        TaggerError, match=r"o_bias: expected a finite number with absolute value at most 1e\+06"
    ):
        o_tagger.o_bias = value
    assert o_tagger.o_bias == 0.0


def test_o_bias_at_the_limit_gives_numbers(o_tagger):
    import numpy as np

    from crftagger.corpora import synthetic

    sents = synthetic.make_splits(60, 10, 10, seed=3).test[:3]
    try:
        o_tagger.o_bias = -1e6
        for tok in o_tagger.marginals(sents[0]):
            assert all(np.isfinite(p) for p in tok.values())
        o_tagger.tag(sents)
    finally:
        o_tagger.o_bias = 0.0


# --------------------------------------------------------------------------- n-best


def test_nbest_k_is_capped_and_bounded(o_tagger):
    from crftagger.decode.constrained import MAX_NBEST
    from crftagger.errors import DecodingError

    L = len(o_tagger.labels)
    sent = ["John", "lives", "here", "now"]
    assert len(o_tagger.nbest(sent, 2)) == 2
    # k is cut to the number of label sequences: a one-token sentence has L
    assert 1 <= len(o_tagger.nbest(["Hi"], 10**9)) <= L
    assert 1 <= len(o_tagger.nbest(["Hi", "there"], 10**18)) <= L * L
    for k in (MAX_NBEST + 1, 10**9):
        with pytest.raises(
            DecodingError, match=rf"k must be at most {MAX_NBEST} for a sentence of 4 tokens"
        ):
            o_tagger.nbest(sent, k)
    for k in (0, -3, 2.5, True):
        with pytest.raises(DecodingError, match="k must be a positive integer"):
            o_tagger.nbest(sent, k)


def test_tag_command_refuses_a_huge_nbest(o_tagger, tmp_path, capsys):
    from crftagger.cli.app import main

    model = tmp_path / "m.crftagger"
    o_tagger.save(model)
    text = tmp_path / "in.txt"
    text.write_text("John lives here\n")
    rc = main(
        ["tag", "-m", str(model), "--nbest", str(10**9), "--output-format", "jsonl", str(text)]
    )
    assert rc != 0
    assert "--nbest: found 1000000000; expected at most 10000" in capsys.readouterr().err
