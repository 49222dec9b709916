"""``crftagger resources``: list, verify, locate and download the registered resources.

Files are looked up in ``--resources-dir`` (or ``$CRFTAGGER_RESOURCES``), then in the
user cache; ``download`` writes to ``--dest``, else the user cache.
"""

from __future__ import annotations

import os
import sys

from crftagger.cli.corpora import _table


def register(sub):
    p = sub.add_parser(
        "resources",
        help="list, verify, locate and download word clusters, lists and frequency tables",
        description="List, verify, locate and download the registered external resources "
        "(word clusters, word lists, word frequencies, vectors).",
    )
    rsub = p.add_subparsers(dest="resources_command", metavar="ACTION")
    lp = rsub.add_parser("list", help="registered resources, their licence and whether found")
    lp.set_defaults(func=cmd_list)
    vp = rsub.add_parser("verify", help="check the sha256 of the local files of a resource")
    vp.add_argument("name", help="registered resource name")
    vp.set_defaults(func=cmd_verify)
    pp = rsub.add_parser("path", help="print where a resource's file is found")
    pp.add_argument("name", help="registered resource name")
    pp.add_argument("file", nargs="?", help="file of the resource (default: its folder)")
    pp.set_defaults(func=cmd_path)
    dp = rsub.add_parser("download", help="fetch a resource from its source, checksummed")
    dp.add_argument("name", help="registered resource name")
    dp.add_argument("--dest", help="root folder (files go to DEST/FOLDER/)")
    dp.add_argument("--force", action="store_true", help="fetch again even if files are valid")
    dp.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    dp.set_defaults(func=cmd_download)
    for action in (lp, vp, pp, dp):
        action.add_argument(
            "--resources-dir",
            default=None,
            help="folder holding the resources (default: $CRFTAGGER_RESOURCES, then the user cache)",
        )
    p.set_defaults(func=lambda args: p.print_help() or 2)


def cmd_list(args) -> int:
    from crftagger import resources

    rows = []
    for name in resources.names():
        r = resources.get(name)
        found = [resources.find(r, f.path, args.resources_dir) for f in r.files]
        n = sum(p is not None for p in found)
        state = "found" if n == len(found) else (f"partial ({n}/{len(found)})" if n else "missing")
        licence = r.licence.split(" (")[0].split(";")[0]
        rows.append([name, r.kind, str(len(r.files)), state, licence, r.task])
    print(_table(["name", "kind", "files", "state", "licence", "task"], rows))
    roots = ", ".join(str(p) for p in resources.search_roots(args.resources_dir))
    print(f"\nsearched: {roots}")
    return 0


def cmd_verify(args) -> int:
    from crftagger import resources

    r = resources.get(args.name)
    results = resources.verify(r, args.resources_dir)
    rows = []
    for v in results:
        detail = ""
        if v.status == "mismatch":
            detail = f"expected {v.expected_sha256}, found {v.found_sha256}"
        elif v.status == "unpinned":
            detail = f"no registered sha256 (found {v.found_sha256})"
        rows.append([v.filename, v.status, str(v.path or "-"), detail])
    print(_table(["file", "status", "path", "detail"], rows))
    bad = [v for v in results if v.status != "ok"]
    if bad:
        print(
            f"\n{len(bad)} file(s) missing, wrong or unpinned; fetch them with "
            f"`crftagger resources download {r.name}`",
            file=sys.stderr,
        )
        return 1
    print(f"\n{r.name}: {len(results)} file(s) ok; licence: {r.licence}")
    return 0


def cmd_path(args) -> int:
    from crftagger import resources

    r = resources.get(args.name)
    if args.file is not None:
        print(resources.locate(r, args.file, args.resources_dir))
        return 0
    paths = [resources.locate(r, f.path, args.resources_dir) for f in r.files]
    print(paths[0] if len(paths) == 1 else os.path.commonpath(paths))
    return 0


def cmd_download(args) -> int:
    from crftagger import resources
    from crftagger.errors import DownloadError, UserError

    r = resources.get(args.name)
    print(f"{r.name}: licence: {r.licence}")
    try:
        results = resources.download(
            r, args.dest, force=args.force, timeout=args.timeout, log=lambda m: print(f"  {m}")
        )
    except DownloadError as exc:
        raise UserError(
            f"{exc} (nothing was written; try again, or fetch the files by hand and check them "
            f"with `crftagger resources verify {r.name}`)"
        ) from exc
    for res in results:
        print(f"  {res.action:10s} {res.path}")
    return 0
