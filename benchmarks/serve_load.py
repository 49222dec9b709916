"""Load test of ``crftagger serve`` beside sklearn-crfsuite on the same HTTP stack, in one run.

Both servers are FastAPI applications run by uvicorn on 127.0.0.1 and answer
``POST /v1/tag {"text": ...}`` for one-sentence chat messages (CoNLL-2003
test sentences, detokenised) with tokens, tags and spans with character
offsets; crftagger's answer also carries each span's confidence. Models:

* crftagger: the CoNLL-2003 recipe reading words only (``benchmarks/text_path.py``'s
  model, trained here if missing);
* baseline: sklearn-crfsuite, the tutorial's features without POS, c1 = c2 =
  0.1, 100 iterations, trained on the same sentences (cached under
  ``~/.cache/crftagger``), served by ``benchmarks/serve_baseline.py`` with the
  crftagger model's tokeniser.

For each concurrency (1, 8, 64) each server gets ``--requests`` requests (at
most ``--seconds`` s) after a warm-up, in ``--rounds`` rounds that alternate
the servers; the table gives the medians over rounds of throughput and of
the p50/p95/p99 latencies. Two ceiling rows show what the stack itself
allows: the same uvicorn answering a constant without any tagging, through a
bare ASGI function and through FastAPI. The client (plain asyncio streams over kept-alive
connections, one process) shares the 2 cores with the server: its ceiling is
measured on ``GET /health`` of the crftagger server and printed beside the
figures. The soak run uses httpx. A bounded soak run then
sends ``--soak`` requests (a mix of good, malformed and oversized ones and
clients that disconnect) to the crftagger server and reports its RSS at
start and end and every status seen.

    python benchmarks/serve_load.py [--workers 1] [--out benchmarks/serve.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path.home() / ".cache" / "crftagger"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def stop(proc) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children (uvicorn worker processes), MB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        pids += [int(x) for x in out]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def messages(limit: int) -> list[str]:
    from crftagger.benchmarks.text_path import detokenise
    from crftagger.corpora import load

    out = []
    for s in load("conll2003", "test"):
        if 5 <= len(s.tokens) <= 30:
            out.append(detokenise(s.tokens)[0])
        if len(out) >= limit:
            break
    return out


def baseline_model(path: Path) -> Path:
    if path.exists():
        return path
    import sklearn_crfsuite

    from crftagger.benchmarks.suite import BASELINE_PARAMS, baseline_features
    from crftagger.corpora import load
    from crftagger.schemes import convert

    train = [s for s in load("conll2003", "train") if s.tokens]
    X = [baseline_features(s.tokens) for s in train]
    y = [convert(s.columns["ner"], None, "iob2") for s in train]
    path.parent.mkdir(parents=True, exist_ok=True)
    crf = sklearn_crfsuite.CRF(**BASELINE_PARAMS, model_filename=str(path))
    t0 = time.perf_counter()
    crf.fit(X, y)
    print(f"baseline trained in {time.perf_counter() - t0:.0f} s -> {path}", file=sys.stderr)
    return path


async def _request(reader, writer, head: bytes, body: bytes) -> int:
    """One request on a kept-alive connection; the status (the body read and dropped)."""
    writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    await writer.drain()
    header = await reader.readuntil(b"\r\n\r\n")
    status = int(header[9:12])
    length = 0
    for line in header.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    await reader.readexactly(length)
    return status


async def run_load(
    port: int,
    texts: list[str],
    concurrency: int,
    n: int,
    seconds: float,
    path: str = "/v1/tag",
    extra: dict | None = None,
):
    """``n`` requests (at most ``seconds``) from ``concurrency`` kept-alive connections.

    The client is plain asyncio streams writing HTTP/1.1 by hand, so that its own
    cost per request stays far below the servers' (measured as the ceiling).
    """
    method = b"GET" if path == "/health" else b"POST"
    head = (
        method + b" " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: "
    )
    bodies = [json.dumps({"text": t, **(extra or {})}).encode() for t in texts]
    if method == b"GET":
        bodies = [b""]
    lat: list[float] = []
    statuses: dict[int, int] = {}
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(concurrency)]
    for k in range(min(50, n)):  # warm-up
        await _request(*conns[k % concurrency], head, bodies[k % len(bodies)])
    nxt = 0
    deadline = time.perf_counter() + seconds

    async def worker(reader, writer):
        nonlocal nxt
        while nxt < n and time.perf_counter() < deadline:
            i = nxt
            nxt += 1
            t0 = time.perf_counter()
            st = await _request(reader, writer, head, bodies[i % len(bodies)])
            lat.append(time.perf_counter() - t0)
            statuses[st] = statuses.get(st, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in conns))
    wall = time.perf_counter() - t0
    for _r, w in conns:
        w.close()
    lat.sort()

    def q(p):
        return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))]

    return {
        "requests": len(lat),
        "rps": len(lat) / wall,
        "p50": q(0.50),
        "p95": q(0.95),
        "p99": q(0.99),
        "statuses": statuses,
    }


async def soak(url: str, port: int, texts: list[str], n: int) -> dict:
    import httpx

    statuses: dict[str, int] = {}
    bad = [b"{", b"[]", b'{"text": 1}', b'{"texts": [null]}', b"\x00\x01", b'{"text": "x"}}']
    big = json.dumps({"text": "x " * 600_000}).encode()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for i in range(n):
            k = i % 10
            if k < 6:
                r = await client.post("/v1/tag", json={"text": texts[i % len(texts)]})
            elif k < 8:
                r = await client.post("/v1/tag", content=bad[i % len(bad)])
            elif k == 8:
                try:
                    r = await client.post("/v1/tag", content=big)
                except httpx.TransportError:
                    # the server answers 413 and closes while the body is still being sent
                    key = "413, closed while sending"
                    statuses[key] = statuses.get(key, 0) + 1
                    continue
            else:
                # a client that sends half a body and goes away
                rd, wr = await asyncio.open_connection("127.0.0.1", port)
                wr.write(
                    b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 500\r\n\r\n{"text": "Anna'
                )
                await wr.drain()
                wr.close()
                statuses["disconnected"] = statuses.get("disconnected", 0) + 1
                continue
            statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
    return statuses


#: Rows of the table: ``name -> (server, extra request fields)``.
ROWS = {
    "crftagger": ("crftagger", {}),
    "crftagger, confidence false": ("crftagger", {"confidence": False}),
    "baseline": ("baseline", {}),
    "ceiling: constant answer, bare ASGI": ("constant-asgi", {}),
    "ceiling: constant answer, FastAPI": ("constant-fastapi", {}),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(CACHE / "conll2003-words.crftagger"))
    ap.add_argument("--baseline", default=str(CACHE / "conll2003-tutorial.crfsuite"))
    ap.add_argument("--workers", type=int, default=1, help="server processes of both servers")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--soak", type=int, default=20_000)
    ap.add_argument("--concurrency", default="1,8,64")
    ap.add_argument("--out", default=str(Path(__file__).with_name("serve.md")))
    args = ap.parse_args(argv)

    from crftagger import Tagger
    from crftagger.benchmarks.text_path import words_only_model

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    model_path = Path(args.model)
    words_only_model(model_path)
    tok = json.dumps(Tagger.load(model_path).tokenizer.to_dict())
    base_path = baseline_model(Path(args.baseline))
    texts = messages(2000)
    levels = [int(x) for x in args.concurrency.split(",")]

    env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
    ports = {k: free_port() for k in ("crftagger", "baseline", "constant-asgi", "constant-fastapi")}
    procs = {
        "crftagger": subprocess.Popen(
            [sys.executable, "-m", "crftagger", "serve", "-m", str(model_path),
             "--port", str(ports["crftagger"]), "--workers", str(args.workers)],
            env=env,
        ),
        "baseline": subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "crftagger.benchmarks.serve_baseline:create_app",
             "--factory", "--port", str(ports["baseline"]), "--workers", str(args.workers),
             "--log-level", "warning"],
            env={**env, "BASELINE_MODEL": str(base_path), "BASELINE_TOKENIZER": tok},
        ),
        **{
            f"constant-{kind}": subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "crftagger.benchmarks.serve_baseline:create_constant_app",
                 "--factory", "--port", str(ports[f"constant-{kind}"]), "--workers", str(args.workers),
                 "--log-level", "warning"],
                env={**env, "CONSTANT_STACK": kind},
            )
            for kind in ("asgi", "fastapi")
        },
    }  # fmt: skip
    urls = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
    rows: dict[tuple[str, int], list[dict]] = {}
    try:
        for k in procs:
            wait_ready(urls[k], procs[k])
        ceiling = asyncio.run(run_load(ports["crftagger"], texts, 8, 3000, 30, path="/health"))[
            "rps"
        ]
        rss0 = rss_mb(procs["crftagger"].pid)
        for c in levels:
            for r in range(args.rounds):
                order = list(ROWS) if r % 2 == 0 else list(reversed(ROWS))
                for k in order:
                    port = ports[ROWS[k][0]]
                    res = asyncio.run(
                        run_load(port, texts, c, args.requests, args.seconds, extra=ROWS[k][1])
                    )
                    rows.setdefault((k, c), []).append(res)
                    print(k, c, {x: round(y, 1) for x, y in res.items() if x != "statuses"},
                          res["statuses"], file=sys.stderr, flush=True)  # fmt: skip
        rss1 = rss_mb(procs["crftagger"].pid)
        t0 = time.perf_counter()
        soak_status = asyncio.run(soak(urls["crftagger"], ports["crftagger"], texts, args.soak))
        soak_s = time.perf_counter() - t0
        rss2 = rss_mb(procs["crftagger"].pid)
        after = asyncio.run(run_load(ports["crftagger"], texts, 8, 500, 30))
    finally:
        for p in procs.values():
            stop(p)

    def med(k, c, key):
        return statistics.median(x[key] for x in rows[(k, c)])

    lines = [
        "# HTTP service under load: crftagger serve vs sklearn-crfsuite on the same stack",
        "",
        f"Generated by `python benchmarks/serve_load.py --workers {args.workers}` at commit "
        f"{commit}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC (do not edit by hand).",
        f"Machine: {os.cpu_count()} cores (shared with the client and other work), "
        f"{platform.platform()}, Python {platform.python_version()}; NUMBA_NUM_THREADS=1; "
        f"{args.workers} server process(es) each.",
        f"One-sentence messages: {len(texts)} CoNLL-2003 test sentences of 5-30 tokens, "
        f"detokenised. {args.requests} requests per level (at most {args.seconds:.0f} s) after 50 "
        f"warm-up requests, {args.rounds} rounds alternating the servers; medians over rounds.",
        f"Client ceiling (asyncio streams, one process, `GET /health` of the crftagger server "
        f"at concurrency 8): {ceiling:,.0f} "
        "requests/s.",
        "The ceiling rows are the same uvicorn answering every request with one fixed answer of "
        "the size of a tagged message, without tokenising or tagging (`serve_baseline.py`'s "
        "`create_constant_app`): a bare ASGI function reading the JSON body (what crftagger's "
        "front does before tagging) and a FastAPI endpoint with a strict pydantic model (what "
        "the baseline does).",
        "",
        "| concurrency | server | requests/s | p50 ms | p95 ms | p99 ms | throughput ratio |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for c in levels:
        base = med("baseline", c, "rps")
        for k in ROWS:
            lines.append(
                f"| {c} | {k} | {med(k, c, 'rps'):,.0f} | {med(k, c, 'p50'):.1f} | "
                f"{med(k, c, 'p95'):.1f} | {med(k, c, 'p99'):.1f} | "
                f"{med(k, c, 'rps') / base:.2f}x |"
            )
    statuses = sorted({s for v in rows.values() for x in v for s in x["statuses"]})
    lines += [
        "",
        f"Statuses seen under load: {', '.join(map(str, statuses))}.",
        "",
        "## Soak run (crftagger server)",
        "",
        f"{args.soak} requests in {soak_s:.0f} s, one at a time: 60% good, 20% malformed, 10% "
        "oversized bodies (1.2 MB), 10% clients that send half a body and disconnect.",
        "",
        f"- statuses: {json.dumps(soak_status, sort_keys=True)}",
        f"- server RSS: {rss0:.0f} MB after start-up, {rss1:.0f} MB after the load levels, "
        f"{rss2:.0f} MB after the soak run",
        f"- after the soak: {after['rps']:,.0f} requests/s at concurrency 8, p99 "
        f"{after['p99']:.1f} ms, statuses {after['statuses']}",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
