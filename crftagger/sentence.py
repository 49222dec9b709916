"""The sentence: tokens with named columns, the unit every part of crftagger reads and writes.

Corpus readers (:mod:`crftagger.corpora`) produce it, feature extractors
(:mod:`crftagger.features`) read its columns, ``Tagger`` trains on it; it is
also importable as ``crftagger.corpora.Sentence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sentence:
    """One sentence of a corpus.

    Parameters
    ----------
    tokens
        The token strings (the word / FORM column).
    columns
        Every other named column, each a list as long as ``tokens``, e.g.
        ``{"pos": [...], "chunk": [...], "ner": [...]}``.
    doc_id
        Id of the document the sentence belongs to (``"doc-0"``, ``"doc-1"`` ...
        for ``-DOCSTART-`` documents; the ``# newdoc id`` of CoNLL-U), or ``None``.
    meta
        Sentence-level key/value notes, e.g. the CoNLL-U comments
        (``{"sent_id": ..., "text": ...}``).
    source
        Path of the file the sentence was read from.
    line
        1-based line number of the sentence's first token in ``source``.
    token_column
        Name of the token column in the file (``"word"``, ``"form"`` ...);
        ``sentence[token_column]`` returns ``tokens``.

    ``source`` and ``line`` say where the sentence came from; they take no part
    in equality, so a sentence written and read back compares equal.
    """

    tokens: list[str]
    columns: dict[str, list[str]] = field(default_factory=dict)
    doc_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    token_column: str = "word"

    def __post_init__(self):
        n = len(self.tokens)
        for name, values in self.columns.items():
            if len(values) != n:
                where = f"{self.source}:{self.line}: " if self.source else ""
                raise ValueError(
                    f"{where}column {name!r} has {len(values)} values; expected {n} (one per token)"
                )

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, column: str) -> list[str]:
        if column == self.token_column:
            return self.tokens
        try:
            return self.columns[column]
        except KeyError:
            names = [self.token_column, *self.columns]
            raise KeyError(f"no column {column!r}; this sentence has {names}") from None

    def column_names(self) -> list[str]:
        """The token column followed by the other columns, in file order."""
        return [self.token_column, *self.columns]
