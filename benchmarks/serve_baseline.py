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
"""

import json
import os


def create_app():
    import sklearn_crfsuite
    from fastapi import FastAPI
    from pydantic import BaseModel, ConfigDict

    from crftagger.benchmarks.suite import baseline_features
    from crftagger.schemes import extract_spans
    from crftagger.text.tokenize import get_tokenizer

    crf = sklearn_crfsuite.CRF(model_filename=os.environ["BASELINE_MODEL"])
    spec = os.environ.get("BASELINE_TOKENIZER", "treebank")
    tokenizer = get_tokenizer(json.loads(spec) if spec.startswith("{") else spec)
    app = FastAPI(title="sklearn-crfsuite baseline")

    class TagRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        text: str

    @app.get("/health")
    async def health():
        return {"status": "ok"}

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
