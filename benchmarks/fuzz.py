"""The long fuzzing run, for before a release: the areas of tests/test_fuzz.py with many more cases.

    python -m benchmarks.fuzz --corpus 20000 --models 5000 --crfsuite 2000 --api 2000 --cli 500

Seeds start at ``--start`` (default 1,000,000, past the ones the test suite
runs), so the long run tries inputs CI has not. Writes ``benchmarks/fuzz.md``
(``--out``): the counts per area, the commit, the run's settings, and the
seed and message of the first failures of each class (a seed rebuilds its
input: ``fuzz.gen.corpus_case(seed)`` and the other ``*_case`` functions).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fuzz import runner  # noqa: E402


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "status",
                "--porcelain",
                "--",
                "crftagger",
                "corpora",
                "features",
                "tests/fuzz",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out + (" (with uncommitted changes in the library)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=int, default=20000)
    ap.add_argument("--models", type=int, default=5000)
    ap.add_argument("--crfsuite", type=int, default=2000)
    ap.add_argument("--api", type=int, default=2000)
    ap.add_argument("--cli", type=int, default=500)
    ap.add_argument("--start", type=int, default=1_000_000, help="first seed of every area")
    ap.add_argument("--jobs", type=int, default=2, help="areas run at the same time")
    ap.add_argument("--memory-mb", type=int, default=3072, help="address-space limit per worker")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "fuzz.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the counts as JSON here")
    args = ap.parse_args(argv)
    plan = {
        "corpus": args.corpus,
        "model": args.models,
        "crfsuite": args.crfsuite,
        "api": args.api,
        "cli": args.cli,
    }
    commit = _commit()
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="crftagger-fuzz-") as tmp:
        runner.make_fixtures(Path(tmp))
        config = Path(tmp) / "config.json"

        def one(area: str) -> runner.AreaResult:
            seeds = range(args.start, args.start + plan[area])
            r = runner.run_area(area, seeds, config, memory_mb=args.memory_mb)
            print(runner.table([r]).splitlines()[-1], file=sys.stderr, flush=True)
            return r

        order = sorted(plan, key=lambda a: -plan[a] * {"corpus": 1, "model": 20}.get(a, 40))
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            done = dict(zip(order, pool.map(one, order), strict=True))
    results = [done[a] for a in plan]
    wall = time.time() - t0
    lines = [
        "# Fuzzing: the long run",
        "",
        f"`python -m benchmarks.fuzz --corpus {args.corpus} --models {args.models} "
        f"--crfsuite {args.crfsuite} --api {args.api} --cli {args.cli} --start {args.start}` "
        f"at commit {commit}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(t0))}, "
        f"Python {platform.python_version()}, {args.jobs} areas at a time, "
        f"{args.memory_mb} MiB address space per worker, {wall / 60:.0f} min in all.",
        "",
        "Outcomes: *parsed / ok* = read and equal to the plain twin of the reader, loaded and "
        "tagged, or answered; *clean errors* = a crftagger error naming the file and line; "
        "*failures* = anything else (another exception, a crash, a hang past the time limit, a "
        "MemoryError, a result that differs from the plain twin); *known* = failures already "
        "written down as strict xfail tests in tests/test_fuzz.py (the case is still checked: "
        "it must match the known behaviour exactly).",
        "",
        runner.table(results),
        "",
    ]
    for r in results:
        if r.examples:
            lines.append(f"## {r.area}: first failures")
            lines.append("")
            for cls, ex in sorted(r.examples.items()):
                for e in ex:
                    lines.append(f"- {cls}, seed {e['seed']}: {e['detail'][:300]!r}")
            lines.append("")
    lines.append("## Outcome kinds per area")
    lines.append("")
    for r in results:
        kinds = ", ".join(f"{k} {v}" for k, v in r.kinds.most_common(12))
        lines.append(f"- {r.area}: {kinds}")
    lines.append("")
    args.out.write_text("\n".join(lines))
    if args.json is not None:
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=1))
    print(runner.table(results))
    return 0 if all(r.n_failures == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
