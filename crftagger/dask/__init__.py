"""Scale-out on Dask: batch tagging on workers and data-parallel training.

Needs the ``dask`` extra (``pip install "crftagger[dask]"``: dask and
distributed); :func:`tag_dataframe_column` needs pandas as well.

Batch tagging (:mod:`crftagger.dask.tagging`)::

    import dask.bag as db
    from crftagger.dask import tag_bag

    docs = tag_bag(db.from_sequence(texts, npartitions=8), "ner.crftagger").compute()

The task graph carries the model file's path and sha256, never the model:
each worker process opens the file once (a per-process cache keyed by path,
checksum and the file's size and modification time) and refuses a file
whose checksum is no longer the one the graph was built with.

Data-parallel training (:mod:`crftagger.dask.training`)::

    from crftagger.dask import train

    tagger = train(client, ["train-a.conll", "train-b.conll"], columns="word,pos,chunk,ner",
                   label_column="ner", feature_set="ner", max_iterations=50)
    tagger = train(client, "conll2003", feature_set="ner")  # a registered corpus

Workers read and encode their own files; the driver merges the vocabularies
in file order (the ids local training gives), then at every L-BFGS
evaluation it sends the weights and sums the chunk gradients in the local
objective's chunk order, so the weights are bit-identical to local training.
"""

from __future__ import annotations

from typing import Any

from crftagger.errors import CrftaggerError


class DaskError(CrftaggerError, RuntimeError):
    """Dask is missing or unreachable, or a worker refused a task (e.g. a changed model file)."""


__all__ = [
    "DaskError",
    "connect",
    "model_loads",
    "tag_bag",
    "tag_dataframe_column",
    "train",
]


def __getattr__(name: str) -> Any:
    if name in ("tag_bag", "tag_dataframe_column", "model_loads", "connect"):
        from crftagger.dask import tagging

        return getattr(tagging, name)
    if name == "train":
        from crftagger.dask import training

        return training.train
    raise AttributeError(f"module 'crftagger.dask' has no attribute {name!r}")
