"""``crftagger extract``: entities out of any number of files, as JSON Lines for indexing.

``crftagger extract FILES... -m MODEL --out entities.jsonl`` tags each file
through the model's text path and writes one record per entity (document
id, label, text, character offsets, confidence) and, after each document,
a summary record (entities by label with counts and the most frequent
texts); see :mod:`crftagger.api.extract` for the records. ``--unit line``
makes each line a document, ``--unit jsonl`` reads JSON Lines with a text
field. A file that cannot be read (binary, empty, not UTF-8, bad JSON) is
reported on standard error and the other files are still processed; the
exit status is 1 when any file failed. A progress bar over the bytes read
is shown on a terminal (``--quiet`` hides it).
"""

from __future__ import annotations

import json
import os
import sys


def run(args) -> int:
    from crftagger.api.extract import ExtractInputError, extract_files
    from crftagger.cli.tag import load_model

    labels = [x.strip() for x in args.labels.split(",") if x.strip()] if args.labels else None
    files = list(args.files)
    if "-" in files:
        raise ExtractInputError("extract reads named files; '-' (standard input) is not one")
    model = load_model(args.model, getattr(args, "feature_set", None))
    out_path = args.out
    if out_path is not None and os.path.isdir(out_path):
        raise ExtractInputError(f"--out {out_path}: is a folder; expected a file name")
    # open the output first: a destination that cannot be written fails before any work
    out = open(out_path, "w", encoding="utf-8") if out_path else sys.stdout
    total = 0
    for f in files:
        try:
            total += os.path.getsize(f)
        except OSError:
            pass
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc="extract", file=sys.stderr)

    def write(rec: dict) -> None:
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def on_error(rep) -> None:
        msg = f"crftagger extract: error: {rep.error}"
        if bar is not None:
            bar.write(msg, file=sys.stderr)
        else:
            print(msg, file=sys.stderr)

    try:
        reports = extract_files(
            model,
            files,
            write,
            unit=args.unit,
            batch_size=args.batch_size,
            labels=labels,
            min_confidence=args.min_confidence,
            chunk_chars=args.chunk_chars,
            id_field=args.id_field,
            text_field=args.text_field,
            progress=None if bar is None else bar.update,
            on_error=on_error,
        )
    finally:
        if bar is not None:
            bar.close()
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
    failed = [r for r in reports if r.error]
    docs = sum(r.documents for r in reports)
    ents = sum(r.entities for r in reports)
    if not args.quiet:
        print(
            f"crftagger extract: {ents} entities in {docs} documents from "
            f"{len(reports) - len(failed)} of {len(reports)} files"
            + (f"; {len(failed)} failed" if failed else ""),
            file=sys.stderr,
        )
    return 1 if failed else 0


def register(sub):
    p = sub.add_parser(
        "extract",
        help="entities of text files as JSON Lines (a record per span, a summary per document)",
        description=__doc__.split("\n\n", 1)[1].split("\n\n")[0],
    )
    p.add_argument("files", nargs="+", help="text files (or JSON Lines with --unit jsonl)")
    p.add_argument("-m", "--model", required=True, help="model file (a tagger or a pipeline)")
    p.add_argument("-o", "--out", default=None, help="output JSON Lines file (default: stdout)")
    p.add_argument(
        "--unit",
        choices=("file", "line", "jsonl"),
        default="file",
        help="a document is a whole file (default), a line, or a JSON Lines object",
    )
    p.add_argument("--text-field", default="text", help="with --unit jsonl: the text field")
    p.add_argument("--id-field", default="id", help="with --unit jsonl: the document id field")
    p.add_argument("--labels", default=None, help="keep only these labels (comma-separated)")
    p.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        help="leave out spans whose confidence is below this (in [0, 1])",
    )
    p.add_argument("--batch-size", type=int, default=16, help="chunks tagged together")
    p.add_argument(
        "--chunk-chars",
        type=int,
        default=200_000,
        help="a long document is tagged in chunks of about this many characters",
    )
    p.add_argument("--feature-set", default=None, help="the feature set of a CRFsuite model file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary line")
    p.set_defaults(func=run)
