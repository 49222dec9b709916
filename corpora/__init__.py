"""Corpus readers, writers and the corpus registry (installed as ``crftagger.corpora``)."""
