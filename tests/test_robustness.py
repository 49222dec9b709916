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


@pytest.mark.parametrize("value", [1e50, -1e31, float("inf"), float("nan"), 1e308, 10**400])
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


# --------------------------------------------------------------------------- readers: read exactly, or refuse


def _conllu_word(i: int, form: str = "a", tid: str | None = None) -> str:
    return "\t".join([tid or str(i), form, form, "X", "_", "_", "0", "root", "_", "_"])


def test_conllu_id_with_a_non_ascii_digit_is_a_format_error(tmp_path):
    from crftagger.corpora.conllu import read_conllu
    from crftagger.errors import CorpusFormatError

    path = tmp_path / "sup.conllu"
    path.write_text(_conllu_word(1) + "\n" + _conllu_word(2, tid="\u00b2") + "\n\n", "utf-8")
    with pytest.raises(CorpusFormatError) as err:
        list(read_conllu(path))
    assert "sup.conllu:2" in str(err.value) and "'\u00b2'" in str(err.value)


def test_repeated_conllu_comments_are_kept_in_linear_time(tmp_path):
    """200,000 comments with one key: every value kept, in order (was quadratic: 20 s per 100k)."""
    from crftagger.corpora.conllu import read_conllu

    n = 200_000
    path = tmp_path / "many.conllu"
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(f"# note = v{i}\n" for i in range(n))
        f.write(_conllu_word(1) + "\n\n")
    proc = _run(
        f"""
        import sys
        from crftagger.corpora.conllu import read_conllu
        s, = read_conllu({str(path)!r})
        values = s.meta["note"].split("\\n")
        assert values == [f"v{{i}}" for i in range({n})], len(values)
        print("ok")
        """,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
    (sent,) = read_conllu(path)
    assert sent.meta["note"].count("\n") == n - 1


@pytest.mark.parametrize(
    "line, found",
    [
        ("rejects O\t", "'O\\t'"),  # a trailing tab in a space-separated file
        ("rejects\tO", "'rejects\\tO'"),  # the other separator inside the line
    ],
)
def test_conll_fields_with_the_other_white_space_are_refused(tmp_path, line, found):
    from crftagger.corpora.conll import read_conll
    from crftagger.errors import CorpusFormatError

    path = tmp_path / "mixed.txt"
    path.write_text(f"EU B-ORG\n{line}\n\n", "utf-8")
    with pytest.raises(CorpusFormatError) as err:
        list(read_conll(path))
    assert "mixed.txt:2" in str(err.value) and found in str(err.value)


def test_tab_separated_field_with_a_leading_space_is_refused(tmp_path):
    from crftagger.corpora.conll import read_conll
    from crftagger.errors import CorpusFormatError

    path = tmp_path / "lead.tsv"
    path.write_text("EU\tB-ORG\n from\tO\n\n", "utf-8")
    with pytest.raises(CorpusFormatError, match=r"lead.tsv:2: white space inside a field"):
        list(read_conll(path))
    # spaces inside a tab-separated token are data, and are kept
    path.write_text("New York\tB-LOC\n\n", "utf-8")
    (sent,) = read_conll(path)
    assert sent.tokens == ["New York"]


def test_conllu_field_with_white_space_at_its_end_is_refused(tmp_path):
    from crftagger.corpora.conllu import read_conllu
    from crftagger.errors import CorpusFormatError

    path = tmp_path / "ws.conllu"
    path.write_text(_conllu_word(1, form="a ") + "\n\n", "utf-8")
    with pytest.raises(CorpusFormatError, match=r"ws.conllu:1: white space at the end"):
        list(read_conllu(path))


@pytest.mark.parametrize("suffix", [".txt", ".conllu"])
def test_cr_only_line_ends_are_refused_not_read_as_one_line(tmp_path, suffix):
    from crftagger.corpora import conll, conllu
    from crftagger.errors import CorpusFormatError

    path = tmp_path / f"mac{suffix}"
    if suffix == ".txt":
        path.write_bytes(b"EU B-ORG\rrejects O\r\rPeter B-PER\r")
        read = conll.read_conll
    else:
        path.write_bytes((_conllu_word(1) + "\r" + _conllu_word(2) + "\r\r").encode())
        read = conllu.read_conllu
    with pytest.raises(CorpusFormatError, match=r":1: carriage return inside a line"):
        list(read(path))
    # CR LF files are read as before
    path.write_bytes(path.read_bytes().replace(b"\r", b"\r\n"))
    assert len(list(read(path))) == 1 + (suffix == ".txt")


def test_tagger_refuses_tags_with_white_space():
    from crftagger import Tagger
    from crftagger.errors import TaggerInputError

    with pytest.raises(TaggerInputError, match=r"tag 'I-ORG\\t' is not a tag"):
        Tagger.train([(["a", "b"], ["O", "I-ORG\t"])], max_iterations=2)


# --------------------------------------------------------------------------- writing model files


def test_train_checks_the_destination_before_training(tmp_path, capsys):
    from crftagger.cli.app import main

    data = tmp_path / "d.txt"
    data.write_text("EU B-ORG\nrejects O\n\nPeter B-PER\nis O\n\n", "utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    for dest, expected in (
        (folder, "found a folder, expected the name of a file to write"),
        (tmp_path / "missing" / "m.crft", "found no folder"),
        (data / "m.crft", "found a file at"),
    ):
        code = main(["train", str(data), "-o", str(dest), "--no-progress"])
        captured = capsys.readouterr()
        assert code == 1 and expected in captured.err, captured.err
        assert "trained on" not in captured.out  # refused before any training
        assert "Traceback" not in captured.err


def test_a_killed_save_leaves_an_orphan_that_the_next_save_removes(tmp_path):
    from crftagger.io import container

    dest = tmp_path / "m.bin"
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / f".m.bin.{int(finished.stdout)}.x1.tmp"  # its process has ended
    dead.write_bytes(b"x" * 1000)
    unrelated = tmp_path / ".other.bin.1.x3.tmp"
    unrelated.write_bytes(b"y")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = tmp_path / f".m.bin.{running.pid}.x2.tmp"  # a save still in progress
        alive.write_bytes(b"partial")
        container._atomic_write(dest, [b"model"])
        assert dest.read_bytes() == b"model"
        assert not dead.exists()
        assert alive.exists() and unrelated.exists()
    finally:
        running.kill()
        running.wait()


# --------------------------------------------------------------------------- label-count budgets


def _many_labels(n_labels: int, n_sentences: int, seed: int = 0):
    rng = random.Random(seed)
    return [
        (
            [f"w{rng.randrange(50)}" for _ in range(5)],
            [f"L{rng.randrange(n_labels)}" for _ in range(5)],
        )
        for _ in range(n_sentences)
    ]


def test_thousands_of_labels_are_refused_before_training(tmp_path):
    """3,000 labels over 5,000 tokens took 250 s for one iteration; now a clear error at once."""
    proc = _run(
        """
        import random, sys
        from crftagger import Tagger, CRF
        from crftagger.errors import TrainingError
        rng = random.Random(0)
        data = [([f"w{rng.randrange(50)}" for _ in range(5)],
                 [f"L{rng.randrange(3000)}" for _ in range(5)]) for _ in range(1000)]
        for train in (lambda: Tagger.train(data, max_iterations=1),
                      lambda: CRF(max_iterations=1).fit([[{"w": w} for w in s] for s, _ in data],
                                                        [t for _, t in data]),
                      lambda: CRF(engine="crfsuite", max_iterations=1).fit(
                          [[{"w": w} for w in s] for s, _ in data], [t for _, t in data])):
            try:
                train()
            except TrainingError as exc:
                print(exc)
            else:
                sys.exit("trained")
        """,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3
    for line in lines:
        assert "labels over 5000 tokens" in line and "work budget of 2e+10" in line
        assert "CRFTAGGER_WORK_BUDGET" in line


def test_memory_budget_refuses_and_can_be_raised(monkeypatch):
    from crftagger import Tagger
    from crftagger.engine.budget import training_bytes
    from crftagger.errors import TrainingError

    data = _many_labels(40, 30)
    need = training_bytes(len({t for _, ts in data for t in ts}), 5, threads=1)
    with pytest.raises(TrainingError, match=r"found a memory budget of 10\.0 KiB"):
        Tagger.train(data, max_iterations=2, threads=1, memory_budget="10K")
    tagger = Tagger.train(data, max_iterations=2, threads=1, memory_budget=need * 2)
    assert len(tagger.labels) > 30
    monkeypatch.setenv("CRFTAGGER_MEMORY_BUDGET", "1K")
    with pytest.raises(TrainingError, match="memory budget of 1.0 KiB"):
        Tagger.train(data, max_iterations=2, threads=1)
    # an explicit budget wins over the environment's
    Tagger.train(data, max_iterations=2, threads=1, memory_budget="1G")
    monkeypatch.setenv("CRFTAGGER_MEMORY_BUDGET", "lots")
    with pytest.raises(TrainingError, match=r"\$CRFTAGGER_MEMORY_BUDGET: found 'lots'"):
        Tagger.train(data, max_iterations=2, threads=1)


@pytest.mark.parametrize("value", ["abc", 0, -5, True, "1e400"])
def test_bad_work_budgets_are_refused(value):
    from crftagger import Tagger
    from crftagger.errors import TrainingError

    with pytest.raises(TrainingError, match="work budget: found"):
        Tagger.train(_many_labels(3, 3), max_iterations=1, work_budget=value)


def test_train_command_budget_options(tmp_path, capsys):
    from crftagger.cli.app import main

    data = tmp_path / "many.txt"
    data.write_text(
        "\n".join(
            "\n".join(f"{w} {t}" for w, t in zip(*s, strict=True)) + "\n"
            for s in _many_labels(60, 40)
        ),
        "utf-8",
    )
    args = ["train", str(data), "-o", str(tmp_path / "m.crft"), "--no-progress"]
    args += ["--no-column-check", "--max-iterations", "2", "--threads", "1"]
    assert main([*args, "--work-budget", "1000"]) == 1
    assert "found a work budget of 1e+03 steps" in capsys.readouterr().err
    assert main([*args, "--memory-budget", "2K"]) == 1
    assert "found a memory budget of 2.0 KiB" in capsys.readouterr().err
    assert not (tmp_path / "m.crft").exists()
    assert main([*args, "--memory-budget", "1G", "--work-budget", "1e9"]) == 0
    assert (tmp_path / "m.crft").exists()


def test_pipeline_load_of_a_folder_is_a_model_file_error(tmp_path):
    from crftagger import Pipeline, Tagger
    from crftagger.errors import ModelFileError

    for load in (Pipeline.load, Tagger.load):
        with pytest.raises(ModelFileError, match="found a folder, expected a model file"):
            load(tmp_path)


def test_crfsuite_engine_refuses_nul_that_it_would_cut():
    """CRFsuite cuts strings at NUL: 'a\\0x' and 'a\\0y' trained as one attribute."""
    from crftagger import CRF
    from crftagger.errors import CRFError

    X = [[{"a\0x": 1.0}], [{"a\0y": 1.0}]]
    y = [["A"], ["B"]]
    with pytest.raises(CRFError, match=r"X sequence 0, item 0: attribute 'a\\x00x' holds a NUL"):
        CRF(engine="crfsuite", max_iterations=5).fit(X, y)
    with pytest.raises(CRFError, match=r"label 'B\\x00' holds a NUL"):
        CRF(engine="crfsuite", max_iterations=5).fit([[{"a": 1.0}], [{"b": 1.0}]], [["A"], ["B\0"]])
    crf = CRF(engine="crfsuite", max_iterations=5).fit([[{"a": 1.0}], [{"b": 1.0}]], [["A"], ["B"]])
    with pytest.raises(CRFError, match="holds a NUL"):
        crf.predict([[{"b\0": 1.0}]])
    # crftagger's own engine keeps the two attributes apart
    numba = CRF(max_iterations=20).fit(X, y)
    assert numba.predict(X) == [["A"], ["B"]]
