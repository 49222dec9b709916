"""``crftagger serve``: an HTTP service for saved models (FastAPI on uvicorn).

``crftagger serve -m MODEL [-m NAME=MODEL ...] --host 127.0.0.1 --port 8080``
loads the models once and answers ``POST /v1/tag`` (and ``/v1/mask``,
``/v1/slots`` where a model supports them), ``GET /v1/models`` and ``GET
/health``; the schema is at ``/openapi.json``. A model is named by ``NAME=``
or by its file name without the extension; the first is the default.
``--workers N`` runs N processes (each loads the models), the way to use
several cores. SIGTERM or Ctrl-C stops accepting connections and finishes the
requests in flight (for at most ``--graceful-timeout`` seconds). See
:mod:`crftagger.serve.app` for the endpoints, limits and errors.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def parse_models(specs: list[str]) -> dict[str, str]:
    """``NAME=PATH`` or ``PATH`` (named by its file stem) to an ordered ``{name: path}``."""
    from crftagger.serve.app import ServeConfigError

    out: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or os.path.exists(spec):
            name, path = Path(spec).stem, spec
        if not path:
            raise ServeConfigError(f"-m {spec!r}: expected PATH or NAME=PATH")
        if name in out:
            raise ServeConfigError(
                f"-m {spec!r}: the name {name!r} is already given to {out[name]}; "
                "name the models with NAME=PATH"
            )
        out[name] = path
    return out


def run(args) -> int:
    from crftagger.serve.app import (
        CONFIG_ENV,
        ServeConfig,
        ServeConfigError,
        create_app,
        load_models,
    )

    try:
        import uvicorn
    except ImportError:
        raise ServeConfigError(
            "crftagger serve needs FastAPI and uvicorn: pip install 'crftagger[serve]'"
        ) from None
    if args.workers < 1:
        raise ServeConfigError(f"--workers: expected a positive integer, found {args.workers}")
    ops = {}
    for spec in args.mask_operator or []:
        typ, sep, op = spec.partition("=")
        if not sep or not typ or not op:
            raise ServeConfigError(f"--mask-operator {spec!r}: expected TYPE=OPERATOR")
        ops[typ] = op
    config = ServeConfig(
        models=parse_models(args.model),
        max_body_bytes=args.max_body_bytes,
        max_text_chars=args.max_text_chars,
        max_batch=args.max_batch,
        request_timeout=args.timeout,
        micro_batch=args.micro_batch,
        batch_wait_ms=args.batch_wait_ms,
        feature_set=args.feature_set,
        mask_operators=ops,
    )
    # every model is opened here first, so a bad file fails before the server starts
    models = load_models(config)
    common = dict(
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=args.graceful_timeout,
        access_log=args.access_log,
    )
    print(
        f"crftagger serve: {', '.join(models)} on http://{args.host}:{args.port} "
        f"({args.workers} worker{'s' if args.workers > 1 else ''})",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn finishes the requests in flight on SIGTERM / SIGINT, then raises the
    # signal again for the handler it found: make that one end the command quietly
    # (exit status 0) instead of killing the process or raising KeyboardInterrupt.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: None)
    if args.workers == 1:
        uvicorn.run(create_app(config, models), **common)
        return 0
    del models
    os.environ[CONFIG_ENV] = config.to_json()
    uvicorn.run("crftagger.serve.app:create_app", factory=True, workers=args.workers, **common)
    return 0


def register(sub):
    p = sub.add_parser(
        "serve",
        help="serve models over HTTP (POST /v1/tag, /v1/mask, /v1/slots)",
        description=__doc__.split("\n\n", 1)[1].split("\n\n")[0],
    )
    p.add_argument(
        "-m", "--model", action="append", required=True, help="PATH or NAME=PATH (repeat)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    p.add_argument("--max-body-bytes", type=int, default=1_000_000)
    p.add_argument("--max-text-chars", type=int, default=100_000)
    p.add_argument("--max-batch", type=int, default=256, help="texts or sentences per request")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument(
        "--graceful-timeout",
        type=float,
        default=10.0,
        help="seconds to finish requests in flight at shutdown",
    )
    p.add_argument("--micro-batch", type=int, default=32, help="texts tagged in one call")
    p.add_argument(
        "--batch-wait-ms", type=float, default=1.0, help="how long a batch waits for more texts"
    )
    p.add_argument("--feature-set", default=None, help="the feature set of CRFsuite model files")
    p.add_argument("--mask-operator", action="append", help="TYPE=OPERATOR for /v1/mask (repeat)")
    p.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=run)
