"""The parent side of the fuzzing suite: fixtures, one worker process per area, the count table.

:func:`run_area` starts ``python -m fuzz.worker AREA CONFIG`` and feeds it seeds
one at a time. A case that takes longer than ``timeout`` seconds is a hang:
the worker is killed, the case counted, and a new worker carries on with the
next seed. A worker that dies (a segfault gives a negative exit status) has
its case counted as a crash and is restarted the same way.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent

#: Seconds a case may take, per area (tagging, training in the CLI area take longest).
TIMEOUTS = {
    "selftest": 5.0,
    "corpus": 20.0,
    "model": 30.0,
    "crfsuite": 20.0,
    "api": 30.0,
    "cli": 60.0,
}
#: Seconds a worker may take to start (imports, numba's compiled-function cache).
START_TIMEOUT = 240.0


@dataclass
class AreaResult:
    area: str
    cases: int = 0
    ok: int = 0
    errors: int = 0
    failures: Counter = field(default_factory=Counter)
    known: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    restarts: int = 0
    seconds: float = 0.0
    kinds: Counter = field(default_factory=Counter)

    @property
    def n_failures(self) -> int:
        return sum(self.failures.values())

    def as_dict(self) -> dict:
        return {
            "area": self.area,
            "cases": self.cases,
            "ok": self.ok,
            "clean_errors": self.errors,
            "failures": dict(self.failures),
            "known_failures": dict(self.known),
            "examples": self.examples,
            "worker_restarts": self.restarts,
            "seconds": round(self.seconds, 1),
            "outcome_kinds": dict(self.kinds.most_common(12)),
        }


# ----------------------------------------------------------------------------- fixtures


def make_fixtures(folder: Path) -> dict:
    """Write the base files every area mutates or reads into ``folder``; return the worker config."""
    from crftagger.api.tagger import Tagger
    from crftagger.corpora import synthetic
    from fuzz import gen

    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "base.crftagger"
    if not model.exists():
        splits = synthetic.make_splits(40, 5, 5, seed=3)
        t = Tagger.train(splits.train, "pii", label_column="ner", max_iterations=3)
        t.save(model)
    crf = folder / "base.crfsuite"
    if not crf.exists():
        _crfsuite_model(crf)
    files = {
        "model": str(model),
        "conll": str(folder / "in.conll"),
        "bio": str(folder / "in.bio"),
        "conllu": str(folder / "in.conllu"),
        "garbage": str(folder / "garbage.bin"),
        "missing": str(folder / "missing.txt"),
        "folder": str(folder / "a-folder"),
        "empty": str(folder / "empty.txt"),
        "readonly": str(folder / "read-only"),
        "out": str(folder / "out" / "m.crftagger"),
    }
    ner = gen.BIO.replace("\t", " ")
    Path(files["conll"]).write_text(ner * 3)
    Path(files["bio"]).write_text(gen.BIO)
    Path(files["conllu"]).write_text(gen.CONLLU)
    Path(files["garbage"]).write_bytes(bytes(random.Random(0).randrange(256) for _ in range(4000)))
    Path(files["empty"]).write_bytes(b"")
    Path(files["folder"]).mkdir(exist_ok=True)
    Path(files["readonly"]).mkdir(exist_ok=True)
    os.chmod(files["readonly"], 0o555)
    Path(files["out"]).parent.mkdir(exist_ok=True)
    scratch = folder / "scratch"
    scratch.mkdir(exist_ok=True)
    config = {"model": str(model), "crfsuite": str(crf), "files": files, "scratch": str(scratch)}
    (folder / "config.json").write_text(json.dumps(config))
    return config


def _crfsuite_model(path: Path) -> None:
    import pycrfsuite

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
    trainer.train(str(path))


# ----------------------------------------------------------------------------- running


class _Worker:
    def __init__(self, area: str, config_path: Path, memory_mb: int):
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(TESTS), str(REPO), os.environ.get("PYTHONPATH", "")]),
            NUMBA_NUM_THREADS=os.environ.get("NUMBA_NUM_THREADS", "1"),
            CRFTAGGER_FUZZ_MEMORY_MB=str(memory_mb),
            PYTHONFAULTHANDLER="",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fuzz.worker", area, str(config_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=str(REPO),
        )
        self.sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buf = b""
        self.eof = False
        first = self.read(START_TIMEOUT)
        if first is None or not json.loads(first).get("ready"):
            self.kill()
            raise RuntimeError(f"the {area} worker did not start (exit {self.proc.poll()})")

    def read(self, timeout: float) -> bytes | None:
        """One reply line, or ``None`` on a timeout or the worker's end."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                self.eof = True
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def send(self, seed: int) -> bool:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"seed": seed}).encode() + b"\n")
            self.proc.stdin.flush()
            return True
        except BrokenPipeError:
            return False

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sel.close()

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


def run_area(
    area: str,
    seeds,
    config_path: Path,
    *,
    timeout: float | None = None,
    memory_mb: int = 3072,
    progress=None,
) -> AreaResult:
    """Run every seed of ``area`` (a ``known`` outcome is a failure already written down)."""
    timeout = TIMEOUTS[area] if timeout is None else timeout
    res = AreaResult(area)
    t0 = time.monotonic()
    worker: _Worker | None = None
    for seed in seeds:
        if worker is None:
            worker = _Worker(area, config_path, memory_mb)
        reply = None
        if worker.send(seed):
            reply = worker.read(timeout)
        if reply is None:
            if worker.eof:  # the worker died: its exit status says how
                try:
                    worker.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            status = worker.proc.poll()
            worker.kill()
            worker = None
            res.restarts += 1
            if status is None:
                r = {"seed": seed, "outcome": "fail", "cls": "hang", "detail": f"> {timeout} s"}
            else:
                r = {"seed": seed, "outcome": "fail", "cls": f"crash (exit {status})", "detail": ""}
        else:
            r = json.loads(reply)
            assert r["seed"] == seed
        res.cases += 1
        if r["outcome"] == "ok":
            res.ok += 1
        elif r["outcome"] == "error":
            res.errors += 1
        elif r["outcome"] == "known":
            res.known[r["cls"]] += 1
        else:
            res.failures[r["cls"]] += 1
            res.examples.setdefault(r["cls"], [])
            if len(res.examples[r["cls"]]) < 5:
                res.examples[r["cls"]].append({"seed": seed, "detail": r["detail"]})
        res.kinds[f"{r['outcome']}:{r['cls']}"] += 1
        if progress is not None:
            progress(res)
    if worker is not None:
        worker.close()
    res.seconds = time.monotonic() - t0
    return res


def table(results) -> str:
    """The per-area count table (Markdown)."""
    rows = [
        "| area | cases | parsed / ok | clean errors | failures | known (xfail) | restarts | seconds |",
        "|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in results:
        fails = ", ".join(f"{k}: {v}" for k, v in sorted(r.failures.items())) or "0"
        known = ", ".join(f"{k}: {v}" for k, v in sorted(r.known.items())) or "0"
        rows.append(
            f"| {r.area} | {r.cases} | {r.ok} | {r.errors} | {fails} | {known} | {r.restarts} "
            f"| {r.seconds:.0f} |"
        )
    return "\n".join(rows)
