"""The user API: ``CRF`` (``crf``, sklearn-crfsuite's estimator) and ``Tagger`` (``tagger``, tokens to spans).

Both are importable from :mod:`crftagger` directly.
"""
