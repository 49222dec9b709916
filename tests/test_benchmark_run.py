"""The benchmark command end to end on a tiny ATIS run, plus its pure helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crftagger import recipes
from crftagger.benchmarks import suite as bm
from crftagger.corpora import get

REPO = Path(__file__).resolve().parent.parent
FIELDS = (
    "f1",
    "f1_strict",
    "precision",
    "recall",
    "accuracy",
    "train_seconds",
    "iterations",
    "tokens_per_second",
    "model_bytes",
    "peak_rss_mb",
    "n_features",
    "active_features",
    "test_tokens",
)


@pytest.fixture(scope="module")
def quick_run(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable,
        str(REPO / "benchmarks" / "run.py"),
        "--quick",
        "--corpora",
        "atis",
        "--train-size",
        "300",
        "--test-size",
        "150",
        "--iterations",
        "8",
        "--baseline-iterations",
        "8",
        "--data-dir",
        str(data_dir),
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    return json.loads((out / "results.json").read_text()), (out / "results.md").read_text()


def test_quick_run_rows_and_fields(quick_run):
    doc, _ = quick_run
    assert doc["mode"] == "quick"
    assert doc["machine"]["cores"] >= 1
    assert doc["settings"]["train_size"] == 300
    rows = {r["row"]: r for r in doc["rows"]}
    assert set(rows) == {"crftagger", "crfsuite", "baseline"}
    for name, r in rows.items():
        assert "error" not in r, r.get("error")
        for f in FIELDS:
            assert r[f] is not None, (name, f)
        assert r["corpus"] == "atis" and r["metric"] == "f1"
        assert 0.0 < r["f1"] <= 100.0
        assert 0.0 <= r["f1_strict"] <= 100.0
        assert 0.0 < r["accuracy"] <= 100.0
        assert r["train_sentences"] == 300 and r["test_sentences"] == 150
        assert r["test_tokens"] > 150
        assert r["tokens_per_second"] > 0 and r["model_bytes"] > 0 and r["peak_rss_mb"] > 10
        assert 1 <= r["iterations"] <= 8
        assert 0 < r["active_features"] <= r["n_features"]
    # Same attributes, same parameters: the two engines learn the same model.
    ours, ref = rows["crftagger"], rows["crfsuite"]
    assert ours["n_features"] == ref["n_features"]
    assert abs(ours["f1"] - ref["f1"]) < 2.0
    assert ours["features"] == ref["features"] and ours["features"].startswith("slots v")


def test_quick_run_targets_and_markdown(quick_run):
    doc, md = quick_run
    (t,) = doc["targets"]
    assert t["corpus"] == "atis" and t["target"] == 94.5
    ours = next(r for r in doc["rows"] if r["row"] == "crftagger")
    assert t["crftagger"] == ours["f1"]
    assert t["met"] == (ours["f1"] >= 94.5)
    assert f"| atis | crftagger | {ours['features']} |" in md
    assert f"| atis | {ours['features']} | {ours['c1']:g} | {ours['c2']:g} | 8 | IOB2 |" in md
    assert "ATIS slots" in md
    if doc["commit"]:
        assert doc["commit"] in md


def test_baseline_features_tutorial_layout():
    f = bm.baseline_features(["John", "lives", "IN"], ["NNP", "VBZ", "IN"])
    assert f[0]["BOS"] is True and "EOS" not in f[0]
    assert f[2]["EOS"] is True and "BOS" not in f[2]
    assert (
        f[1]["word.lower()"] == "lives" and f[1]["word[-3:]"] == "ves" and f[1]["word[-2:]"] == "es"
    )
    assert f[1]["-1:word.lower()"] == "john" and f[1]["+1:word.isupper()"] is True
    assert f[1]["postag"] == "VBZ" and f[1]["postag[:2]"] == "VB" and f[1]["+1:postag"] == "IN"
    assert f[0]["word.istitle()"] is True and f[2]["word.isupper()"] is True
    nopos = bm.baseline_features(["a", "1"])
    assert not any("postag" in k for d in nopos for k in d)
    assert nopos[1]["word.isdigit()"] is True


def test_feature_sets_and_baseline_columns_never_read_the_label():
    chunk = get("conll2000")
    fs = recipes.feature_set_for(chunk)
    assert fs.name == "chunk" and fs.params["columns"] == ["pos"]
    assert bm.baseline_pos_column(chunk) == "pos"
    ner = recipes.feature_set_for(get("conll2003"))
    assert ner.params["columns"] == ["pos", "chunk"]
    assert recipes.feature_set_for(get("wnut17")).params["columns"] == []
    assert bm.baseline_pos_column(get("ud_english_ewt")) is None
    assert recipes.feature_set_for(get("ud_english_ewt")).name == "pos"


def test_scheme_round_trip_and_scores():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC"]
    bioes = bm.to_scheme(iob1, None, "bioes")
    assert bioes == ["B-PER", "E-PER", "S-PER", "O", "S-LOC"]
    assert bm.to_scheme(bioes, "bioes", "iob1") == iob1
    # An invalid BIOES prediction is read as conlleval would, not dropped.
    assert bm.to_scheme(["B-PER", "O"], "bioes", "iob1") == ["I-PER", "O"]
    info = get("conll2003")
    s = bm.score(info, [iob1], [["I-PER", "I-PER", "I-PER", "O", "I-LOC"]])
    assert s["metric"] == "f1"
    assert s["gold_spans"] == 3 and s["predicted_spans"] == 2
    assert s["precision"] == pytest.approx(50.0) and s["recall"] == pytest.approx(100 / 3)
    pos = bm.score(get("ud_english_ewt"), [["NOUN", "VERB"]], [["NOUN", "NOUN"]])
    assert (
        pos["metric"] == "accuracy" and pos["accuracy"] == pytest.approx(50.0) and pos["f1"] is None
    )


def test_targets_marked_met_or_missed():
    rows = [
        {"corpus": "atis", "row": "crftagger", "f1": 95.0},
        {"corpus": "atis", "row": "baseline", "f1": 90.0},
        {"corpus": "ud_english_ewt", "row": "crftagger", "accuracy": 95.0},
        {"corpus": "wnut17", "row": "crftagger", "error": "boom"},
    ]
    t = {x["corpus"]: x for x in bm.check_targets(rows)}
    assert (
        t["atis"]["met"] is True and t["atis"]["baseline"] == 90.0 and t["atis"]["crfsuite"] is None
    )
    assert t["ud_english_ewt"]["met"] is False
    assert t["wnut17"]["met"] is None


def test_bad_options_are_clear_errors():
    p = __import__("argparse").ArgumentParser()
    bm.add_arguments(p)
    with pytest.raises(bm.BenchmarkError, match="nope"):
        bm.settings_from_args(p.parse_args(["--corpora", "atis,nope"]))
    with pytest.raises(bm.BenchmarkError, match="CORPUS=SCHEME"):
        bm.settings_from_args(p.parse_args(["--train-scheme", "bioes"]))
    with pytest.raises(bm.BenchmarkError, match="positive"):
        bm.settings_from_args(p.parse_args(["--iterations", "0"]))
    s = bm.settings_from_args(p.parse_args(["--quick", "--train-scheme", "conll2003=own"]))
    assert s.mode == "quick" and "conll2003" not in s.train_schemes
    assert s.spec("atis", "baseline", None)["c1"] == 0.1


def test_per_corpus_regularisation_and_override(monkeypatch):
    from crftagger import recipes

    monkeypatch.setitem(
        recipes.RECIPES,
        "atis",
        recipes.RECIPES["atis"].replace(c1=recipes.Recipe("atis").c1, c2=0.03, max_iterations=40),
    )
    p = __import__("argparse").ArgumentParser()
    bm.add_arguments(p)
    s = bm.settings_from_args(p.parse_args([]))
    spec = s.spec("atis", "crftagger", None)
    assert (spec["c1"], spec["c2"], spec["max_iterations"]) == (bm.TRAIN_PARAMS["c1"], 0.03, 40)
    assert s.spec("snips", "crftagger", None)["max_iterations"] == recipes.MAX_ITERATIONS
    assert s.spec("atis", "crfsuite", None)["c2"] == 0.03
    assert s.spec("atis", "baseline", None)["c2"] == bm.BASELINE_PARAMS["c2"]
    assert s.spec("snips", "crftagger", None)["c2"] == bm.TRAIN_PARAMS["c2"]
    s = bm.settings_from_args(p.parse_args(["--c2", "0.5", "--iterations", "7"]))
    assert s.spec("atis", "crftagger", None)["max_iterations"] == 7
    assert (
        s.spec("atis", "crftagger", None)["c2"] == 0.5
        and s.spec("snips", "crfsuite", None)["c2"] == 0.5
    )


def test_rows_with_a_second_order_model_and_an_outside_bias(data_dir):
    """The crftagger row trains the recipe's CRF order and decodes with its O bias; the
    crfsuite row stays a plain first-order model."""
    settings = bm.Settings(mode="quick", train_size=250, test_size=80, max_iterations=6)
    settings.orders = {"conll2002_es": 2}
    settings.o_biases = {"conll2002_es": -2.0}
    rows = {}
    for row in ("crftagger", "crfsuite"):
        spec = settings.spec("conll2002_es", row, str(data_dir))
        rows[row] = bm.run_row(spec)
    ours, ref = rows["crftagger"], rows["crfsuite"]
    assert "error" not in ours and "error" not in ref
    assert (ours["order"], ours["o_bias"]) == (2, -2.0)
    assert (ref["order"], ref["o_bias"]) == (1, 0.0)
    # trigram weights on top of the same state features and bigrams
    assert ours["n_features"] > ref["n_features"]
    assert 0.0 < ours["f1"] <= 100.0
    # the bias reaches the decoding: without it the same model scores differently
    plain = bm.run_row({**settings.spec("conll2002_es", "crftagger", str(data_dir)), "o_bias": 0.0})
    assert plain["n_features"] == ours["n_features"]
    assert (plain["precision"], plain["recall"]) != (ours["precision"], ours["recall"])
    line = next(x for x in bm._settings_lines([ours, ref]) if x.startswith("| conll2002_es |"))
    assert "| 2 | -2 |" in line
