"""Readers and writers of crftagger.corpora: layouts, round trips, bad input, streaming."""

from __future__ import annotations

import io
import tracemalloc
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crftagger.corpora import (
    CorpusFormatError,
    Document,
    Sentence,
    read_bio,
    read_conll,
    read_conll_documents,
    read_conllu,
    write_conll,
    write_conllu,
)
from crftagger.corpora.conllu import conllu_counts


def _write(tmp_path, name, data: str | bytes):
    p = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    p.write_bytes(data)
    return p


# ---------------------------------------------------------------------------
# CoNLL column files


def test_conll_named_columns_docstart_and_lines(tmp_path):
    text = (
        "-DOCSTART- -X- -X- O\n"
        "\n"
        "EU NNP I-NP I-ORG\n"
        "rejects VBZ I-VP O\n"
        "\n"
        "Peter NNP I-NP I-PER\n"
        "\n"
        "-DOCSTART- -X- O O\n"
        "\n"
        "Bonn NNP I-NP I-LOC\n"
    )
    p = _write(tmp_path, "a.txt", text)
    sents = list(read_conll(p, ("word", "pos", "chunk", "ner")))
    assert [s.tokens for s in sents] == [["EU", "rejects"], ["Peter"], ["Bonn"]]
    assert sents[0].columns == {
        "pos": ["NNP", "VBZ"],
        "chunk": ["I-NP", "I-VP"],
        "ner": ["I-ORG", "O"],
    }
    assert [s.doc_id for s in sents] == ["doc-0", "doc-0", "doc-1"]
    assert [s.line for s in sents] == [3, 6, 10]
    assert sents[0].source == str(p)
    assert sents[0]["ner"] == ["I-ORG", "O"] and sents[0]["word"] == ["EU", "rejects"]
    assert len(sents[0]) == 2
    with pytest.raises(KeyError, match="no column 'lemma'"):
        sents[0]["lemma"]
    # The -DOCSTART- line is neither a token nor a sentence.
    assert all("-DOCSTART-" not in s.tokens for s in sents)


def test_conll_documents_keep_empty_documents_and_leading_sentences(tmp_path):
    text = "a O\n\n-DOCSTART- O\n-DOCSTART- O\n\nb O\nc O\n\nd O\n"
    docs = list(read_conll_documents(_write(tmp_path, "d.txt", text)))
    assert [(d.doc_id, [s.tokens for s in d.sentences]) for d in docs] == [
        (None, [["a"]]),
        ("doc-0", []),
        ("doc-1", [["b", "c"], ["d"]]),
    ]
    # A boundary line right after a token line ends the sentence.
    text = "a O\n-DOCSTART- O\nb O"
    sents = list(read_conll(_write(tmp_path, "e.txt", text)))
    assert [(s.tokens, s.doc_id) for s in sents] == [(["a"], None), (["b"], "doc-0")]


def test_conll_whitespace_only_lines_crlf_and_missing_final_newline(tmp_path):
    text = "w1\tB-x\r\nw2\tI-x\r\n\t\r\nw3\tO\r\n  \r\n\r\n\r\nw4 x\tO"
    sents = list(read_conll(_write(tmp_path, "f.txt", text)))
    assert [s.tokens for s in sents] == [["w1", "w2"], ["w3"], ["w4 x"]]
    assert [s["col1"] for s in sents] == [["B-x", "I-x"], ["O"], ["O"]]
    assert [s.line for s in sents] == [1, 4, 8]


def test_conll_auto_separator_and_explicit(tmp_path):
    p = _write(tmp_path, "s.txt", "a b c\nd e f\n")
    (s,) = read_conll(p)
    assert s.tokens == ["a", "d"] and s.columns == {"col1": ["b", "e"], "col2": ["c", "f"]}
    (s,) = read_conll(p, ("tok", "x", "y"), sep="space", token_column="tok")
    assert s.tokens == ["a", "d"] and s["tok"] == ["a", "d"] and s.token_column == "tok"
    (s,) = read_conll(p, ("t", "word", "y"))  # "word" is the token column when named
    assert s.tokens == ["b", "e"] and s.columns == {"t": ["a", "d"], "y": ["c", "f"]}
    p = _write(tmp_path, "w.txt", "a  b\t c\n")
    (s,) = read_conll(p, sep="whitespace")
    assert s.tokens == ["a"] and s.columns == {"col1": ["b"], "col2": ["c"]}
    with pytest.raises(ValueError, match="unknown separator"):
        list(read_conll(p, sep="comma"))
    with pytest.raises(ValueError, match="token_column 'nope'"):
        list(read_conll(p, ("a", "b", "c"), token_column="nope"))


def test_read_bio_tab_and_space(tmp_path):
    tab = _write(tmp_path, "t.conll", "@paul\tB-person\n&\tO\n\t\nok\tO\n")
    sents = list(read_bio(tab))
    assert [s.tokens for s in sents] == [["@paul", "&"], ["ok"]]
    assert sents[0]["tag"] == ["B-person", "O"]
    space = _write(tmp_path, "s.txt", "cheap B-Price\nfood O\n\nnear B-Location")
    sents = list(read_bio(space))
    assert [s["tag"] for s in sents] == [["B-Price", "O"], ["B-Location"]]


def test_docstart_can_be_read_as_tokens(tmp_path):
    p = _write(tmp_path, "d.txt", "-DOCSTART- O\na O\n")
    (s,) = read_conll(p, docstart=False)
    assert s.tokens == ["-DOCSTART-", "a"] and s.doc_id is None


def test_utf8_bom_is_skipped_and_other_encodings(tmp_path):
    p = _write(tmp_path, "b.txt", b"\xef\xbb\xbfa O\n")
    assert next(read_conll(p)).tokens == ["a"]
    p = _write(tmp_path, "l.txt", "caf\u00e9 O\n".encode("latin-1"))
    assert next(read_conll(p, encoding="latin-1")).tokens == ["caf\u00e9"]


# ---------------------------------------------------------------------------
# CoNLL-U

CONLLU = (
    "# newdoc id = d1\n"
    "# sent_id = s1\n"
    "# text = I don't know.\n"
    "1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t3:nsubj\t_\n"
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
    "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t4:aux\t_\n"
    "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_\n"
    "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t0:root\t_\n"
    "4.1\tknows\tknow\tVERB\tVBZ\t_\t_\t_\t4:conj\t_\n"
    "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_\n"
    "\n"
    "# sent_id = s2\n"
    "1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
    "\n"
    "# newdoc\n"
    "# sent_id = s3\n"
    "1\tOk\tok\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
)


def test_conllu_words_view(tmp_path):
    p = _write(tmp_path, "x.conllu", CONLLU)
    s1, s2, s3 = read_conllu(p)
    assert s1.tokens == ["I", "do", "n't", "know", "."]
    assert s1["upos"] == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert s1["xpos"] == ["PRP", "VBP", "RB", "VB", "."]
    assert s1["id"] == ["1", "2", "3", "4", "5"]
    assert s1.meta == {"newdoc id": "d1", "sent_id": "s1", "text": "I don't know."}
    assert (s1.doc_id, s2.doc_id, s3.doc_id) == ("d1", "d1", "doc-1")
    assert (s1.line, s2.line, s3.line) == (4, 13, 17)
    assert s1.token_column == "form" and s1["form"] == s1.tokens
    (x1, *_) = read_conllu(p, columns=("xpos",))
    assert x1.columns == {"xpos": ["PRP", "VBP", "RB", "VB", "."]} and x1.tokens == s1.tokens
    with pytest.raises(ValueError, match="unknown CoNLL-U columns"):
        next(read_conllu(p, columns=("pos",)))


def test_conllu_surface_view_and_counts(tmp_path):
    p = _write(tmp_path, "x.conllu", CONLLU)
    s1 = next(read_conllu(p, multiword="surface"))
    assert s1.tokens == ["I", "don't", "know", "."]
    assert s1["upos"] == ["PRON", "AUX+PART", "VERB", "PUNCT"]
    assert s1["lemma"] == ["I", "do+not", "know", "."]
    assert s1["id"] == ["1", "2-3", "4", "5"]
    assert s1["misc"] == ["_", "SpaceAfter=No", "_", "_"]
    c = conllu_counts(p)
    assert c == {
        "sentences": 3,
        "words": 7,
        "surface_tokens": 6,  # 7 words - 2 covered + 1 range line
        "multiword_tokens": 1,
        "empty_nodes": 1,
        "documents": 2,
    }
    assert sum(len(s) for s in read_conllu(p, multiword="surface")) == c["surface_tokens"]
    with pytest.raises(ValueError, match="multiword must be"):
        list(read_conllu(p, multiword="x"))


def test_conllu_repeated_comment_keys_round_trip(tmp_path):
    text = "# note = a\n# note = b\n# bare\n1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n\n"
    p = _write(tmp_path, "r.conllu", text)
    (s,) = read_conllu(p)
    assert s.meta == {"note": "a\nb", "bare": ""}
    out = io.StringIO()
    write_conllu([s], out)
    assert out.getvalue() == text


# ---------------------------------------------------------------------------
# writers


def test_write_conll_round_trip_file_and_documents(tmp_path):
    text = "-DOCSTART- -X- O\n\na x B-A\nb y I-A\n\nc z O\n\n-DOCSTART- -X- O\n\n-DOCSTART- -X- O\n\nd w O\n\n"
    p = _write(tmp_path, "in.txt", text)
    docs = list(read_conll_documents(p, ("word", "pos", "ner")))
    out = tmp_path / "out.txt"
    write_conll(docs, out)
    assert out.read_text() == text
    sents = list(read_conll(p, ("word", "pos", "ner")))
    write_conll(sents, out, sep="\t", newline="\r\n")
    assert list(read_conll(out, ("word", "pos", "ner"))) == sents
    assert b"\r\n" in out.read_bytes() and b"\t" in out.read_bytes()
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".part")]


def test_write_conll_refuses_what_cannot_round_trip():
    buf = io.StringIO()
    with pytest.raises(ValueError, match="contains ' '"):
        write_conll([Sentence(["a b"], {"t": ["O"]})], buf)
    with pytest.raises(ValueError, match="empty value"):
        write_conll([Sentence([""], {"t": ["O"]})], buf)
    with pytest.raises(ValueError, match="document boundary"):
        write_conll([Sentence(["-DOCSTART-"], {"t": ["O"]})], buf)
    with pytest.raises(ValueError, match="without a doc_id"):
        write_conll([Sentence(["a"], doc_id="x"), Sentence(["b"])], buf)
    with pytest.raises(ValueError, match="no tokens"):
        write_conll([Sentence([])], buf)
    with pytest.raises(ValueError, match="one per token"):
        Sentence(["a", "b"], {"t": ["O"]})


def test_write_conllu_round_trip_and_defaults(tmp_path):
    p = _write(tmp_path, "x.conllu", CONLLU)
    sents = list(read_conllu(p))
    out = tmp_path / "y.conllu"
    write_conllu(sents, out)
    assert list(read_conllu(out)) == sents
    buf = io.StringIO()
    write_conllu([Sentence(["a", "b"], {"upos": ["X", "Y"]}, doc_id="D")], buf)
    assert buf.getvalue() == (
        "# newdoc id = D\n1\ta\t_\tX\t_\t_\t_\t_\t_\t_\n2\tb\t_\tY\t_\t_\t_\t_\t_\t_\n\n"
    )
    surface = list(read_conllu(p, multiword="surface"))
    with pytest.raises(ValueError, match="surface-token"):
        write_conllu(surface, io.StringIO())


# Tokens: printable, no whitespace at all (the "whitespace" reader mode and every
# separator must keep them whole), never the document marker.
_token = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="\ufeff"
    ),
    min_size=1,
    max_size=6,
).filter(lambda t: not t.startswith("-DOCSTART-") and not t.isspace() and t.split() == [t])


@st.composite
def _conll_files(draw):
    n_cols = draw(st.integers(1, 4))
    sep = draw(st.sampled_from([" ", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    final_newline = draw(st.booleans())
    blank = draw(st.sampled_from(["", " ", "\t", " \t "]))
    items = draw(
        st.lists(
            st.one_of(
                st.just("DOCSTART"),
                st.lists(
                    st.lists(_token, min_size=n_cols, max_size=n_cols), min_size=1, max_size=4
                ),
            ),
            max_size=6,
        )
    )
    lines = []
    expected = []  # (tokens rows, doc_id)
    doc = None
    n_docs = 0
    for it in items:
        if it == "DOCSTART":
            lines += ["-DOCSTART-" + (sep + "O") * (n_cols - 1), blank]
            doc = f"doc-{n_docs}"
            n_docs += 1
        else:
            lines += [sep.join(row) for row in it] + [blank]
            expected.append((it, doc))
    while lines and lines[-1] == blank:
        lines.pop()
    text = newline.join(lines) + (newline if final_newline and lines else "")
    return text, n_cols, sep, expected


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_conll_files())
def test_conll_round_trip_property(tmp_path, case):
    text, n_cols, sep, expected = case
    names = tuple(f"c{i}" for i in range(n_cols))
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("utf-8"))
    got = list(read_conll(src, names, sep="tab" if sep == "\t" else "space", token_column="c0"))
    assert [
        ([list(r) for r in zip(s.tokens, *s.columns.values(), strict=True)], s.doc_id) for s in got
    ] == expected
    if n_cols > 1 or sep == " ":
        assert list(read_conll(src, names, token_column="c0")) == got  # auto separator
    dst = tmp_path / "out.txt"
    for out_sep, out_nl in ((sep, "\n"), ("\t", "\r\n")):
        docs = list(
            read_conll_documents(
                src, names, sep="tab" if sep == "\t" else "space", token_column="c0"
            )
        )
        write_conll(docs, dst, sep=out_sep, newline=out_nl)
        back = list(
            read_conll_documents(
                dst, names, sep="tab" if out_sep == "\t" else "space", token_column="c0"
            )
        )
        assert back == docs
        write_conll(got, dst, sep=out_sep, newline=out_nl)
        assert (
            list(
                read_conll(dst, names, sep="tab" if out_sep == "\t" else "space", token_column="c0")
            )
            == got
        )


_field = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\t\ufeff"
    ),
    min_size=1,
    max_size=5,
).filter(lambda t: t.strip(" \t\r\n\f\v") == t and not t.startswith("#"))


@st.composite
def _conllu_sentences(draw):
    out = []
    doc = None
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 4))
        cols = {
            name: draw(st.lists(_field, min_size=n, max_size=n))
            for name in ("lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")
        }
        cols = {"id": [str(i + 1) for i in range(n)], **cols}
        meta = {}
        if draw(st.booleans()):
            doc = draw(_field.filter(lambda t: "=" not in t))
            meta["newdoc id"] = doc
        meta["sent_id"] = draw(_field)
        if draw(st.booleans()):
            meta["text"] = draw(_field)
        out.append(
            Sentence(
                draw(st.lists(_field, min_size=n, max_size=n)),
                cols,
                doc_id=doc,
                meta=meta,
                token_column="form",
            )
        )
    return out


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sents=_conllu_sentences(), newline=st.sampled_from(["\n", "\r\n"]))
def test_conllu_round_trip_property(tmp_path, sents, newline):
    dst = tmp_path / "out.conllu"
    write_conllu(sents, dst, newline=newline)
    back = list(read_conllu(dst))
    assert back == sents
    write_conllu(back, tmp_path / "again.conllu", newline=newline)
    assert (tmp_path / "again.conllu").read_bytes() == dst.read_bytes()


# ---------------------------------------------------------------------------
# bad input: every error names the file and the line


def _error(reader, path, **kw) -> CorpusFormatError:
    with pytest.raises(CorpusFormatError) as info:
        list(reader(path, **kw))
    err = info.value
    assert isinstance(err, ValueError)
    assert str(path) in str(err)
    return err


def test_wrong_column_count_against_first_line(tmp_path):
    p = _write(tmp_path, "bad.txt", "a B C\nd E F\n\ng H\n")
    err = _error(read_conll, p)
    assert err.line == 4 and f"{p}:4:" in str(err)
    assert "found 2 space-separated fields" in str(err) and "expected 3" in str(err)
    assert "first token line 1" in str(err)


def test_wrong_column_count_against_declared_columns(tmp_path):
    p = _write(tmp_path, "bad.txt", "a B\n")
    err = _error(read_conll, p, columns=("word", "pos", "ner"))
    assert err.line == 1 and "expected 3 declared columns (word pos ner)" in str(err)


def test_bio_file_with_three_fields(tmp_path):
    p = _write(tmp_path, "bad.conll", "a\tO\nb\tO\tX\n")
    err = _error(read_bio, p)
    assert err.line == 2 and "found 3 tab-separated fields" in str(err)


def test_empty_token(tmp_path):
    p = _write(tmp_path, "bad.txt", "a\tO\n\tO\n")
    err = _error(read_conll, p)
    assert err.line == 2 and "empty field" in str(err) and "field 1 (word)" in str(err)
    p = _write(tmp_path, "bad2.txt", "a O\nb  O\n")
    err = _error(read_conll, p, columns=("word", "tag"))
    assert err.line == 2 and "found 3 space-separated fields" in str(err)
    p = _write(tmp_path, "bad3.txt", "a O \n")
    err = _error(read_conll, p, columns=("word", "tag", "x"))
    assert err.line == 1 and "field 3 (x) empty" in str(err)


def test_non_utf8_byte_reports_line_and_offset(tmp_path):
    p = _write(tmp_path, "bad.txt", b"ok O\n\ncaf\xe9 O\n")
    err = _error(read_conll, p)
    assert err.line == 3
    assert "0xe9" in str(err) and "byte offset 9 of the file" in str(err)
    assert "byte 3 of the line" in str(err) and "utf-8" in str(err)
    p = _write(
        tmp_path, "bad.conllu", b"1\tx\t_\t_\t_\t_\t_\t_\t_\t_\n\n1\t\xff\t_\t_\t_\t_\t_\t_\t_\t_\n"
    )
    err = _error(read_conllu, p)
    assert err.line == 3 and "byte offset 23 of the file (byte 2 of the line)" in str(err)


def test_truncated_conllu_line(tmp_path):
    p = _write(tmp_path, "bad.conllu", "1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n2\tb\t_\tNOUN\n")
    err = _error(read_conllu, p)
    assert err.line == 2 and "truncated CoNLL-U line" in str(err)
    assert "found 4 tab-separated fields" in str(err) and "expected 10" in str(err)
    p = _write(tmp_path, "spaces.conllu", "1 a _ _ _ _ _ _ _ _\n")
    assert _error(read_conllu, p).line == 1


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n3\tb\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "ID 3"),
        ("x\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", 1, "bad ID field"),
        ("1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "runs past"),
        ("1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n3-4\tb\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "multiword"),
        ("1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n# c\n", 2, "comment inside a sentence"),
        ("# sent_id = 1\n\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "comments without a sentence"),
        ("1\t\t_\t_\t_\t_\t_\t_\t_\t_\n", 1, "FORM"),
        ("1\ta\t_\t_\t_\t_\t_\t_\t_\t_\t_\n", 1, "too many fields"),
    ],
)
def test_conllu_structure_errors(tmp_path, text, line, words):
    p = _write(tmp_path, "bad.conllu", text)
    err = _error(read_conllu, p)
    assert err.line == line and words in str(err)
    assert f"{p}:{line}:" in str(err) and "expected" in str(err)


# ---------------------------------------------------------------------------
# streaming


def test_readers_are_lazy_generators(tmp_path):
    """The first sentence comes out before the reader reaches a bad line further down."""
    p = _write(tmp_path, "lazy.txt", "a O\n\nb O\n\n" + "c O\n" * 1000 + "bad\n")
    gen = read_conll(p)
    assert isinstance(gen, types.GeneratorType)
    assert next(gen).tokens == ["a"]
    assert next(gen).tokens == ["b"]
    with pytest.raises(CorpusFormatError):
        next(gen)
    p = _write(tmp_path, "lazy.conllu", "1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n\n1\tb\n")
    gen = read_conllu(p)
    assert next(gen).tokens == ["a"]
    with pytest.raises(CorpusFormatError):
        next(gen)


def test_memory_stays_bounded_on_a_multi_megabyte_file(tmp_path):
    p = tmp_path / "big.txt"
    sentence = "".join(f"token{i} NN I-NP O\n" for i in range(20)) + "\n"
    with open(p, "w") as fh:
        for _ in range(6000):
            fh.write(sentence)
    size = p.stat().st_size
    assert size > 2_000_000
    columns = ("word", "pos", "chunk", "ner")
    next(read_conll(p, columns))  # one-time allocations (codecs, caches) before measuring
    tracemalloc.start()
    try:
        n = 0
        for s in read_conll(p, columns):
            n += len(s)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 120_000
    # Streaming holds one sentence at a time; the whole file's strings would take megabytes.
    assert peak < 200_000, f"peak {peak} bytes while streaming a {size}-byte file"


def test_document_dataclass():
    d = Document("x", [Sentence(["a"]), Sentence(["b"])])
    assert len(d) == 2 and [s.tokens for s in d] == [["a"], ["b"]]
