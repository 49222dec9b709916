"""Helpers shared by the benchmarks: data, CRFsuite's chunking attributes, timing, memory, F1.

Attribute extraction here is plain Python on purpose: it stays outside every
timed region, so both engines see exactly the same attribute strings.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def data_dir(explicit: str | None = None) -> Path:
    """The corpora folder: ``--data-dir``, then ``$CRFTAGGER_DATA``, then ``../shared/corpora``."""
    from crftagger import config

    d = config.data_dir(explicit)
    if d is None:
        d = REPO.parent / "shared" / "corpora"
    if not (d / "conll2000" / "train.txt").is_file():
        raise SystemExit(f"CoNLL-2000 not found under {d} (give --data-dir or set CRFTAGGER_DATA)")
    return d


def read_conll2000(path: Path, limit: int | None = None) -> list[list[list[str]]]:
    """Sentences of a CoNLL-2000 file as lists of ``[word, pos, chunk]`` rows."""
    sents, cur = [], []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if parts:
                if len(parts) != 3:
                    raise ValueError(
                        f"{path}:{lineno}: expected 3 columns (word POS chunk), found {len(parts)}"
                    )
                cur.append(parts)
            elif cur:
                sents.append(cur)
                cur = []
                if limit is not None and len(sents) >= limit:
                    return sents
    if cur:
        sents.append(cur)
    return sents


#: CRFsuite's example/chunking.py templates: (field, offset) tuples joined by "|".
CHUNKING_TEMPLATES = (
    (("w", -2),),
    (("w", -1),),
    (("w", 0),),
    (("w", 1),),
    (("w", 2),),
    (("w", -1), ("w", 0)),
    (("w", 0), ("w", 1)),
    (("pos", -2),),
    (("pos", -1),),
    (("pos", 0),),
    (("pos", 1),),
    (("pos", 2),),
    (("pos", -2), ("pos", -1)),
    (("pos", -1), ("pos", 0)),
    (("pos", 0), ("pos", 1)),
    (("pos", 1), ("pos", 2)),
    (("pos", -2), ("pos", -1), ("pos", 0)),
    (("pos", -1), ("pos", 0), ("pos", 1)),
    (("pos", 0), ("pos", 1), ("pos", 2)),
)
_FIELD = {"w": 0, "pos": 1}
_NAMES = ["|".join(f"{f}[{o}]" for f, o in tpl) for tpl in CHUNKING_TEMPLATES]


def chunking_attributes(sent: list[list[str]]) -> list[list[str]]:
    """CRFsuite's chunking attributes of one sentence: a list of names per token.

    Same strings as example/chunking.py (``"w[-1]|w[0]=He|reckons"``), with
    ``__BOS__`` on the first and ``__EOS__`` on the last token. (CRFsuite
    escapes ':' only when it writes its text format; dict/list input needs no
    escaping.)
    """
    T = len(sent)
    out = []
    for t in range(T):
        feats = []
        for name, tpl in zip(_NAMES, CHUNKING_TEMPLATES, strict=True):
            vals = []
            for field, off in tpl:
                p = t + off
                if p < 0 or p >= T:
                    break
                vals.append(sent[p][_FIELD[field]])
            else:
                feats.append(f"{name}={'|'.join(vals)}")
        out.append(feats)
    if T:
        out[0].append("__BOS__")
        out[-1].append("__EOS__")
    return out


def load_chunking(root: Path, n_train: int | None = None, n_test: int | None = None):
    """``(X_train, y_train, X_test, y_test, extraction_seconds)`` for CoNLL-2000."""
    train = read_conll2000(root / "conll2000" / "train.txt", n_train)
    test = read_conll2000(root / "conll2000" / "test.txt", n_test)
    t0 = time.perf_counter()
    X = [chunking_attributes(s) for s in train]
    Xt = [chunking_attributes(s) for s in test]
    seconds = time.perf_counter() - t0
    y = [[r[2] for r in s] for s in train]
    yt = [[r[2] for r in s] for s in test]
    return X, y, Xt, yt, seconds


# ----------------------------------------------------------------------------- memory
def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Current resident set size in MB (``VmRSS``)."""
    kb = _status_kb("VmRSS")
    return (kb or 0) / 1024.0


def reset_peak() -> bool:
    """Reset the peak-RSS counter (Linux ``clear_refs`` 5); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_mb() -> float:
    """Peak resident set size in MB (``VmHWM``, else ``ru_maxrss``)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0


# ----------------------------------------------------------------------------- metrics
def span_f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    """conlleval-style span F1 in percent (crftagger.metrics if present, else seqeval)."""
    try:
        from crftagger.metrics import span_scores
    except ImportError:
        span_scores = None
    if span_scores is not None:
        return 100.0 * span_scores(gold, pred, mode="conlleval", zero_division=0).micro.f1
    from seqeval.metrics import f1_score

    return 100.0 * float(f1_score(gold, pred))


# ----------------------------------------------------------------------------- processes
def run_worker(script: Path, args: list[str], timeout: float = 3600) -> dict:
    """Run ``python script args`` and parse the JSON object on its last stdout line."""
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-4000:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(
            f"worker {args} printed no result:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return json.loads(lines[-1])


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def median_record(records: list[dict]) -> dict:
    """Per-key median of numeric fields over repeated runs (other fields from the first run)."""
    out = dict(records[0])
    for k, v in records[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = median([r.get(k) for r in records])
    return out


def fmt(v, spec: str = ".2f") -> str:
    if v is None:
        return "-"
    return format(v, spec)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """A plain fixed-width table."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(
        str(h).rjust(w) if i else str(h).ljust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for r in rows:
        print(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
