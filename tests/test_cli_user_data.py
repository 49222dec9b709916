"""A user's own corpus read right: CoNLL-U in train/evaluate, clusters from CoNLL/CoNLL-U token
columns, tag-first files stopped, --dev-fraction, --template, CRFsuite files in inspect/open_tagger.

Small cuts of the shared corpora are written to pytest's tmp_path; trainings run a few iterations.
"""

from __future__ import annotations

import io
import re

import pytest

from crftagger import cli
from crftagger.corpora import (
    carve_dev,
    conllu_counts,
    read_conll,
    read_conllu,
    swapped_columns,
)
from crftagger.corpora.conllu import iter_sentences
from crftagger.corpora.detect import detect_format, sniff
from crftagger.errors import CorpusFormatError, CRFsuiteModelError

UPOS = set("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X".split())
EWT = "ud_english_ewt/en_ewt-ud-train.conllu"
EWT_DEV = "ud_english_ewt/en_ewt-ud-dev.conllu"


def _run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _cut(src, dest, n: int, skip: int = 0):
    """The lines of sentences ``skip .. skip+n-1`` of a blank-line separated file, written to ``dest``."""
    out, k = [], 0
    with open(src, encoding="utf-8") as fh:
        for line in fh:
            if skip <= k < skip + n:
                out.append(line)
            if not line.strip():
                k += 1
                if k >= skip + n:
                    break
    text = "".join(out)
    dest.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return dest


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err


# --------------------------------------------------------------------------- CoNLL-U reading


def test_format_detection_by_content(data_dir, tmp_path):
    conllu = _cut(data_dir / EWT, tmp_path / "a.txt", 5)  # a name that says nothing
    assert detect_format(conllu) == "conllu"
    assert detect_format(data_dir / "conll2003" / "eng.testb") == "conll"
    assert detect_format(data_dir / "wnut17" / "wnut17train.conll") == "conll"
    assert detect_format(data_dir / "atis" / "raw" / "train" / "seq.in") == "text"
    assert sniff(["the cat sat", "on the mat .", "", "a dog"]) == "text"
    assert sniff(["the", "cat", "", "a", "dog", ""]) == "conll"  # one column, blank lines
    # ten fields but an ID that is no word, range or empty node: not CoNLL-U
    assert sniff(["x\ta\tb\tc\td\te\tf\tg\th\ti"]) == "text"
    assert sniff(["# sent_id = 1", "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_"]) == "conllu"


def test_iter_sentences_streams_what_read_conllu_reads(data_dir, tmp_path):
    path = _cut(data_dir / EWT, tmp_path / "c.conllu", 70)  # holds ranges and an empty node
    counts = conllu_counts(path)
    assert counts["multiword_tokens"] > 0 and counts["empty_nodes"] > 0
    with open(path, encoding="utf-8") as fh:
        streamed = list(iter_sentences(fh, "<stdin>", columns=("upos",)))
    read = list(read_conllu(path, columns=("upos",)))
    assert streamed == read and len(read) == 70
    assert [s.line for s in streamed] == [s.line for s in read]
    assert all(s.source == "<stdin>" for s in streamed)
    assert sum(len(s) for s in streamed) == counts["words"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[streamed[3].line - 1].split("\t")[1] == streamed[3].tokens[0]
    # with_lines: each sentence's own lines, ranges and empty nodes included, in order
    pairs = list(iter_sentences(lines, "x", with_lines=True))
    assert [ln for _s, sl in pairs for ln in sl] == [ln for ln in lines if ln.strip()]
    assert any(re.match(r"\d+-\d+\t", ln) for _s, sl in pairs for ln in sl)
    assert any(re.match(r"\d+\.\d+\t", ln) for _s, sl in pairs for ln in sl)


def test_iter_sentences_errors_name_the_input_and_line():
    good = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
    with pytest.raises(CorpusFormatError, match=r"^<stdin>:3: truncated CoNLL-U line.*10 tab"):
        list(iter_sentences(["# text = Hi there", good, "2\tthere\tthere\tADV\n"]))
    with pytest.raises(CorpusFormatError, match=r"^in.conllu:2: word without UPOS"):
        list(
            iter_sentences(
                [good, good.replace("1\tHi\thi\tINTJ", "2\tyo\tyo\t_")], "in.conllu", label="upos"
            )
        )


# --------------------------------------------------------------------------- train / evaluate on CoNLL-U


@pytest.fixture(scope="module")
def ewt_model(data_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("ewt")
    train = _cut(data_dir / EWT, d / "train.conllu", 120)
    dev = _cut(data_dir / EWT_DEV, d / "dev.conllu", 40)
    model = d / "upos.crftagger"
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = cli.main(
            ["train", str(train), "--dev", str(dev), "-o", str(model), "--max-iterations", "15",
             "--no-progress"]
        )  # fmt: skip
    return code, out.getvalue(), train, dev, model


def test_train_on_conllu_detected_by_content_learns_upos_of_syntactic_words(ewt_model):
    from crftagger import Tagger

    code, out, train, dev, model = ewt_model
    assert code == 0, out
    t = Tagger.load(model)
    assert set(t.labels) <= UPOS and len(t.labels) >= 12
    assert t.info["label_column"] == "upos"
    # ranges ("don't") and empty nodes (8.1) are no tokens: one token per syntactic word
    assert t.info["n_tokens"] == conllu_counts(train)["words"]
    assert t.info["n_sentences"] == 120
    assert "dev: token accuracy" in out and t.info["scores"]["dev"]["n_sentences"] == 40
    assert all("dev_accuracy" in row for row in t.info["training_log"])


def test_evaluate_model_on_conllu_and_conlleval_mode_refuses_it(ewt_model, capsys):
    _code, _out, _train, dev, model = ewt_model
    code, out, err = _run(["evaluate", "--model", model, dev], capsys)
    assert code == 0, err
    m = re.search(r"accuracy\s+([\d.]+)%", out)
    assert m and 60 < float(m.group(1)) <= 100, out
    assert "40 sentences" in out
    # XPOS gold against a UPOS model: the tags never match
    code, out, err = _run(["evaluate", "--model", model, dev, "--label", "xpos"], capsys)
    assert code == 0 and re.search(r"accuracy\s+0\.00%", out), out
    code, out, err = _run(["evaluate", dev], capsys)
    assert code == 1 and "CoNLL-U" in err and "--model" in err
    _no_traceback(err)


def test_train_xpos_and_format_errors(data_dir, tmp_path, capsys):
    from crftagger import Tagger

    train = _cut(data_dir / EWT, tmp_path / "t.conllu", 40)
    model = tmp_path / "xpos.crftagger"
    code, out, err = _run(
        ["train", train, "--label", "xpos", "-o", model, "--max-iterations", "3", "--no-progress"],
        capsys,
    )
    assert code == 0, err
    labels = set(Tagger.load(model).labels)
    assert {"NN", "NNP", "DT", "IN"} <= labels and not labels & {"NOUN", "PROPN"}
    # a truncated CoNLL-U line: the file, the line, what was found and what was expected
    lines = train.read_text(encoding="utf-8").splitlines()
    k = next(i for i, ln in enumerate(lines) if ln and not ln.startswith("#"))
    lines[k + 2] = "\t".join(lines[k + 2].split("\t")[:9])
    bad = tmp_path / "bad.conllu"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _run(["train", bad, "--format", "conllu", "-o", tmp_path / "x"], capsys)
    assert code == 1 and f"{bad}:{k + 3}:" in err and "9 tab-separated fields" in err, err
    assert "10 tab-separated fields" in err
    _no_traceback(err)
    # a CoNLL file read as CoNLL-U
    conll = _cut(data_dir / "conll2003" / "eng.train", tmp_path / "c.txt", 5)
    code, out, err = _run(["train", conll, "--format", "conllu", "-o", tmp_path / "x"], capsys)
    assert code == 1 and f"{conll}:1:" in err and "10 tab-separated fields" in err, err
    code, out, err = _run(["train", train, "--columns", "word,tag", "-o", tmp_path / "x"], capsys)
    assert code == 1 and "--label" in err
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- clusters


def test_clusters_read_the_token_column_of_conll_and_conllu(data_dir, tmp_path, capsys):
    conll = _cut(data_dir / "conll2003" / "eng.train", tmp_path / "ner.txt", 400)
    conllu = _cut(data_dir / EWT, tmp_path / "ud.conllu", 300)
    tokens = {t.lower() for s in read_conll(conll) for t in s.tokens}
    tokens |= {t.lower() for s in read_conllu(conllu) for t in s.tokens}
    tag_values = {v.lower() for s in read_conll(conll) for c in s.columns.values() for v in c} | {
        v.lower() for s in read_conllu(conllu) for k in ("upos", "xpos", "deprel") for v in s[k]
    }
    only_tags = tag_values - tokens
    assert {"i-per", "b-np", "nnp", "propn"} <= only_tags

    def vocabulary(*extra):
        out = tmp_path / "c.paths"
        argv = ["clusters", conll, conllu, "-o", out, "--dim", "10", "--contexts", "200", *extra]
        code, text, err = _run(argv, capsys)
        assert code == 0, err
        return text, {line.split("\t")[1] for line in out.read_text(encoding="utf-8").splitlines()}

    text, vocab = vocabulary()
    n_ner = len(list(read_conll(conll)))  # the -DOCSTART- blocks are no sentences
    assert f"ner.txt: {n_ner} sentences" in text and "ud.conllu: 300 sentences" in text
    assert len(vocab) > 200
    assert vocab <= tokens and not vocab & only_tags
    # read as plain text, the tag columns become "words": the check above can fail
    _text, as_text = vocabulary("--format", "text")
    assert as_text & only_tags


def test_clusters_stop_on_a_tag_first_conll_file(data_dir, tmp_path, capsys):
    src = _cut(data_dir / "mit_restaurant" / "train.txt", tmp_path / "w.txt", 300)
    tagfirst = tmp_path / "tagfirst.txt"
    tagfirst.write_text(
        "".join(
            (" ".join(reversed(ln.split())) + "\n") if ln.strip() else "\n"
            for ln in src.read_text(encoding="utf-8").splitlines()
        ),
        encoding="utf-8",
    )
    out = tmp_path / "c.paths"
    code, _o, err = _run(["clusters", tagfirst, "-o", out], capsys)
    assert code == 1 and "--token-column 2" in err and "span tags" in err, err
    _no_traceback(err)
    code, _o, err = _run(
        ["clusters", tagfirst, "-o", out, "--token-column", "2", "--dim", "10"], capsys
    )
    assert code == 0, err
    vocab = {line.split("\t")[1] for line in out.read_text(encoding="utf-8").splitlines()}
    assert vocab and not any(re.fullmatch(r"[bi]-\S+|o", w) for w in vocab)


# --------------------------------------------------------------------------- tag-first files


def _tag_first(src, dest, n: int):
    """The first ``n`` sentences of a ``word tag`` file, written tag first with a TAB (MIT Movie's layout)."""
    rows = []
    for s in list(read_conll(src))[:n]:
        rows.extend(f"{t}\t{w}" for w, t in zip(s.tokens, s.columns["col1"], strict=True))
        rows.append("")
    dest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return dest


def test_train_stops_on_a_tag_first_file_and_suggests_the_columns(data_dir, tmp_path, capsys):
    from crftagger import Tagger

    f = _tag_first(data_dir / "mit_restaurant" / "train.txt", tmp_path / "tagfirst.bio", 400)
    model = tmp_path / "m.crftagger"
    code, out, err = _run(["train", f, "-o", model, "--no-progress"], capsys)
    assert code == 1, out
    assert f"{f}:" in err and "--columns tag,word" in err and "look swapped" in err, err
    assert re.search(r"holds \d{3,} distinct values", err), err
    _no_traceback(err)
    assert not model.exists()
    code, out, err = _run(
        [
            "train",
            f,
            "--columns",
            "tag,word",
            "-o",
            model,
            "--max-iterations",
            "3",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0, err
    labels = Tagger.load(model).labels
    assert "O" in labels and all(lab == "O" or lab[:2] in ("B-", "I-") for lab in labels)
    assert len(labels) <= 17
    # scoring the same file without saying it is tag-first: stopped the same way
    code, out, err = _run(["evaluate", "--model", model, f], capsys)
    assert code == 1 and "--columns gold,word" in err and "--no-column-check scores" in err, err
    code, out, err = _run(["evaluate", "--model", model, f, "--columns", "gold,word"], capsys)
    assert code == 0 and "FB1" in out, err
    small = _tag_first(data_dir / "mit_restaurant" / "train.txt", tmp_path / "small.bio", 60)
    code, out, err = _run(
        ["train", small, "-o", model, "--no-column-check", "--max-iterations", "1",
         "--no-progress", "--feature-set", "chunk", "--feature-param", "columns="],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert len(Tagger.load(model).labels) > 100  # words as labels: what the check stops


def test_ordinary_files_are_not_taken_for_swapped(data_dir, tmp_path, capsys):
    from crftagger.corpora import load, registry
    from crftagger.sentence import Sentence

    for name in registry.names():
        info = registry.get(name)
        sents = load(name, "train")
        assert swapped_columns(sents, info.label_column) is None, name
        swapped = [Sentence(s[info.label_column], {"col1": s.tokens}) for s in sents[:2000]]
        assert swapped_columns(swapped, "col1") is not None, name
    # small files too: the first sentences of CoNLL-2003 and a POS file (CoNLL-2000, 45 tags)
    for n in (1, 5, 200):
        assert swapped_columns(load("conll2003", "train")[:n], "ner") is None
        assert swapped_columns(load("conll2000", "train")[:n], "pos") is None
    ner = _cut(data_dir / "conll2003" / "eng.train", tmp_path / "ner.txt", 200)
    pos = _cut(data_dir / "conll2000" / "train.txt", tmp_path / "pos.txt", 300)
    for f, cols, label in ((ner, "word,pos,chunk,ner", "ner"), (pos, "word,pos,chunk", "pos")):
        argv = ["train", f, "--columns", cols, "--label-column", label, "-o", tmp_path / "m",
                "--max-iterations", "2", "--no-progress", "--feature-set", "chunk",
                "--feature-param", "columns="]  # fmt: skip
        code, out, err = _run(argv, capsys)
        assert code == 0, err
    assert int(re.search(r"(\d+) labels", out).group(1)) >= 30, out  # the POS file's tags


# --------------------------------------------------------------------------- --dev-fraction


def test_carve_dev_is_the_benchmarks_dev_split(data_dir):
    from crftagger.benchmarks.suite import DEV_EVERY, load_splits
    from crftagger.corpora import load, registry

    info = registry.get("mit_restaurant")
    train, dev = load_splits(info, "dev", str(data_dir))
    assert (train, dev) == carve_dev(load("mit_restaurant", "train"), 1 / DEV_EVERY)
    rest, dev = carve_dev(list(range(20)), 0.25)
    assert dev == [3, 7, 11, 15, 19] and len(rest) == 15
    rest, dev = carve_dev(list(range(100)), 0.15)  # spread evenly, exactly 15
    assert len(dev) == 15 and max(b - a for a, b in zip(dev, dev[1:], strict=False)) <= 7
    for bad in (0, -0.1, 0.6, "x"):
        with pytest.raises(ValueError, match="dev fraction"):
            carve_dev(list(range(10)), bad)
    with pytest.raises(ValueError, match="at least one sentence"):
        carve_dev([1, 2, 3], 0.1)


def test_train_dev_fraction_scores_the_carved_split_during_training(data_dir, tmp_path, capsys):
    from crftagger import Tagger

    f = _cut(data_dir / "mit_restaurant" / "train.txt", tmp_path / "r.txt", 200)
    model = tmp_path / "m.crftagger"
    code, out, err = _run(
        ["train", f, "--dev-fraction", "0.1", "-o", model, "--max-iterations", "4",
         "--no-progress", "--feature-set", "slots"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "dev: 20 of the 200 training sentences" in out and "dev: F1" in out, out
    t = Tagger.load(model)
    assert t.info["n_sentences"] == 180 and t.info["scores"]["dev"]["n_sentences"] == 20
    assert t.info["dev_fraction"] == 0.1
    assert len(t.info["training_log"]) == 4
    assert all("dev_f1" in row or "dev_accuracy" in row for row in t.info["training_log"])
    code, out, err = _run(["train", f, "--dev-fraction", "0.1", "--dev", f, "-o", model], capsys)
    assert code == 1 and "not both" in err
    with pytest.raises(SystemExit):
        cli.main(["train", str(f), "--dev-fraction", "0.9", "-o", str(model)])
    assert "at most 0.5" in capsys.readouterr().err


# --------------------------------------------------------------------------- --template


CRFPP = """# CRF++ template
U00:%x[0,0]
U01:%x[-1,0]/%x[0,0]
U02:%x[0,1]
U03:%x[-1,1]/%x[0,1]

B
"""


def test_train_with_a_crfpp_template_saves_it_in_the_model(data_dir, tmp_path, capsys):
    from crftagger import Tagger

    data = _cut(data_dir / "conll2000" / "train.txt", tmp_path / "chunk.txt", 150)
    test = _cut(data_dir / "conll2000" / "test.txt", tmp_path / "test.txt", 20)
    template = tmp_path / "template"
    template.write_text(CRFPP, encoding="utf-8")
    model = tmp_path / "crfpp.crftagger"
    code, out, err = _run(
        ["train", data, "--columns", "word,pos,chunk", "--template", template, "-o", model,
         "--max-iterations", "10", "--no-progress"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    template.unlink()  # the model carries the templates
    t = Tagger.load(model)
    attrs = list(t.model.attributes)
    assert attrs and all(re.match(r"U0[0-3]:", a) for a in attrs)
    assert {a[:4] for a in attrs} == {"U00:", "U01:", "U02:", "U03:"}
    assert "U01:_B-1/Confidence" in attrs  # padding as CRF++ writes it
    assert any(a.startswith("U02:NN") for a in attrs)  # column 1 is the POS column
    assert t.feature_set.columns == ["pos"]
    code, out, err = _run(["tag", "-m", model, "-f", "conll", test], capsys)
    assert code == 0, err
    assert len([ln for ln in out.splitlines() if ln.strip()]) == sum(map(len, read_conll(test)))
    code, out, err = _run(["evaluate", "--model", model, test], capsys)
    assert code == 0, err
    f1 = float(re.search(r"FB1:\s+([\d.]+)", out).group(1))
    assert f1 > 50, out


def test_template_errors_name_the_file(data_dir, tmp_path, capsys):
    data = _cut(data_dir / "conll2000" / "train.txt", tmp_path / "chunk.txt", 20)
    template = tmp_path / "t.txt"
    template.write_text("U00:%x[0,0]\nU01:%x[0,3]\n", encoding="utf-8")
    argv = [
        "train",
        data,
        "--columns",
        "word,pos,chunk",
        "--template",
        template,
        "-o",
        tmp_path / "m",
    ]
    code, out, err = _run(argv, capsys)
    assert code == 1 and str(template) in err and "column 3" in err and "pos" in err, err
    _no_traceback(err)
    template.write_text("w[0]\nner[0]\n", encoding="utf-8")  # CRFsuite style, a missing column
    code, out, err = _run(argv, capsys)
    assert code == 1 and "'ner'" in err, err
    template.write_text("w[0]\npos[-1]|pos[0]\n", encoding="utf-8")
    code, out, err = _run([*argv, "--max-iterations", "2", "--no-progress"], capsys)
    assert code == 0, err
    code, out, err = _run([*argv, "--feature-set", "ner"], capsys)
    assert code == 1 and "--template" in err


# --------------------------------------------------------------------------- CRFsuite files


@pytest.fixture(scope="module")
def crfsuite_file(tmp_path_factory):
    import pycrfsuite

    from crftagger.corpora import synthetic
    from crftagger.features import feature_set

    splits = synthetic.make_splits(150, 10, 30, seed=3)
    fx = feature_set("pii").extractor()
    trainer = pycrfsuite.Trainer(verbose=False)
    for s, x in zip(splits.train, fx.to_dicts(splits.train), strict=True):
        trainer.append(x, s["ner"])
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": 20})
    path = tmp_path_factory.mktemp("crfsuite") / "model.crftagger"  # the name misleads
    trainer.train(str(path))
    return path, splits, fx


def test_open_tagger_tells_crfsuite_files_by_their_bytes(crfsuite_file, tmp_path, monkeypatch):
    import pycrfsuite

    from crftagger import Tagger
    from crftagger.io.open import ModelFormatError, open_tagger

    path, splits, fx = crfsuite_file
    with pytest.raises(ModelFormatError, match="feature set") as exc:
        open_tagger(path)
    assert str(path) in str(exc.value) and "--feature-set" in str(exc.value)
    t = open_tagger(path, "pii")
    assert isinstance(t, Tagger)
    ref = pycrfsuite.Tagger()
    ref.open(str(path))
    test = splits.test
    assert t.tag([s.tokens for s in test]) == [ref.tag(x) for x in fx.to_dicts(test)]
    # a crftagger file named like a CRFsuite one
    own = tmp_path / "own.crfsuite"
    t.save(own)
    assert isinstance(open_tagger(own), Tagger)
    with pytest.raises(ModelFormatError, match="carries its own feature set"):
        open_tagger(own, "pii")
    # a feature set that cannot write the model's attributes
    with pytest.raises(ModelFormatError, match="crfsuite-chunking"):
        open_tagger(path, "crfsuite-chunking")

    # never handed to CRFsuite: a corrupted file is reported by crftagger's reader
    def refuse(*args):
        pytest.fail("python-crfsuite opened the file")

    monkeypatch.setattr(pycrfsuite, "Tagger", refuse)
    data = path.read_bytes()
    for k, broken in enumerate((data[:1000], data[:60] + b"\xff" * 8 + data[68:])):
        bad = tmp_path / f"bad{k}.bin"
        bad.write_bytes(broken)
        with pytest.raises(CRFsuiteModelError, match=re.escape(str(bad))):
            open_tagger(bad, "pii")
    other = tmp_path / "other.bin"
    other.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelFormatError, match=r"found the bytes .*expected a crftagger model"):
        open_tagger(other)


def test_inspect_a_crfsuite_file(crfsuite_file, capsys):
    path = crfsuite_file[0]
    code, out, err = _run(["inspect", path, "--top", "2"], capsys)
    assert code == 0, err
    assert "CRFsuite crf1d model" in out and "not recorded" in out
    assert re.search(r"labels:\s+O B-", out) and "transition weights" in out
    assert re.search(r"B-EMAIL: \S+ \+\d", out)
    code, out, err = _run(
        ["inspect", path, "--explain", "Mail bob@example.com", "--position", "1"], capsys
    )
    assert code == 1 and "--feature-set" in err
    _no_traceback(err)
    code, out, err = _run(
        ["inspect", path, "--feature-set", "pii", "--explain", "Mail bob@example.com",
         "--position", "1"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert re.search(r"^\* B-EMAIL", out, re.M), out
