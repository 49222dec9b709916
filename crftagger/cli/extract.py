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

``--dask local`` tags the files on a new :class:`distributed.LocalCluster`
of ``--workers`` processes, ``--scheduler ADDRESS`` on a running Dask
cluster (the files and the model must be readable at the same paths on the
workers); each worker opens the model once. The records are the same as
without Dask and are written in file order, each file as soon as it and
the files before it are done. ``--parquet DIR`` writes each file's records
to ``DIR/part-NNNNN.parquet`` instead (needs pandas and pyarrow).
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
    if getattr(args, "parquet", None) and not (args.dask or args.scheduler):
        raise ExtractInputError(
            "--parquet writes the partitions of a Dask run: add --dask local or --scheduler ADDRESS"
        )
    if args.dask or args.scheduler:
        return _run_dask(args, files, labels)
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
            **_options(args, labels),
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
    return _summary(args, reports)


def _options(args, labels) -> dict:
    """The extraction options of the command line, the same for local and Dask runs."""
    return dict(
        unit=args.unit,
        batch_size=args.batch_size,
        labels=labels,
        min_confidence=args.min_confidence,
        chunk_chars=args.chunk_chars,
        id_field=args.id_field,
        text_field=args.text_field,
    )


def _parquet_writer(folder: str):
    """``write(i, records)``: the records of file ``i`` as ``folder/part-0000i.parquet``."""
    from crftagger.api.extract import ExtractInputError

    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ExtractInputError(
            f"--parquet needs pandas and pyarrow, which are not installed ({exc.name} is "
            "missing): pip install pandas pyarrow, or write JSON Lines with --out"
        ) from None
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ExtractInputError(f"--parquet {folder}: is a file; expected a folder")
    os.makedirs(folder, exist_ok=True)

    def write(i: int, records: list[dict]) -> None:
        rows = [
            {
                k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v)
                for k, v in r.items()
            }
            for r in records
        ]
        pd.DataFrame(rows).to_parquet(os.path.join(folder, f"part-{i:05d}.parquet"), index=False)

    return write


def _run_dask(args, files: list[str], labels) -> int:
    """``run`` with the files tagged on Dask workers (see the module docstring)."""
    from crftagger.api.extract import ExtractInputError, FileReport, _check_threshold
    from crftagger.dask.tagging import connect, extract_files_dask
    from crftagger.io.open import model_format

    if args.dask and args.scheduler:
        raise ExtractInputError("give --dask local or --scheduler ADDRESS, not both")
    _check_threshold(args.min_confidence)
    model_format(args.model)  # a file of another kind fails before any cluster starts
    out_path = args.out
    if out_path is not None and os.path.isdir(out_path):
        raise ExtractInputError(f"--out {out_path}: is a folder; expected a file name")
    write_part = _parquet_writer(args.parquet) if args.parquet else None
    client, cluster = connect(args.scheduler, workers=args.workers, timeout=args.dask_timeout)
    out = None
    reports: list = []
    try:
        if write_part is None:
            out = open(out_path, "w", encoding="utf-8") if out_path else sys.stdout
        bar = None
        if not args.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=len(files), unit="file", desc="extract", file=sys.stderr)
        answers = extract_files_dask(
            client,
            args.model,
            files,
            feature_set=getattr(args, "feature_set", None),
            **_options(args, labels),
        )
        for i, (records, fields) in enumerate(answers):
            rep = FileReport(**fields)
            reports.append(rep)
            if rep.error:
                msg = f"crftagger extract: error: {rep.error}"
                if bar is not None:
                    bar.write(msg, file=sys.stderr)
                else:
                    print(msg, file=sys.stderr)
            elif write_part is not None:
                write_part(i, records)
            if out is not None:
                out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
                out.flush()
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
        client.close()
        if cluster is not None:
            cluster.close()
    return _summary(args, reports)


def _summary(args, reports) -> int:
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
    p.add_argument(
        "--dask",
        choices=("local",),
        default=None,
        help="tag the files on a new local Dask cluster of --workers processes",
    )
    p.add_argument(
        "--scheduler", default=None, help="tag the files on the Dask cluster of this scheduler"
    )
    p.add_argument("--workers", type=int, default=2, help="with --dask local: worker processes")
    p.add_argument(
        "--dask-timeout",
        type=float,
        default=10.0,
        help="with --scheduler: seconds to wait for the scheduler",
    )
    p.add_argument(
        "--parquet",
        default=None,
        metavar="DIR",
        help="with Dask: write each file's records to DIR/part-NNNNN.parquet (pandas, pyarrow)",
    )
    p.set_defaults(func=run)
