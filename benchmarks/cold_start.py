"""Cold start: a fresh process loads a model and tags one sentence, beside python-crfsuite.

Each row spawns fresh Python processes (``--repeat`` each, the rows
alternating so that load on a shared machine falls on all of them) that

* crftagger: import ``crftagger``, ``Tagger.load(MODEL)``, tag one sentence;
* crftagger, numba cache cold: the same with ``NUMBA_CACHE_DIR`` pointing at a
  new empty folder, so every kernel it runs is compiled again;
* python-crfsuite: import ``pycrfsuite``, ``Tagger.open(MODEL)``, compute the
  sklearn-crfsuite tutorial features of the sentence, tag it.

The child reports the seconds of each phase (import, load, first tag) and
its peak RSS (``ru_maxrss``); the parent measures the wall time from spawn
to exit. The table gives medians over the repeats.

    python benchmarks/cold_start.py --model ner.crftagger [--model pii.crftagger]
        --crfsuite tutorial.crfsuite [--repeat 5] [--out benchmarks/cold_start.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCE = ["John", "Smith", "flew", "from", "New", "York", "to", "Paris", "on", "Monday", "."]

CRFTAGGER_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from crftagger import Tagger
t1 = time.perf_counter()
t = Tagger.load(sys.argv[1])
t2 = time.perf_counter()
tags = t.tag([json.loads(sys.argv[2])])
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "tag": t3 - t2, "tags": tags[0],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CRFSUITE_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import pycrfsuite
t1 = time.perf_counter()
tagger = pycrfsuite.Tagger()
tagger.open(sys.argv[1])
t2 = time.perf_counter()
sent = json.loads(sys.argv[2])

def word2features(sent, i):
    word = sent[i]
    f = {"bias": 1.0, "word.lower()": word.lower(), "word[-3:]": word[-3:],
         "word[-2:]": word[-2:], "word.isupper()": word.isupper(),
         "word.istitle()": word.istitle(), "word.isdigit()": word.isdigit()}
    if i > 0:
        w = sent[i - 1]
        f.update({"-1:word.lower()": w.lower(), "-1:word.istitle()": w.istitle(),
                  "-1:word.isupper()": w.isupper()})
    else:
        f["BOS"] = True
    if i < len(sent) - 1:
        w = sent[i + 1]
        f.update({"+1:word.lower()": w.lower(), "+1:word.istitle()": w.istitle(),
                  "+1:word.isupper()": w.isupper()})
    else:
        f["EOS"] = True
    return f

tags = tagger.tag(pycrfsuite.ItemSequence([word2features(sent, i) for i in range(len(sent))]))
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "tag": t3 - t2, "tags": tags,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def spawn(code: str, model: str, env: dict | None = None) -> dict:
    """One fresh process; its phases, peak RSS and the wall time from spawn to exit."""
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", code, model, json.dumps(SENTENCE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"child for {model} failed ({r.returncode}): {r.stderr[-1500:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def rows_for(args) -> list[tuple[str, str, str, bool]]:
    """``(row name, model, child code, cold numba cache)`` of each row."""
    rows = []
    for m in args.model:
        name = Path(m).name
        rows.append((f"crftagger {name}", m, CRFTAGGER_CHILD, False))
        if not args.no_cold_cache:
            rows.append((f"crftagger {name}, numba cache cold", m, CRFTAGGER_CHILD, True))
    for m in args.crfsuite:
        rows.append((f"python-crfsuite {Path(m).name}", m, CRFSUITE_CHILD, False))
    return rows


def run(args) -> dict:
    rows = rows_for(args)
    results: dict[str, list[dict]] = {name: [] for name, *_ in rows}
    # warm the numba cache of the crftagger rows once (not counted)
    for _name, model, code, cold in rows:
        if code is CRFTAGGER_CHILD and not cold:
            spawn(code, model)
    for _ in range(args.repeat):
        for name, model, code, cold in rows:
            env = dict(os.environ)
            if cold:
                with tempfile.TemporaryDirectory(prefix="crftagger-numba-cold-") as d:
                    env["NUMBA_CACHE_DIR"] = d
                    results[name].append(spawn(code, model, env))
            else:
                results[name].append(spawn(code, model, env))
    return {"rows": rows, "results": results}


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"


def render(args, res: dict, seconds: float) -> str:
    lines = [
        "# Cold start: load a model and tag one sentence in a fresh process",
        "",
        f"Generated by `python benchmarks/cold_start.py` at commit {_commit()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (do not edit by hand); "
        f"{seconds:.0f} s in all.",
        f"Machine: {os.cpu_count()} cores (shared), {platform.platform()}, Python "
        f"{platform.python_version()}; load average at the end "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        f"{args.repeat} fresh processes per row, the rows alternating; medians. Sentence: "
        f"`{' '.join(SENTENCE)}`. wall = spawn to exit (interpreter start included); the "
        "phases are timed inside the child; RSS = the child's peak (`ru_maxrss`).",
        "",
        "| row | wall s | import s | load s | first tag s | peak RSS MB | wall ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    base = [n for n, *_ in res["rows"] if n.startswith("python-crfsuite")]
    ref = statistics.median(r["wall"] for r in res["results"][base[0]]) if base else None
    for name, *_ in res["rows"]:
        rs = res["results"][name]

        def med(key, rs=rs):
            return statistics.median(r[key] for r in rs)

        ratio = f"{med('wall') / ref:.1f}x" if ref else "-"
        lines.append(
            f"| {name} | {med('wall'):.2f} | {med('import'):.2f} | {med('load'):.2f} | "
            f"{med('tag'):.2f} | {med('rss_mb'):.0f} | {ratio} |"
        )
    lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", action="append", default=[], help="crftagger model file (repeat)")
    p.add_argument(
        "--crfsuite", action="append", default=[], help="CRFsuite model file (tutorial features)"
    )
    p.add_argument("--repeat", type=int, default=5, help="fresh processes per row (default 5)")
    p.add_argument("--no-cold-cache", action="store_true", help="skip the cold numba-cache rows")
    p.add_argument("--out", default=None, help="write the table here (default: print it)")
    args = p.parse_args(argv)
    if not args.model and not args.crfsuite:
        p.error("give at least one --model or --crfsuite file")
    for m in [*args.model, *args.crfsuite]:
        if not Path(m).is_file():
            p.error(f"{m}: no such model file")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    t0 = time.perf_counter()
    res = run(args)
    text = render(args, res, time.perf_counter() - t0)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
