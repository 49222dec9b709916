"""The fuzzing worker: ``python -m fuzz.worker AREA CONFIG.json``.

It reads one JSON object per line on stdin (``{"seed": N}``), builds the case
of that seed (:mod:`fuzz.gen`), runs it and writes one JSON line per case to
stdout: ``{"seed", "outcome", "cls", "detail"}`` where ``outcome`` is ``ok``
(parsed / loaded / answered, and equal to the plain twin where there is one),
``error`` (a crftagger error that names what it should) or ``fail``. The
address space is limited (``RLIMIT_AS``), so an unbounded allocation is a
``MemoryError`` reported as a failure; the parent enforces a time limit per
case and notices a crash from the exit status.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import traceback
from pathlib import Path

from fuzz import gen, plain


def _limit_memory() -> None:
    mb = int(os.environ.get("CRFTAGGER_FUZZ_MEMORY_MB", "3072"))
    limit = mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Fail(Exception):
    """A failed case: ``cls`` names the failure class."""

    def __init__(self, cls: str, detail: str = ""):
        super().__init__(cls)
        self.cls = cls
        self.detail = detail


# ----------------------------------------------------------------------------- corpus readers


def _as_tuple(s, by_index: bool):
    cols = s.columns
    if by_index:
        cols = {i: v for i, v in enumerate(cols.values(), 1)}
    return (s.tokens, cols, s.doc_id, s.meta)


def _conll_expected(reader: str, data: bytes):
    if reader == "read_conll":
        return plain.conll(data)
    if reader == "read_conll_declared":
        return plain.conll(data, 4)
    if reader == "read_bio":
        return plain.conll(data, 2)
    if reader == "read_conll_whitespace":
        return plain.conll(data, whitespace=True)
    raise AssertionError(reader)


def _check_refusal(exc, path: str, line: int | None) -> tuple[str, str]:
    from crftagger.errors import CorpusFormatError

    msg = str(exc)
    if path not in msg:
        raise Fail("error-without-file", msg[:300])
    if isinstance(exc, CorpusFormatError):
        got = exc.line
    else:  # TagInputError: "name:line: ..."
        head = msg[len(path) + 1 :].split(":", 1)[0] if msg.startswith(path + ":") else ""
        got = int(head) if head.isdigit() else None
    if got is None:
        raise Fail("error-without-line", msg[:300])
    if line is not None and got != line:
        raise Fail(
            "error-at-wrong-line", f"line {got}, the plain reader stops at {line}: {msg[:200]}"
        )
    return "error", type(exc).__name__


def corpus(seed: int, scratch: Path, _ctx) -> tuple[str, str]:
    from crftagger import corpora
    from crftagger.cli import tag as tagcli
    from crftagger.errors import CrftaggerError

    case = gen.corpus_case(seed)
    reader, data = case["reader"], case["data"]
    path = scratch / f"corpus-{seed}.txt"
    path.write_bytes(data)
    name = str(path)
    try:
        if reader in ("read_conll", "read_conll_declared", "read_bio", "read_conll_whitespace"):
            expected = _conll_expected(reader, data)
            if reader == "read_conll":
                got = [_as_tuple(s, True) for s in corpora.read_conll(path)]
            elif reader == "read_conll_whitespace":
                got = [_as_tuple(s, True) for s in corpora.read_conll(path, sep="whitespace")]
            elif reader == "read_conll_declared":
                cols = ("word", "pos", "chunk", "ner")
                got = [_as_tuple(s, True) for s in corpora.read_conll(path, cols)]
            else:
                got = [_as_tuple(s, True) for s in corpora.read_bio(path)]
        elif reader == "read_conllu":
            expected = plain.conllu(data)
            got = [_as_tuple(s, False) for s in corpora.read_conllu(path)]
        elif reader == "read_conllu_surface":
            expected = plain.conllu(data)
            words = plain.conllu(data)
            sur = list(corpora.read_conllu(path, multiword="surface"))
            if words[0] != "parsed" or len(sur) != len(words[1]):
                raise Fail("surface-view-differs-from-words", f"{len(sur)} sentences, {words}")
            return "ok", "parsed"
        elif reader == "detect_format":
            fmt = corpora.detect_format(path)
            if fmt not in ("conllu", "conll", "text"):
                raise Fail("unknown-format", repr(fmt))
            return "ok", fmt
        else:
            fh = io.BytesIO(data)
            lines = tagcli._read_lines(fh, name)
            if reader == "tag_tokens":
                expected = plain.tag_tokens(data)
                got = [(it.tokens, {}, None, {}) for it in tagcli.read_tokens(lines, name)]
            elif reader == "tag_conll":
                cols = ["word", "pos", "chunk", "ner"]
                expected = plain.tag_conll(data, 4)
                got = [
                    (it.tokens, {i: it.columns[c] for i, c in enumerate(cols[1:], 1)}, None, {})
                    for it in tagcli.read_conll_stream(lines, name, cols)
                    if it.tokens is not None
                ]
            else:
                expected = plain.conllu(data)
                if expected[0] == "parsed":
                    expected = ("parsed", [(t, {}, None, {}) for t, *_ in expected[1]])
                got = [(it.tokens, {}, None, {}) for it in tagcli.read_conllu_stream(lines, name)]
    except Fail:
        raise
    except CrftaggerError as exc:
        if reader == "detect_format":
            return _check_refusal(exc, name, None)
        if expected[0] == "parsed":
            raise Fail("refused-valid-input", str(exc)[:300]) from None
        return _check_refusal(exc, name, expected[1])
    if got == expected[1] and expected[0] == "parsed":
        return "ok", "parsed"
    if expected[0] == "refused":
        raise Fail("accepted-invalid-input", f"the plain reader refuses line {expected[1]}")
    if got != expected[1]:
        for i, (a, b) in enumerate(zip(got, expected[1], strict=False)):
            if a != b:
                raise Fail("silent-change", f"sentence {i}: read {a!r:.300}; plain {b!r:.300}")
        raise Fail("silent-change", f"{len(got)} sentences read; plain reader {len(expected[1])}")
    return "ok", "parsed"


# ----------------------------------------------------------------------------- model files

SENTENCES = [["Call", "Ana", "now"], ["Send", "500", "EUR", "to", "Núñez", "Partners", "."]]


def model(seed: int, scratch: Path, ctx) -> tuple[str, str]:
    from crftagger.api.tagger import Tagger
    from crftagger.errors import CrftaggerError

    path = scratch / f"model-{seed}.crftagger"
    kind = gen.model_case(seed, Path(ctx["model"]), path)
    try:
        t = Tagger.load(path)
    except CrftaggerError as exc:
        if str(path) not in str(exc):
            raise Fail("error-without-file", str(exc)[:300]) from None
        return "error", type(exc).__name__
    try:
        tags = t.tag(SENTENCES)
    except CrftaggerError as exc:
        raise Fail(
            "loads-but-tagging-fails", f"{kind}: {type(exc).__name__}: {exc}"[:300]
        ) from None
    labels = set(t.labels) | {"O"}
    for sent, tg in zip(SENTENCES, tags, strict=True):
        if len(tg) != len(sent) or not all(isinstance(x, str) for x in tg):
            raise Fail("bad-tags", repr(tg))
        del labels
        break
    return "ok", kind


# ----------------------------------------------------------------------------- CRFsuite files


def crfsuite(seed: int, scratch: Path, ctx) -> tuple[str, str]:
    from crftagger import CRF
    from crftagger.errors import CrftaggerError
    from crftagger.io.crfsuite import load_crfsuite

    path = scratch / f"mutant-{seed}.crfsuite"
    kind = gen.crfsuite_case(seed, Path(ctx["crfsuite"]), path)
    outcomes = []
    for how in ("engine", "full", "dump", "numba"):
        try:
            if how == "engine":
                est = CRF.load(path)
                est.predict([[{"w:cat": 1.0, "b": 1.0}, {"w:the": 1.0}]])
                _ = est.state_features_
            elif how == "numba":
                est = CRF.load(path, engine="numba")
                est.predict([[{"w:cat": 1.0, "b": 1.0}, {"w:the": 1.0}]])
            else:
                _ = load_crfsuite(path, full_precision=how == "full").n_features
            outcomes.append("ok")
        except CrftaggerError as exc:
            if str(path) not in str(exc) and path.name not in str(exc):
                raise Fail("error-without-file", f"{how}: {exc}"[:300]) from None
            outcomes.append("error")
    if len(set(outcomes)) > 1 and outcomes[:3] != ["error", "error", "error"]:
        # the readers must agree on whether a file is readable
        if not (outcomes[0] == outcomes[1] == outcomes[3]):
            raise Fail("readers-disagree", f"{kind}: engine/full/dump/numba {outcomes}")
    return ("ok" if outcomes[0] == "ok" else "error"), kind


# ----------------------------------------------------------------------------- API inputs


def api(seed: int, scratch: Path, ctx) -> tuple[str, str]:
    from crftagger import CRF
    from crftagger.errors import CrftaggerError

    call, args = gen.api_case(seed)
    t = ctx["tagger"]
    try:
        if call in ("tag", "tag_batch"):
            out = t.tag(args)
        elif call == "marginals":
            out = t.marginals(args)
        elif call == "spans":
            out = t.spans(args)
        elif call == "nbest":
            out = t.nbest(args[0], k=args[1])
        elif call == "parse":
            out = t.parse(args)
        elif call == "fit":
            est = CRF(max_iterations=3).fit(*args)
            out = est.predict(args[0])
        else:
            out = ctx["crf"].predict(args)
    except CrftaggerError as exc:
        return "error", type(exc).__name__
    del out
    return "ok", call


# ----------------------------------------------------------------------------- CLI arguments


def cli(seed: int, scratch: Path, ctx) -> tuple[str, str]:
    from crftagger.cli.app import main

    argv, stdin = gen.cli_case(seed, ctx["files"])
    out_b, err = io.BytesIO(), io.StringIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    out = io.TextIOWrapper(out_b, encoding="utf-8", write_through=True)
    old = os.getcwd()
    os.chdir(scratch)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(old)
        sys.stdin = sys.__stdin__
    text = err.getvalue()
    if "Traceback (most recent call last)" in text:
        raise Fail("traceback-on-stderr", text[-300:])
    if code not in (0, 1, 2):
        raise Fail(f"exit-{code}", text[-300:])
    return ("ok" if code == 0 else "error"), f"exit-{code}"


def selftest(seed: int, scratch: Path, ctx) -> tuple[str, str]:
    """Cases that check the harness itself: 1 hangs, 3 segfaults, 4 allocates without bound."""
    import signal
    import time

    if seed == 1:
        time.sleep(3600)
    if seed == 3:
        os.kill(os.getpid(), signal.SIGSEGV)
    if seed == 4:
        blocks = []
        while True:
            blocks.append(bytearray(256 << 20))
    return "ok", "selftest"


AREAS = {
    "selftest": selftest,
    "corpus": corpus,
    "model": model,
    "crfsuite": crfsuite,
    "api": api,
    "cli": cli,
}


def _context(area: str, config: dict) -> dict:
    ctx = dict(config)
    if area == "api":
        from crftagger import CRF
        from crftagger.api.tagger import Tagger

        ctx["tagger"] = Tagger.load(config["model"])
        ctx["crf"] = CRF(max_iterations=5).fit(
            [[{"w:a": 1.0}, {"w:b": 1.0}], [{"w:b": 1.0}]], [["O", "N"], ["N"]]
        )
    return ctx


def main() -> None:
    area, config_path = sys.argv[1], sys.argv[2]
    config = json.loads(Path(config_path).read_text())
    scratch = Path(config["scratch"]) / f"{area}-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    import crftagger.api.tagger  # noqa: F401  (imports before the limit: numba's start-up is not a case)

    ctx = _context(area, config)
    _limit_memory()
    handler = AREAS[area]
    # replies go to a copy of stdout; fd 1 itself goes to /dev/null so that what C code
    # prints (CRFsuite's trainer) cannot mix with them
    reply = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    print(json.dumps({"ready": True}), file=reply, flush=True)
    for line in sys.stdin:
        seed = json.loads(line)["seed"]
        try:
            outcome, cls = handler(seed, scratch, ctx)
            res = {"seed": seed, "outcome": outcome, "cls": cls, "detail": ""}
        except Fail as f:
            res = {"seed": seed, "outcome": "fail", "cls": f.cls, "detail": f.detail}
        except MemoryError:
            res = {"seed": seed, "outcome": "fail", "cls": "MemoryError", "detail": ""}
        except BaseException as exc:  # noqa: BLE001  (any other exception is a failure)
            tb = traceback.format_exception(exc)
            res = {
                "seed": seed,
                "outcome": "fail",
                "cls": f"exception:{type(exc).__name__}",
                "detail": "".join(tb[-3:])[-600:],
            }
        for p in scratch.iterdir():
            if p.is_file():
                p.unlink()
        print(json.dumps(res), file=reply, flush=True)


if __name__ == "__main__":
    main()
