"""Hold the mypy baseline: fail on any type error that is not in .ci/mypy-baseline.txt.

Errors are compared without their line numbers (``file: message [code]``, counted), so
unrelated edits that move code do not break the check. ``--update`` rewrites the baseline
(after fixing errors, to lock the gain in).
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
LINE = re.compile(r"^(?P<file>[^:]+):\d+(?::\d+)?: error: (?P<msg>.*)$")


def current() -> collections.Counter:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mypy failed to run (exit code {proc.returncode})")
    out: collections.Counter = collections.Counter()
    for line in proc.stdout.splitlines():
        m = LINE.match(line)
        if m:
            out[f"{m['file']}: {m['msg']}"] += 1
    return out


def main(argv: list[str]) -> int:
    now = current()
    if argv == ["--update"]:
        BASELINE.write_text("".join(f"{k}\n" for k in sorted(now.elements())), encoding="utf-8")
        print(f"mypy baseline: {sum(now.values())} errors written to {BASELINE.relative_to(ROOT)}")
        return 0
    base = (
        collections.Counter(BASELINE.read_text(encoding="utf-8").splitlines())
        if BASELINE.exists()
        else {}
    )
    new = now - base
    if new:
        print(f"mypy: {sum(new.values())} new type errors (not in {BASELINE.relative_to(ROOT)}):")
        for k in sorted(new.elements()):
            print(f"  {k}")
        return 1
    gone = sum((base - now).values())
    print(
        f"mypy: {sum(now.values())} errors, none new"
        + (f" ({gone} fixed: run with --update)" if gone else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
