"""``crftagger corpora``: list, count, download and verify the registered corpora.

Files are looked up in ``--data-dir`` (or ``$CRFTAGGER_DATA``), then in the user
cache; ``download`` writes to ``--dest``, else ``--data-dir``/``$CRFTAGGER_DATA``,
else the user cache.
"""

from __future__ import annotations

import argparse
import sys


def register(sub):
    p = sub.add_parser(
        "corpora",
        help="list, count, download and verify the registered corpora",
        description="List, count, download and verify the registered evaluation corpora.",
    )
    csub = p.add_subparsers(dest="corpora_command", metavar="ACTION")

    lp = csub.add_parser("list", help="registered corpora and whether their files are found")
    lp.set_defaults(func=cmd_list)

    sp = csub.add_parser("stats", help="sentences, tokens, document starts and spans per split")
    sp.add_argument("name", help="registered corpus name")
    sp.add_argument("--split", choices=("train", "dev", "test"), help="only this split")
    sp.add_argument("--label-column", help="count this column instead of the corpus' label column")
    sp.set_defaults(func=cmd_stats)

    dp = csub.add_parser("download", help="fetch a corpus from its official source, checksummed")
    dp.add_argument("name", help="registered corpus name")
    dp.add_argument("--dest", help="root folder (files go to DEST/NAME/)")
    dp.add_argument("--force", action="store_true", help="fetch again even if files are valid")
    dp.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    dp.set_defaults(func=cmd_download)

    vp = csub.add_parser("verify", help="check size and sha256 of the local files of a corpus")
    vp.add_argument("name", help="registered corpus name")
    vp.set_defaults(func=cmd_verify)

    for action in (lp, sp, dp, vp):
        # Also accepted after the action; SUPPRESS keeps the global option's value otherwise.
        action.add_argument(
            "--data-dir",
            default=argparse.SUPPRESS,
            help="folder holding the corpora (same as the global --data-dir)",
        )
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines)


def cmd_list(args) -> int:
    from crftagger.corpora import registry

    rows = []
    for name in registry.names():
        info = registry.get(name)
        found = [registry.find_file(info, sp, args.data_dir) for sp in info.splits]
        n = sum(p is not None for p in found)
        if n == len(found):
            where = str(found[0].parent)
            state = "found"
        elif n:
            where = str(next(p for p in found if p is not None).parent)
            state = f"partial ({n}/{len(found)})"
        else:
            where = "-"
            state = "missing"
        rows.append([name, info.task, info.scheme or "-", "/".join(info.splits), state, where])
    print(_table(["name", "task", "scheme", "splits", "files", "where"], rows))
    roots = ", ".join(str(r) for r in registry.search_roots(args.data_dir))
    print(f"\nsearched: {roots}")
    if any(r[4] != "found" for r in rows):
        print("get a missing corpus with: crftagger corpora download NAME")
    return 0


def cmd_stats(args) -> int:
    from crftagger.corpora import registry, stats

    info = registry.get(args.name)
    splits = [args.split] if args.split else list(info.splits)
    for sp in splits:
        info.file(sp)
    results = [
        stats.split_stats(info, sp, args.data_dir, label_column=args.label_column) for sp in splits
    ]
    print(f"{info.name}: {info.title} ({info.task}, scheme {info.scheme or '-'})")
    for r in results:
        print(f"  {r.split}: {r.path}")
    print()
    print(stats.format_table(info, results))
    problems = []
    compared = 0
    for r in results:
        exp = info.expected.get(r.split)
        if exp is not None and (
            r.label_column == info.label_column or r.label_column in exp.column_spans
        ):
            compared += 1
            problems += r.mismatches(exp)
    if problems:
        print("\ndiffers from the registered counts:", file=sys.stderr)
        for m in problems:
            print(f"  {m}", file=sys.stderr)
        return 1
    if compared:
        print("\nall counts agree with the registry")
    else:
        print(f"\n(no registered counts for column {results[0].label_column!r})")
    return 0


def cmd_download(args) -> int:
    from crftagger import config
    from crftagger.corpora import download, registry

    info = registry.get(args.name)
    dest = args.dest or config.data_dir(args.data_dir) or config.cache_dir()
    print(f"{info.name}: licence: {info.licence}")
    try:
        results = download.download(
            info, dest, force=args.force, timeout=args.timeout, log=lambda m: print(f"  {m}")
        )
    except download.DownloadError as exc:
        from crftagger.errors import UserError

        raise UserError(
            f"{exc} (nothing was written; try again, or fetch the file by hand "
            f"and check it with `crftagger corpora verify {info.name}`)"
        ) from exc
    for r in results:
        print(f"  {r.action:10s} {r.path}")
    return 0


def cmd_verify(args) -> int:
    from crftagger.corpora import download, registry

    info = registry.get(args.name)
    results = download.verify(info, args.data_dir)
    rows = []
    for r in results:
        detail = ""
        if r.status == "mismatch":
            detail = f"expected {r.expected_sha256} ({r.expected_size} B), found {r.found_sha256} ({r.found_size} B)"
        rows.append([r.split, r.filename, r.status, str(r.path or "-"), detail])
    print(_table(["split", "file", "status", "path", "detail"], rows))
    bad = [r for r in results if r.status != "ok"]
    if bad:
        print(
            f"\n{len(bad)} file(s) missing or wrong; fetch them with "
            f"`crftagger corpora download {info.name}`",
            file=sys.stderr,
        )
        return 1
    return 0
