"""Batch tagging on Dask workers: bags of texts, DataFrame columns and whole files.

The task graph never holds the model: it carries the model file's path and
its sha256 (computed when the graph is built). Each worker process keeps the
models it opened in a small cache (:func:`worker_model`) keyed by path,
checksum and feature set; a cached model is reused while the file's size
and modification time are unchanged, and otherwise the file is hashed again
and refused (:class:`~crftagger.dask.DaskError`) when its sha256 is not the
one the tasks were built with: a model file replaced after the graph was
built gives that error on the worker, never answers of another model.

The files and the model must be readable at the same path on every worker
(a shared file system, or a :class:`distributed.LocalCluster`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from crftagger.dask import DaskError

#: Models kept open per worker process.
CACHE_SIZE = 4
#: Seconds :func:`connect` waits for a scheduler.
CONNECT_TIMEOUT = 10.0

_lock = threading.Lock()
_cache: OrderedDict[tuple, tuple[tuple[int, int], Any]] = OrderedDict()
_loads: Counter[str] = Counter()


# --------------------------------------------------------------------------- dask imports


def _require(what: str = "this function"):
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DaskError(
            f"{what} needs dask and distributed, which are not installed ({exc.name} is "
            "missing): pip install 'crftagger[dask]'"
        ) from None


def _require_pandas(what: str):
    try:
        import pandas
    except ImportError:
        raise DaskError(
            f"{what} needs pandas (dask.dataframe is built on it), which is not installed: "
            "pip install pandas"
        ) from None
    return pandas


def connect(scheduler: str | None = None, workers: int = 2, timeout: float = CONNECT_TIMEOUT):
    """``(client, cluster)``: a client of the scheduler at ``scheduler``, or of a new
    :class:`distributed.LocalCluster` of ``workers`` single-threaded processes (``cluster``
    is None for a scheduler address; close it after the client).

    A scheduler that does not answer within ``timeout`` seconds is a
    :class:`~crftagger.dask.DaskError` naming the address.
    """
    _require("Dask tagging")
    from distributed import Client, LocalCluster

    if scheduler is None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise DaskError(f"workers: expected a positive integer, found {workers!r}")
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        return Client(cluster), cluster
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DaskError(
            f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
            f"({reason}); expected the address of a running scheduler, e.g. "
            "tcp://10.0.0.5:8786"
        ) from None
    return client, None


# --------------------------------------------------------------------------- the model on a worker


def file_sha256(path) -> str:
    """Hex sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_ref(model_path, feature_set=None) -> tuple[str, str, Any]:
    """``(absolute path, sha256, feature_set)``: what a task needs to open the model."""
    path = os.path.abspath(os.fspath(model_path))
    if not os.path.isfile(path):
        raise DaskError(f"{model_path}: no such model file")
    if feature_set is not None and not isinstance(feature_set, str):
        raise DaskError(
            "feature_set: give a feature-set name, its JSON or a file path (it travels in the "
            f"task graph), found {type(feature_set).__name__}"
        )
    return path, file_sha256(path), feature_set


def worker_model(ref: tuple[str, str, Any]):
    """The model of ``ref`` in this process, opened once and kept (see the module docstring)."""
    from crftagger.io.open import open_tagger

    path, sha, feature_set = ref
    key = (path, sha, feature_set)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DaskError(
            f"{path}: cannot read the model file on this worker ({exc.strerror})"
        ) from None
    stamp = (st.st_size, st.st_mtime_ns)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            _cache.move_to_end(key)
            return hit[1]
        found = file_sha256(path)
        if found != sha:
            raise DaskError(
                f"{path}: checksum mismatch on worker process {os.getpid()}: the file's sha256 is "
                f"{found[:16]}..., the tasks were built for {sha[:16]}...; the model file changed "
                "after the tasks were built (build them again to use the new file)"
            )
        model = open_tagger(path, feature_set)
        _loads[path] += 1
        _cache[key] = (stamp, model)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return model


def _local_loads() -> dict[str, int]:
    return dict(_loads)


def model_loads(client=None) -> dict:
    """How many times each model file was opened: ``{path: n}`` in this process, or
    ``{worker address: {path: n}}`` over the workers of ``client``."""
    if client is None:
        return _local_loads()
    return client.run(_local_loads)


# --------------------------------------------------------------------------- tasks


def _span_dicts(doc) -> list[dict]:
    return [asdict(sp) for sp in doc.spans]


def _tag_texts(texts: list, ref, batch_size: int) -> list[dict]:
    model = worker_model(ref)
    return [d.to_dict() for d in model.pipe(texts, batch_size=batch_size)]


def _documents(items: list, partition: int, id_field: str, text_field: str):
    from crftagger.api.extract import Document, ExtractInputError

    for k, item in enumerate(items):
        if isinstance(item, str):
            yield Document(f"{partition}:{k}", [(0, item)])
            continue
        if not isinstance(item, dict) or not isinstance(item.get(text_field), str):
            raise ExtractInputError(
                f"partition {partition}, item {k}: expected a str or a dict with a "
                f'"{text_field}" string, found {type(item).__name__}'
            )
        yield Document(str(item.get(id_field, f"{partition}:{k}")), [(0, item[text_field])])


def _extract_items(items: list, partition: int, ref, opts: dict) -> list[dict]:
    from crftagger.api.extract import extract

    model = worker_model(ref)
    docs = _documents(list(items), partition, opts.pop("id_field"), opts.pop("text_field"))
    return list(extract(model, docs, **opts))


def tag_bag(
    bag,
    model_path,
    *,
    output: str = "docs",
    batch_size: int = 64,
    labels: Iterable[str] | None = None,
    min_confidence: float = 0.0,
    id_field: str = "id",
    text_field: str = "text",
    feature_set: str | None = None,
):
    """Tag a :class:`dask.bag.Bag` of texts on the workers.

    ``output="docs"``: a bag of Doc dicts (:meth:`~crftagger.text.doc.Doc.to_dict`:
    text, tokens, sentences, spans with character offsets), one per text,
    the same as ``[d.to_dict() for d in tagger.pipe(texts)]``.
    ``output="entities"``: a bag of the records of :func:`crftagger.api.extract.extract`
    (an entity record per span, a summary per document); the items are texts
    (document id ``PARTITION:INDEX``) or dicts with ``text_field`` and ``id_field``.
    ``labels`` and ``min_confidence`` filter the entity records.
    ``feature_set`` is for CRFsuite model files only.
    """
    _require("tag_bag")
    import dask.bag as db
    from dask import delayed

    if output not in ("docs", "entities"):
        raise DaskError(f"output: found {output!r}; expected 'docs' or 'entities'")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise DaskError(f"batch_size: expected a positive integer, found {batch_size!r}")
    ref = model_ref(model_path, feature_set)
    parts = bag.to_delayed(optimize_graph=True)
    if output == "docs":
        out = [delayed(_tag_texts, pure=True)(p, ref, batch_size) for p in parts]
    else:
        opts = dict(
            batch_size=batch_size,
            labels=None if labels is None else sorted(labels),
            min_confidence=min_confidence,
            id_field=id_field,
            text_field=text_field,
        )
        out = [
            delayed(_extract_items, pure=True)(p, i, ref, dict(opts)) for i, p in enumerate(parts)
        ]
    return db.from_delayed(out)


def _tag_series(series, ref, batch_size: int, as_json: bool, name: str):
    import pandas as pd

    model = worker_model(ref)
    values = list(series)
    rows = [k for k, v in enumerate(values) if isinstance(v, str)]
    for k, v in enumerate(values):
        if v is not None and not isinstance(v, str) and not (isinstance(v, float) and v != v):
            raise DaskError(
                f"column {series.name!r}, row {series.index[k]!r}: expected a str (or a "
                f"missing value), found {type(v).__name__}"
            )
    out: list[Any] = [None] * len(values)
    docs = model.pipe([values[k] for k in rows], batch_size=batch_size)
    for k, doc in zip(rows, docs, strict=True):
        spans = _span_dicts(doc)
        out[k] = json.dumps(spans, ensure_ascii=False) if as_json else spans
    return pd.Series(out, index=series.index, name=name, dtype=object)


def tag_dataframe_column(
    ddf,
    column: str,
    model_path,
    *,
    output_column: str | None = None,
    as_json: bool = True,
    batch_size: int = 64,
    feature_set: str | None = None,
):
    """``ddf`` with a new column of the spans found in the texts of ``column``.

    Each value of the new column (default name ``COLUMN_spans``) is the list of
    the text's spans (``label``, ``start``, ``end`` character offsets,
    ``text``, ``token_start``, ``token_end``, ``confidence``) as a JSON string
    (``as_json``) or as a list of dicts; a missing text gives a missing value.
    Needs pandas (not a dependency of crftagger).
    """
    _require("tag_dataframe_column")
    pd = _require_pandas("tag_dataframe_column")
    if column not in ddf.columns:
        raise DaskError(f"column {column!r}: not a column of the DataFrame {list(ddf.columns)}")
    name = output_column or f"{column}_spans"
    ref = model_ref(model_path, feature_set)
    meta = pd.Series([], dtype=object, name=name)
    new = ddf[column].map_partitions(
        _tag_series, ref, batch_size, bool(as_json), name, meta=meta, enforce_metadata=False
    )
    return ddf.assign(**{name: new})


# --------------------------------------------------------------------------- files (extract --dask)


def extract_file(path: str, ref, opts: dict) -> tuple[list[dict], dict]:
    """The records of one file and its report (as a dict), computed on a worker."""
    from crftagger.api.extract import extract_files

    model = worker_model(ref)
    records: list[dict] = []
    reports = extract_files(model, [path], records.append, **opts)
    return records, asdict(reports[0])


def extract_files_dask(
    client,
    model_path,
    paths: Iterable[str],
    *,
    feature_set: str | None = None,
    window: int | None = None,
    **opts,
) -> Iterator[tuple[list[dict], dict]]:
    """``(records, report)`` of each file, tagged on the workers of ``client``, in file order.

    At most ``window`` files (default four per worker, at least 8) are in
    flight: the answers are yielded in file order as each one (and those
    before it) is done, and the next files are submitted as answers are
    taken, so the records waiting on the workers stay bounded. ``opts`` are
    those of :func:`crftagger.api.extract.extract_files` (``unit``,
    ``batch_size``, ...). A file that cannot be read gives its error in the
    report and no records.
    """
    from collections import deque

    ref = model_ref(model_path, feature_set)
    if window is None:
        window = max(8, 4 * len(client.scheduler_info().get("workers", {})))
    todo = iter(paths)
    pending: deque = deque()

    def fill() -> None:
        while len(pending) < window:
            p = next(todo, None)
            if p is None:
                return
            pending.append(client.submit(extract_file, os.fspath(p), ref, dict(opts), pure=False))

    fill()
    try:
        while pending:
            fut = pending.popleft()
            answer = fut.result()
            fut.release()
            fill()
            yield answer
    finally:
        for fut in pending:
            fut.cancel()
