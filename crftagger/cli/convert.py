"""``crftagger convert``: rewrite the tag column of a CoNLL file in another tag scheme.

The file is read line by line and written back sentence by sentence: only the
tag field changes; every other field, the spacing between fields, blank
lines and ``-DOCSTART-`` lines are copied unchanged (a ``-DOCSTART-`` line
also ends a sentence). Tags are decoded with ``--from`` and written with
``--to`` (see :mod:`crftagger.schemes`); ``--repair`` says what to do with a
tag ``--from`` does not allow (default: stop with an error naming the file
and line).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator

from crftagger.errors import ConvertFormatError

DOCSTART = "-DOCSTART-"
_FIELD = re.compile(r"\S+")


def _tag_field(line: str, column: int, delimiter: str | None) -> tuple[int, int] | None:
    """Character range of field ``column`` (negative counts from the end), or None."""
    if delimiter is None:
        spans = [(m.start(), m.end()) for m in _FIELD.finditer(line)]
    else:
        spans, pos = [], 0
        for part in line.split(delimiter):
            spans.append((pos, pos + len(part)))
            pos += len(part) + len(delimiter)
    try:
        return spans[column]
    except IndexError:
        return None


def convert_lines(
    lines: Iterable[str],
    src: str | None,
    dst: str,
    column: int = -1,
    delimiter: str | None = None,
    repair: str = "error",
    lossy_ok: bool = False,
    name: str = "<stdin>",
) -> Iterator[str]:
    """Yield the converted lines (with their line endings) of a CoNLL text."""
    from crftagger.schemes import SchemeError, convert, get_scheme

    src_s = None if src is None else get_scheme(src)
    dst_s = get_scheme(dst)
    pending: list[tuple[int, str, str, tuple[int, int]]] = []  # lineno, body, ending, field

    def flush() -> Iterator[str]:
        if not pending:
            return
        tags = [body[a:b] for _, body, _, (a, b) in pending]
        try:
            new = convert(tags, src_s, dst_s, repair=repair, lossy_ok=lossy_ok)
        except SchemeError as exc:
            pos = exc.position if exc.position is not None else 0
            pos = min(pos, len(pending) - 1)
            raise ConvertFormatError(
                f"{name}:{pending[pos][0]}: {exc} (sentence starting at line {pending[0][0]})"
            ) from None
        for (_, body, ending, (a, b)), tag in zip(pending, new, strict=True):
            yield body[:a] + tag + body[b:] + ending
        pending.clear()

    for lineno, line in enumerate(lines, 1):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        if not body.strip() or body.lstrip().startswith(DOCSTART):
            yield from flush()
            yield line
            continue
        field = _tag_field(body, column, delimiter)
        if field is None:
            n = len(body.split(delimiter) if delimiter else body.split())
            raise ConvertFormatError(
                f"{name}:{lineno}: found {n} fields in {body!r}; expected a tag in column "
                f"{column} (columns count from 0, -1 is the last)"
            )
        if field[0] == field[1]:
            raise ConvertFormatError(f"{name}:{lineno}: empty tag field in {body!r}")
        pending.append((lineno, body, ending, field))
    yield from flush()


def run(args) -> int:
    from crftagger.schemes import REPAIRS

    if args.repair not in REPAIRS:  # argparse checks too; kept for direct callers
        raise ValueError(f"--repair must be one of {', '.join(REPAIRS)}")
    delimiter = args.delimiter
    if delimiter is not None:
        delimiter = delimiter.encode().decode("unicode_escape")
        if not delimiter:
            raise ValueError("--delimiter must not be empty")
    src = None if args.src == "conlleval" else args.src
    name = "<stdin>" if args.input in (None, "-") else args.input
    fin = sys.stdin if name == "<stdin>" else open(args.input, encoding="utf-8", newline="")
    try:
        out_lines = convert_lines(
            fin, src, args.dst, args.column, delimiter, args.repair, args.lossy_ok, name
        )
        if args.output in (None, "-"):
            for line in out_lines:
                sys.stdout.write(line)
        else:
            # write to a temporary file and rename, so an error leaves no half file
            import os
            import tempfile

            folder = os.path.dirname(os.path.abspath(args.output))
            fd, tmp = tempfile.mkstemp(prefix=".convert-", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fout:
                    for line in out_lines:
                        fout.write(line)
                os.replace(tmp, args.output)
            except BaseException:
                os.unlink(tmp)
                raise
    except ConvertFormatError as exc:
        raise ConvertFormatError(str(exc).replace("pass lossy_ok=True", "use --lossy-ok")) from None
    except UnicodeDecodeError as exc:
        raise ConvertFormatError(f"{name}: not UTF-8 text ({exc})") from None
    finally:
        if fin is not sys.stdin:
            fin.close()
    return 0


def register(sub):
    from crftagger.schemes import ALIASES, REPAIRS, SCHEMES

    names = sorted(SCHEMES) + sorted(ALIASES)
    p = sub.add_parser(
        "convert",
        help="convert the tag column of a CoNLL file between tag schemes",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument(
        "--from",
        dest="src",
        required=True,
        type=str.lower,
        choices=names + ["conlleval"],
        help="scheme of the input ('conlleval': lenient decoding, right for IOB1 and IOB2)",
    )
    p.add_argument("--to", dest="dst", required=True, type=str.lower, choices=names)
    p.add_argument("--column", type=int, default=-1, help="tag column, from 0; -1 = last (default)")
    p.add_argument(
        "-d", "--delimiter", default=None, help="field delimiter (default: runs of whitespace)"
    )
    p.add_argument(
        "--repair",
        choices=REPAIRS,
        default="error",
        help="tags --from does not allow: error (default), begin (conlleval), outside (drop)",
    )
    p.add_argument(
        "--lossy-ok",
        action="store_true",
        help="allow merging adjacent same-type spans when the target (io) cannot separate them",
    )
    p.add_argument("input", nargs="?", default=None, help="input file (default: stdin)")
    p.add_argument("-o", "--output", default=None, help="output file (default: stdout)")
    p.set_defaults(func=run)
