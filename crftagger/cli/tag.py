"""``crftagger tag``: tag text with a trained model, streaming from a file or stdin.

Input formats (``--input-format``):

``tokens`` (default)
    one sentence per line, tokens separated by white space; an empty line
    is an empty sentence (answered by an empty line).
``conll``
    one token per line, columns separated by white space (the token first,
    then the columns the feature set reads, named by ``--columns``); a blank
    line ends a sentence. Every token line must have as many columns as the
    first one.
``jsonl``
    one JSON value per line: a list of tokens, or an object with ``"tokens"``
    and any extra columns (``{"tokens": [...], "pos": [...]}``).

Output (``--output-format``, default by input: ``inline`` for tokens,
``conll`` for CoNLL, ``jsonl`` for JSON lines): ``inline`` writes
``token/TAG`` pairs, ``tags`` only the tags, ``conll`` the input line plus a
tag column, ``jsonl`` an object with ``tokens``, ``tags`` and, with
``--spans``, ``spans``. With ``--spans`` and a text output, each sentence is
followed by one line per span: ``#span<TAB>start<TAB>end<TAB>type<TAB>confidence<TAB>text``
(end-exclusive token offsets; confidence = probability of exactly that span).

Sentences are read and answered in batches (``--batch-size``), so a large
input streams through in constant memory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator

from crftagger.errors import TagInputError


def read_tokens(lines: Iterable[str], name: str) -> Iterator[tuple[list[str], dict, None, int]]:
    for lineno, line in enumerate(lines, 1):
        yield line.split(), {}, None, lineno


def read_conll_stream(
    lines: Iterable[str], name: str, columns: list[str]
) -> Iterator[tuple[list[str], dict, list[str], int]]:
    """Sentences of a CoNLL stream: ``(tokens, {column: values}, raw lines, first line number)``."""
    n_fields = first = None
    start = 0
    toks: list[str] = []
    cols: dict[str, list[str]] = {}
    raw: list[str] = []
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        fields = line.split()
        if not fields:
            if toks:
                yield toks, cols, raw, start
                toks, cols, raw = [], {}, []
            continue
        if not toks:
            start = lineno
        if n_fields is None:
            n_fields, first = len(fields), lineno
            if columns and len(columns) > n_fields:
                raise TagInputError(
                    f"{name}:{lineno}: found {n_fields} fields; --columns names {len(columns)} "
                    f"({','.join(columns)})"
                )
        elif len(fields) != n_fields:
            raise TagInputError(
                f"{name}:{lineno}: found {len(fields)} fields; expected {n_fields} as on line {first} "
                "(every token line has the same number of columns)"
            )
        toks.append(fields[0])
        for i, c in enumerate(columns[1:], 1):
            cols.setdefault(c, []).append(fields[i])
        raw.append(line)
    if toks:
        yield toks, cols, raw, start


def read_jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[list[str], dict, None, int]]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise TagInputError(f"{name}:{lineno}: not valid JSON ({exc})") from None
        if isinstance(obj, dict):
            toks = obj.get("tokens")
            extra = {k: v for k, v in obj.items() if k != "tokens" and isinstance(v, list)}
        else:
            toks, extra = obj, {}
        if not isinstance(toks, list) or not all(isinstance(t, str) for t in toks):
            raise TagInputError(
                f'{name}:{lineno}: expected a list of token strings or an object with "tokens", '
                f"found {line.strip()[:60]!r}"
            )
        for k, v in extra.items():
            if len(v) != len(toks):
                raise TagInputError(
                    f"{name}:{lineno}: column {k!r} has {len(v)} values for {len(toks)} tokens"
                )
        yield toks, extra, None, lineno


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def tag_stream(
    tagger,
    lines: Iterable[str],
    out,
    *,
    name: str = "<stdin>",
    input_format: str = "tokens",
    output_format: str | None = None,
    columns: list[str] | None = None,
    spans: bool = False,
    batch_size: int = 256,
) -> int:
    """Tag every sentence of ``lines`` and write the answers to ``out``; return the count."""
    from crftagger.api.tagger import TaggerInputError
    from crftagger.corpora import Sentence
    from crftagger.features.extractor import FeatureInputError

    if output_format is None:
        output_format = {"tokens": "inline", "conll": "conll", "jsonl": "jsonl"}[input_format]
    if output_format == "conll" and input_format != "conll":
        raise TagInputError("--output-format conll needs --input-format conll")
    needed = list(tagger.feature_set.columns)
    if input_format == "conll":
        cols = columns or ["word", *needed]
        reader = read_conll_stream(lines, name, cols)
    elif input_format == "jsonl":
        reader = read_jsonl(lines, name)
    else:
        if needed:
            raise TagInputError(
                f"{name}: the model reads the input column(s) {', '.join(needed)} besides the words, "
                f"which plain token lines do not have; give them with --input-format conll "
                f"--columns word,{','.join(needed)} or --input-format jsonl "
                f'(objects with "tokens" and {", ".join(repr(c) for c in needed)})'
            )
        reader = read_tokens(lines, name)
    n = 0
    for batch in _batches(reader, batch_size):
        sents = [Sentence(tokens=t, columns=c) if c or needed else t for t, c, _raw, _line in batch]
        try:
            tags = tagger.tag(sents) if sents else []
            found = tagger.spans(sents) if spans else None
        except (TaggerInputError, FeatureInputError) as exc:
            k, detail = _sentence_of(exc)
            k = min(k, len(batch) - 1)
            raise TagInputError(f"{name}:{batch[k][3]}: sentence {n + k + 1}: {detail}") from None
        for k, ((toks, _cols, raw, _line), seq) in enumerate(zip(batch, tags, strict=True)):
            sp = found[k] if found is not None else None
            _write(out, output_format, toks, seq, raw, sp)
        n += len(batch)
        out.flush()
    return n


def _sentence_of(exc) -> tuple[int, str]:
    """The sentence index an input error names within its batch (0 when it names none)
    and the rest of its message."""
    import re

    text = str(exc)
    m = re.match(r"sentence (\d+)(: )?", text)
    if not m:
        return 0, text
    return int(m.group(1)), text[m.end() :] if m.group(2) else text


def _write(out, fmt: str, toks, tags, raw, spans) -> None:
    if fmt == "jsonl":
        obj = {"tokens": toks, "tags": tags}
        if spans is not None:
            obj["spans"] = [
                {
                    "type": s.type,
                    "start": s.start,
                    "end": s.end,
                    "confidence": round(s.confidence, 6),
                    "text": s.text,
                }
                for s in spans
            ]
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return
    if fmt == "conll":
        for line, tag in zip(raw, tags, strict=True):
            sep = "\t" if "\t" in line else " "
            out.write(f"{line}{sep}{tag}\n")
    elif fmt == "tags":
        out.write(" ".join(tags) + "\n")
    else:
        out.write(" ".join(f"{t}/{g}" for t, g in zip(toks, tags, strict=True)) + "\n")
    if spans is not None:
        for s in spans:
            out.write(f"#span\t{s.start}\t{s.end}\t{s.type}\t{s.confidence:.6f}\t{s.text}\n")
    if fmt == "conll":
        out.write("\n")


def run(args) -> int:
    from crftagger.api.tagger import Tagger

    tagger = Tagger.load(args.model)
    if args.o_bias is not None:
        tagger.o_bias = args.o_bias
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    if args.input in (None, "-"):
        # typed input is answered line by line; piped input in batches
        batch_size = 1 if sys.stdin.isatty() else args.batch_size
        tag_stream(
            tagger,
            sys.stdin,
            sys.stdout,
            name="<stdin>",
            input_format=args.input_format,
            output_format=args.output_format,
            columns=columns,
            spans=args.spans,
            batch_size=batch_size,
        )
        return 0
    with open(args.input, encoding="utf-8") as fh:
        try:
            tag_stream(
                tagger,
                fh,
                sys.stdout,
                name=args.input,
                input_format=args.input_format,
                output_format=args.output_format,
                columns=columns,
                spans=args.spans,
                batch_size=args.batch_size,
            )
        except UnicodeDecodeError as exc:
            raise TagInputError(f"{args.input}: not UTF-8 text ({exc})") from None
    return 0


def register(sub):
    p = sub.add_parser(
        "tag",
        help="tag text with a trained model (stdin to stdout)",
        description=__doc__.split("\n\n", 1)[1].split("\n\n")[0],
    )
    p.add_argument("-m", "--model", required=True, help="model file written by `crftagger train`")
    p.add_argument("input", nargs="?", default=None, help="input file (default: stdin)")
    p.add_argument("--input-format", "-f", choices=("tokens", "conll", "jsonl"), default="tokens")
    p.add_argument("--output-format", choices=("inline", "tags", "conll", "jsonl"), default=None)
    p.add_argument(
        "--columns",
        default=None,
        help="CoNLL input column names, comma-separated, tokens first (default: "
        "word plus the columns the feature set reads)",
    )
    p.add_argument(
        "--spans", action="store_true", help="also write the spans with their confidences"
    )
    p.add_argument(
        "--batch-size", type=int, default=256, help="sentences tagged together (default 256)"
    )
    p.add_argument(
        "--o-bias",
        type=float,
        default=None,
        help="score added to the outside label O at every token: negative finds more spans "
        "(recall up), positive fewer (default: the model's, normally 0)",
    )
    p.set_defaults(func=run)
