"""The model commands end to end: demo, train, tag, evaluate --model, inspect."""

from __future__ import annotations

import io
import json

import pytest

from crftagger import cli, schemes
from crftagger.corpora import synthetic, write_conll


def _run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    """The demo run as on a fresh machine: the data folder and the cache hold no corpus."""
    import contextlib
    import os

    path = tmp_path_factory.mktemp("demo") / "pii.crftagger"
    empty = tmp_path_factory.mktemp("no-corpora")
    saved = {k: os.environ.get(k) for k in ("CRFTAGGER_DATA", "CRFTAGGER_CACHE")}
    os.environ["CRFTAGGER_DATA"] = str(empty)
    os.environ["CRFTAGGER_CACHE"] = str(empty)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            code = cli.main(
                [
                    "demo",
                    "--n-train",
                    "300",
                    "--n-dev",
                    "30",
                    "--n-test",
                    "60",
                    "--max-iterations",
                    "25",
                    "--examples",
                    "3",
                    "-o",
                    str(path),
                ]
            )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert not any(empty.iterdir())
    return code, buf.getvalue(), path


def test_demo_runs_end_to_end(demo_model):
    code, out, path = demo_model
    assert code == 0
    assert "processed" in out and "FB1" in out  # the conlleval report
    # three generated texts and one with a card number, an IBAN and an IP address
    assert out.count("original:") == 4 and out.count("masked:") == 4
    masked = [line for line in out.splitlines() if line.strip().startswith("masked:")]
    assert any("[" in line and "]" in line for line in masked)
    assert "Card [CREDIT_CARD], IBAN [IBAN], from [IP_ADDRESS]." in masked[-1]
    # no corpora on a fresh machine: slot filling says how to get ATIS
    assert "Slot filling: skipped, ATIS is not here" in out
    assert path.is_file()


def test_tag_tokens_from_stdin_with_spans(demo_model, capsys, monkeypatch):
    path = demo_model[2]
    text = "Please call Anna Smith on +44 20 7946 0958 .\n\nMail bob@example.com today\n"
    code, out, err = _run(["tag", "-m", str(path), "--spans"], capsys, text, monkeypatch)
    assert code == 0, err
    lines = [line for line in out.splitlines() if not line.startswith("#span")]
    assert lines[0].startswith("Please/O call/O")
    assert lines[1] == ""  # an empty sentence gets an empty answer
    assert lines[2].startswith("Mail/O bob@example.com/B-EMAIL")
    spans = [line.split("\t") for line in out.splitlines() if line.startswith("#span")]
    assert any(s[3] == "EMAIL" and s[5] == "bob@example.com" for s in spans)
    assert all(0 < float(s[4]) <= 1 for s in spans)


def test_tag_jsonl_and_conll(demo_model, capsys, monkeypatch):
    path = demo_model[2]
    data = (
        json.dumps({"tokens": ["Write", "to", "ann@example.org", "."]})
        + "\n"
        + json.dumps(["Hi", "Tom"])
        + "\n"
    )
    code, out, err = _run(
        ["tag", "-m", str(path), "-f", "jsonl", "--spans"], capsys, data, monkeypatch
    )
    assert code == 0, err
    objs = [json.loads(x) for x in out.splitlines()]
    assert objs[0]["tokens"][2] == "ann@example.org" and len(objs[0]["tags"]) == 4
    assert objs[0]["spans"][0]["type"] == "EMAIL"
    conll = "Write X\nto X\nann@example.org X\n\nHi X\nTom X\n"
    code, out, err = _run(
        ["tag", "-m", str(path), "-f", "conll", "--columns", "word,x"], capsys, conll, monkeypatch
    )
    assert code == 0, err
    rows = out.split("\n\n")
    assert rows[0].splitlines()[2].startswith("ann@example.org X ")
    for block in filter(None, (r.strip() for r in rows)):
        schemes.validate([line.split()[-1] for line in block.splitlines()], "iob2")


def test_tag_bad_input_is_a_clear_error(demo_model, capsys, monkeypatch):
    path = demo_model[2]
    code, out, err = _run(
        ["tag", "-m", str(path), "-f", "conll"], capsys, "a B\nb C D\n", monkeypatch
    )
    assert code == 1 and "<stdin>:2: found 3 fields; expected 2" in err
    code, out, err = _run(
        ["tag", "-m", str(path), "-f", "jsonl"], capsys, '{"tokens": "oops"}\n', monkeypatch
    )
    assert code == 1 and "<stdin>:1" in err
    code, out, err = _run(["tag", "-m", str(path), "-f", "jsonl"], capsys, '["a b"]\n', monkeypatch)
    assert code == 1 and "white space" in err


def test_train_evaluate_and_inspect_on_files(tmp_path, capsys):
    sp = synthetic.make_splits(200, 30, 40, seed=2)
    train, dev, test = (tmp_path / f"{n}.conll" for n in ("train", "dev", "test"))
    for p, sents in ((train, sp.train), (dev, sp.dev), (test, sp.test)):
        write_conll(sents, p, ("word", "ner"))
    model = tmp_path / "m.crftagger"
    code, out, err = _run(
        [
            "train",
            str(train),
            "--columns",
            "word,ner",
            "--feature-set",
            "pii",
            "--dev",
            str(dev),
            "--test",
            str(test),
            "--train-scheme",
            "bioes",
            "--max-iterations",
            "15",
            "--c1",
            "0.05",
            "--no-progress",
            "-o",
            str(model),
        ],
        capsys,
    )
    assert code == 0, err
    assert "dev: F1" in out and "test: F1" in out and model.is_file()
    code, out, err = _run(
        ["evaluate", "--model", str(model), str(test), "--columns", "word,ner"], capsys
    )
    assert code == 0, err
    assert "processed" in out and "strict iob2 spans" in out and "confusion matrix" in out
    code, out, err = _run(["inspect", str(model), "--top", "3"], capsys)
    assert code == 0, err
    assert "labels:" in out and "transition weights" in out and "S-PER" in out
    code, out, err = _run(
        ["inspect", str(model), "--explain", "Write to Anna Smith", "--position", "2"], capsys
    )
    assert code == 0, err
    assert "explaining token 2 (Anna)" in out
    code, out, err = _run(
        [
            "train",
            str(train),
            "--columns",
            "word,ner",
            "--algorithm",
            "pa",
            "--order",
            "2",
            "--no-progress",
            "-o",
            str(model),
        ],
        capsys,
    )
    assert code == 1 and "'lbfgs' only" in err


def test_evaluate_model_on_a_corpus_split(demo_model, data_dir, capsys):
    # a personal-data model on chunk tags: every gold tag is one it never saw
    code, out, err = _run(
        [
            "evaluate",
            "--model",
            str(demo_model[2]),
            "--corpus",
            "conll2000",
            "--split",
            "test",
            "--limit",
            "20",
            "--data-dir",
            str(data_dir),
        ],
        capsys,
    )
    assert code == 0, err
    assert "conll2000 test: 20 sentences" in out and "processed" in out


def test_train_and_demo_on_a_registered_corpus(data_dir, tmp_path, capsys):
    model = tmp_path / "chunk.crftagger"
    code, out, err = _run(
        [
            "train",
            "conll2000",
            "--data-dir",
            str(data_dir),
            "--limit",
            "150",
            "--max-iterations",
            "5",
            "--progress",
            "-o",
            str(model),
        ],
        capsys,
    )
    assert code == 0, err
    assert "trained on 150 sentences" in out and "test: F1" in out
    assert "training" in err and "loss" in err  # the progress bar
    code, out, err = _run(["inspect", str(model), "--top", "2"], capsys)
    assert "feature set:    chunk" in out and "scheme:         iob2" in out
    code, out, err = _run(
        [
            "demo",
            "--corpus",
            "conll2000",
            "--data-dir",
            str(data_dir),
            "--n-train",
            "150",
            "--n-test",
            "30",
            "--max-iterations",
            "5",
            "--examples",
            "1",
        ],
        capsys,
    )
    assert code == 0, err
    assert "processed" in out and "/B-NP" in out


def test_train_tag_and_inspect_a_second_order_model(tmp_path, capsys, monkeypatch):
    sp = synthetic.make_splits(150, 20, 30, seed=4)
    train, test = tmp_path / "train.conll", tmp_path / "test.conll"
    write_conll(sp.train, train, ("word", "ner"))
    write_conll(sp.test, test, ("word", "ner"))
    model = tmp_path / "m2.crftagger"
    code, out, err = _run(
        [
            "train",
            str(train),
            "--columns",
            "word,ner",
            "--feature-set",
            "pii",
            "--test",
            str(test),
            "--order",
            "2",
            "--max-iterations",
            "20",
            "--no-progress",
            "-o",
            str(model),
        ],
        capsys,
    )
    assert code == 0, err
    assert "test: F1" in out
    code, out, err = _run(["inspect", str(model), "--top", "4"], capsys)
    assert code == 0, err
    assert "CRF order:      2" in out and "second order:" in out and '"order": 2' in out
    trigram_rows = out.split("second order:", 1)[1].strip().splitlines()[1:]
    assert 1 <= len(trigram_rows) <= 4 and all("->" in r for r in trigram_rows)
    code, out, err = _run(
        ["tag", "-m", str(model), "--spans"],
        capsys,
        stdin="Write to Anna Smith today\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    tagged = [line for line in out.splitlines() if not line.startswith("#span")][0].split()
    assert [t.rsplit("/", 1)[0] for t in tagged] == ["Write", "to", "Anna", "Smith", "today"]
    code, out, err = _run(
        [
            "train",
            str(train),
            "--columns",
            "word,ner",
            "--order",
            "2",
            "--algorithm",
            "ap",
            "--no-progress",
            "-o",
            str(model),
        ],
        capsys,
    )
    assert code == 1 and "lbfgs" in err


def test_tag_names_the_line_of_input_without_the_columns_a_model_reads(
    data_dir, tmp_path, capsys, monkeypatch
):
    model = tmp_path / "chunk.crftagger"  # the chunk feature set reads a POS column
    code, out, err = _run(
        [
            "train",
            "conll2000",
            "--data-dir",
            str(data_dir),
            "--limit",
            "60",
            "--max-iterations",
            "3",
            "--no-progress",
            "-o",
            str(model),
        ],
        capsys,
    )
    assert code == 0, err
    code, out, err = _run(
        ["tag", "-m", str(model)], capsys, "He reckons the deficit\n", monkeypatch
    )
    assert code == 1 and "<stdin>: the model reads the input column(s) pos" in err
    assert "--columns word,pos" in err and "Traceback" not in err
    good = json.dumps({"tokens": ["He", "reckons"], "pos": ["PRP", "VBZ"]})
    bad = json.dumps({"tokens": ["the", "deficit"]})
    code, out, err = _run(
        ["tag", "-m", str(model), "-f", "jsonl"], capsys, f"{good}\n\n{bad}\n", monkeypatch
    )
    assert code == 1 and "<stdin>:3: sentence 2: no column 'pos'" in err
    assert "no columns besides the words" in err and "doc:" not in err
    code, out, err = _run(
        ["tag", "-m", str(model), "-f", "jsonl"], capsys, f"{good}\n{good}\n", monkeypatch
    )
    assert code == 0, err
    assert [json.loads(x)["tokens"] for x in out.splitlines()] == [["He", "reckons"]] * 2
