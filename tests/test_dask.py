"""crftagger.dask on a real two-process LocalCluster: batch tagging, extract --dask, training."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
db = pytest.importorskip("dask.bag")

from crftagger import Tagger  # noqa: E402
from crftagger.cli import app as cli  # noqa: E402
from crftagger.corpora import load  # noqa: E402
from crftagger.corpora.conll import read_conll, write_conll  # noqa: E402
from crftagger.dask import DaskError, model_loads, tag_bag, tag_dataframe_column  # noqa: E402
from crftagger.dask import train as dask_train  # noqa: E402
from crftagger.dask.tagging import extract_files_dask  # noqa: E402

COLUMNS = ("word", "pos", "chunk", "ner")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def sentences(data_dir):
    return load("conll2003", "train", data_dir)[:400]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, sentences):
    tagger = Tagger.train(sentences, feature_set="ner", label_column="ner", max_iterations=15)
    path = tmp_path_factory.mktemp("dask") / "ner.crftagger"
    tagger.save(path)
    return path


@pytest.fixture(scope="module")
def texts(data_dir):
    sents = load("conll2003", "test", data_dir)[:120]
    return [" ".join(s.tokens) for s in sents]


def test_tag_bag_same_docs_as_pipe(client, model_file, texts):
    local = [d.to_dict() for d in Tagger.load(model_file).pipe(texts)]
    got = tag_bag(db.from_sequence(texts, npartitions=6), model_file).compute()
    assert got == local
    assert any(d["spans"] for d in got)
    # entity records: those of crftagger.api.extract, one document per text
    records = tag_bag(
        db.from_sequence([{"id": f"t{k}", "text": t} for k, t in enumerate(texts)], npartitions=3),
        model_file,
        output="entities",
    ).compute()
    summaries = [r for r in records if r["type"] == "document"]
    assert [r["doc"] for r in summaries] == [f"t{k}" for k in range(len(texts))]
    ents = [r for r in records if r["type"] == "entity"]
    assert len(ents) == sum(len(d["spans"]) for d in local)
    first = next(k for k, d in enumerate(local) if d["spans"])
    sp = local[first]["spans"][0]
    e = next(r for r in ents if r["doc"] == f"t{first}")
    assert (e["label"], e["start"], e["end"], e["text"]) == (
        sp["label"],
        sp["start"],
        sp["end"],
        sp["text"],
    )


def test_model_loaded_once_per_worker(client, model_file, texts, tmp_path):
    path = tmp_path / "copy.crftagger"
    shutil.copyfile(model_file, path)
    key = os.path.abspath(path)
    for _ in range(2):
        tag_bag(db.from_sequence(texts, npartitions=8), path).compute()
    loads = model_loads(client)
    assert len(loads) == 2
    per_worker = [counts.get(key, 0) for counts in loads.values()]
    assert sum(per_worker) >= 1 and max(per_worker) == 1
    assert model_loads() == {} or key not in model_loads()  # the driver never opened it


def test_changed_model_file_is_refused_on_the_worker(client, model_file, texts, tmp_path):
    path = tmp_path / "moving.crftagger"
    shutil.copyfile(model_file, path)
    bag = tag_bag(db.from_sequence(texts[:10], npartitions=2), path)
    assert len(bag.compute()) == 10
    other = Tagger.train([(["a", "b"], ["O", "B-PER"])] * 3, feature_set="ner", max_iterations=2)
    time.sleep(0.01)
    other.save(path)  # replaced after the graph was built
    with pytest.raises(DaskError, match="checksum mismatch .* the model file changed"):
        bag.compute()
    with pytest.raises(DaskError, match="no such model file"):
        tag_bag(db.from_sequence(texts[:2]), tmp_path / "absent.crftagger")


def test_dataframe_column(client, model_file, texts):
    try:
        import pandas as pd
    except ImportError:
        pytest.skip(
            "pandas is not installed (the error it gives: test_dataframe_needs_pandas_message)"
        )
    import dask.dataframe as dd

    df = pd.DataFrame({"id": range(len(texts)), "text": texts})
    ddf = dd.from_pandas(df, npartitions=3)
    out = tag_dataframe_column(ddf, "text", model_file).compute()
    local = [d.to_dict()["spans"] for d in Tagger.load(model_file).pipe(texts)]
    assert [json.loads(x) for x in out["text_spans"]] == local
    lists = tag_dataframe_column(ddf, "text", model_file, as_json=False, output_column="s")
    assert list(lists.compute()["s"]) == local


def test_dataframe_needs_pandas_message(monkeypatch, model_file):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *a, **k):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(name=name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(DaskError, match=r"tag_dataframe_column needs pandas .* pip install pandas"):
        tag_dataframe_column(None, "text", model_file)


def _write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def test_cli_extract_dask_same_records(client, model_file, texts, tmp_path, capsys):
    files = [
        _write(tmp_path / "a.txt", "\n\n".join(texts[:40])),
        _write(tmp_path / "b.txt", "\n".join(texts[40:80])),
    ]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 au lait\n")
    files.insert(1, str(bad))
    files.append(_write(tmp_path / "c.txt", "\n\n".join(texts[80:])))
    local_out, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    code = cli.main(["extract", *files, "-m", str(model_file), "-o", str(local_out)])
    _o, local_err = capsys.readouterr()
    address = client.scheduler.address
    code_d = cli.main(
        ["extract", *files, "-m", str(model_file), "-o", str(dask_out), "--scheduler", address]
    )
    _o, err = capsys.readouterr()
    assert code == code_d == 1
    assert f"error: {bad}:1: byte b'\\xe9' at column 4 is not UTF-8 text" in err
    assert err == local_err
    assert "from 3 of 4 files; 1 failed" in err
    local = local_out.read_text(encoding="utf-8").splitlines()
    assert dask_out.read_text(encoding="utf-8").splitlines() == local
    docs = [json.loads(x)["doc"] for x in local if '"type": "document"' in x]
    assert docs == [files[0], files[2], files[3]]
    # one file in flight at a time: the same records, the same reports
    answers = list(extract_files_dask(client, model_file, files, window=1))
    assert [json.dumps(r, ensure_ascii=False) for a in answers for r in a[0]] == local
    assert [bool(a[1]["error"]) for a in answers] == [False, True, False, False]
    # --parquet: pandas and pyarrow, or a clear error
    parts = tmp_path / "parts"
    argv = ["extract", *files, "-m", str(model_file), "--scheduler", address, "-q"]
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        assert cli.main([*argv, "--parquet", str(parts)]) == 1
        assert "--parquet needs pandas and pyarrow" in capsys.readouterr()[1]
        return
    assert cli.main([*argv, "--parquet", str(parts)]) == 1
    assert sorted(os.listdir(parts)) == [
        "part-00000.parquet",
        "part-00002.parquet",
        "part-00003.parquet",
    ]
    rows = []
    for name in sorted(os.listdir(parts)):
        df = pd.read_parquet(parts / name)
        rows.extend(
            {k: v for k, v in r.items() if v is not None and v == v} for r in df.to_dict("records")
        )
    want = [json.loads(x) for x in local]
    for r in want:
        if "labels" in r:
            r["labels"] = json.dumps(r["labels"], ensure_ascii=False)
    assert [r["doc"] for r in rows] == [r["doc"] for r in want]
    assert [(r["type"], r.get("label"), r.get("start"), r.get("labels")) for r in rows] == [
        (r["type"], r.get("label"), r.get("start"), r.get("labels")) for r in want
    ]


def test_cli_extract_dask_local(model_file, texts, tmp_path, capsys):
    # --dask local starts (and closes) a LocalCluster of its own
    good = _write(tmp_path / "a.txt", "\n\n".join(texts[:20]))
    assert cli.main(["extract", good, "-m", str(model_file), "-q"]) == 0
    local = capsys.readouterr()[0]
    dist = subprocess.run(
        [sys.executable, "-m", "crftagger", "extract", good, "-m", str(model_file), "-q"]
        + ["--dask", "local", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dist.returncode == 0, dist.stderr
    assert dist.stdout == local and local.count("\n") > 1


def test_cli_bad_scheduler_is_a_message(model_file, tmp_path):
    good = _write(tmp_path / "a.txt", "John lives in Berlin.")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "crftagger", "extract", good, "-m", str(model_file)]
        + ["--scheduler", "tcp://127.0.0.1:9", "--dask-timeout", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.perf_counter() - t0 < 45
    assert proc.returncode == 1
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 2 s" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_training_bit_identical_to_local(client, sentences, tmp_path):
    files = [str(tmp_path / "a.conll"), str(tmp_path / "b.conll")]
    write_conll(sentences[:230], files[0], columns=COLUMNS)
    write_conll(sentences[230:], files[1], columns=COLUMNS)
    local_sents = [s for f in files for s in read_conll(f, COLUMNS)]
    params = dict(feature_set="ner", label_column="ner", max_iterations=10, c2=0.5)
    local = Tagger.train(local_sents, train_scheme="bioes", **params)
    dist = dask_train(client, files, columns=COLUMNS, train_scheme="bioes", **params)
    assert dist.model.attributes.items == local.model.attributes.items
    assert dist.labels == local.labels
    assert np.array_equal(dist.model.feat_ptr, local.model.feat_ptr)
    assert np.array_equal(dist.model.feat_label, local.model.feat_label)
    assert np.array_equal(dist.model.w, local.model.w)
    losses = [r["loss"] for r in local.info["training_log"]]
    assert [r["loss"] for r in dist.info["training_log"]] == losses and len(losses) == 10
    assert (
        (dist.scheme, dist.model_scheme) == (local.scheme, local.model_scheme) == ("iob1", "bioes")
    )
    assert dist.info["n_tokens"] == local.info["n_tokens"]
    assert dist.tokenizer.to_dict() == local.tokenizer.to_dict()
    assert dist.info["dask"]["workers"] == 2 and dist.info["dask"]["chunks"] >= 2
    texts = ["Peter Blackburn met EU officials in Brussels ."]
    assert [d.to_dict() for d in dist.pipe(texts)] == [d.to_dict() for d in local.pipe(texts)]
    # a partitioned in-memory list gives the same model as well
    mem = dask_train(client, local_sents, partitions=3, train_scheme="bioes", **params)
    assert np.array_equal(mem.model.w, local.model.w)


def test_training_refuses_what_it_cannot_do(client, sentences):
    with pytest.raises(DaskError, match="runs L-BFGS"):
        dask_train(client, sentences[:10], label_column="ner", algorithm="ap")
    with pytest.raises(DaskError, match="dev: not available"):
        dask_train(client, sentences[:10], label_column="ner", dev=sentences[:5])
    with pytest.raises(DaskError, match="no such training file"):
        dask_train(client, ["/nonexistent/train.conll"], columns=COLUMNS)
