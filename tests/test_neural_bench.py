"""The neural comparison rows (benchmarks/neural.py): conversion to spaCy and the evaluation path.

spaCy is an optional extra (``crftagger[compare]``); without it these tests
are skipped. With it, each corpus' first 20 training sentences go through
the DocBin and back unchanged, and a pipeline trained for a couple of steps
on them tags gold tokens that the suite's scorer reads.
"""

from __future__ import annotations

import pytest

spacy = pytest.importorskip(
    "spacy", reason="spaCy is not installed (optional extra: pip install 'crftagger[compare]')"
)

from crftagger.benchmarks import neural, suite  # noqa: E402
from crftagger.corpora import get, load  # noqa: E402
from crftagger.errors import BenchmarkError  # noqa: E402
from crftagger.schemes import extract_spans  # noqa: E402

CORPORA = ("conll2003", "ud_english_ewt", "atis")


@pytest.fixture(scope="module")
def slices(data_dir):
    return {c: load(c, "train", data_dir)[:20] for c in CORPORA}


@pytest.mark.parametrize("corpus", CORPORA)
def test_docbin_round_trips_gold_tokens_and_tags(corpus, slices, tmp_path):
    info = get(corpus)
    sents = slices[corpus]
    vocab = spacy.blank("en").vocab
    path = neural.write_docbin(sents, info, tmp_path / "x.spacy", vocab)
    docs = neural.read_docbin(path, vocab)
    assert len(docs) == len(sents)
    for s, doc in zip(sents, docs, strict=True):
        assert [t.text for t in doc] == s.tokens
        gold = s.columns[info.label_column]
        if info.scheme is None:
            assert [t.pos_ for t in doc] == gold
        else:
            assert [(e.label_, e.start, e.end) for e in doc.ents] == [
                tuple(sp) for sp in extract_spans(gold)
            ]
            # every token is annotated: outside tokens are O, never missing
            assert all(t.ent_iob_ in ("B", "I", "O") for t in doc)
    assert neural.docs_to_tags(docs, info) == [s.columns[info.label_column] for s in sents]
    assert neural.round_trip_mismatches(sents, info, docs) == {
        "tokens": [],
        "spans": [],
        "tags": [],
    }


def test_round_trip_check_reports_a_change(slices):
    info = get("conll2003")
    sents = slices["conll2003"]
    vocab = spacy.blank("en").vocab
    docs = neural.to_docs(sents, info, vocab)
    k = next(i for i, s in enumerate(sents) if extract_spans(s.columns["ner"]))
    docs[k].ents = list(docs[k].ents)[1:]  # one gold span lost
    bad = neural.round_trip_mismatches(sents, info, docs)
    assert bad["spans"] == [k] and bad["tags"] == [k] and bad["tokens"] == []
    with pytest.raises(BenchmarkError, match="expected 20"):
        neural.round_trip_mismatches(sents, info, docs[:-1])


def test_iob1_b_tag_is_the_same_span_written_canonically():
    """A ``B-`` that follows no span of its type reads as ``I-`` after the round trip."""
    info = get("conll2003")
    from crftagger.sentence import Sentence

    s = Sentence(
        ["the", "Atlanta", "Games", "Bonn", "Paris"],
        {"ner": ["O", "B-MISC", "I-MISC", "I-LOC", "B-LOC"]},
    )
    docs = neural.to_docs([s], info, spacy.blank("en").vocab)
    assert [(e.label_, e.start, e.end) for e in docs[0].ents] == [
        ("MISC", 1, 3),
        ("LOC", 3, 4),
        ("LOC", 4, 5),
    ]
    assert neural.docs_to_tags(docs, info) == [["O", "I-MISC", "I-MISC", "I-LOC", "B-LOC"]]
    assert neural.round_trip_mismatches([s], info, docs) == {
        "tokens": [],
        "spans": [],
        "tags": [0],
    }


@pytest.mark.parametrize("corpus", ["conll2003", "ud_english_ewt"])
def test_train_tag_and_score_on_a_tiny_slice(corpus, slices, data_dir, tmp_path):
    info = get(corpus)
    train = slices[corpus]
    test = load(corpus, "test", data_dir)[:20]
    vocab = spacy.blank("en").vocab
    tr = neural.write_docbin(train, info, tmp_path / "train.spacy", vocab)
    dv = neural.write_docbin(train[:10], info, tmp_path / "dev.spacy", vocab)
    config = neural.spacy_config(neural.component_for(info), tr, dv, max_steps=2)
    nlp, rec = neural.train_spacy(config, tmp_path, max_seconds=120)
    assert nlp.pipe_names == ["tok2vec", "morphologizer" if info.scheme is None else "ner"]
    assert rec["steps"] == 2 and rec["stopped_by"] == "patience or max_steps"
    assert (tmp_path / "model-best" / "config.cfg").is_file()
    docs = neural.spacy_tag(nlp, test)
    # spaCy tagged the gold tokens, never its own tokenisation
    assert [[t.text for t in d] for d in docs] == [s.tokens for s in test]
    pred = neural.docs_to_tags(docs, info)
    gold = [s.columns[info.label_column] for s in test]
    assert [len(p) for p in pred] == [len(g) for g in gold]
    res = suite.score(info, gold, pred)
    key = "accuracy" if info.scheme is None else "f1"
    assert res["metric"] == key and 0.0 <= res[key] <= 100.0
    # the labels come from the training data only
    if info.scheme is None:
        assert set(nlp.get_pipe("morphologizer").labels) <= {
            f"POS={t}" for s in train for t in s.columns["upos"]
        }
    else:
        assert set(nlp.get_pipe("ner").labels) == {
            sp.type for s in train for sp in extract_spans(s.columns["ner"])
        }
    assert neural.cold_start("spacy", str(tmp_path / "model-best"), repeat=1) > 0


def test_markdown_and_plot_from_a_record(tmp_path):
    row = {
        "corpus": "atis",
        "row": "crftagger",
        "features": "slots v5",
        "metric": "f1",
        "f1": 95.0,
        "accuracy": 97.0,
        "train_seconds": 10.0,
        "iterations": 150,
        "tokens_per_second": 1000.0,
        "model_bytes": 1_000_000,
        "peak_rss_mb": 300.0,
        "cold_start_seconds": 1.5,
    }
    pts = [
        {**row, "fraction": f, "train_sentences": n, "f1": v}
        for f, n, v in ((0.1, 400, 80.0), (1.0, 4000, 95.0))
    ]
    pts += [{**p, "row": "spacy", "f1": p["f1"] - 5, "stopped_by": "x", "steps": 10} for p in pts]
    doc = {
        "commit": "abc",
        "date": "now",
        "machine": {
            "cores": 2,
            "cpu": "cpu",
            "platform": "linux",
            "python": "3",
            "numba": "0",
            "numba_threads": 1,
            "spacy": spacy.__version__,
        },
        "settings": {
            "max_minutes": 1,
            "curve": ["atis"],
            "curve_minutes": 1,
            "curve_seed": 0,
            "numba_num_threads_env": "1",
        },
        "total_seconds": 60,
        "rows": [row, {"corpus": "atis", "row": "spacy", "error": "boom\nlast line"}],
        "curve": pts,
    }
    md = neural.render_markdown(doc)
    assert "| atis | crftagger | slots v5 | 95.00 | 97.00 | 10.0 |" in md
    assert "FAILED: last line" in md
    assert "| atis | 10% | 400 | 80.00 | 75.00 |" in md
    png = neural.plot_curves(pts, tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nested_subsets():
    xs = list(range(1000))
    small, big = neural._subset(xs, 0.05), neural._subset(xs, 0.25)
    assert len(small) == 50 and len(big) == 250
    assert set(small) <= set(big) and small == sorted(small)
    assert neural._subset(xs, 1.0) is xs


def test_benchmark_neural_option_runs_the_neural_benchmark(monkeypatch, tmp_path, capsys):
    from crftagger.cli import main

    seen = {}

    def fake_run(corpora, out_dir, data_dir=None, **kw):
        seen.update(corpora=corpora, out=out_dir, **kw)
        return {"total_seconds": 1.0, "rows": [], "curve": []}

    monkeypatch.setattr(neural, "run", fake_run)
    argv = ["benchmark", "--neural", "--corpora", "atis", "--max-minutes", "0.5"]
    assert main([*argv, "--curve", "atis", "--out", str(tmp_path)]) == 0
    assert seen["corpora"] == ("atis",) and seen["max_minutes"] == 0.5
    assert seen["curve"] == ("atis",) and seen["rows_run"] == neural.ROWS
    assert main(["benchmark", "--neural", "--corpora", "bogus"]) != 0
    assert "unknown corpus 'bogus'" in capsys.readouterr().err
