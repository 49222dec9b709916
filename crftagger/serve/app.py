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

Concurrency: requests for the text path are micro-batched per model: the
texts of the requests that arrive while a batch is being tagged (up to
``micro_batch`` texts, waiting at most ``batch_wait_ms`` for more) are
tagged in one call on the model's own worker thread, so the event loop keeps
accepting requests while the numba kernels (which release the GIL) run. To
use several cores, run several worker processes (``crftagger serve
--workers N``): each loads the models and batches its own requests.
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


class Batcher:
    """Gathers the texts of concurrent requests and tags them in one call per batch."""

    def __init__(self, served: Served, size: int, wait_s: float, confidence: bool = True):
        self.served = served
        self.confidence = confidence
        self.size = size
        self.wait_s = wait_s
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None

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

    async def submit(self, texts: list[str]) -> list:
        fut = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, fut))
        return await fut

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self.queue.get()]
            n = len(jobs[0][0])
            deadline = loop.time() + self.wait_s
            while n < self.size:
                timeout = deadline - loop.time()
                try:
                    job = (
                        self.queue.get_nowait()
                        if timeout <= 0 or not self.queue.empty()
                        else await asyncio.wait_for(self.queue.get(), timeout)
                    )
                except (asyncio.QueueEmpty, asyncio.TimeoutError):
                    break
                jobs.append(job)
                n += len(job[0])
            live = [(t, f) for t, f in jobs if not f.done()]  # timed out or disconnected
            if not live:
                continue
            texts = [x for t, _f in live for x in t]
            try:
                docs = await loop.run_in_executor(
                    self.served.executor, self.served.model._docs, texts, self.confidence
                )
            except Exception as exc:  # noqa: BLE001 - handed to each request's handler
                for _t, f in live:
                    if not f.done():
                        f.set_exception(exc)
                continue
            k = 0
            for t, f in live:
                if not f.done():
                    f.set_result(docs[k : k + len(t)])
                k += len(t)


# --------------------------------------------------------------------------- errors


class APIError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class _BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, 400 for a bad Content-Length,
    415 for a POST whose Content-Type is not JSON."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = ctype = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                length = v
            elif k == b"content-type":
                ctype = v
        if scope.get("method") == "POST" and ctype is None:
            # a body without a Content-Type is read as JSON
            scope = dict(scope)
            scope["headers"] = [*scope.get("headers", []), (b"content-type", b"application/json")]
        elif scope.get("method") == "POST" and b"json" not in ctype.lower():
            return await _send_error(
                send,
                415,
                "unsupported_media_type",
                f"Content-Type: found {ctype[:60].decode('latin-1')!r}; expected application/json",
            )
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
            if n > self.limit:
                return await _send_error(
                    send,
                    413,
                    "body_too_large",
                    f"request body: found {n} bytes; expected at most {self.limit}",
                )
        seen = 0
        limit = self.limit

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
                    b = Batcher(s, config.micro_batch, config.batch_wait_ms / 1000, flag)
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
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(s.executor, fn, *args)

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
            docs = await timed(s.batchers[req.confidence].submit(texts))
            dicts = [d.to_dict() for d in docs]
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

    app.state.started = time.time()
    return _BodyLimit(app, config.max_body_bytes) if config.max_body_bytes else app


def _json(obj: dict):
    """A JSON response written straight from ``obj`` (the response models document the
    shape; validating every token of every answer again would double the cost of a request)."""
    from starlette.responses import Response

    return Response(
        json.dumps(obj, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
    )


def _mask_dict(result, reversible: bool) -> dict:
    out = {"text": result.text, "items": [i.to_dict() for i in result.items]}
    if reversible:
        out["mapping"] = dict(result.mapping)
    return out
