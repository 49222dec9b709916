"""``crftagger evaluate``: conlleval's report for a file of ``token ... gold pred`` lines.

Input format (conlleval's): one token per line, fields separated by
whitespace (or by ``--delimiter``), the last two fields being the gold and
the predicted tag; a blank (or whitespace-only) line or a line whose first
field is ``-X-`` ends a sentence. Every other line must have the same number
of fields as the first one.

``-DOCSTART-`` lines: conlleval.pl has no rule for them, so a
``-DOCSTART- -X- -X- O O`` line is read as one more token tagged ``O``/``O``;
it ends any phrase (it is ``O``) and adds one to the token count (on the
CoNLL-2003 test set conlleval.pl prints "processed 46666 tokens", i.e. 46,435
tokens plus 231 document lines). That is the default (``--docstart token``).
``--docstart boundary`` reads them as sentence boundaries instead: they are
not counted and their number of fields is not checked.

On B/I/O and I/E/O files the figures are conlleval.pl's. conlleval.pl has no
rule for ``S-``, ``L-`` and ``U-`` and reads ``E-X B-X`` as one phrase; here
``S-X`` is a one-token phrase and ``E-X`` ends one (seqeval's default mode),
so on B/I/E/S files the counts can differ from conlleval.pl's. When they do,
a note on stderr gives conlleval.pl's counts; ``--conlleval-pl`` prints
conlleval.pl's figures instead, and ``--strict --scheme bioes`` (or
``bilou``) reads the tags with the scheme's rules.

``-o TAG`` (the outside tag) applies with or without ``-r`` here;
conlleval.pl applies it only with ``-r`` and otherwise reads ``TAG`` as a
phrase tag without a type. With ``-r`` the figures are the same.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from crftagger.errors import EvalFormatError

BOUNDARY = "-X-"
DOCSTART = "-DOCSTART-"


def read_conlleval(
    lines: Iterable[str],
    name: str = "<stdin>",
    delimiter: str | None = None,
    docstart: str = "token",
) -> tuple[list[list[str]], list[list[str]]]:
    """Read conlleval's input format; return ``(gold, pred)`` lists of tag sequences.

    ``delimiter=None`` splits on runs of whitespace. Errors name the file
    (``name``), the line, what was found and what was expected.
    """
    if docstart not in ("token", "boundary"):
        raise ValueError(f"docstart must be 'token' or 'boundary', not {docstart!r}")
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    g: list[str] = []
    p: list[str] = []
    n_fields = None
    first_line = 0
    for lineno, fields in _fields(lines, delimiter):
        if (
            fields is None
            or fields[0] == BOUNDARY
            or (docstart == "boundary" and fields[0] == DOCSTART)
        ):
            if fields is not None and fields[0] == BOUNDARY:
                n_fields, first_line = _check_count(fields, n_fields, first_line, lineno, name)
            if g:
                gold.append(g)
                pred.append(p)
                g, p = [], []
            continue
        n_fields, first_line = _check_count(fields, n_fields, first_line, lineno, name)
        if len(fields) < 2:
            raise EvalFormatError(
                f"{name}:{lineno}: found {len(fields)} field ({fields[0]!r}); expected at least "
                "2 fields, the last two being the gold tag and the predicted tag"
            )
        g.append(fields[-2])
        p.append(fields[-1])
    if g:
        gold.append(g)
        pred.append(p)
    return gold, pred


def _fields(lines: Iterable[str], delimiter: str | None) -> Iterator[tuple[int, list | None]]:
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            yield lineno, None
        elif delimiter is None:
            yield lineno, line.split()
        else:
            yield lineno, line.split(delimiter)


def _check_count(fields, n_fields, first_line, lineno, name):
    if n_fields is None:
        return len(fields), lineno
    if len(fields) != n_fields:
        raise EvalFormatError(
            f"{name}:{lineno}: found {len(fields)} fields; expected {n_fields} as on line "
            f"{first_line} (every token line has the same number of fields)"
        )
    return n_fields, first_line


def _not_conllu(path) -> None:
    """A CoNLL-U file has no predicted tags: say so rather than fail on its comment lines."""
    from crftagger.corpora.detect import detect_format

    try:
        found = detect_format(path)
    except ValueError:
        return  # undecodable bytes: read_conlleval names them
    if found == "conllu":
        raise EvalFormatError(
            f"{path}: found CoNLL-U (ten tab-separated fields per word); expected conlleval's "
            "'token ... gold predicted' lines. To score a model on this file, give "
            "--model MODEL (the gold labels are --label upos or xpos)"
        )


GAP_PREFIXES = ("S", "E", "L", "U")


def scheme_note(gold, pred) -> str | None:
    """Say so when gold and predictions write the same spans in two schemes.

    CoNLL-2003's gold tags are IOB1 while a tagger answers in IOB2: the span
    scores read both, but the accuracy line compares the tags as written.
    Returns ``None`` when both sides fit one scheme (or either fits none).
    """
    from crftagger import metrics, schemes

    try:
        g_scheme = schemes.detect_scheme(gold, tolerance=0.001)
        p_scheme = schemes.detect_scheme(pred, tolerance=0.001)
    except schemes.SchemeError:
        return None
    if g_scheme == p_scheme or "io" in (g_scheme, p_scheme):
        return None
    try:
        again = [schemes.convert(s, None, g_scheme, repair="begin") for s in pred]
    except (schemes.SchemeError, ValueError):
        return None
    before, after = metrics.token_accuracy(gold, pred), metrics.token_accuracy(gold, again)
    # a note only when the gold tags break the predictions' scheme and rewriting helps
    if after <= before or not schemes.scheme_violations(gold, [p_scheme]).get(p_scheme):
        return None
    return (
        f"the gold tags read as {g_scheme.upper()} and the predictions as {p_scheme.upper()}: "
        f"the accuracy line compares the tags as written ({100 * before:.2f}%); with the "
        f"predictions written in {g_scheme.upper()} it is {100 * after:.2f}% (`crftagger "
        f"convert --from {p_scheme} --to {g_scheme}` rewrites the last column). The phrase "
        "scores read both schemes alike"
    )


def perl_note(gold, pred, scores) -> str | None:
    """Say how conlleval.pl would count differently, or ``None`` when it counts the same.

    Only tags with the prefixes ``S-``, ``E-``, ``L-``, ``U-`` can make the
    default reading differ from conlleval.pl's.
    """
    from crftagger import metrics

    prefixes = {t.partition("-")[0] for seqs in (gold, pred) for s in seqs for t in s if "-" in t}
    seen = sorted(prefixes & set(GAP_PREFIXES))
    if not seen:
        return None
    perl = metrics.span_scores(gold, pred, metrics.PERL, zero_division=0)
    ours = {t: (v.gold, v.predicted, v.correct) for t, v in scores.per_type.items()}
    theirs = {t: (v.gold, v.predicted, v.correct) for t, v in perl.per_type.items()}
    if ours == theirs:
        return None
    scheme = "bilou" if prefixes & {"L", "U"} else "bioes"
    m, c = scores.micro, perl.micro
    return (
        f"{', '.join(x + '-' for x in seen)} tags are read here as their scheme means them "
        "(S-/U- a one-token phrase, E-/L- the end of one), as seqeval's default mode does; "
        "conlleval.pl has no rule for S-, L-, U- and reads E-X B-X as one phrase, so it "
        f"would report {c.gold} phrases, found {c.predicted}, correct {c.correct} "
        f"(FB1 {100 * c.f1:.2f}) where this report has {m.gold}, {m.predicted}, {m.correct} "
        f"(FB1 {100 * m.f1:.2f}). --conlleval-pl prints conlleval.pl's figures; "
        f"--strict --scheme {scheme} reads the tags with the {scheme.upper()} rules"
    )


def run(args) -> int:
    from crftagger import metrics

    if getattr(args, "model", None):
        from crftagger.cli.evaluate_model import run_model

        if args.errors or args.errors_json or args.errors_png:
            raise ValueError(
                "--errors, --errors-json and --errors-png read a file of 'token ... gold pred' "
                "lines; with --model, write the model's answers with `crftagger tag -f conll` "
                "and evaluate that file"
            )
        return run_model(args)
    for name in ("format", "label"):
        value = getattr(args, name, None)
        if value not in (None, "auto"):
            raise ValueError(
                f"--{name} goes with --model (it reads the gold labels of a model's test file)"
            )
    if args.strict and not args.scheme:
        raise ValueError(
            "--strict needs --scheme (one of io, iob1, iob2, ioe1, ioe2, bioes, bilou)"
        )
    if args.scheme and not args.strict:
        raise ValueError("--scheme is only used with --strict")
    if args.conlleval_pl and args.strict:
        raise ValueError("--conlleval-pl and --strict are two readings of the tags; choose one")
    delimiter = args.delimiter
    if delimiter is not None:
        delimiter = delimiter.encode().decode("unicode_escape")  # allow '\t'
        if not delimiter:
            raise ValueError("--delimiter must not be empty")
    # the lines are kept only for --errors (its examples show the tokens); else streamed
    keep = bool(args.errors or args.errors_json or args.errors_png)
    lines: list[str] = []
    if args.file in (None, "-"):
        if keep:
            lines = sys.stdin.readlines()
        gold, pred = read_conlleval(
            lines if keep else sys.stdin, "<stdin>", delimiter, args.docstart
        )
    else:
        _not_conllu(args.file)
        with open(args.file, encoding="utf-8") as fh:
            try:
                if keep:
                    lines = fh.readlines()
                gold, pred = read_conlleval(
                    lines if keep else fh, args.file, delimiter, args.docstart
                )
            except UnicodeDecodeError as exc:
                raise EvalFormatError(f"{args.file}: not UTF-8 text ({exc})") from None
    name = "<stdin>" if args.file in (None, "-") else args.file
    mode = metrics.PERL if args.conlleval_pl else "strict" if args.strict else "conlleval"
    g, p = gold, pred  # the tags as conlleval reads them: -r and -o applied
    if args.raw:
        g = [metrics.raw_tags(s, args.outside_tag) for s in gold]
        p = [metrics.raw_tags(s, args.outside_tag) for s in pred]
    elif args.outside_tag != "O":
        g = [["O" if t == args.outside_tag else t for t in s] for s in gold]
        p = [["O" if t == args.outside_tag else t for t in s] for s in pred]
    try:
        scores = metrics.span_scores(g, p, mode, args.scheme, zero_division=0)
        report = metrics.conlleval_report(g, p, scores=scores)
        note = perl_note(g, p, scores) if mode == "conlleval" else None
        tags_note = scheme_note(g, p) if not args.raw else None
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    sys.stdout.write(report)
    for text in (note, tags_note):
        if text:
            sys.stderr.write(f"note: {name}: {text}\n")
    if args.labels:
        sys.stdout.write("\n" + metrics.label_report(gold, pred))
    if args.confusion:
        sys.stdout.write("\n" + metrics.format_confusion(*metrics.confusion_matrix(gold, pred)))
    from crftagger.cli.compare import write_errors

    write_errors(args, name, lines, gold, pred, mode)
    return 0


def register(sub):
    p = sub.add_parser(
        "evaluate",
        help="conlleval report for 'token ... gold pred' lines",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("file", nargs="?", default=None, help="input file (default: stdin)")
    p.add_argument(
        "-d", "--delimiter", default=None, help="field delimiter (default: runs of whitespace)"
    )
    p.add_argument(
        "-r",
        "--raw",
        action="store_true",
        help="tags have no B-/I- prefix: every tag other than O is a one-token phrase",
    )
    p.add_argument("-o", "--outside-tag", default="O", help="the outside tag (default: O)")
    p.add_argument(
        "--strict", action="store_true", help="strict span decoding with --scheme (as seqeval)"
    )
    p.add_argument("--scheme", default=None, help="tag scheme for --strict")
    p.add_argument(
        "--conlleval-pl",
        action="store_true",
        help="count exactly as conlleval.pl does, rule by rule (it has no rule for S-, L-, U- "
        "and reads E-X B-X as one phrase)",
    )
    p.add_argument(
        "--docstart",
        choices=("token", "boundary"),
        default="token",
        help="-DOCSTART- lines: an O token as in conlleval.pl (default) or a boundary",
    )
    p.add_argument(
        "--labels", action="store_true", help="also print token-level scores of every tag"
    )
    p.add_argument("--confusion", action="store_true", help="also print the tag confusion matrix")
    from crftagger.cli.compare import add_error_arguments

    add_error_arguments(p)
    from crftagger.cli.evaluate_model import add_model_arguments

    add_model_arguments(p)
    p.set_defaults(func=run)
