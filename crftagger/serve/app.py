"""The HTTP application: endpoints, limits, errors and micro-batching.

Endpoints (JSON in and out; the schema is served at ``/openapi.json`` and
browsable at ``/docs``):

``GET /health``
    ``{"status": "ok", "models": [...]}`` once the models are loaded.
``GET /v1/models``
    each model's name, kind, labels, span types, tokeniser, file name and
    sha256, and the endpoints it answers.
``POST /v1/tag``
    ``{"model": NAME?, "text": "..."}`` gives ``{"model", "doc"}`` (a
    :class:`~crftagger.text.doc.Doc` as ``to_dict``: tokens, sentences and
    spans with character offsets and confidences); ``"texts": [...]`` gives
    ``"docs"``; pre-tokenised input ``"tokens": [...]`` gives ``"tags"`` and
    ``"spans"`` (token offsets), ``"sentences": [[...], ...]`` gives
    ``"results"``. ``"confidence": false`` leaves the spans' confidences
    out (null), which halves the tagging time.
``POST /v1/mask``
    ``{"text": ...}`` or ``{"texts": [...]}`` with personal data masked
    (:class:`crftagger.pii.PIIMasker`: validated patterns and the model's
    spans, the operators of ``--mask-operator TYPE=OP``); ``"result"`` holds
    the masked text and each replaced item with its offsets in the original
    and in the masked text; ``"reversible": true`` adds the mapping from
    replacements back to the originals. The texts of one request share their
    replacements (the same name gets the same pseudonym).
``POST /v1/slots``
    intent and slots of each text, for a slot-filling model
    (:class:`crftagger.slots.SlotFiller`).

The model is named by ``"model"`` (the first one served by default). Models
are loaded once, at start-up, from the files given on the command line; a
request can only name a loaded model, never a file.

Errors are JSON, ``{"error": {"code": ..., "message": ...}}``, with a 4xx
status for anything a client sent: 400 malformed JSON or a bad
``Content-Length``, 415 a body sent as anything but ``application/json``
(no Content-Type is read as JSON), 404 an unknown model or endpoint, 405 a wrong method, 413
a body over ``max_body_bytes`` or a text over ``max_text_chars`` or a batch
over ``max_batch``, 422 wrong fields or types (fields are strict: no
coercion, no unknown field), 504 when a request runs over
``request_timeout`` seconds. A 500 would be a fault of the server, never of
the input.

Concurrency: requests for the text path are micro-batched per model: a lone
request is tagged at once (a short one on the event loop itself, without
the switches to another thread), and the texts of the requests that arrive
while a batch is being tagged (up to ``micro_batch`` texts) make the next
batch, tagged in one call on the model's own worker thread, so the event
loop keeps accepting requests while the numba kernels (which release the GIL) run; a
batch waits for more texts (at most ``batch_wait_ms``) only while other
requests are still being read. A failing batch is tagged again request by
request, so an error is only ever its own request's. To use several cores,
run several worker processes (``crftagger serve --workers N``): each loads
the models and batches its own requests.

The hot path, ``POST /v1/tag`` with a well-formed ``text`` or ``texts``, is
answered by an ASGI front before the FastAPI app (without its routing, body
parsing and model validation, which cost more than the tagging of a
sentence); any other request, and every request the front does not accept
exactly (errors included), goes to the FastAPI app with its body, so the
answers and the error messages are the app's.
"""

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crftagger.errors import CrftaggerError

#: A lone request of at most this many characters is tagged on the event loop itself.
INLINE_CHARS = 1000

#: Environment variable holding the JSON of a :class:`ServeConfig` (worker processes).
CONFIG_ENV = "CRFTAGGER_SERVE_CONFIG"


class ServeConfigError(CrftaggerError, ValueError):
    """A service configuration that cannot be used (bad model name, limit or file)."""


@dataclass
class ServeConfig:
    """What the service loads and the limits it enforces."""

    #: ``name -> model file``, in order; the first is the default model.
    models: dict[str, str]
    max_body_bytes: int = 1_000_000
    max_text_chars: int = 100_000
    max_batch: int = 256
    request_timeout: float = 30.0
    micro_batch: int = 32
    batch_wait_ms: float = 1.0
    #: Feature set of CRFsuite model files (their attributes' definitions).
    feature_set: str | None = None
    #: Operator per PII type for ``/v1/mask`` (``DEFAULT`` for the rest).
    mask_operators: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.models:
            raise ServeConfigError("models: expected at least one model to serve")
        for name in self.models:
            if (
                not isinstance(name, str)
                or not name
                or not name.replace("-", "_").replace(".", "_").isidentifier()
            ):
                raise ServeConfigError(
                    f"model name {name!r}: expected letters, digits, '_', '-' or '.'"
                )
        for key in ("max_body_bytes", "max_text_chars", "max_batch", "micro_batch"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ServeConfigError(f"{key}: expected a positive integer, found {v!r}")
        for key in ("request_timeout", "batch_wait_ms"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ServeConfigError(f"{key}: expected a number >= 0, found {v!r}")
        if self.request_timeout <= 0:
            raise ServeConfigError(
                f"request_timeout: expected a positive number of seconds, found {self.request_timeout}"
            )

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> "ServeConfig":
        return cls(**json.loads(text))


# --------------------------------------------------------------------------- models


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Served:
    """A loaded model and what the service knows about it."""

    def __init__(self, name: str, path: str, model: Any):
        self.name = name
        self.path = path
        self.model = model
        self.sha256 = _sha256(path)
        self.kind = type(model).__name__
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"model-{name}")
        self.batchers: dict[bool, Batcher] = {}
        self.masker: Any = None
        self.in_flight = 0  # calls running or waiting on ``executor``

    @property
    def tasks(self) -> list[str]:
        out = []
        if hasattr(self.model, "_docs"):
            out.append("tag")
        if _is_slot_filler(self.model):
            out.append("slots")
        if self.masker is not None:
            out.append("mask")
        return out

    def describe(self) -> dict:
        from crftagger.schemes import span_types

        labels = list(getattr(self.model, "labels", []) or [])
        tok: Any = getattr(self.model, "tokenizer", None)
        return {
            "name": self.name,
            "kind": self.kind,
            "file": Path(self.path).name,
            "sha256": self.sha256,
            "labels": labels,
            "span_types": span_types(labels),
            "tokenizer": tok.to_dict() if hasattr(tok, "to_dict") else None,
            "endpoints": [f"/v1/{t}" for t in self.tasks],
        }


def _is_slot_filler(model) -> bool:
    return type(model).__name__ == "SlotFiller" and hasattr(model, "parse")


def load_models(config: ServeConfig) -> dict[str, Served]:
    """Open every model of ``config`` (any kind :func:`crftagger.io.open.open_tagger` reads)."""
    from crftagger.io.open import open_tagger

    out = {}
    for name, path in config.models.items():
        if not os.path.isfile(path):
            what = "a folder" if os.path.isdir(path) else "no such file"
            raise ServeConfigError(f"model {name}: {path}: found {what}; expected a model file")
        model = _open(path, config.feature_set, open_tagger)
        served = Served(name, path, model)
        served.masker = _masker(model, config)
        out[name] = served
    return out


def _open(path: str, feature_set, open_tagger):
    try:
        from crftagger.slots import SlotFiller, is_slot_filler
    except ImportError:  # pragma: no cover - a layout without slot filling
        return open_tagger(path, feature_set=feature_set)
    if is_slot_filler(path):
        return SlotFiller.load(path)
    return open_tagger(path, feature_set=feature_set)


def _masker(model, config: ServeConfig):
    """A :class:`crftagger.pii.PIIMasker` over ``model`` (validated patterns + its spans)."""
    if not hasattr(model, "_docs") or _is_slot_filler(model):
        return None
    try:
        from crftagger.pii import PIIMasker
    except ImportError:  # pragma: no cover - a layout without the pii module
        return None
    try:
        return PIIMasker(tagger=model, operators=dict(config.mask_operators) or None)
    except CrftaggerError as exc:
        raise ServeConfigError(f"--mask-operator: {exc}") from None


# --------------------------------------------------------------------------- batching


async def _in_executor(served, fn: Callable, *args):
    """``fn(*args)`` on ``served``'s own thread, counted in ``served.in_flight``."""
    served.in_flight = getattr(served, "in_flight", 0) + 1
    try:
        return await asyncio.get_running_loop().run_in_executor(served.executor, fn, *args)
    finally:
        served.in_flight -= 1


class Batcher:
    """Gathers the texts of concurrent requests and tags them in one call per batch.

    A batch holds the requests that are waiting when the model's thread is
    free (up to ``size`` texts): a lone request is tagged at once, and the
    requests that arrive while a batch is being tagged make the next one.
    ``wait_s`` (> 0) lets a batch wait that long for more texts, but only
    while other requests are being read (never for a lone one). Each
    request gets its own answer or its own error: when a batch fails, its
    requests are tagged one by one so that only the bad one fails.
    """

    def __init__(
        self,
        served: Served,
        size: int,
        wait_s: float,
        confidence: bool = True,
        front=None,
        inline_chars: int = 0,
    ):
        self.served = served
        #: a batch of one job of at most this many characters is tagged on the event loop
        self.inline_chars = inline_chars
        self.confidence = confidence
        self.size = size
        self.wait_s = wait_s
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self.front = front  # its ``reading``: requests whose body is still coming
        model = served.model
        fn = getattr(model, "_doc_dicts", None)
        self._tag = (
            fn
            if fn is not None
            else (lambda texts, conf: [d.to_dict() for d in model._docs(texts, conf)])
        )

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            self.task = None

    def submit_nowait(self, texts: list[str]) -> asyncio.Future:
        """A future of the answers (dicts of :meth:`~crftagger.text.doc.Doc.to_dict`) of ``texts``."""
        fut = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((texts, fut))
        return fut

    async def submit(self, texts: list[str]) -> list:
        return await self.submit_nowait(texts)

    def _reading(self) -> int:
        return getattr(self.front, "reading", 0)

    def _take(self, jobs: list, n: int) -> int:
        q = self.queue
        while n < self.size and not q.empty():
            job = q.get_nowait()
            jobs.append(job)
            n += len(job[0])
        return n

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        q = self.queue
        while True:
            jobs = [await q.get()]
            # the requests already read in this turn of the loop join the batch
            await asyncio.sleep(0)
            n = self._take(jobs, len(jobs[0][0]))
            if self.wait_s > 0 and n < self.size and self._reading():
                deadline = loop.time() + self.wait_s
                while n < self.size and self._reading() and loop.time() < deadline:
                    await asyncio.sleep(min(0.0002, self.wait_s))
                    n = self._take(jobs, n)
            live = [(t, f) for t, f in jobs if not f.done()]  # timed out or disconnected
            if not live:
                continue
            texts = [t for t, _f in live]
            if (
                len(texts) == 1
                and sum(map(len, texts[0])) <= self.inline_chars
                and not getattr(self.served, "in_flight", 0)
            ):
                # a lone short request while the model's thread is idle: tagged here (a
                # millisecond), without the two thread switches there and back
                results = self._tag_jobs(texts)
            else:
                results = await _in_executor(self.served, self._tag_jobs, texts)
            for (_t, f), (ok, value) in zip(live, results, strict=True):
                if f.done():
                    continue
                if ok:
                    f.set_result(value)
                else:
                    f.set_exception(value)

    def _tag_jobs(self, jobs: list[list[str]]) -> list[tuple[bool, Any]]:
        """``(True, answers)`` or ``(False, exception)`` of each job, tagged in one call
        (one call per job when the batch fails)."""
        texts = [x for t in jobs for x in t]
        try:
            docs = self._tag(texts, self.confidence)
        except Exception as exc:  # noqa: BLE001 - handed to each request's handler
            if len(jobs) == 1:
                return [(False, exc)]
            return [r for t in jobs for r in self._tag_jobs([t])]
        out, k = [], 0
        for t in jobs:
            out.append((True, docs[k : k + len(t)]))
            k += len(t)
        return out


# --------------------------------------------------------------------------- errors


class APIError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _expire(fut: asyncio.Future) -> None:
    """The request timeout: the answer not there yet is a TimeoutError (the batcher
    skips a job whose future is done)."""
    if not fut.done():
        fut.set_exception(asyncio.TimeoutError())


def _json_bytes(obj) -> bytes:
    """``obj`` as the service writes JSON (what starlette's ``JSONResponse`` writes)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def _send_json(send, status: int, body: bytes, close: bool = False) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Front:
    """ASGI front of the FastAPI app: 413 for a body over ``limit`` bytes, 400 for a bad
    Content-Length, 415 for a POST whose Content-Type is not JSON; and the hot path,
    ``POST /v1/tag`` with a well-formed ``text`` or ``texts``, answered here by ``fast``
    (``fast(body)`` gives ``(status, body)``, or None to hand the request to the app).

    Every request ``fast`` does not take (any error, other fields, other endpoints) goes to
    the FastAPI app with its body, so the answers, the errors and their messages are the
    app's own; the fast path only skips the framework's routing, body parsing and model
    validation for the requests that pass them unchanged."""

    def __init__(self, app, limit: int | None, fast: Callable | None = None):
        self.app = app
        self.limit = limit
        self.fast = fast
        self.reading = 0  # fast-path requests whose body is being read

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = ctype = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                length = v
            elif k == b"content-type":
                ctype = v
        post = scope.get("method") == "POST"
        if post and ctype is None:
            # a body without a Content-Type is read as JSON
            scope = dict(scope)
            scope["headers"] = [*scope.get("headers", []), (b"content-type", b"application/json")]
        elif post and b"json" not in ctype.lower():
            return await _send_error(
                send,
                415,
                "unsupported_media_type",
                f"Content-Type: found {ctype[:60].decode('latin-1')!r}; expected application/json",
            )
        limit = self.limit
        if length is not None:
            try:
                n = int(length)
                if n < 0:
                    raise ValueError
            except ValueError:
                return await _send_error(
                    send,
                    400,
                    "bad_content_length",
                    f"Content-Length: found {length[:40]!r}; expected a number of bytes",
                )
            if limit is not None and n > limit:
                return await _send_error(
                    send,
                    413,
                    "body_too_large",
                    f"request body: found {n} bytes; expected at most {limit}",
                )
        if (
            post
            and self.fast is not None
            and scope.get("path") == "/v1/tag"
            and (ctype is None or ctype.split(b";", 1)[0].strip().lower() == b"application/json")
        ):
            return await self._fast(scope, receive, send)
        if limit is None:
            return await self.app(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    from fastapi import HTTPException

                    raise HTTPException(
                        413, f"request body: found over {limit} bytes; expected at most {limit}"
                    )
            return msg

        return await self.app(scope, limited, send)

    async def _fast(self, scope, receive, send):
        limit = self.limit
        chunks = []
        seen = 0
        self.reading += 1
        try:
            while True:
                msg = await receive()
                if msg["type"] != "http.request":
                    return  # the client went away
                chunk = msg.get("body", b"")
                seen += len(chunk)
                if limit is not None and seen > limit:
                    message = f"request body: found over {limit} bytes; expected at most {limit}"
                    body = _json_bytes({"error": {"code": "body_too_large", "message": message}})
                    return await _send_json(send, 413, body)
                chunks.append(chunk)
                if not msg.get("more_body", False):
                    break
        finally:
            self.reading -= 1
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        answer = await self.fast(body)
        if answer is not None:
            return await _send_json(send, *answer)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


async def _send_error(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _validation_message(errors) -> tuple[int, str, str]:
    for e in errors:
        if e.get("type") == "json_invalid":
            ctx = e.get("ctx", {}) or {}
            return 400, "malformed_json", f"request body is not JSON: {ctx.get('error', 'invalid')}"
    parts = []
    for e in errors[:5]:
        if tuple(e.get("loc", ())) == ("body",) and e.get("type") in (
            "model_attributes_type",
            "dict_type",
            "model_type",
        ):
            return 422, "invalid_request", "request body: expected a JSON object"
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    return 422, "invalid_request", "; ".join(parts)


# --------------------------------------------------------------------------- the app


def create_app(config: ServeConfig | None = None, models: dict[str, Served] | None = None):
    """The FastAPI application serving ``config``'s models (read from
    ``$CRFTAGGER_SERVE_CONFIG`` when ``config`` is None: the worker processes'
    way)."""
    try:
        from fastapi import FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse
        from starlette.exceptions import HTTPException as StarletteHTTPException
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise ServeConfigError(
            f"the HTTP service needs FastAPI and uvicorn ({exc.name} is missing): "
            "pip install 'crftagger[serve]'"
        ) from None
    from contextlib import asynccontextmanager

    from crftagger.serve import schema as S

    if config is None:
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            raise ServeConfigError(f"no configuration: ${CONFIG_ENV} is not set")
        config = ServeConfig.from_json(raw)
    served = models if models is not None else load_models(config)
    default = next(iter(served))

    @asynccontextmanager
    async def lifespan(app):
        for s in served.values():
            if "tag" in s.tasks:
                for flag in (True, False):
                    b = Batcher(
                        s,
                        config.micro_batch,
                        config.batch_wait_ms / 1000,
                        flag,
                        front,
                        # not with a timeout shorter than such a request can take
                        INLINE_CHARS if config.request_timeout >= 1 else 0,
                    )
                    b.start()
                    s.batchers[flag] = b
        yield
        for s in served.values():
            for b in s.batchers.values():
                await b.stop()
            s.executor.shutdown(wait=False)

    app = FastAPI(
        title="crftagger",
        version=__import__("crftagger").__version__,
        description="Sequence labelling with feature-based linear-chain CRFs.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.models = served

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError):
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        status, code, message = _validation_message(exc.errors())
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
        return JSONResponse(
            {"error": {"code": codes.get(exc.status_code, "http_error"), "message": exc.detail}},
            status_code=exc.status_code,
        )

    def pick(name: str | None, task: str) -> Served:
        s = served.get(name or default)
        if s is None:
            raise APIError(
                404,
                "unknown_model",
                f"model: found {name!r}; expected one of {', '.join(served)}",
            )
        if task not in s.tasks:
            can = [n for n, m in served.items() if task in m.tasks]
            raise APIError(
                422,
                "unsupported",
                f"model {s.name} ({s.kind}) does not answer /v1/{task}"
                + (f"; models that do: {', '.join(can)}" if can else ""),
            )
        return s

    def check_texts(texts: list[str], what: str) -> None:
        if len(texts) > config.max_batch:
            raise APIError(
                413,
                "batch_too_large",
                f"{what}: found {len(texts)} items; expected at most {config.max_batch}",
            )
        for i, t in enumerate(texts):
            if len(t) > config.max_text_chars:
                raise APIError(
                    413,
                    "text_too_large",
                    f"{what}[{i}]: found {len(t)} characters; expected at most "
                    f"{config.max_text_chars}",
                )

    def one_of(req, fields: tuple[str, ...]) -> str:
        given = [f for f in fields if getattr(req, f) is not None]
        if len(given) != 1:
            raise APIError(
                422,
                "invalid_request",
                f"expected exactly one of {', '.join(fields)}; found "
                + (", ".join(given) if given else "none"),
            )
        return given[0]

    async def timed(coro):
        try:
            return await asyncio.wait_for(coro, config.request_timeout)
        except asyncio.TimeoutError:
            raise APIError(
                504, "timeout", f"the request ran over {config.request_timeout} s"
            ) from None
        except CrftaggerError as exc:
            raise APIError(422, "invalid_input", str(exc)) from None

    async def in_thread(s: Served, fn: Callable, *args):
        return await _in_executor(s, fn, *args)

    @app.get("/health", response_model=S.Health)
    async def health():
        return {"status": "ok", "models": list(served)}

    @app.get("/v1/models", response_model=S.Models)
    async def list_models():
        return {"default": default, "models": [s.describe() for s in served.values()]}

    @app.post("/v1/tag", response_model=S.TagResponse, response_model_exclude_none=True)
    async def tag(req: S.TagRequest):
        kind = one_of(req, ("text", "texts", "tokens", "sentences"))
        s = pick(req.model, "tag")
        if kind in ("text", "texts"):
            texts: list[str] = [req.text or ""] if kind == "text" else list(req.texts or [])
            check_texts(texts, kind)
            dicts = await timed(s.batchers[req.confidence].submit(texts))
            if kind == "text":
                return _json({"model": s.name, "doc": dicts[0]})
            return _json({"model": s.name, "docs": dicts})
        sents: list[list[str]] = (
            [list(req.tokens or [])] if kind == "tokens" else list(req.sentences or [])
        )
        check_texts([" ".join(x) for x in sents], kind)
        for i, toks in enumerate(sents):
            for j, tok in enumerate(toks):
                if not tok or tok != tok.strip() or any(c.isspace() for c in tok):
                    raise APIError(
                        422,
                        "invalid_input",
                        f"{kind}[{i}][{j}]: found {tok!r}; expected a token without white space",
                    )

        def run():
            pairs = s.model._annotate([list(x) for x in sents], req.confidence)
            return [
                {
                    "tags": t,
                    "spans": [
                        {
                            "label": sp.type,
                            "start": sp.start,
                            "end": sp.end,
                            "text": sp.text,
                            "confidence": sp.confidence,
                        }
                        for sp in f
                    ],
                }
                for t, f in pairs
            ]

        results = await timed(in_thread(s, run))
        if kind == "tokens":
            return _json({"model": s.name, **results[0]})
        return _json({"model": s.name, "results": results})

    @app.post("/v1/slots", response_model=S.SlotsResponse, response_model_exclude_none=True)
    async def slots(req: S.TextsRequest):
        kind = one_of(req, ("text", "texts"))
        s = pick(req.model, "slots")
        texts: list[str] = [req.text or ""] if kind == "text" else list(req.texts or [])
        check_texts(texts, kind)

        def run():
            return [r.to_dict() for r in s.model.parse_many(texts)]

        frames = await timed(in_thread(s, run))
        if kind == "text":
            return _json({"model": s.name, "result": frames[0]})
        return _json({"model": s.name, "results": frames})

    @app.post("/v1/mask", response_model=S.MaskResponse, response_model_exclude_none=True)
    async def mask(req: S.MaskRequest):
        kind = one_of(req, ("text", "texts"))
        s = pick(req.model, "mask")
        texts: list[str] = [req.text or ""] if kind == "text" else list(req.texts or [])
        check_texts(texts, kind)

        def run():
            session = s.masker.session()  # the same original gets the same replacement
            return [_mask_dict(s.masker.mask(t, session), req.reversible) for t in texts]

        out = await timed(in_thread(s, run))
        if kind == "text":
            return _json({"model": s.name, "result": out[0]})
        return _json({"model": s.name, "results": out})

    fast_keys = frozenset(("model", "text", "texts", "confidence"))
    max_chars, max_batch, timeout = config.max_text_chars, config.max_batch, config.request_timeout
    tags_text = {name for name, m in served.items() if "tag" in m.tasks}

    async def fast_tag(body: bytes) -> tuple[int, bytes] | None:
        """The answer of a well-formed ``/v1/tag`` request with ``text`` or ``texts``
        (what the ``tag`` endpoint answers), or None for any other request."""
        try:
            req = json.loads(body)
        except Exception:  # noqa: BLE001 - the app answers it (400 malformed_json)
            return None
        if type(req) is not dict or not req.keys() <= fast_keys:
            return None
        conf = req.get("confidence", True)
        name = req.get("model")
        if (conf is not True and conf is not False) or (name is not None and type(name) is not str):
            return None
        name = name or default
        if name not in tags_text:
            return None
        text, texts = req.get("text"), req.get("texts")
        if text is not None:
            if texts is not None or type(text) is not str or len(text) > max_chars:
                return None
            items = [text]
        elif type(texts) is list and len(texts) <= max_batch:
            for t in texts:
                if type(t) is not str or len(t) > max_chars:
                    return None
            items = texts
        else:
            return None
        fut = served[name].batchers[conf].submit_nowait(items)
        timer = asyncio.get_running_loop().call_later(timeout, _expire, fut)
        try:
            dicts = await fut
        except asyncio.TimeoutError:
            message = f"the request ran over {timeout} s"
            return 504, _json_bytes({"error": {"code": "timeout", "message": message}})
        except CrftaggerError as exc:
            return 422, _json_bytes({"error": {"code": "invalid_input", "message": str(exc)}})
        finally:
            timer.cancel()
        if text is not None:
            return 200, _json_bytes({"model": name, "doc": dicts[0]})
        return 200, _json_bytes({"model": name, "docs": dicts})

    app.state.started = time.time()
    front = _Front(app, config.max_body_bytes or None, fast_tag)
    return front


def _json(obj: dict):
    """A JSON response written straight from ``obj`` (the response models document the
    shape; validating every token of every answer again would double the cost of a request)."""
    from starlette.responses import Response

    return Response(_json_bytes(obj), media_type="application/json")


def _mask_dict(result, reversible: bool) -> dict:
    out = {"text": result.text, "items": [i.to_dict() for i in result.items]}
    if reversible:
        out["mapping"] = dict(result.mapping)
    return out
