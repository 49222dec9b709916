"""Helpers shared by several test modules (imported as ``helpers``, like ``oracle``)."""

from __future__ import annotations


def read_conll2000(path, n, skip=0):
    """Sentences ``skip .. skip+n-1`` of a CoNLL-2000 file as lists of (word, pos, chunk) rows.

    Reads only as far as needed; a last sentence without a closing blank
    line counts too.
    """
    sents, cur = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts:
                cur.append(parts)
            elif cur:
                sents.append(cur)
                cur = []
                if len(sents) == skip + n:
                    break
    if cur and len(sents) < skip + n:
        sents.append(cur)
    return sents[skip:]


def write_two_columns(path, sents, tags):
    """Write ``word tag`` lines, a blank line between sentences; returns ``path``."""
    path.write_text(
        "\n\n".join(
            "\n".join(f"{w} {t}" for w, t in zip(s, g, strict=True))
            for s, g in zip(sents, tags, strict=True)
        )
        + "\n",
        encoding="utf-8",
    )
    return path
