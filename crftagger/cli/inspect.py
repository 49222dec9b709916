"""``crftagger inspect``: what a model file holds.

Prints the header (feature set, schemes, training parameters, scores,
versions), the word-cluster tables embedded in the file (their size, the
extractors that read them and the file they came from), the gazetteers (embedded
compiled, or built at load from their source), the tag dictionary
(its size and the extractors that read it), the labels, the model size, the largest state-feature weights of
every label and the transition table (rows: previous label, columns: current
label); for a second-order model also the label pairs it decodes over and its
largest trigram weights. ``--explain "a tokenised sentence" --position I`` shows which
attributes and transitions pushed each label at one token.

CRFsuite model files (written by CRFsuite, python-crfsuite or
sklearn-crfsuite; told apart by their first bytes) are read by crftagger's
own reader: their labels, size, largest state weights and transition table.
They do not record how their attributes were computed, so ``--explain``
needs ``--feature-set``.
"""

from __future__ import annotations

import sys


def transition_table(model) -> str:
    """The transition weights as text, rows previous label, columns current label."""
    labels = model.labels.items
    T = model.transition_weights
    mask = model.trans_mask.reshape(len(labels), len(labels))
    width = max(7, *(len(x) for x in labels))
    lines = ["prev\\cur".ljust(width) + " " + " ".join(lab.rjust(width) for lab in labels)]
    for i, a in enumerate(labels):
        cells = [
            (f"{T[i, j]:+.3f}" if mask[i, j] else ".").rjust(width) for j in range(len(labels))
        ]
        lines.append(a.ljust(width) + " " + " ".join(cells))
    return "\n".join(lines) + "\n"


def trigram_lines(model, top: int) -> list[str]:
    """The ``top`` largest trigram weights by magnitude of a second-order model, one per line."""
    feats = sorted(
        model.trigram_features_.items(), key=lambda kv: (-abs(kv[1]), kv[0][1:], str(kv[0][0]))
    )
    return [f"  {x or '<s>'} {a} -> {b}: {v:+.3f}" for (x, a, b), v in feats[:top] if v != 0]


def cluster_lines(tagger) -> list[str]:
    """One line per word-cluster table the feature set reads: embedded or read from a file."""
    fs = tagger.feature_set
    users: dict[str, list[str]] = {}  # fingerprint of an embedded table, or "file:" + path
    paths: dict[str, str] = {}
    for name in fs.used_extractors():
        d = fs.extractor_def(name)
        if d["kind"] == "cluster":
            fp = d.get("fingerprint")
            key = fp if fp in tagger.clusters else "file:" + str(d["path"])
            users.setdefault(key, []).append(name)
            paths.setdefault(key, str(d["path"]))
    lines = []
    for key, names in users.items():
        table = tagger.clusters.get(key)
        if table is not None:
            lines.append(
                f"word clusters:  {len(table):,} words embedded (sha256 {key[:16]}...), read by "
                f"{', '.join(names)}; from {table.source or paths[key]}"
            )
        else:
            lines.append(
                f"word clusters:  not embedded, read from {paths[key]} by {', '.join(names)}"
            )
    return lines


def gazetteer_lines(tagger) -> list[str]:
    """One line per gazetteer the feature set reads: its size, readers, source, embedded or not."""
    fs = tagger.feature_set
    users: dict[str, list[str]] = {}
    defs: dict[str, dict] = {}
    for name in fs.used_extractors():
        d = fs.extractor_def(name)
        if d["kind"] == "gazetteer":
            key = d.get("fingerprint") or f"{d.get('source', 'entries')}:{name}"
            users.setdefault(key, []).append(name)
            defs.setdefault(key, d)
    lines = []
    for key, names in users.items():
        g = tagger.gazetteers.get(key)
        d = defs[key]
        src = d.get("source") or "inline entries"
        if g is not None:
            lines.append(
                f"gazetteer:      {len(g):,} entries embedded compiled ({key[:16]}), read by "
                f"{', '.join(names)}; from {src}"
            )
        else:
            lines.append(f"gazetteer:      built at load from {src}, read by {', '.join(names)}")
    return lines


def resource_lines(fs) -> list[str]:
    """One line per external resource the feature set read (name, sha256, licence, readers)."""
    users: dict[tuple, list[str]] = {}
    for name in fs.used_extractors():
        d = fs.extractor_def(name)
        for r in ([d["resource"]] if "resource" in d else []) + list(d.get("resources", [])):
            key = (r.get("resource"), r.get("file"), r.get("sha256"), r.get("licence"))
            users.setdefault(key, []).append(name)
    return [
        f"resource:       {res}:{file} sha256 {sha} ({lic}), read by {', '.join(n)}"
        for (res, file, sha, lic), n in users.items()
    ]


def _weights(out, m, top: int) -> None:
    from crftagger.analysis.weights import top_features

    out.write(f"\ntop {top} state features per label (attribute, weight):\n")
    for lab, feats in top_features(m, top).items():
        out.write(f"  {lab}: " + ", ".join(f"{a} {w:+.3f}" for a, w in feats) + "\n")
    out.write("\ntransition weights (rows previous, columns current; '.' = not a feature):\n")
    out.write(transition_table(m))


def _explain(out, t, args) -> None:
    tokens = args.explain.split()
    pos = args.position
    out.write(
        f"\nexplaining token {pos} ({tokens[pos] if 0 <= pos < len(tokens) else '?'}) of: "
        f"{args.explain}\n"
    )
    for d in t.explain(tokens, pos, top=args.top)[: args.labels_shown]:
        mark = "*" if d["predicted"] else " "
        out.write(
            f"{mark} {d['label']:12} total {d['total']:+8.3f}  emission {d['emission']:+8.3f}  "
            f"p={d['marginal']:.4f}"
        )
        if d["transition_in"]:
            out.write(f"  from {d['transition_in'][0]} {d['transition_in'][1]:+.3f}")
        if d["transition_out"]:
            out.write(f"  to {d['transition_out'][0]} {d['transition_out'][1]:+.3f}")
        out.write("\n")
        for name, v, wk, c in d["attributes"]:
            out.write(f"      {c:+8.3f} = {v:g} x {wk:+.3f}  {name}\n")


def run_crfsuite(args) -> int:
    """``inspect`` of a CRFsuite model file."""
    import os

    import numpy as np

    from crftagger.io.crfsuite import VERSION
    from crftagger.io.open import open_crfsuite, read_crfsuite

    raw, m = read_crfsuite(args.model)
    fs_arg = getattr(args, "feature_set", None)
    t = open_crfsuite(args.model, fs_arg) if fs_arg is not None else None
    if args.explain and t is None:
        raise ValueError(
            f"{args.model}: --explain computes a sentence's attributes, which a CRFsuite model "
            "file does not say how to do; give --feature-set (a name, a feature-set JSON file "
            "or a template file)"
        )
    out = sys.stdout
    out.write(
        f"model file:     {args.model} ({os.path.getsize(args.model):,} bytes, CRFsuite crf1d "
        f"model version {VERSION}, as written by CRFsuite, python-crfsuite and sklearn-crfsuite)\n"
    )
    if t is None:
        out.write(
            "feature set:    not recorded in CRFsuite files (give --feature-set to explain or "
            "tag with one)\n"
        )
    else:
        fs = t.feature_set
        out.write(
            f"feature set:    {fs.name} v{fs.version} ({len(fs.templates)} templates), given\n"
        )
    n_state = int(np.count_nonzero(raw.feature_type == 0))
    out.write("CRF order:      1\n")
    out.write(
        f"size:           {len(raw.labels)} labels, {len(raw.attributes):,} attributes, "
        f"{m.n_features:,} features ({n_state:,} state features and "
        f"{len(raw.weight) - n_state:,} transitions with non-zero weights)\n"
    )
    out.write("labels:         " + " ".join(raw.labels) + "\n")
    if t is not None and args.explain:
        _explain(out, t, args)
        return 0
    _weights(out, m, args.top)
    return 0


def run(args) -> int:
    import json
    import os

    import numpy as np

    from crftagger.api.tagger import Tagger
    from crftagger.io import container
    from crftagger.io.open import model_format

    if model_format(args.model) == "crfsuite":
        return run_crfsuite(args)
    if getattr(args, "feature_set", None) is not None:
        raise ValueError(
            f"{args.model}: a crftagger model file carries its own feature set; --feature-set "
            "is for CRFsuite model files"
        )
    t = Tagger.load(args.model)
    meta = container.read_header(args.model)
    m = t.model
    out = sys.stdout
    out.write(
        f"model file:     {args.model} ({os.path.getsize(args.model):,} bytes, format "
        f"{meta['format_version']}, written {meta.get('created')} by crftagger "
        f"{meta.get('library_version')})\n"
    )
    out.write(f"versions:       {json.dumps(meta.get('versions', {}), sort_keys=True)}\n")
    fs = t.feature_set
    out.write(
        f"feature set:    {fs.name} v{fs.version} ({len(fs.templates)} templates"
        f"{', columns ' + ','.join(fs.columns) if fs.columns else ''})\n"
    )
    for line in cluster_lines(t) + gazetteer_lines(t) + resource_lines(fs):
        out.write(line + "\n")
    if t.tag_dictionary is not None:
        td = t.tag_dictionary
        readers = [n for n in fs.used_extractors() if fs.extractor_def(n)["kind"] == "tagdict"]
        ambiguous = sum(1 for c in td.counts.values() if len(c) > 1)
        out.write(
            f"tag dictionary: {len(td):,} words ({ambiguous:,} with more than one label, "
            f"{'lower-cased' if td.lowercase else 'cased'}), read by {', '.join(readers)}\n"
        )
        if td.spans is not None:
            multi = sum(1 for p in td.spans if len(p) > 1)
            out.write(f"span phrases:   {len(td.spans):,} ({multi:,} of more than one word)\n")
    out.write(f"scheme:         {t.scheme} (model labels in {t.model_scheme})\n")
    out.write(f"CRF order:      {getattr(m, 'order', 1)}\n")
    nz = int(np.count_nonzero(m.w))
    out.write(
        f"size:           {len(t.labels)} labels, {len(m.attributes):,} attributes, "
        f"{m.n_features:,} features ({nz:,} non-zero weights)\n"
    )
    info = t.info
    if info.get("corpus") or info.get("imported_from"):
        out.write(
            f"trained on:     {info.get('corpus') or info.get('imported_from')} "
            f"({info.get('n_sentences', '?')} sentences)\n"
        )
    if info.get("training"):
        out.write(f"training:       {json.dumps(info['training'], sort_keys=True)}\n")
    for name, s in (info.get("scores") or {}).items():
        out.write(
            f"{name + ' scores:':15} {json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}, sort_keys=True)}\n"
        )
    out.write("labels:         " + " ".join(t.labels) + "\n")
    if args.explain:
        _explain(out, t, args)
        return 0
    _weights(out, m, args.top)
    if m.order == 2:
        out.write(
            f"\nsecond order: {m.space.n_states} label pairs (with the sentence start <s>), "
            f"{m.space.n_edges} trigram weights; the {args.top} largest by magnitude "
            "(label before previous, previous -> current):\n"
        )
        out.write("\n".join(trigram_lines(m, args.top)) + "\n")
    return 0


def register(sub):
    p = sub.add_parser(
        "inspect", help="show what a model file holds", description=__doc__.split("\n\n", 1)[1]
    )
    p.add_argument(
        "model", help="model file written by `crftagger train`, or a CRFsuite model file"
    )
    p.add_argument(
        "--feature-set",
        default=None,
        help="for a CRFsuite model file: the feature set that computes its attributes (for "
        "--explain)",
    )
    p.add_argument("--top", type=int, default=10, help="features listed per label (default 10)")
    p.add_argument(
        "--explain",
        default=None,
        metavar="SENTENCE",
        help="a white-space tokenised sentence to explain",
    )
    p.add_argument(
        "--position", type=int, default=0, help="token of --explain to explain (default 0)"
    )
    p.add_argument(
        "--labels-shown", type=int, default=5, help="labels shown by --explain (default 5)"
    )
    p.set_defaults(func=run)
