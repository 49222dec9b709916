"""``crftagger mask``: find and replace personal data in text files or stdin.

``crftagger mask [-m MODEL] [FILES...]`` reads each file (or stdin) and
writes it with its personal data replaced. Validated patterns (e-mail
addresses, phone numbers, card numbers, IBANs, IP addresses, URLs, dates,
US SSNs, UK NINOs) always run; a model (``-m``, e.g. one written by
``crftagger mask build``) adds names, places, organisations and whatever
else it tags (:mod:`crftagger.pii`).

Input (``-f``): ``text``, one text per line (line ends kept); ``jsonl``, one
JSON object per line with a ``"text"`` string, written back with ``text``
masked and an ``entities`` list (type, original and new offsets, original
text, replacement, operator, score, source). Blank lines are written back.

Options: ``--operator TYPE=OP`` (repeated; ``OP`` is ``redact``, ``mask``,
``hash``, ``pseudonym`` or ``keep``, with parameters after a colon:
``CREDIT_CARD=mask:keep_last=4``, ``PERSON=redact:numbered=true``; type
``DEFAULT`` for every other type), ``--threshold TYPE=X`` (X in [0, 1]),
``--region`` (default region of phone numbers; ``none``: international
numbers only), ``--seed`` (pseudonyms), ``--salt`` (``hash``),
``--mapping FILE`` (writes one JSON line per input file: the file name and
its mapping replacement -> original, for :func:`crftagger.pii.deanonymize`),
``-o FILE`` (default stdout). Within one input file, the same original gets
the same pseudonym and placeholder number.

A file that cannot be read (binary, empty, not UTF-8, a line longer than
``--max-chars``, a malformed JSON line) is reported on stderr with its name
and line, writes nothing, and does not stop the other files; the exit status
is then 1.

``crftagger mask build -o MODEL`` trains the default English PII model on
the generated personal-data corpus (``--n-train``, ``--max-iterations``,
``--seed`` of the corpus, ``--conll-sentences N`` to mix in N CoNLL-2003
training sentences with PER/LOC/ORG) and prints its scores on the held-out
test sentences (:mod:`crftagger.pii.build`). A file named ``build`` is
given as ``./build``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from crftagger.pii.recognizers import PIIError

#: Longest text (one line) read, in characters (``--max-chars``).
MAX_CHARS = 1_000_000


class MaskInputError(PIIError):
    """An input file of ``crftagger mask`` that cannot be read."""


def parse_pairs(values, what: str) -> dict[str, str]:
    """``["TYPE=VALUE", ...]`` as a dict; a malformed pair is a :class:`PIIError`."""
    out = {}
    for v in values or ():
        key, eq, value = v.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise PIIError(f"{what}: found {v!r}; expected TYPE=VALUE")
        out[key.strip()] = value.strip()
    return out


def parse_thresholds(values) -> dict[str, float]:
    out = {}
    for key, value in parse_pairs(values, "--threshold").items():
        try:
            out[key] = float(value)
        except ValueError:
            raise PIIError(
                f"--threshold {key}={value}: found {value!r}; expected a number in [0, 1]"
            ) from None
    return out


def _lines(data: bytes, name: str, max_chars: int) -> Iterator[tuple[int, str]]:
    """Numbered decoded lines of a file's bytes (line ends kept)."""
    if not data:
        raise MaskInputError(f"{name}: found an empty file; expected text")
    head = data[:8192]
    if b"\x00" in head:
        lineno = head[: head.index(b"\x00")].count(b"\n") + 1
        raise MaskInputError(
            f"{name}:{lineno}: found a NUL byte (a binary file?); expected UTF-8 text"
        )
    for lineno, raw in enumerate(data.splitlines(keepends=True), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MaskInputError(
                f"{name}:{lineno}: byte {raw[exc.start : exc.start + 1]!r} at column "
                f"{exc.start + 1} is not UTF-8 text; expected UTF-8"
            ) from None
        if "\x00" in line:
            raise MaskInputError(f"{name}:{lineno}: found a NUL byte; expected text")
        if len(line) > max_chars:
            raise MaskInputError(
                f"{name}:{lineno}: found a line of {len(line)} characters; expected at most "
                f"{max_chars} (--max-chars)"
            )
        yield lineno, line


def _split_end(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def mask_file(masker, data: bytes, name: str, fmt: str, max_chars: int, batch_size: int = 64):
    """The masked output of one file and its mapping; :class:`PIIError` names file:line."""
    records = []  # (lineno, body, end, obj or None)
    for lineno, line in _lines(data, name, max_chars):
        body, end = _split_end(line)
        obj = None
        if fmt == "jsonl" and body.strip():
            try:
                obj = json.loads(body)
            except json.JSONDecodeError as exc:
                raise MaskInputError(
                    f"{name}:{lineno}: found malformed JSON ({exc.msg} at column {exc.colno}); "
                    'expected one object with a "text" string per line'
                ) from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                found = type(obj).__name__ if not isinstance(obj, dict) else "an object"
                raise MaskInputError(
                    f'{name}:{lineno}: found {found} without a "text" string; expected an '
                    'object with a "text" string'
                )
            body = obj["text"]
            if len(body) > max_chars:
                raise MaskInputError(
                    f"{name}:{lineno}: found a text of {len(body)} characters; expected at "
                    f"most {max_chars} (--max-chars)"
                )
        records.append((lineno, body, end, obj))
    session = masker.session()
    out: list[str] = []
    mapping: dict[str, str] = {}
    for i in range(0, len(records), batch_size):
        batch = records[i : i + batch_size]
        texts = [r[1] for r in batch]
        found = masker.analyzer.analyze_many(texts, batch_size=batch_size)
        for (lineno, body, end, obj), dets in zip(batch, found, strict=True):
            try:
                res = masker.anonymizer.anonymize(body, dets, session)
            except PIIError as exc:
                raise MaskInputError(f"{name}:{lineno}: {exc}") from None
            mapping.update(res.mapping)
            if obj is None:
                out.append(res.text + end)
            else:
                obj = {**obj, "text": res.text, "entities": [it.to_dict() for it in res.items]}
                out.append(json.dumps(obj, ensure_ascii=False) + end)
    return "".join(out), mapping


def _build(args) -> int:
    from crftagger.pii import build

    if len(args.files) > 1:
        raise PIIError(
            f"mask build: found the extra arguments {args.files[1:]}; expected only options"
        )
    if not args.output:
        raise PIIError("mask build: found no -o FILE; expected where to write the model")
    from crftagger.io.container import check_destination

    check_destination(args.output)
    out = sys.stdout
    tagger = build.build_model(
        n_train=args.n_train,
        n_dev=args.n_dev,
        n_test=args.n_test,
        seed=args.seed,
        conll_sentences=args.conll_sentences,
        data_dir=getattr(args, "data_dir", None),
        max_iterations=args.max_iterations,
        progress=args.progress,
    )
    info = tagger.info["pii"]
    out.write(
        f"Trained on {info['built_from']['synthetic']['train_sequences']} synthetic sequences"
        + (
            f" and {info['built_from']['conll2003']['n_sentences']} CoNLL-2003 sentences"
            if info["built_from"]["conll2003"]
            else ""
        )
        + f" in {info['seconds']} s\n"
    )
    if args.n_test:
        from crftagger.pii import PIIMasker

        scores = build.evaluate(PIIMasker(tagger), build.held_out_test(args.n_test, seed=args.seed))
        info["scores_test"] = {t: round(s["f1"], 4) for t, s in scores.items()}
        out.write(f"Held-out test F1 ({args.n_test} sentences, patterns + CRF, exact spans):\n")
        for t, s in scores.items():
            out.write(f"  {t:<14} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}\n")
    tagger.save(args.output)
    out.write(f"Model written to {args.output} (try: crftagger mask -m {args.output} FILE)\n")
    return 0


def run(args) -> int:
    if args.files[:1] == ["build"]:
        return _build(args)
    from crftagger.pii import PIIMasker

    operators = parse_pairs(args.operator, "--operator")
    thresholds = parse_thresholds(args.threshold)
    region = None if args.region.lower() == "none" else args.region
    if args.max_chars < 1:
        raise PIIError(f"--max-chars: found {args.max_chars}; expected a positive count")
    if args.batch_size < 1:
        raise PIIError(f"--batch-size: found {args.batch_size}; expected a positive count")
    tagger = None
    if args.model:
        from crftagger.cli.tag import load_model

        tagger = load_model(args.model)
    masker = PIIMasker(
        tagger,
        region=region,
        thresholds=thresholds,
        operators=operators or None,
        seed=args.seed,
        salt=args.salt,
    )
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    maps = open(args.mapping, "w", encoding="utf-8") if args.mapping else None
    failed = 0
    try:
        for name in args.files or ["-"]:
            try:
                if name == "-":
                    data = getattr(sys.stdin, "buffer", sys.stdin).read()
                    if isinstance(data, str):
                        data = data.encode("utf-8")
                    name = "<stdin>"
                else:
                    with open(name, "rb") as fh:
                        data = fh.read()
                text, mapping = mask_file(
                    masker, data, name, args.input_format, args.max_chars, args.batch_size
                )
            except (PIIError, OSError) as exc:
                msg = exc if isinstance(exc, PIIError) else f"{name}: {exc.strerror or exc}"
                print(f"crftagger mask: error: {msg}", file=sys.stderr)
                failed += 1
                continue
            out.write(text)
            out.flush()
            if maps is not None:
                maps.write(json.dumps({"file": name, "mapping": mapping}, ensure_ascii=False))
                maps.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
        if maps is not None:
            maps.close()
    return 1 if failed else 0


def register(sub):
    p = sub.add_parser(
        "mask",
        help="find and replace personal data (names, e-mails, phones, cards, ...) in text",
        description=__doc__.split("\n\n", 1)[1].split("\n\n")[0],
    )
    p.add_argument(
        "files", nargs="*", help="input files (default: stdin); `build` trains the default model"
    )
    p.add_argument(
        "-m", "--model", default=None, help="a tagger model file (default: patterns only)"
    )
    p.add_argument("-f", "--input-format", choices=("text", "jsonl"), default="text")
    p.add_argument(
        "--operator",
        action="append",
        default=[],
        metavar="TYPE=OP",
        help="operator of a type: redact, mask, hash, pseudonym, keep (DEFAULT=redact)",
    )
    p.add_argument("--threshold", action="append", default=[], metavar="TYPE=X")
    p.add_argument("--region", default="US", help="default phone region (default US; none)")
    p.add_argument(
        "--seed", type=int, default=0, help="seed of pseudonyms (with build: of the corpus)"
    )
    p.add_argument("--salt", default=None, help="salt of the hash operator")
    p.add_argument(
        "--mapping", default=None, help="write the reversible mapping there (JSON lines)"
    )
    p.add_argument("-o", "--output", default=None, help="output file (with build: the model)")
    p.add_argument("--max-chars", type=int, default=MAX_CHARS, help="longest line read")
    p.add_argument("--batch-size", type=int, default=64, help=argparse.SUPPRESS)
    g = p.add_argument_group("build")
    g.add_argument("--n-train", type=int, default=2000, help="training sentences (default 2000)")
    g.add_argument("--n-dev", type=int, default=200, help="dev sentences (default 200)")
    g.add_argument("--n-test", type=int, default=500, help="test sentences (default 500)")
    g.add_argument("--max-iterations", type=int, default=100)
    g.add_argument("--conll-sentences", type=int, default=0, help="CoNLL-2003 sentences mixed in")
    g.add_argument("--progress", action="store_true", help="show a training progress bar")
    p.set_defaults(func=run)
