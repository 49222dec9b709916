"""``crftagger dump``: every weight of a model file, as text.

``--format crfsuite`` (the default for first-order models) prints CRFsuite's
plain-text dump (``crfsuite dump``): the file header, the labels, the
attributes, the transitions and the state features, in the order of the
CRFsuite file the model is written as (only non-zero weights). With
``--weights fixed`` (the default there) the text is line for line what
CRFsuite prints, weights with six decimals.

``--format tsv`` (the default for second-order models) prints one feature per
line, tab-separated: ``state ATTRIBUTE LABEL WEIGHT`` for every state
feature of the model (zero weights included), then ``transition PREVIOUS
CURRENT WEIGHT`` for every active label pair and, for a second-order model,
``trigram BEFORE PREVIOUS CURRENT WEIGHT`` (``<s>``: the sentence start).
Backslashes, tabs and newlines in names are written ``\\\\``, ``\\t``, ``\\n``.

``--weights repr`` writes the shortest decimal that reads back as the same
float (the default for tsv), ``hex`` a hexadecimal float
(``float.fromhex`` reads it back: exact, as Wapiti's text models); either
works with both formats. Reads crftagger model files (whichever engine
trained them) and CRFsuite model files.
"""

from __future__ import annotations

import sys

#: ``--weights`` choices: how a weight is written.
WEIGHT_FORMATS = ("fixed", "repr", "hex")


def format_weight(w: float, how: str) -> str:
    """``w`` as text: six decimals (``fixed``, CRFsuite's), ``repr`` or a hex float (both exact)."""
    w = float(w)
    if how == "fixed":
        return f"{w:f}"
    if how == "hex":
        return w.hex()
    return repr(w)


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def tsv_lines(model, how: str = "repr"):
    """The tsv dump of a :class:`~crftagger.engine.model.LinearChainCRF` (or second-order model)."""
    import numpy as np

    labels = [_escape(x) for x in model.labels.items]
    attrs = model.attributes
    owner = np.repeat(np.arange(len(attrs)), np.diff(model.feat_ptr)).tolist()
    ws = model.state_weights.tolist()
    for a, j, w in zip(owner, model.feat_label.tolist(), ws, strict=True):
        yield f"state\t{_escape(attrs[a])}\t{labels[j]}\t{format_weight(w, how)}"
    L = len(labels)
    T = model.transition_weights
    mask = np.asarray(model.trans_mask[: L * L]).reshape(L, L)
    for i in range(L):
        for j in range(L):
            if mask[i, j]:
                yield f"transition\t{labels[i]}\t{labels[j]}\t{format_weight(T[i, j], how)}"
    if getattr(model, "order", 1) == 2:
        for (x, a, b), w in model.trigram_features_.items():
            before = "<s>" if x is None else _escape(x)
            yield f"trigram\t{before}\t{_escape(a)}\t{_escape(b)}\t{format_weight(w, how)}"


def crfsuite_text(blob: bytes, source: str, how: str = "fixed") -> str:
    """CRFsuite's dump of the CRFsuite file ``blob``; weights written ``how``.

    ``fixed`` is :func:`crftagger.io.crfsuite.crfsuite_dump` as it is; otherwise
    the same lines with each weight written exactly.
    """
    from crftagger.io.crfsuite import STATE, TRANSITION, check_crfsuite_bytes, crfsuite_dump

    text = crfsuite_dump(blob, source)
    if how == "fixed":
        return text
    raw = check_crfsuite_bytes(blob, source)
    kinds = raw.feature_type.tolist()
    weights = raw.weight.tolist()
    queues = {
        "TRANSITIONS": iter([w for k, w in zip(kinds, weights, strict=True) if k == TRANSITION]),
        "STATE_FEATURES": iter([w for k, w in zip(kinds, weights, strict=True) if k == STATE]),
    }
    out, section = [], None
    for line in text.split("\n"):
        if line.endswith(" = {"):
            section = line[: -len(" = {")]
        elif line == "}":
            section = None
        elif section in queues:
            head, _sep, _w = line.rpartition(": ")
            line = f"{head}: {format_weight(next(queues[section]), how)}"
        out.append(line)
    return "\n".join(out)


def run(args) -> int:
    from crftagger.io.open import ModelFormatError, model_format

    kind = model_format(args.model)
    if kind == "crfsuite":
        from crftagger.io.open import read_crfsuite

        _raw, model = read_crfsuite(args.model)
        with open(args.model, "rb") as fh:
            blob = fh.read()
    else:
        from crftagger.api.tagger import Tagger

        model = Tagger.load(args.model).model
        blob = None
    order = getattr(model, "order", 1)
    fmt = args.format or ("crfsuite" if order == 1 else "tsv")
    if fmt == "crfsuite" and order != 1:
        raise ModelFormatError(
            f"{args.model}: a second-order model (transitions over label triples), which "
            "CRFsuite's dump cannot show; expected --format tsv"
        )
    how = args.weights or ("fixed" if fmt == "crfsuite" else "repr")
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        if fmt == "crfsuite":
            if blob is None:
                from crftagger.io.crfsuite import crfsuite_bytes

                blob = crfsuite_bytes(model)
            out.write(crfsuite_text(blob, str(args.model), how))
        else:
            for line in tsv_lines(model, how):
                out.write(line + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def register(sub):
    p = sub.add_parser(
        "dump",
        help="print every weight of a model (CRFsuite's dump, or one feature per line)",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument(
        "model", help="model file written by `crftagger train`, or a CRFsuite model file"
    )
    p.add_argument(
        "--format",
        choices=("crfsuite", "tsv"),
        default=None,
        help="crfsuite: CRFsuite's dump (default for first-order models); tsv: one feature "
        "per line (default for second-order models)",
    )
    p.add_argument(
        "--weights",
        choices=WEIGHT_FORMATS,
        default=None,
        help="fixed: six decimals, as CRFsuite (default with --format crfsuite); repr: the "
        "shortest exact decimal (default with tsv); hex: hex floats (float.fromhex)",
    )
    p.add_argument("-o", "--output", default=None, help="file to write (default: stdout)")
    p.set_defaults(func=run)
