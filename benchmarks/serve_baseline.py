"""The load test's reference: sklearn-crfsuite with its tutorial features on the same HTTP stack.

A FastAPI application run by uvicorn, as ``crftagger serve`` is, answering
``POST /v1/tag {"text": ...}`` with the tokens, tags and spans (character
offsets) of the text. It cuts the text with the same tokeniser and sentence
splitter as the crftagger model it is compared with (so both do the same
work before tagging), computes the sklearn-crfsuite tutorial's dict features
(:func:`crftagger.benchmarks.suite.baseline_features`, words only) in Python
and tags with ``sklearn_crfsuite.CRF.predict``. Started by
``benchmarks/serve_load.py``::

    BASELINE_MODEL=model.crfsuite python -m uvicorn \\
        crftagger.benchmarks.serve_baseline:create_app --factory --port 8081

:func:`create_constant_app` is the ceiling of the stack: the same uvicorn
answering every ``POST /v1/tag`` with one fixed answer of the size of a
tagged message, without any tagging or tokenising (``CONSTANT_STACK=asgi``:
a bare ASGI function that reads the JSON body, as crftagger's front does;
``fastapi``: a FastAPI endpoint with a strict pydantic request model, as
the baseline is).
"""

import json
import os


def _fastapi_app(title: str):
    """A FastAPI app with ``GET /health`` and the strict request model of ``POST /v1/tag``."""
    from fastapi import FastAPI
    from pydantic import BaseModel, ConfigDict

    app = FastAPI(title=title)

    class TagRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        text: str

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    return app, TagRequest


def create_app():
    import sklearn_crfsuite

    from crftagger.benchmarks.suite import baseline_features
    from crftagger.schemes import extract_spans
    from crftagger.text.tokenize import get_tokenizer

    crf = sklearn_crfsuite.CRF(model_filename=os.environ["BASELINE_MODEL"])
    spec = os.environ.get("BASELINE_TOKENIZER", "treebank")
    tokenizer = get_tokenizer(json.loads(spec) if spec.startswith("{") else spec)
    app, TagRequest = _fastapi_app("sklearn-crfsuite baseline")

    @app.post("/v1/tag")
    def tag(req: TagRequest):
        text = req.text
        tokens, tags, spans = [], [], []
        for sent in tokenizer.sentences(text):
            words = [text[a:b] for a, b in sent]
            pred = crf.predict_single(baseline_features(words)) if words else []
            t0 = len(tokens)
            tokens.extend(
                {"text": w, "start": a, "end": b} for w, (a, b) in zip(words, sent, strict=True)
            )
            tags.extend(pred)
            for sp in extract_spans(pred, None):
                a, b = sent[sp.start][0], sent[sp.end - 1][1]
                spans.append(
                    {
                        "label": sp.type,
                        "start": a,
                        "end": b,
                        "text": text[a:b],
                        "token_start": t0 + sp.start,
                        "token_end": t0 + sp.end,
                    }
                )
        return {"text": text, "tokens": tokens, "tags": tags, "spans": spans}

    return app


#: The constant answer: the size of a tagged one-sentence message (20 tokens, 2 spans).
CONSTANT = json.dumps(
    {
        "model": "constant",
        "doc": {
            "text": "x" * 100,
            "tokens": [
                {"text": "xxxx", "start": 5 * i, "end": 5 * i + 4, "tag": "O"} for i in range(20)
            ],
            "sentences": [{"start": 0, "end": 99, "token_start": 0, "token_end": 20}],
            "spans": [
                {
                    "label": "PER",
                    "start": 0,
                    "end": 9,
                    "text": "xxxx xxxx",
                    "token_start": 0,
                    "token_end": 2,
                    "confidence": 0.9,
                }
            ]
            * 2,
        },
    },
    separators=(",", ":"),
).encode()


def create_constant_app():
    kind = os.environ.get("CONSTANT_STACK", "asgi")
    if kind == "fastapi":
        from starlette.responses import Response

        app, TagRequest = _fastapi_app("constant answer")

        @app.post("/v1/tag")
        async def tag(req: TagRequest):
            return Response(CONSTANT, media_type="application/json")

        return app

    headers = [
        (b"content-length", str(len(CONSTANT)).encode()),
        (b"content-type", b"application/json"),
    ]

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                done = "startup" if msg["type"] == "lifespan.startup" else "shutdown"
                await send({"type": f"lifespan.{done}.complete"})
                if done == "shutdown":
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                return
            body += msg.get("body", b"")
            if not msg.get("more_body", False):
                break
        if body:
            json.loads(body)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": CONSTANT})

    return app
