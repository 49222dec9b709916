"""From raw text to tokens with character offsets, and back from labels to spans of the text.

:mod:`crftagger.text.tokenize` holds the tokenisers (Penn Treebank / CoNLL
conventions, tweets, white space) and the sentence splitter,
:mod:`crftagger.text.doc` the ``Doc`` that :meth:`crftagger.Tagger.parse`
returns, :mod:`crftagger.text.subword` the alignment of word labels with a
subword tokenizer's pieces.
"""
