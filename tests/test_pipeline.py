"""crftagger.api.pipeline on a small slice of CoNLL-2003: column checks, jackknifed training,
files, documents."""

from __future__ import annotations

import argparse

import pytest

from crftagger.api import pipeline as pl
from crftagger.api.pipeline import Pipeline, Step
from crftagger.api.tagger import Tagger, TaggerError
from crftagger.corpora import load
from crftagger.io import container
from crftagger.io.container import ModelFileError
from crftagger.sentence import Sentence

N_TRAIN, N_DEV, FOLDS, ITERATIONS = 240, 60, 3, 8
NER = {"name": "ner", "columns": ["pos", "chunk"], "gazetteers": False, "names": None}
STEPS = [
    Step("pos", "pos"),
    Step("chunk", "chunk"),
    Step("ner", NER, params={"train_scheme": "bioes"}),
]


def key(s: Sentence) -> tuple:
    return (s.source, s.line)


@pytest.fixture(scope="module")
def train_sents(data_dir):
    return load("conll2003", "train", data_dir)[:N_TRAIN]


@pytest.fixture(scope="module")
def dev_sents(data_dir):
    return load("conll2003", "dev", data_dir)[:N_DEV]


@pytest.fixture(scope="module")
def trained(train_sents):
    """The pipeline, and every Tagger.train call it made: (label column, training sentences)."""
    calls = []
    original = Tagger.train.__func__

    def spy(cls, corpus, *args, **kwargs):
        calls.append((kwargs.get("label_column"), list(corpus)))
        return original(cls, corpus, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Tagger, "train", classmethod(spy))
        pipe = Pipeline.train(train_sents, STEPS, folds=FOLDS, max_iterations=ITERATIONS)
    return pipe, calls


def test_every_column_read_must_be_filled_by_an_earlier_step(trained):
    pipe, _ = trained
    (_, pos), (_, chunk), (_, ner) = pipe.steps
    with pytest.raises(TaggerError, match=r"step 0 \('chunk'\).*reads the column\(s\) 'pos'"):
        Pipeline([("chunk", chunk), ("ner", ner)])
    with pytest.raises(TaggerError, match=r"step 1 \('ner'\).*'chunk'.*filled before it: 'pos'"):
        Pipeline([("pos", pos), ("ner", ner)])
    with pytest.raises(TaggerError, match="already filled by step 0"):
        Pipeline([("pos", pos), ("pos", pos), ("chunk", chunk), ("ner", ner)])
    # the order matters, not only the set of columns
    with pytest.raises(TaggerError, match=r"step 0 \('chunk'\)"):
        Pipeline([("chunk", chunk), ("pos", pos), ("ner", ner)])
    assert Pipeline([("pos", pos), ("chunk", chunk), ("ner", ner)]).columns == [
        "pos",
        "chunk",
        "ner",
    ]


def test_training_refuses_a_step_reading_an_unfilled_column_before_training(train_sents):
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Tagger, "train", classmethod(lambda cls, *a, **k: calls.append(a)))
        with pytest.raises(TaggerError, match=r"step 0 \('chunk'\).*'pos'"):
            Pipeline.train(train_sents, [Step("chunk", "chunk"), Step("ner", NER)], folds=2)
    assert calls == []  # it would have trained on the gold pos column


def test_jackknifed_columns_come_from_models_that_did_not_see_the_sentence(trained, train_sents):
    pipe, calls = trained
    fold = pl.document_folds(train_sents, FOLDS)
    # documents stay in one fold, and every fold holds sentences
    for a, b, fa, fb in zip(train_sents, train_sents[1:], fold, fold[1:], strict=False):
        if a.doc_id == b.doc_id:
            assert fa == fb
    assert sorted(set(fold)) == list(range(FOLDS))
    # FOLDS fold models + 1 full model per filler, then the final model
    assert [c for c, _ in calls] == ["pos"] * (FOLDS + 1) + ["chunk"] * (FOLDS + 1) + ["ner"]
    everyone = {key(s) for s in train_sents}
    for step in range(2):
        runs = calls[step * (FOLDS + 1) : (step + 1) * (FOLDS + 1)]
        for k, (_, seen) in enumerate(runs[:FOLDS]):
            held = {key(s) for s, f in zip(train_sents, fold, strict=True) if f == k}
            assert {key(s) for s in seen} == everyone - held
        assert {key(s) for s in runs[FOLDS][1]} == everyone  # the pipeline's own model
    gold_pos = [s.columns["pos"] for s in train_sents]
    gold_chunk = [s.columns["chunk"] for s in train_sents]
    # the chunk models and the final model read predicted columns, never gold ones
    chunk_full = calls[2 * FOLDS + 1][1]
    final = calls[-1][1]
    assert [s.columns["pos"] for s in chunk_full] == [s.columns["pos"] for s in final]
    assert [s.columns["pos"] for s in final] != gold_pos
    assert [s.columns["chunk"] for s in final] != gold_chunk
    assert [s.columns["chunk"] for s in chunk_full] == gold_chunk  # its labels stay gold
    assert [s.columns["ner"] for s in final] == [s.columns["ner"] for s in train_sents]
    # held-out predictions are worse than those of a model tagging its own training sentences
    (_, full_pos), _, _ = pipe.steps
    jack = [s.columns["pos"] for s in final]
    acc_jack = sum(
        p == g for js, gs in zip(jack, gold_pos, strict=True) for p, g in zip(js, gs, strict=True)
    )
    resub = full_pos.tag(train_sents)
    acc_resub = sum(
        p == g for rs, gs in zip(resub, gold_pos, strict=True) for p, g in zip(rs, gs, strict=True)
    )
    assert acc_jack < acc_resub
    n = sum(len(g) for g in gold_pos)
    assert pipe.info["steps"][0]["jackknife"]["accuracy"] == pytest.approx(acc_jack / n)


def test_cross_predict_tags_each_fold_with_its_own_model(train_sents):
    sents = train_sents[:90]
    fold = pl.document_folds(sents, 2)
    pred, models = pl.cross_predict(
        sents, fold, lambda s: Tagger.train(s, "chunk", label_column="chunk", max_iterations=3)
    )
    assert len(models) == 2
    for k, model in enumerate(models):
        idx = [j for j, f in enumerate(fold) if f == k]
        assert model.info["n_sentences"] == len(sents) - len(idx)
        assert model.tag([sents[j] for j in idx], output_scheme=model.scheme) == [
            pred[j] for j in idx
        ]
    assert pred != [s.columns["chunk"] for s in sents]


def test_tagging_reads_predicted_columns_not_the_gold_ones(trained, dev_sents):
    pipe, _ = trained
    filled = pipe.fill(dev_sents, final=False)
    assert [s.tokens for s in filled] == [s.tokens for s in dev_sents]
    assert [s.columns["pos"] for s in filled] != [s.columns["pos"] for s in dev_sents]
    assert pipe.tag(dev_sents) == pipe.final.tag(filled)
    assert pipe.tag(dev_sents) != pipe.final.tag(dev_sents)  # gold columns give other answers
    # token lists, one sentence, an empty batch
    toks = [s.tokens for s in dev_sents]
    assert pipe.tag(toks) == pipe.final.tag(
        [Sentence(s.tokens, c.columns) for s, c in zip(dev_sents, filled, strict=True)]
    )
    assert pipe.tag(toks[0]) == pipe.tag(toks)[0]
    assert pipe.tag([]) == []
    assert pipe.labels == pipe.final.labels and pipe.scheme == "iob1"
    assert pipe.tokenizer is pipe.final.tokenizer
    # the chunk column is written in the chunk tagger's corpus scheme (IOB1), as trained
    (_, _), (_, chunk), _ = pipe.steps
    assert chunk.scheme == "iob1"
    assert [s.columns["chunk"] for s in filled] == chunk.tag(filled, output_scheme="iob1")


def test_doc_ids_reach_the_final_tagger(trained, dev_sents):
    pipe, _ = trained
    seen = []
    final = pipe.final
    original = final._annotate

    def spy(sentences):
        seen.append([s.doc_id for s in sentences])
        return original(sentences)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(final, "_annotate", spy)
        with_docs = pipe._annotate(dev_sents)
        bare = pipe._annotate([Sentence(s.tokens) for s in dev_sents])
        doc = pipe("Peter Blackburn met John Smith in Brussels. Smith left.")
    assert seen[0] == [s.doc_id for s in dev_sents] and len(set(seen[0])) > 1
    assert seen[1] == [None] * len(dev_sents)
    assert seen[2] == ["text-0", "text-0"]
    assert [s.doc_id for s in pipe.fill(dev_sents)] == [s.doc_id for s in dev_sents]
    # the final tagger's document features see the documents: the confidences change
    conf = [[sp.confidence for sp in found] for _, found in with_docs]
    conf_bare = [[sp.confidence for sp in found] for _, found in bare]
    assert conf != conf_bare
    assert all(doc.text[sp.start : sp.end] == sp.text for sp in doc.spans)
    assert len(doc.tokens) == 11 and all(t.tag is not None for t in doc.tokens)


def test_save_load_round_trip(trained, dev_sents, tmp_path):
    pipe, _ = trained
    path = pipe.save(tmp_path / "p.crftagger")
    head = container.read_header(path)["fields"]
    assert head["kind"] == pl.FORMAT
    assert [(e["column"], e["reads"]) for e in head["steps"]] == [
        ("pos", []),
        ("chunk", ["pos"]),
        ("ner", ["pos", "chunk"]),
    ]
    back = Pipeline.load(path)
    assert back.columns == pipe.columns
    assert back.tag(dev_sents) == pipe.tag(dev_sents)
    assert back.spans(dev_sents) == pipe.spans(dev_sents)
    assert back.fill(dev_sents) == pipe.fill(dev_sents)
    assert back.info["steps"] == pipe.info["steps"]
    assert pl.load_model(path).columns == pipe.columns


def test_loading_checks_the_file_and_every_step(trained, tmp_path):
    pipe, _ = trained
    path = pipe.save(tmp_path / "p.crftagger")
    arrays, fields = container.load(path)
    # a damaged byte: the container's checksum
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF
    (tmp_path / "bad.crftagger").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="checksum"):
        Pipeline.load(tmp_path / "bad.crftagger")
    # a step whose header disagrees with its blocks: Tagger.load's check, naming the step
    fields["steps"][1]["fields"]["n_labels"] += 1
    container.save(tmp_path / "step.crftagger", arrays, fields)
    with pytest.raises(TaggerError, match=r"step 1 \('chunk'\): header says n_labels=") as err:
        Pipeline.load(tmp_path / "step.crftagger")
    assert "tmp" not in str(err.value).split("step 1")[1]
    fields["steps"][1]["fields"]["n_labels"] -= 1
    # a block that belongs to no step
    container.save(tmp_path / "stray.crftagger", {**arrays, "extra": ["x"]}, fields)
    with pytest.raises(TaggerError, match="belong to no step"):
        Pipeline.load(tmp_path / "stray.crftagger")
    # steps swapped in the header: the column check
    swapped = {**fields, "steps": [fields["steps"][1], fields["steps"][0], fields["steps"][2]]}
    swapped["steps"] = [{**e, "prefix": f"step{i}/"} for i, e in enumerate(swapped["steps"])]
    renamed = {
        b.replace("step0/", "stepX/").replace("step1/", "step0/").replace("stepX/", "step1/"): v
        for b, v in arrays.items()
    }
    container.save(tmp_path / "swap.crftagger", renamed, swapped)
    with pytest.raises(TaggerError, match=r"swap.crftagger: step 0 \('chunk'\).*'pos'"):
        Pipeline.load(tmp_path / "swap.crftagger")
    # a tagger file is not a pipeline file
    pipe.final.save(tmp_path / "ner.crftagger")
    with pytest.raises(TaggerError, match="use Tagger.load"):
        Pipeline.load(tmp_path / "ner.crftagger")


def test_from_files_and_the_build_command(trained, dev_sents, tmp_path, capsys):
    from crftagger.cli import pipeline as cli

    pipe, _ = trained
    files = [t.save(tmp_path / f"{name}.crftagger") for name, t in pipe.steps]
    built = Pipeline.from_files(files)
    assert built.columns == ["pos", "chunk", "ner"]
    assert built.tag(dev_sents) == pipe.tag(dev_sents)
    with pytest.raises(TaggerError, match=r"step 0 \('chunk'\)"):
        Pipeline.from_files(files[1:])
    with pytest.raises(TaggerError, match=r"step 1 \('c'\).*'pos'"):
        Pipeline.from_files(files, columns=["p", "c", "n"])
    with pytest.raises(TaggerError, match="2 column names for 3 model files"):
        Pipeline.from_files(files, columns=["pos", "chunk"])
    parser = argparse.ArgumentParser(prog="crftagger")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["pipeline", "build", "-o", str(tmp_path / "built.crftagger"), *map(str, files)]
    )
    assert args.func(args) == 0
    assert "written to" in capsys.readouterr().out
    assert Pipeline.load(tmp_path / "built.crftagger").tag(dev_sents) == pipe.tag(dev_sents)
    args = parser.parse_args(
        ["pipeline", "build", "-o", str(tmp_path / "x.crftagger"), str(files[2]), str(files[0])]
    )
    with pytest.raises(TaggerError, match="reads the column"):
        args.func(args)


def test_tag_command_reads_raw_text_through_a_saved_pipeline(
    trained, tmp_path, capsys, monkeypatch
):
    import io
    import json

    from crftagger import cli

    pipe, _ = trained
    path = tmp_path / "pipe.crftagger"
    pipe.save(path)
    text = "Germany's representative to the European Union met Peter Smith in Brussels."
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))
    assert cli.main(["tag", "-m", str(path), "-f", "text"]) == 0
    obj = json.loads(capsys.readouterr().out)
    want = pipe(text)
    assert [t["tag"] for t in obj["tokens"]] == want.tags and len(want.tags) > 5
    for sp in obj["spans"]:
        assert text[sp["start"] : sp["end"]] == sp["text"]
    assert [(s["label"], s["start"], s["end"]) for s in obj["spans"]] == [
        (s.label, s.start, s.end) for s in want.spans
    ]
