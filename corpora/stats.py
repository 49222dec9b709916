"""Counting corpora the way the corpus documentation does.

* sentences: maximal runs of token lines (a blank or whitespace-only line ends one);
  ``-DOCSTART-`` lines are neither sentences nor tokens and are counted apart;
* tokens: token lines (for CoNLL-U: surface tokens, with syntactic words,
  multiword-token lines, empty nodes and documents counted apart);
* spans: decoded conlleval-style by :func:`crftagger.schemes.extract_spans` with
  ``scheme=None`` (right for IOB1 and IOB2 alike).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crftagger.corpora.conll import read_conll_documents
from crftagger.corpora.conllu import conllu_counts
from crftagger.corpora.registry import CorpusInfo, Expected, get, locate


@dataclass
class SplitStats:
    """Counts of one file (see the module docstring)."""

    split: str
    path: str
    label_column: str = ""
    sentences: int = 0
    tokens: int = 0
    docstarts: int = 0
    spans: dict[str, int] | None = None
    labels: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def span_total(self) -> int | None:
        return None if self.spans is None else sum(self.spans.values())

    def mismatches(self, expected: Expected) -> list[str]:
        """Differences from the documented counts, as readable strings (empty when all agree)."""
        out = []

        def cmp(what, found, want):
            if want is not None and found != want:
                out.append(f"{self.split} {what}: found {found}, documented {want}")

        if self.label_column in expected.column_spans:
            # Counting another label column: only its documented span total applies.
            cmp(
                f"{self.label_column} spans",
                self.span_total,
                expected.column_spans[self.label_column],
            )
            return out
        cmp("sentences", self.sentences, expected.sentences)
        cmp("tokens", self.tokens, expected.tokens)
        cmp("docstarts", self.docstarts, expected.docstarts)
        if expected.spans is not None:
            got = self.spans or {}
            for t in sorted(set(got) | set(expected.spans)):
                cmp(f"{t} spans", got.get(t, 0), expected.spans.get(t, 0))
        cmp("spans", self.span_total, expected.total_spans())
        for k, v in expected.extra.items():
            cmp(k, self.extra.get(k), v)
        return out


def _span_counter():
    from crftagger import schemes

    return schemes.extract_spans


def split_stats(
    info: CorpusInfo | str, split: str, data_dir=None, *, label_column: str | None = None
) -> SplitStats:
    """Count one split of a registered corpus (file found as :func:`registry.locate` does)."""
    info = get(info) if isinstance(info, str) else info
    col = label_column or info.label_column
    if col not in info.columns or col == info.token_column:
        others = [c for c in info.columns if c != info.token_column]
        raise ValueError(f"corpus {info.name!r} has no label column {col!r}; its columns: {others}")
    path = locate(info, split, data_dir)
    st = SplitStats(split=split, path=str(path), label_column=col)
    if info.format == "conllu":
        counts, labels = conllu_counts(path, label_field=col)
        st.sentences = counts.pop("sentences")
        st.tokens = counts.pop("surface_tokens")
        st.extra = counts
        st.labels = dict(labels)
        return st
    extract = _span_counter() if col in info.span_columns else None
    spans: Counter = Counter()
    labels = Counter()
    for doc in read_conll_documents(
        path, info.columns, sep=info.sep, token_column=info.token_column
    ):
        if doc.doc_id is not None:
            st.docstarts += 1
        for s in doc.sentences:
            st.sentences += 1
            st.tokens += len(s)
            tags = s[col]
            labels.update(tags)
            if extract is not None:
                spans.update(sp.type for sp in extract(tags, None))
    st.labels = dict(labels)
    if extract is not None:
        st.spans = dict(spans)
    return st


def corpus_stats(name: str, data_dir=None, splits=None) -> list[SplitStats]:
    """:func:`split_stats` for each split (default: all splits of the corpus)."""
    info = get(name)
    return [split_stats(info, sp, data_dir) for sp in (splits or info.splits)]


def format_table(info: CorpusInfo, stats: list[SplitStats]) -> str:
    """A Markdown table like the corpus documentation's: one row per count, one column per split."""
    head = ["", *(s.split for s in stats)]
    rows: list[list[str]] = [
        ["sentences", *(f"{s.sentences:,}" for s in stats)],
        [
            "tokens" if info.format != "conllu" else "surface tokens",
            *(f"{s.tokens:,}" for s in stats),
        ],
    ]
    if any(s.docstarts for s in stats):
        rows.append(["-DOCSTART- lines", *(f"{s.docstarts:,}" for s in stats)])
    extra_keys = [
        k
        for k in ("words", "multiword_tokens", "empty_nodes", "documents")
        if any(k in s.extra for s in stats)
    ]
    for k in extra_keys:
        label = {
            "words": "syntactic words",
            "multiword_tokens": "multiword-token lines",
            "empty_nodes": "empty nodes",
            "documents": "documents",
        }[k]
        rows.append([label, *(f"{s.extra.get(k, 0):,}" for s in stats)])
    if any(s.spans is not None for s in stats):
        types = sorted({t for s in stats for t in (s.spans or {})})
        for t in types:
            rows.append([f"{t} spans", *(f"{(s.spans or {}).get(t, 0):,}" for s in stats)])
        rows.append(["total spans", *(f"{s.span_total or 0:,}" for s in stats)])
    col = stats[0].label_column if stats else info.label_column
    rows.append([f"distinct {col} labels", *(f"{len(s.labels)}" for s in stats)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def fmt(r):
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        return "| " + " | ".join(cells) + " |"

    sep = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]]) + "|"
    return "\n".join([fmt(head), sep, *(fmt(r) for r in rows)])
