"""``crftagger compare``: is system A's span F1 really different from system B's?

``crftagger compare GOLD SYS_A SYS_B`` reads three files of token lines in
conlleval's layout (the format ``crftagger evaluate`` reads: one token per
line, fields separated by whitespace or ``--delimiter``, a blank line or a
``-X-`` line ends a sentence, ``-DOCSTART-`` lines open a document). The
token (first field) and the sentence boundaries must be the same in all
three; the tag is the last field of each file, or the columns given by
``--columns G,A,B`` (1-based, negative counts from the end; default
``-1,-1,-1``). ``crftagger compare FILE`` reads one file whose columns hold
the gold tag and the two systems' tags (default ``--columns -3,-2,-1``).

It prints each system's span F1 (as ``crftagger evaluate`` computes it),
their difference, a paired bootstrap confidence interval of the difference
and an approximate-randomisation p-value, per type and overall, resampling
sentences or, with ``--unit document``, documents
(:mod:`crftagger.analysis.significance`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from crftagger.cli.evaluate import BOUNDARY, DOCSTART, _check_count, _fields, _not_conllu
from crftagger.errors import EvalFormatError, UserError


@dataclass
class Table:
    """A file of token lines: ``rows[k][i]`` the fields of token ``i`` of sentence ``k``.

    ``lines[k][i]`` is that token's line number; ``doc_starts[k]`` is true when
    a ``-DOCSTART-`` line comes before sentence ``k`` (and after sentence
    ``k - 1``); ``n_fields`` the number of fields of every token line.
    """

    name: str
    rows: list[list[list[str]]] = field(default_factory=list)
    lines: list[list[int]] = field(default_factory=list)
    doc_starts: list[bool] = field(default_factory=list)
    n_fields: int = 0
    end_line: int = 0

    @property
    def tokens(self) -> list[list[str]]:
        return [[f[0] for f in s] for s in self.rows]

    def column(self, index: int) -> list[list[str]]:
        """Tags of a 1-based column (negative: from the end), one list per sentence."""
        i = self.check_column(index)
        return [[f[i] for f in s] for s in self.rows]

    def check_column(self, index: int) -> int:
        n = self.n_fields
        if index == 0 or not -n <= index <= n:
            line = self.lines[0][0] if self.lines else 1
            raise EvalFormatError(
                f"{self.name}:{line}: column {index} asked for, but token lines have {n} "
                f"fields; expected a column between 1 and {n}, or -{n} to -1 from the end"
            )
        return index - 1 if index > 0 else n + index


def read_table(
    lines: Iterable[str],
    name: str = "<stdin>",
    delimiter: str | None = None,
    docstart: str = "boundary",
) -> Table:
    """Read token lines with ``crftagger evaluate``'s rules, keeping every field.

    ``docstart="boundary"``: a ``-DOCSTART-`` line ends a sentence and opens a
    document; ``"token"``: it is also read as a token (as ``crftagger
    evaluate`` does by default, so that the sentences line up with its tags).
    """
    if docstart not in ("token", "boundary"):
        raise ValueError(f"docstart must be 'token' or 'boundary', not {docstart!r}")
    t = Table(name)
    rows: list[list[str]] = []
    nums: list[int] = []
    n_fields = None
    first_line = 0
    new_doc = False
    lineno = 0

    def flush():
        nonlocal rows, nums, new_doc
        if rows:
            t.rows.append(rows)
            t.lines.append(nums)
            t.doc_starts.append(new_doc)
            rows, nums, new_doc = [], [], False

    for lineno, fields in _fields(lines, delimiter):
        if fields is not None and fields[0] == DOCSTART:
            flush()
            new_doc = True
            if docstart == "boundary":
                continue
        if fields is None or fields[0] == BOUNDARY:
            if fields is not None:
                n_fields, first_line = _check_count(fields, n_fields, first_line, lineno, name)
            flush()
            continue
        n_fields, first_line = _check_count(fields, n_fields, first_line, lineno, name)
        rows.append(fields)
        nums.append(lineno)
    flush()
    t.n_fields = n_fields or 0
    t.end_line = lineno
    return t


def read_file(path: str, delimiter: str | None) -> Table:
    if path == "-":
        return read_table(sys.stdin, "<stdin>", delimiter)
    _not_conllu(path)
    with open(path, encoding="utf-8") as fh:
        try:
            table = read_table(fh, path, delimiter)
        except UnicodeDecodeError as exc:
            raise EvalFormatError(f"{path}: not UTF-8 text ({exc})") from None
    if not table.rows:
        raise EvalFormatError(f"{path}: found no token lines; expected one token per line")
    return table


def check_same_tokens(ref: Table, other: Table) -> None:
    """Raise :class:`EvalFormatError` at the first token or sentence boundary that differs."""
    for k, (a, b) in enumerate(zip(ref.rows, other.rows, strict=False)):
        for i, (fa, fb) in enumerate(zip(a, b, strict=False)):
            if fa[0] != fb[0]:
                raise EvalFormatError(
                    f"{other.name}:{other.lines[k][i]}: found token {fb[0]!r}, but "
                    f"{ref.name}:{ref.lines[k][i]} has {fa[0]!r}; expected the same tokens "
                    "in the same order in every file"
                )
        if len(a) != len(b):
            short, long_ = (other, ref) if len(b) < len(a) else (ref, other)
            n = min(len(a), len(b))
            raise EvalFormatError(
                f"{short.name}:{short.lines[k][-1] + 1}: sentence {k + 1} ends after {n} "
                f"tokens, but in {long_.name} it goes on at line {long_.lines[k][n]}; "
                "expected the same sentence boundaries in every file"
            )
    if len(ref.rows) != len(other.rows):
        short, long_ = (other, ref) if len(other.rows) < len(ref.rows) else (ref, other)
        n = len(short.rows)
        raise EvalFormatError(
            f"{short.name}:{short.end_line}: the file ends after {n} sentences, but "
            f"{long_.name} goes on with sentence {n + 1} at line {long_.lines[n][0]}; "
            "expected the same sentences in every file"
        )


def _parse_columns(text: str | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if text is None:
        return default
    parts = text.split(",")
    try:
        cols = tuple(int(p) for p in parts)
    except ValueError:
        cols = ()
    if len(cols) != 3 or 0 in cols:
        raise UserError(
            f"--columns {text!r}: expected three column numbers G,A,B (1-based, negative "
            "from the end), e.g. -3,-2,-1"
        )
    return cols  # type: ignore[return-value]


def run(args) -> int:
    from crftagger.analysis.significance import compare, document_units

    delimiter = args.delimiter
    if delimiter is not None:
        delimiter = delimiter.encode().decode("unicode_escape")  # allow '\t'
        if not delimiter:
            raise UserError("--delimiter must not be empty")
    if len(args.files) not in (1, 3):
        raise UserError(
            f"found {len(args.files)} files; expected GOLD SYS_A SYS_B, or one file with "
            "the gold and both systems' tags in columns (--columns G,A,B)"
        )
    if args.strict and not args.scheme:
        raise UserError("--strict needs --scheme (one of io, iob1, iob2, ioe1, ioe2, bioes, bilou)")
    if args.scheme and not args.strict:
        raise UserError("--scheme is only used with --strict")
    if len(args.files) == 1:
        cg, ca, cb = _parse_columns(args.columns, (-3, -2, -1))
        table = read_file(args.files[0], delimiter)
        gold_t = a_t = b_t = table
        names = (f"{table.name} column {ca}", f"{table.name} column {cb}")
    else:
        cg, ca, cb = _parse_columns(args.columns, (-1, -1, -1))
        gold_t, a_t, b_t = (read_file(f, delimiter) for f in args.files)
        check_same_tokens(gold_t, a_t)
        check_same_tokens(gold_t, b_t)
        names = (a_t.name, b_t.name)
    gold, pred_a, pred_b = gold_t.column(cg), a_t.column(ca), b_t.column(cb)
    units = None
    if args.unit == "document":
        if not any(gold_t.doc_starts):
            raise UserError(
                f"{gold_t.name}: found no -DOCSTART- line; --unit document splits "
                "documents at -DOCSTART- lines (use --unit sentence)"
            )
        units = document_units(gold_t.doc_starts)
    for opt, value in (("--samples", args.samples), ("--permutations", args.permutations)):
        if value is not None and value < 1:
            raise UserError(f"{opt}: found {value}; expected a whole number >= 1")
    if not 0 < args.level < 1:
        raise UserError(f"--level: found {args.level}; expected a number between 0 and 1")
    mode = "strict" if args.strict else "conlleval"
    result = compare(
        gold,
        pred_a,
        pred_b,
        units=units,
        unit=args.unit,
        samples=args.samples,
        permutations=args.permutations,
        seed=args.seed,
        level=args.level,
        mode=mode,
        scheme=args.scheme,
        names=names,
    )
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(result.to_text())
    return 0


def register(sub):
    p = sub.add_parser(
        "compare",
        help="span F1 of two systems with a bootstrap interval and a randomisation p-value",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="GOLD SYS_A SYS_B, or one file")
    p.add_argument(
        "--columns",
        default=None,
        help="tag columns G,A,B (1-based, negative from the end; default -1,-1,-1 for three "
        "files, -3,-2,-1 for one); write --columns=-2,-1,-1 when the first is negative",
    )
    p.add_argument(
        "--unit",
        choices=("sentence", "document"),
        default="sentence",
        help="what is resampled (documents split at -DOCSTART- lines; default: sentence)",
    )
    p.add_argument(
        "--samples", type=int, default=10_000, help="bootstrap resamples (default 10000)"
    )
    p.add_argument(
        "--permutations",
        type=int,
        default=None,
        help="approximate-randomisation shuffles (default: as --samples)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--level", type=float, default=0.95, help="confidence level of the interval (0.95)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "-d", "--delimiter", default=None, help="field delimiter (default: runs of whitespace)"
    )
    p.add_argument(
        "--strict", action="store_true", help="strict span decoding with --scheme (as seqeval)"
    )
    p.add_argument("--scheme", default=None, help="tag scheme for --strict")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------- evaluate --errors


def add_error_arguments(p) -> None:
    """``--errors``, ``--errors-json FILE``, ``--errors-png FILE`` for ``crftagger evaluate``."""
    p.add_argument(
        "--errors",
        action="store_true",
        help="also print the span errors: classes per type, confusion of span types, examples",
    )
    p.add_argument("--errors-json", default=None, metavar="FILE", help="write them as JSON")
    p.add_argument(
        "--errors-png", default=None, metavar="FILE", help="write them as a figure (matplotlib)"
    )
    p.add_argument(
        "--errors-examples",
        type=int,
        default=5,
        metavar="N",
        help="examples per class and type (default 5)",
    )


def write_errors(args, name: str, lines: list[str], gold, pred, mode: str) -> None:
    """The ``--errors*`` outputs of ``crftagger evaluate`` (nothing unless one is given).

    ``lines``: the input's lines as ``evaluate`` read them (for the tokens);
    ``gold``, ``pred``: its tags.
    """
    from crftagger.analysis.errors import error_report
    from crftagger.metrics import raw_tags
    from crftagger.schemes import OUTSIDE

    if not (
        getattr(args, "errors", False)
        or getattr(args, "errors_json", None)
        or getattr(args, "errors_png", None)
    ):
        return
    delimiter = args.delimiter
    if delimiter is not None:
        delimiter = delimiter.encode().decode("unicode_escape")
    table = read_table(lines, name, delimiter, args.docstart)
    outside = getattr(args, "outside_tag", OUTSIDE)
    if getattr(args, "raw", False):
        gold = [raw_tags(s, outside) for s in gold]
        pred = [raw_tags(s, outside) for s in pred]
    elif outside != OUTSIDE:
        gold = [[OUTSIDE if t == outside else t for t in s] for s in gold]
        pred = [[OUTSIDE if t == outside else t for t in s] for s in pred]
    try:
        report = error_report(
            gold,
            pred,
            table.tokens,
            # conlleval.pl's counting gives no spans: read them as conlleval mode does
            mode="conlleval" if mode == "conlleval.pl" else mode,
            scheme=args.scheme,
            max_examples=getattr(args, "errors_examples", 5),
            lines=[s[0] for s in table.lines],
        )
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if args.errors:
        sys.stdout.write("\n" + report.to_text())
    if args.errors_json:
        with open(args.errors_json, "w", encoding="utf-8") as fh:
            fh.write(report.to_json(pairs=True) + "\n")
    if args.errors_png:
        report.plot(args.errors_png)
