"""The HTTP service, tested against real ``crftagger serve`` processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from crftagger import Tagger
from crftagger.corpora import synthetic

TEXTS = [
    "Dear Anna Smith, please call me back.",
    "Peter Jones from Acme Bank met Maria Rossi in London on 12/03/2024.",
    "Nothing to see here.",
    "Write to jan.novak@example.org today.",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``crftagger serve`` process started on a free port of 127.0.0.1."""

    def __init__(self, args: list[str]):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "NUMBA_NUM_THREADS": "1"}
        cmd = [sys.executable, "-m", "crftagger", "serve", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise RuntimeError(f"server exited {self.proc.returncode}: {err}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer /health within 90 s")

    def post(self, path: str, body, **kw) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=30, **kw)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for fh in (self.proc.stdout, self.proc.stderr):
            if fh:
                fh.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def tagger():
    sents = synthetic.generate(300, seed=7)
    return Tagger.train(
        [(s.tokens, s.columns["ner"]) for s in sents], feature_set="pii", max_iterations=30
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, tagger):
    path = tmp_path_factory.mktemp("serve") / "pii.crftagger"
    tagger.save(path)
    return path


@pytest.fixture(scope="module")
def filler(data_dir):
    from crftagger.slots import SlotFiller, load_split

    train, train_i = load_split("atis", "train")
    return SlotFiller.train(
        train[:300], train_i[:300], feature_set="slots", C=10.0, max_iterations=20
    )


@pytest.fixture(scope="module")
def filler_file(tmp_path_factory, filler):
    path = tmp_path_factory.mktemp("serve") / "atis.crftagger"
    filler.save(path)
    return path


@pytest.fixture(scope="module")
def server(model_file, filler_file):
    srv = Server(
        [
            "-m", str(model_file),
            "-m", f"second={model_file}",
            "-m", f"atis={filler_file}",
            "--mask-operator", "PERSON=pseudonym",
            "--mask-operator", "DEFAULT=redact:numbered=true",
            "--max-body-bytes", "20000",
            "--max-text-chars", "2000",
            "--max-batch", "8",
        ]
    )  # fmt: skip
    yield srv
    assert srv.stop() == 0


def test_health_models_and_openapi(server, model_file):
    r = httpx.get(server.url + "/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "models": ["pii", "second", "atis"]}
    info = httpx.get(server.url + "/v1/models").json()
    assert info["default"] == "pii"
    m = info["models"][0]
    assert m["file"] == model_file.name and len(m["sha256"]) == 64
    assert "/v1/tag" in m["endpoints"] and "PER" in m["span_types"]
    schema = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/tag", "/v1/models", "/health", "/v1/mask", "/v1/slots"} <= set(schema["paths"])


def test_tag_answers_equal_the_library(server, tagger):
    r = server.post("/v1/tag", {"text": TEXTS[1]})
    assert r.status_code == 200
    assert r.json() == {"model": "pii", "doc": json.loads(tagger(TEXTS[1]).to_json())}
    r = server.post("/v1/tag", {"texts": TEXTS, "model": "second"})
    assert r.json()["model"] == "second"
    assert r.json()["docs"] == [json.loads(d.to_json()) for d in tagger.pipe(TEXTS)]
    toks = TEXTS[1].replace(".", " .").split()
    r = server.post("/v1/tag", {"tokens": toks}).json()
    assert r["tags"] == tagger.tag(toks)
    assert [(s["label"], s["start"], s["end"]) for s in r["spans"]] == [
        (s.type, s.start, s.end) for s in tagger.spans(toks)
    ]
    r = server.post("/v1/tag", {"sentences": [toks, []]}).json()
    assert [x["tags"] for x in r["results"]] == [tagger.tag(toks), []]
    r = server.post("/v1/tag", {"sentences": [toks], "confidence": False}).json()
    assert r["results"][0]["spans"] and all(
        x["confidence"] is None for x in r["results"][0]["spans"]
    )
    r = server.post("/v1/tag", {"texts": TEXTS, "confidence": False}).json()
    assert r["docs"] == [json.loads(d.to_json()) for d in tagger.pipe(TEXTS, confidence=False)]
    assert server.post("/v1/tag", {"text": "x", "confidence": 1}).status_code == 422


def test_fast_path_answers_equal_the_app_and_the_library(server, tagger):
    # {"text": ...} is answered by the front's fast path; with "tokens": null beside it the
    # same request goes through the FastAPI endpoint: the same bytes, the library's answer
    for conf in (True, False):
        for body in ({"text": TEXTS[1]}, {"texts": TEXTS}, {"texts": []}, {"text": ""}):
            fast = server.post("/v1/tag", {**body, "confidence": conf})
            slow = server.post("/v1/tag", {**body, "confidence": conf, "tokens": None})
            assert fast.status_code == slow.status_code == 200
            assert fast.content == slow.content
            assert fast.headers["content-type"] == slow.headers["content-type"]
            texts = [body["text"]] if "text" in body else body["texts"]
            docs = [json.loads(d.to_json()) for d in tagger.pipe(texts, confidence=conf)]
            assert fast.json() == {
                "model": "pii",
                **({"doc": docs[0]} if "text" in body else {"docs": docs}),
            }
    r = server.post("/v1/tag", {"text": TEXTS[0], "model": ""})  # "" is the default, as before
    assert r.json()["model"] == "pii"
    r = server.post("/v1/tag", {"text": TEXTS[0], "model": "second", "confidence": True})
    assert r.json() == {"model": "second", "doc": json.loads(tagger(TEXTS[0]).to_json())}
    r = httpx.post(
        server.url + "/v1/tag",
        content=json.dumps({"text": TEXTS[2]}).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.json()["doc"] == json.loads(tagger(TEXTS[2]).to_json())


def test_doc_dicts_and_batched_confidences_equal_the_lattices(tagger):
    texts = [*TEXTS, "", "   ", f"{TEXTS[1]}\n\n{TEXTS[3]}", "Anna Smith met Peter Jones. " * 30]
    for conf in (True, False):
        assert tagger._doc_dicts(texts, conf) == [d.to_dict() for d in tagger._docs(texts, conf)]
    # the first-order path (one batched Viterbi pass, lattices only where there are spans)
    # against one lattice per sentence, confidences compared exactly, with and without o_bias
    sents = [s.tokens for s in synthetic.generate(200, seed=11)] + [[]]
    assert tagger._first_order()
    for o_bias in (0.0, 1.5):
        tagger.o_bias = o_bias
        try:
            batched = tagger._annotate(sents)
            per_lattice = []
            for s, lat in zip(sents, tagger._lattices(sents), strict=True):
                path, _ = lat.best()
                per_lattice.append(
                    (
                        tagger._to_output([tagger.labels[i] for i in path]),
                        tagger._spans(s, lat, path),
                    )
                )
        finally:
            tagger.o_bias = 0.0
        assert repr(batched) == repr(per_lattice)
        assert sum(len(f) for _t, f in batched) > 100
        assert all(0 < sp.confidence <= 1 for _t, f in batched for sp in f)


@pytest.mark.parametrize("inline_chars", [0, 1000])
def test_batcher_keeps_each_requests_error_its_own(inline_chars):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor as Pool
    from types import SimpleNamespace

    from crftagger.errors import TaggerInputError
    from crftagger.serve.app import Batcher

    calls: list[list[str]] = []

    def doc_dicts(texts, confidence):
        calls.append(list(texts))
        if "bad" in texts:
            raise TaggerInputError("bad text")
        return [{"text": t, "confidence": confidence} for t in texts]

    served = SimpleNamespace(
        model=SimpleNamespace(_doc_dicts=doc_dicts), executor=Pool(max_workers=1)
    )

    async def main():
        b = Batcher(served, size=32, wait_s=0.0, inline_chars=inline_chars)
        b.start()
        futs = [b.submit_nowait(t) for t in (["a"], ["bad"], ["b", "c"], [])]
        out = await asyncio.gather(*futs, return_exceptions=True)
        lone = await b.submit(["d"])
        with pytest.raises(TaggerInputError):
            await b.submit(["bad"])  # a lone bad request (tagged inline with inline_chars)
        await b.stop()
        return out, lone

    out, lone = asyncio.run(main())
    served.executor.shutdown()
    assert out[0] == [{"text": "a", "confidence": True}]
    assert isinstance(out[1], TaggerInputError) and str(out[1]) == "bad text"
    assert out[2] == [{"text": "b", "confidence": True}, {"text": "c", "confidence": True}]
    assert out[3] == [] and lone == [{"text": "d", "confidence": True}]
    assert calls[0] == ["a", "bad", "b", "c"]  # one batch first, then one call per request
    assert ["a"] in calls and ["b", "c"] in calls


def test_concurrent_requests_are_batched_and_answered_in_order(server, tagger):
    texts = [f"{t} Call {n}." for n in range(12) for t in TEXTS]
    expected = [json.loads(d.to_json()) for d in tagger.pipe(texts)]
    with ThreadPoolExecutor(16) as ex:
        got = list(ex.map(lambda t: server.post("/v1/tag", {"text": t}).json()["doc"], texts))
    assert got == expected


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"text": 5}, 422, "invalid_request"),
        ({"texts": "one"}, 422, "invalid_request"),
        ({"tokens": ["a", 1]}, 422, "invalid_request"),
        ({"tokens": ["a b"]}, 422, "invalid_input"),
        ({"text": "x", "color": "red"}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"text": "x", "texts": ["y"]}, 422, "invalid_request"),
        ([1, 2], 422, "invalid_request"),
        ({"text": "x", "model": "nope"}, 404, "unknown_model"),
        ({"text": "x", "model": "/etc/passwd"}, 404, "unknown_model"),
        ({"text": "x" * 2001}, 413, "text_too_large"),
        ({"texts": ["x"] * 9}, 413, "batch_too_large"),
        ({"text": "x " * 15000}, 413, "body_too_large"),
    ],
)
def test_bad_requests_get_json_4xx(server, body, status, code):
    r = server.post("/v1/tag", body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"text": 5}, "text: Input should be a valid string"),
        ({"texts": ["a", None]}, "texts.1: Input should be a valid string"),
        ({"text": "x", "confidence": "yes"}, "confidence: Input should be a valid boolean"),
        ({"text": "x", "model": 3}, "model: Input should be a valid string"),
        ({"text": "x", "color": "red"}, "color: Extra inputs are not permitted"),
        ({"text": None}, "expected exactly one of text, texts, tokens, sentences; found none"),
        ({"text": "x", "model": "nope"}, "model: found 'nope'; expected one of pii, second, atis"),
        ({"text": "x" * 2001}, "text[0]: found 2001 characters; expected at most 2000"),
        ({"texts": ["x", "y" * 2001]}, "texts[1]: found 2001 characters; expected at most 2000"),
    ],
)
def test_error_messages_of_the_app(server, body, message):
    r = server.post("/v1/tag", body)
    assert r.status_code in (404, 413, 422), r.text
    assert r.json()["error"]["message"].startswith(message), r.text


def test_protocol_errors(server):
    r = httpx.post(server.url + "/v1/tag", content=b'{"text": ', timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    r = httpx.post(server.url + "/v1/tag", content=b"\xff\xfe", timeout=10)
    assert r.status_code == 400
    r = httpx.post(
        server.url + "/v1/tag", content=b"text=x", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415 and "expected application/json" in r.json()["error"]["message"]
    assert httpx.get(server.url + "/v1/tag").status_code == 405
    assert httpx.get(server.url + "/v2/nothing").json()["error"]["code"] == "not_found"
    r = server.post("/v1/slots", {"text": "book a table"})
    assert r.status_code == 422 and "does not answer /v1/slots" in r.json()["error"]["message"]
    assert "models that do: atis" in r.json()["error"]["message"]
    r = server.post("/v1/mask", {"text": "x", "model": "atis"})
    assert r.status_code == 422 and "does not answer /v1/mask" in r.json()["error"]["message"]


SLOT_TEXTS = ["show me flights from boston to denver on monday", "what is the fare to dallas"]


def test_slots_endpoint_equals_the_library(server, filler):
    info = {m["name"]: m for m in httpx.get(server.url + "/v1/models").json()["models"]}
    assert "/v1/slots" in info["atis"]["endpoints"] and info["atis"]["kind"] == "SlotFiller"
    r = server.post("/v1/slots", {"text": SLOT_TEXTS[0], "model": "atis"})
    assert r.status_code == 200
    assert r.json()["result"] == json.loads(json.dumps(filler(SLOT_TEXTS[0]).to_dict()))
    r = server.post("/v1/slots", {"texts": SLOT_TEXTS, "model": "atis"}).json()
    assert r["results"] == [json.loads(json.dumps(f.to_dict())) for f in filler.pipe(SLOT_TEXTS)]
    assert r["results"][0]["intent"]
    for text, frame in zip(SLOT_TEXTS, r["results"], strict=True):
        for slot in frame["slots"]:
            assert text[slot["start"] : slot["end"]] == slot["value"]


OPS = {"PERSON": "pseudonym", "DEFAULT": "redact:numbered=true"}


def test_mask_endpoint(server, tagger):
    from crftagger.pii import PIIMasker, deanonymize

    text = "Peter Jones wrote to anna.smith@example.org; Peter Jones called 4111 1111 1111 1111."
    r = server.post("/v1/mask", {"text": text, "reversible": True})
    assert r.status_code == 200
    res = r.json()["result"]
    local = PIIMasker(tagger=tagger, operators=OPS).mask(text)
    assert res["text"] == local.text
    assert "anna.smith@example.org" not in res["text"] and "4111" not in res["text"]
    assert deanonymize(res["text"], res["mapping"]) == text
    for item in res["items"]:
        assert text[item["start"] : item["end"]] == item["text"]
    r = server.post("/v1/mask", {"texts": [text, "Nothing here."]}).json()
    assert "mapping" not in r["results"][0] and r["results"][1]["text"] == "Nothing here."
    assert server.post("/v1/mask", {"text": text, "reversible": "yes"}).status_code == 422


def _raw(port: int, data: bytes, read: bool = True, pause: float = 0.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        if pause:
            for i in range(len(data)):
                s.sendall(data[i : i + 1])
                time.sleep(pause)
        else:
            s.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


def _request(body: bytes, length: int | None = None) -> bytes:
    n = len(body) if length is None else length
    return (
        b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: " + str(n).encode() + b"\r\n\r\n" + body
    )


def test_faults_leave_the_server_answering(server, tagger):
    # a thousand malformed requests of every kind
    bad = [b"{", b"[]", b'{"text": 1}', b'{"texts": [null]}', b"\x00\x01", b'{"text": "x"}}']
    with httpx.Client(base_url=server.url, timeout=10) as c:
        statuses = {c.post("/v1/tag", content=bad[i % len(bad)]).status_code for i in range(1000)}
    assert statuses <= {400, 422}
    # clients that disconnect mid-body, or before reading the answer
    for _ in range(20):
        _raw(server.port, _request(b'{"text": "Anna', length=200), read=False)
        _raw(server.port, _request(json.dumps({"text": TEXTS[1]}).encode()), read=False)
    # an oversized body announced up front, and one sent without a length
    assert b" 413 " in _raw(server.port, _request(b"{}", length=10**9))
    chunked = (
        b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"".join(b"4e20\r\n" + b" " * 20000 + b"\r\n" for _ in range(3))
        + b"0\r\n\r\n"
    )
    assert b" 413 " in _raw(server.port, chunked)
    # a slow client does not hold up the others
    slow_answer: list[bytes] = []
    body = json.dumps({"text": TEXTS[0]}).encode()
    th = threading.Thread(
        target=lambda: slow_answer.append(_raw(server.port, _request(body), pause=0.01))
    )
    th.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    r = server.post("/v1/tag", {"text": TEXTS[2]})
    fast = time.monotonic() - t0
    th.join(30)
    assert r.status_code == 200
    assert th.is_alive() is False and b" 200 " in slow_answer[0]
    assert json.loads(slow_answer[0].split(b"\r\n\r\n", 1)[1])["doc"]["text"] == TEXTS[0]
    assert fast < 5  # answered while the slow client was still sending
    assert server.post("/v1/tag", {"text": TEXTS[1]}).json()["doc"] == json.loads(
        tagger(TEXTS[1]).to_json()
    )


def test_timeout_and_graceful_shutdown(model_file, tagger):
    srv = Server(["-m", str(model_file), "--timeout", "0.001", "--graceful-timeout", "20"])
    try:
        r = srv.post("/v1/tag", {"texts": [TEXTS[1]] * 200})
        assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"
    finally:
        assert srv.stop() == 0
    srv = Server(["-m", str(model_file), "--graceful-timeout", "20"])
    texts = [f"{TEXTS[1]} Number {i}." for i in range(250)]
    box: list = []
    th = threading.Thread(target=lambda: box.append(srv.post("/v1/tag", {"texts": texts})))
    th.start()
    time.sleep(0.3)  # the request is in flight
    code = srv.stop()
    th.join(30)
    assert code == 0
    assert box and box[0].status_code == 200
    assert box[0].json()["docs"] == [json.loads(d.to_json()) for d in tagger.pipe(texts)]


def test_bad_command_lines_fail_before_serving(tmp_path, model_file):
    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "crftagger", "serve", "--port", str(_free_port()), *args],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    r = run("-m", str(tmp_path / "missing.crftagger"))
    assert r.returncode == 1 and "no such file; expected a model file" in r.stderr
    assert "Traceback" not in r.stderr
    r = run("-m", str(model_file), "-m", str(model_file))
    assert r.returncode == 1 and "already given" in r.stderr
    r = run("-m", str(model_file), "--max-batch", "0")
    assert r.returncode == 1 and "max_batch: expected a positive integer" in r.stderr
    junk = tmp_path / "junk.crftagger"
    junk.write_bytes(b"not a model")
    r = run("-m", f"j={junk}")
    assert r.returncode == 1 and "expected a crftagger model file" in r.stderr


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_two_worker_processes(model_file, tagger):
    srv = Server(["-m", str(model_file), "--workers", "2"])
    try:
        with ThreadPoolExecutor(8) as ex:
            got = list(ex.map(lambda t: srv.post("/v1/tag", {"text": t}).json()["doc"], TEXTS * 4))
        assert got == [json.loads(tagger(t).to_json()) for t in TEXTS * 4]
        children = [
            d for d in os.listdir("/proc") if d.isdigit() and _parent(int(d)) == srv.proc.pid
        ]
        assert len(children) >= 2  # the supervisor and its two worker processes
    finally:
        assert srv.stop() == 0
