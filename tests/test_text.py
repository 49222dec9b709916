"""The text layer: tokenisers with exact offsets, sentences, Doc, Tagger.parse/pipe, tag on raw text."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crftagger import Tagger, cli
from crftagger.corpora import synthetic
from crftagger.errors import TaggerError, TaggerInputError
from crftagger.text.doc import Doc
from crftagger.text.tokenize import (
    TOKENIZERS,
    corpus_tokenizer,
    get_tokenizer,
    learn_abbreviations,
)

TEXT = st.lists(
    st.sampled_from(
        list("abcXYZ .,!?'\"()-$@#&;:\t\r\n\u00a0\u2019\u201c\u00e9\u65e5")
        + ["&amp;", "U.S.", "Mr.", "``", "''", "don't"]
    ),
    max_size=60,
).map("".join)


def _words(text, offsets):
    return [text[a:b] for a, b in offsets]


@pytest.mark.parametrize("name", TOKENIZERS)
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_tokens_are_exact_substrings_covering_every_non_space_character(name, text):
    tok = get_tokenizer(name)
    sents = tok.sentences(text)
    flat = [t for s in sents for t in s]
    covered = set()
    last = 0
    for a, b in flat:
        assert last <= a < b <= len(text)
        piece = text[a:b]
        assert piece.split() == [piece]  # no white space inside, not empty
        covered.update(range(a, b))
        last = b
    assert {i for i, c in enumerate(text) if not c.isspace()} == covered
    assert all(s for s in sents)


def test_treebank_conventions_and_sentences():
    tok = get_tokenizer("treebank")
    text = 'Barack Obama visited Paris on Monday. Mr. Smith of the U.S. said "don\'t!"  Then\tJ. R. R. Tolkien left.'
    sents = [_words(text, s) for s in tok.sentences(text)]
    assert sents[0] == ["Barack", "Obama", "visited", "Paris", "on", "Monday", "."]
    assert sents[1][:6] == ["Mr.", "Smith", "of", "the", "U.S.", "said"]
    assert ["do", "n't"] == sents[1][7:9]
    assert sents[2] == ["Then", "J.", "R.", "R.", "Tolkien", "left", "."]
    assert len(sents) == 3


def test_learned_abbreviations_keep_sentences_together():
    text = "Shares of Acme Bhd. Rose today."
    assert len(get_tokenizer("treebank").sentences(text)) == 2
    abbr = learn_abbreviations([["Acme", "Bhd.", "said"], ["Foo", "Bhd.", "rose", "."]])
    assert abbr == ["bhd"]
    assert len(get_tokenizer("treebank", abbreviations=abbr).sentences(text)) == 1


def test_treebank_keeps_emails_and_urls_whole():
    text = "Mail anna.smith@example.org or see https://example.org/a?b=1, (www.x.com)."
    words = _words(text, get_tokenizer("treebank").tokenize(text))
    assert "anna.smith@example.org" in words and "https://example.org/a?b=1" in words
    assert words[-1] == "." and "," in words


def test_tweet_tokens_keep_handles_urls_entities_with_offsets():
    tok = get_tokenizer("tweet")
    text = "@bob I <3 NYC!!!  &amp; #blessed :-) http://t.co/x"
    words = _words(text, tok.tokenize(text))
    assert words == [
        "@bob",
        "I",
        "<3",
        "NYC",
        "!",
        "!",
        "!",
        "&amp;",
        "#blessed",
        ":-)",
        "http://t.co/x",
    ]
    assert corpus_tokenizer("wnut17") == "tweet" and corpus_tokenizer("conll2003") == "treebank"


def test_whitespace_tokenizer_a_line_is_a_sentence_and_blank_lines_split_always():
    text = "a b.\nc d\r\n\r\ne"
    assert [_words(text, s) for s in get_tokenizer("whitespace").sentences(text)] == [
        ["a", "b."],
        ["c", "d"],
        ["e"],
    ]
    assert len(get_tokenizer("treebank").sentences(text)) == 2  # "b. c" is not a boundary


def test_long_input_is_cut_into_bounded_sentences():
    tok = get_tokenizer("treebank", max_tokens=50)
    text = " ".join(["word"] * 1234)
    sents = tok.sentences(text)
    assert max(map(len, sents)) == 50 and sum(map(len, sents)) == 1234
    # a run of 25,000 characters without white space stays one token
    text = "x" * 25_000 + " y z"
    toks = get_tokenizer("whitespace").tokenize(text)
    assert [(a, b) for a, b in toks] == [(0, 25_000), (25_001, 25_002), (25_003, 25_004)]


def test_tokenizer_settings_are_checked():
    for bad in (
        {"name": "spacy"},
        {"name": "treebank", "max_tokens": 0},
        {"name": "tweet", "x": 1},
    ):
        with pytest.raises(ValueError):
            get_tokenizer(bad)
    t = get_tokenizer("tweet", abbreviations=["inc"], max_tokens=9)
    assert get_tokenizer(t.to_dict()) == t


# --------------------------------------------------------------------------- tagger on text


@pytest.fixture(scope="module")
def pii_tagger():
    sents = synthetic.generate(300, seed=3)
    return Tagger.train(
        [(s.tokens, s.columns["ner"]) for s in sents], feature_set="pii", max_iterations=30
    )


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=120))
def test_doc_offsets_are_exact_on_random_text(pii_tagger, text):
    doc = pii_tagger(text)
    for t in doc.tokens:
        assert text[t.start : t.end] == t.text
    for sp in doc.spans:
        assert text[sp.start : sp.end] == sp.text
        assert doc.tokens[sp.token_start].start == sp.start
        assert doc.tokens[sp.token_end - 1].end == sp.end
        assert 0.0 <= sp.confidence <= 1.0 + 1e-9
    assert Doc.from_dict(json.loads(doc.to_json())) == doc


def test_parse_finds_spans_and_pipe_matches_parse(pii_tagger):
    texts = [
        "Write to Anna Smith at anna.smith@example.org today.",
        "",
        "   \t\r\n ",
        "Call 555-0100 now!\r\nThanks, Anna Smith",
    ]
    docs = list(pii_tagger.pipe(texts, batch_size=3))
    assert docs == [pii_tagger.parse(t) for t in texts]
    assert docs[1].tokens == [] and docs[2].tokens == [] and docs[2].spans == []
    d = docs[0]
    assert any(sp.text == "anna.smith@example.org" for sp in d.spans), d.inline()
    assert all(t.tag is not None for t in d.tokens)
    assert d.inline().startswith("Write to [")
    with pytest.raises(TaggerInputError):
        pii_tagger.parse(None)
    with pytest.raises(TaggerInputError):
        list(pii_tagger.pipe("one string"))


def test_doc_from_dict_rejects_wrong_offsets(pii_tagger):
    obj = pii_tagger("Anna Smith wrote.").to_dict()
    obj["tokens"][0]["start"] += 1
    with pytest.raises(TaggerInputError, match="not that text"):
        Doc.from_dict(obj)


def test_output_scheme_is_iob2_by_default_and_evaluate_scores_in_the_corpus_scheme(tmp_path):
    # IOB1 training tags (CoNLL-2003's scheme): answers come out in IOB2
    train = [
        (["John", "Smith", "lives", "in", "Paris"], ["I-PER", "I-PER", "O", "O", "I-LOC"]),
        (["Mary", "Jones", "left", "Rome"], ["I-PER", "I-PER", "O", "I-LOC"]),
        (["Paris", "Hilton", "met", "Anna"], ["I-PER", "I-PER", "O", "I-PER"]),
    ] * 5
    t = Tagger.train(train, feature_set="ner", scheme="iob1", max_iterations=40, c2=0.01)
    assert t.scheme == "iob1" and t.output_scheme == "iob2"
    assert t.tag(["John", "Smith", "lives", "in", "Paris"]) == ["B-PER", "I-PER", "O", "O", "B-LOC"]
    assert t.tag(["John", "Smith"], output_scheme="iob1") == ["I-PER", "I-PER"]
    t.output_scheme = "bioes"
    assert t.tag(["John", "Smith", "lives", "in", "Paris"])[0] == "B-PER"
    assert t.tag(["John", "Smith", "lives", "in", "Paris"])[-1] == "S-LOC"
    ev = t.evaluate([s for s, _ in train], [g for _, g in train])
    assert ev.summary()["accuracy"] == 1.0  # scored in IOB1, against IOB1 gold
    t.save(tmp_path / "m.crftagger")
    back = Tagger.load(tmp_path / "m.crftagger")
    assert back.output_scheme == "bioes" and back.tokenizer == t.tokenizer
    with pytest.raises(TaggerError):
        t.output_scheme = "nonsense"


def test_a_model_reading_columns_says_it_needs_a_pipeline_for_raw_text():
    train = [(["He", "runs"], ["B-NP", "B-VP"])] * 3
    sents = [
        __import__("crftagger").corpora.Sentence(
            tokens=tk, columns={"pos": ["PRP", "VBZ"], "chunk": tg}
        )
        for tk, tg in train
    ]
    t = Tagger.train(sents, feature_set="chunk", label_column="chunk", max_iterations=5)
    with pytest.raises(TaggerError, match="Pipeline"):
        t.parse("He runs.")


# --------------------------------------------------------------------------- command line


def _run(argv, capsys, stdin, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def pii_model(tmp_path_factory, pii_tagger):
    path = tmp_path_factory.mktemp("text") / "pii.crftagger"
    pii_tagger.save(path)
    return path


def test_tag_text_jsonl_inline_conll(pii_model, pii_tagger, capsys, monkeypatch):
    text = "Write to Anna Smith at anna.smith@example.org today.\nNothing here\n"
    code, out, err = _run(["tag", "-m", str(pii_model), "-f", "text"], capsys, text, monkeypatch)
    assert code == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["line"] for o in objs] == [1, 2]
    first = text.splitlines()[0]
    assert objs[0]["text"] == first
    for sp in objs[0]["spans"]:
        assert first[sp["start"] : sp["end"]] == sp["text"]
    assert objs[0]["spans"] == [
        {**s.__dict__, "confidence": round(s.confidence, 6)} for s in pii_tagger(first).spans
    ]
    code, out, _ = _run(
        ["tag", "-m", str(pii_model), "-f", "text", "--output-format", "inline"],
        capsys,
        text,
        monkeypatch,
    )
    assert out.splitlines()[0] == pii_tagger(first).inline() and "[" in out
    code, out, _ = _run(
        ["tag", "-m", str(pii_model), "-f", "text", "--whole-file", "--output-format", "conll"],
        capsys,
        text,
        monkeypatch,
    )
    rows = [line.split("\t") for line in out.splitlines() if line]
    assert all(text[int(r[1]) : int(r[2])] == r[0] for r in rows)
    assert "-DOCSTART-" not in out


def test_tag_marginals_nbest_and_output_scheme(pii_model, capsys, monkeypatch):
    code, out, err = _run(
        ["tag", "-m", str(pii_model), "--output-format", "jsonl", "--marginals", "--nbest", "3"],
        capsys,
        "Write to Anna Smith\n",
        monkeypatch,
    )
    assert code == 0, err
    obj = json.loads(out)
    assert len(obj["marginals"]) == 4
    assert all(abs(sum(r.values()) - 1) < 1e-4 for r in obj["marginals"])
    probs = [c["probability"] for c in obj["nbest"]]
    assert probs == sorted(probs, reverse=True) and obj["nbest"][0]["tags"] == obj["tags"]
    code, out, _ = _run(
        ["tag", "-m", str(pii_model), "--output-format", "tags", "--output-scheme", "bioes"],
        capsys,
        "Write to Anna Smith\n",
        monkeypatch,
    )
    assert out.split()[-1].startswith(("E-", "S-", "O"))
    code, _, err = _run(
        ["tag", "-m", str(pii_model), "--output-format", "tags", "--marginals"],
        capsys,
        "a\n",
        monkeypatch,
    )
    assert code == 1 and "jsonl and conll" in err


def test_tag_conll_keeps_documents_and_matches_the_api(pii_model, pii_tagger, capsys, monkeypatch):
    from crftagger.corpora import Sentence

    conll = "-DOCSTART- O\n\nWrite O\nto O\nAnna O\n\nSmith O\nwrote O\n\n-DOCSTART- O\n\nAnna O\n"
    code, out, err = _run(
        ["tag", "-m", str(pii_model), "-f", "conll", "--columns", "word,gold"],
        capsys,
        conll,
        monkeypatch,
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "-DOCSTART- O O" and lines.count("-DOCSTART- O O") == 2
    got = [line.split()[-1] for line in lines if line and not line.startswith("-DOCSTART-")]
    api = pii_tagger.tag(
        [
            Sentence(["Write", "to", "Anna"], doc_id="doc-0"),
            Sentence(["Smith", "wrote"], doc_id="doc-0"),
            Sentence(["Anna"], doc_id="doc-1"),
        ]
    )
    assert got == [t for s in api for t in s]


def test_tag_bad_text_input_is_a_clear_error(pii_model, capsys, monkeypatch, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\nbroken \xff byte\n")
    code = cli.main(["tag", "-m", str(pii_model), "-f", "text", str(bad)])
    _, err = capsys.readouterr()
    assert code == 1 and "bad.txt:2" in err and "UTF-8" in err and "Traceback" not in err
    code, out, err = _run(
        ["tag", "-m", str(pii_model), "-f", "text"], capsys, "\x00\x01 ctrl \x7f\n\n", monkeypatch
    )
    assert code == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert len(objs) == 2 and objs[1]["tokens"] == []
    assert [t["text"] for t in objs[0]["tokens"]] == ["\x00\x01", "ctrl", "\x7f"]


def test_tag_conllu_writes_the_tags_back_into_valid_conllu(
    pii_model, pii_tagger, capsys, monkeypatch
):
    rows = [
        "# newdoc id = d1",
        "# text = Write to Anna Smith",
        "1\tWrite\twrite\tVERB\tVB\t_\t0\troot\t_\t_",
        "2\tto\tto\tADP\tIN\t_\t3\tcase\t_\tSpaceAfter=No",
        "3-4\tAnnaSmith\t_\t_\t_\t_\t_\t_\t_\t_",
        "3\tAnna\tAnna\tPROPN\tNNP\t_\t1\tobl\t_\t_",
        "4\tSmith\tSmith\tPROPN\tNNP\t_\t3\tflat\t_\t_",
        "",
    ]
    code, out, err = _run(
        ["tag", "-m", str(pii_model), "-f", "conllu"], capsys, "\n".join(rows) + "\n", monkeypatch
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == rows[:2] and lines[4] == rows[4]  # comments and the range as read
    words = [
        line.split("\t")
        for line in lines
        if line and line[0].isdigit() and "-" not in line.split("\t")[0]
    ]
    assert all(len(f) == 10 for f in words)
    got = [f[9].split("|")[-1].removeprefix("Tag=") for f in words]
    assert got == pii_tagger.tag(["Write", "to", "Anna", "Smith"])
    assert words[1][9].startswith("SpaceAfter=No|Tag=")
    code, _, err = _run(
        ["tag", "-m", str(pii_model), "-f", "conllu"], capsys, "1\tWrite\twrite\n\n", monkeypatch
    )
    assert code == 1 and "<stdin>:1" in err and "Traceback" not in err


def test_confidence_false_gives_the_same_tags_and_spans(pii_tagger):
    texts = [
        "Write to Anna Smith at anna.smith@example.org today.",
        "Peter Jones from Acme Bank met Maria Rossi in London on 12/03/2024.",
        "",
        "Nothing here.",
    ]
    full = list(pii_tagger.pipe(texts))
    fast = list(pii_tagger.pipe(texts, confidence=False))
    assert [[t.tag for t in d.tokens] for d in fast] == [[t.tag for t in d.tokens] for d in full]
    key = [[(s.label, s.start, s.end, s.text) for s in d.spans] for d in full]
    assert [[(s.label, s.start, s.end, s.text) for s in d.spans] for d in fast] == key
    assert any(key) and all(s.confidence is None for d in fast for s in d.spans)
    assert Doc.from_dict(json.loads(fast[1].to_json())) == fast[1]
    assert pii_tagger.parse(texts[1], confidence=False) == fast[1]
