"""Corpus readers, writers and the corpus registry (installed as ``crftagger.corpora``).

Readers are generators that stream a file line by line::

    from crftagger.corpora import read_conll, load
    for sent in read_conll("eng.train", ("word", "pos", "chunk", "ner")):
        print(sent.doc_id, sent.tokens, sent["ner"])

    train = load("conll2003", "train")          # list[Sentence], found via the data dir
"""

from crftagger.corpora.base import CorpusFormatError, Document, Sentence
from crftagger.corpora.conll import (
    DOCSTART,
    read_bio,
    read_conll,
    read_conll_documents,
    write_conll,
)
from crftagger.corpora.conllu import conllu_counts, read_conllu, write_conllu
from crftagger.corpora.detect import detect_format, swapped_columns, swapped_evidence
from crftagger.corpora.registry import (
    CorpusInfo,
    CorpusNotFoundError,
    corpus_text,
    get,
    iterate,
    load,
    names,
)
from crftagger.corpora.split import carve_dev

__all__ = [
    "DOCSTART",
    "CorpusFormatError",
    "CorpusInfo",
    "CorpusNotFoundError",
    "Document",
    "Sentence",
    "carve_dev",
    "conllu_counts",
    "corpus_text",
    "detect_format",
    "get",
    "iterate",
    "load",
    "names",
    "read_bio",
    "read_conll",
    "read_conll_documents",
    "read_conllu",
    "swapped_columns",
    "swapped_evidence",
    "write_conll",
    "write_conllu",
]
