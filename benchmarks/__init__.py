"""Benchmarks of crftagger, installed as ``crftagger.benchmarks``.

``suite``
    accuracy, speed, size and memory on the registered corpora: crftagger as
    users run it (``Tagger.train`` with each corpus' recipe, ``Tagger.tag``),
    CRFsuite on the very same attributes and a plain sklearn-crfsuite
    baseline; ``python benchmarks/run.py`` and ``crftagger benchmark`` run it.
``bench_train``, ``bench_tag``, ``bench_features``
    stand-alone speed and memory scripts (run them as files; see README.md).
"""
