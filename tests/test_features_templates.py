"""Template parsing (CRFsuite names, windows, CRF++ files) and exact reproduction of CRF++/CRFsuite."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crftagger.features import (
    FeatureSet,
    Template,
    TemplateError,
    feature_set,
    parse,
    parse_crfpp,
    read_crfpp,
)
from crftagger.features.spec import FeatureSpecError
from crftagger.features.templates import Slot


def test_parse_crfsuite_names():
    [t] = parse("w[-1]|w[0]")
    assert t.literals == ("w[-1]|w[0]=", "|", "")
    assert t.slots == (Slot("w", -1), Slot("w", 0))
    assert t.render(["He", "reckons"]) == "w[-1]|w[0]=He|reckons"
    [u] = parse("pos[-2]|pos[-1]|pos[0]", pad=False)
    assert u.render(["A", "B", "C"]) == "pos[-2]|pos[-1]|pos[0]=A|B|C" and u.pad is False


def test_parse_window_range():
    ts = parse("lw[-2..2]")
    assert [t.label() for t in ts] == [f"lw[{o}]=%lw[{o}]" for o in range(-2, 3)]
    with pytest.raises(TemplateError, match="must stand alone"):
        parse("lw[-1..1]|w[0]")
    with pytest.raises(TemplateError, match="empty"):
        parse("w[2..1]")


def test_parse_bag():
    ts = parse("lw{-3..-1}")
    assert len(ts) == 3 and all(t.pad is False for t in ts)
    assert {t.literals for t in ts} == {("lw{-3..-1}=", "")}
    assert [t.slots[0].offset for t in ts] == [-3, -2, -1]
    with pytest.raises(TemplateError, match="empty"):
        parse("lw{-1..-3}")
    with pytest.raises(TemplateError, match="stands alone"):
        parse("lw{-3..-1}|w[0]")


def test_bag_counts_repeats_and_skips_the_outside():
    fs = FeatureSet.from_templates(["lw{-3..-1}"], pad=True)
    fx = fs.extractor()
    [row] = fx.to_dicts([["A", "b", "a", "c"]])
    # token 0 has nothing to its left (no padding), "a" stands twice left of token 3
    assert row[0] == {}
    assert row[3] == {"lw{-3..-1}=a": 2.0, "lw{-3..-1}=b": 1.0}
    data = fx.transform([["A", "b", "a", "c"]])
    ids = data.attr_ids[data.item_ptr[3] : data.item_ptr[4]].tolist()
    names = [fx.attributes.items[i] for i in ids]
    assert Counter(names) == Counter({"lw{-3..-1}=a": 2, "lw{-3..-1}=b": 1})
    back = FeatureSet.from_dict(fs.to_dict())
    assert back.extractor().to_dicts([["A", "b", "a", "c"]]) == [row]


def test_parse_constants():
    [b] = parse("__BOS__")
    [e] = parse("__EOS__")
    [c] = parse("bias")
    assert (b.where, e.where, c.where) == ("first", "last", "all")
    assert b.render([]) == "__BOS__"


@pytest.mark.parametrize("bad", ["w", "w[x]", "w[0]|", "[0]", "w[0]]", "w[-1]|pos"])
def test_parse_errors(bad):
    with pytest.raises(TemplateError, match="expected NAME"):
        parse(bad)


def test_template_dict_roundtrip_and_validation():
    t = Template(("U01:", "/", ""), (Slot("w", -1), Slot("col1", 0)), "all", True)
    assert Template.from_dict(t.to_dict()) == t
    with pytest.raises(TemplateError, match="needs 3 literals"):
        Template(("a", "b"), (Slot("w", 0), Slot("w", 1)))
    with pytest.raises(TemplateError, match="position"):
        Template(("a",), (), "middle")


CRFPP = """# Unigram
U00:%x[-2,0]
U01:%x[-1,0]
U02:%x[0,0]
U03:%x[1,0]
U04:%x[2,0]
U05:%x[-1,0]/%x[0,0]
U06:%x[0,0]/%x[1,0]
U10:%x[-2,1]
U11:%x[-1,1]
U12:%x[0,1]
U15:%x[-2,1]/%x[-1,1]
U16:%x[-1,1]/%x[0,1]/%x[1,1]
U20:%x[0,0]/%x[0,1]
U99

# Bigram
B
"""


def test_parse_crfpp_file(tmp_path):
    p = tmp_path / "template"
    p.write_text(CRFPP, encoding="utf-8")
    tf = read_crfpp(p)
    assert tf.bigram is True and tf.max_column == 1
    assert len(tf.templates) == 14
    t = tf.templates[5]
    assert t.literals == ("U05:", "/", "") and t.slots == (Slot("w", -1), Slot("w", 0)) and t.pad
    assert tf.templates[-1].literals == ("U99",) and tf.templates[-1].slots == ()
    assert tf.templates[-2].slots == (Slot("w", 0), Slot("col1", 0))


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "U01:%x[0,0]\nX02:%x[0,0]\n",
            r"line 2: found 'X02:%x\[0,0\]'; expected a template starting with U or B",
        ),
        ("U01:%x[0]\n", r"line 1: malformed macro"),
        ("U01:%x[a,0]\n", r"line 1: malformed macro"),
        ("B01:%x[0,0]\n", r"line 1: .*bigram templates with %x macros"),
    ],
)
def test_crfpp_errors(text, match):
    with pytest.raises(TemplateError, match=match):
        parse_crfpp(text, source="tmpl")


def naive_crfpp(template_text: str, rows: list[tuple[str, ...]]) -> list[Counter]:
    """CRF++ expansion by substituting each %x[r,c] in each U line (CRF++ padding _B-k / _B+k)."""
    lines = [ln.strip() for ln in template_text.splitlines()]
    lines = [ln for ln in lines if ln.startswith("U")]
    out = []
    for i in range(len(rows)):

        def value(m, i=i):
            r, c = int(m.group(1)), int(m.group(2))
            p = i + r
            if p < 0:
                return f"_B-{-p}"
            if p >= len(rows):
                return f"_B+{p - len(rows) + 1}"
            return rows[p][c]

        out.append(Counter(re.sub(r"%x\[(-?\d+),(\d+)\]", value, ln) for ln in lines))
    return out


WORDS = st.sampled_from(
    ["He", "reckons", "the", "a/b", "1/2", "/", "Zürich", "東京", "😀", "_B-1", "x"]
)
TAGS = st.sampled_from(["PRP", "VBZ", "DT", "NN", "/", "a/b"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(WORDS, TAGS), min_size=0, max_size=7), min_size=1, max_size=4))
def test_crfpp_templates_reproduce_crfpp_exactly(sentences):
    fs = FeatureSet.from_crfpp(text=CRFPP, columns=["pos"])
    fx = fs.extractor()
    X = fx.transform(sentences)
    dicts = fx.to_dicts(sentences)
    names = fx.names(X)
    for s, rows in enumerate(sentences):
        ref = naive_crfpp(CRFPP, rows)
        for i in range(len(rows)):
            assert Counter(dicts[s][i]) == ref[i]
            assert Counter(names[s][i]) == ref[i]


def test_crfpp_columns_by_position_with_sentence_objects():
    from crftagger.corpora import Sentence

    fs = FeatureSet.from_crfpp(text="U1:%x[0,1]/%x[0,2]\n")
    fx = fs.extractor()
    s = Sentence(tokens=["a", "b"], columns={"pos": ["P", "Q"], "chunk": ["B-NP", "I-NP"]})
    assert fx.to_dicts([s]) == [[{"U1:P/B-NP": 1.0}, {"U1:Q/I-NP": 1.0}]]
    with pytest.raises(TemplateError, match="column 2"):
        FeatureSet.from_crfpp(text="U1:%x[0,2]\n", columns=["pos"])


def crfsuite_chunking_reference(rows: list[tuple[str, str]]) -> list[list[str]]:
    """CRFsuite's example/chunking.py attributes: templates whose offsets leave the sentence are omitted."""
    templates = (
        (("w", -2),),
        (("w", -1),),
        (("w", 0),),
        (("w", 1),),
        (("w", 2),),
        (("w", -1), ("w", 0)),
        (("w", 0), ("w", 1)),
        (("pos", -2),),
        (("pos", -1),),
        (("pos", 0),),
        (("pos", 1),),
        (("pos", 2),),
        (("pos", -2), ("pos", -1)),
        (("pos", -1), ("pos", 0)),
        (("pos", 0), ("pos", 1)),
        (("pos", 1), ("pos", 2)),
        (("pos", -2), ("pos", -1), ("pos", 0)),
        (("pos", -1), ("pos", 0), ("pos", 1)),
        (("pos", 0), ("pos", 1), ("pos", 2)),
    )
    X = [{"w": w, "pos": p, "F": []} for w, p in rows]
    for template in templates:
        name = "|".join(f"{f}[{o}]" for f, o in template)
        for t in range(len(X)):
            values = []
            for field, offset in template:
                p = t + offset
                if p not in range(len(X)):
                    values = []
                    break
                values.append(X[p][field])
            if values:
                X[t]["F"].append(f"{name}={'|'.join(values)}")
    if X:
        X[0]["F"].append("__BOS__")
        X[-1]["F"].append("__EOS__")
    return [x["F"] for x in X]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(WORDS | st.just("a|b"), TAGS | st.just("|")), max_size=8),
        min_size=1,
        max_size=4,
    )
)
def test_crfsuite_chunking_reproduces_the_example_exactly(sentences):
    fx = feature_set("crfsuite-chunking").extractor()
    X = fx.transform(sentences)
    names = fx.names(X)
    dicts = fx.to_dicts(sentences)
    for s, rows in enumerate(sentences):
        ref = crfsuite_chunking_reference(rows)
        for i in range(len(rows)):
            assert names[s][i] == ref[i]  # same attributes in the same order
            assert dicts[s][i] == {k: float(v) for k, v in Counter(ref[i]).items()}


def test_crfsuite_chunking_example_sentence():
    rows = [("He", "PRP"), ("reckons", "VBZ"), ("the", "DT")]
    d = feature_set("crfsuite-chunking").extractor().to_dicts([rows])[0]
    assert "w[-1]|w[0]=He|reckons" in d[1]
    assert "__BOS__" in d[0] and "__EOS__" in d[2] and "__BOS__" not in d[1]
    assert not any(k.startswith("w[-1]") for k in d[0])  # omitted, not padded
    assert len(feature_set("crfsuite-chunking").templates) == 19 + 2


def test_padding_strings():
    fs = FeatureSet.from_templates(["w[-2]", "w[1]|w[2]"], bos="<s{k}>", eos="</s{k}>")
    d = fs.extractor().to_dicts([["a", "b"]])[0]
    assert d[0] == {"w[-2]=<s2>": 1.0, "w[1]|w[2]=b|</s1>": 1.0}
    assert d[1] == {"w[-2]=<s1>": 1.0, "w[1]|w[2]=</s1>|</s2>": 1.0}
    with pytest.raises(FeatureSpecError, match="format"):
        FeatureSet.from_templates(["w[0]"], bos="{j}")


def test_bos_eos_on_single_token_and_empty_sentences():
    fs = FeatureSet.from_templates(["w[0]"], bos_eos=True)
    fx = fs.extractor()
    X = fx.transform([["only"], [], ["a", "b"]])
    assert fx.names(X) == [
        [["w[0]=only", "__BOS__", "__EOS__"]],
        [],
        [["w[0]=a", "__BOS__"], ["w[0]=b", "__EOS__"]],
    ]


def test_unknown_extractor_is_an_error():
    with pytest.raises(FeatureSpecError, match="neither declared"):
        FeatureSet.from_templates(["nope[0]"])


def test_template_files_of_both_styles(tmp_path):
    crfpp = tmp_path / "crfpp.txt"
    crfpp.write_text(CRFPP, encoding="utf-8")
    fs = FeatureSet.from_file(crfpp, columns=["pos"])
    assert fs == FeatureSet.from_crfpp(path=crfpp, columns=["pos"])
    suite = tmp_path / "suite.txt"
    suite.write_text("# CRFsuite names\nw[-1]|w[0]\n\npos[-1..1]\n__BOS__\n", encoding="utf-8")
    fs2 = FeatureSet.from_file(suite, columns=["pos"], pad=False)
    assert [t.label() for t in fs2.templates][:2] == ["w[-1]|w[0]=%w[-1]|%w[0]", "pos[-1]=%pos[-1]"]
    assert len(fs2.templates) == 5 and not fs2.templates[0].pad
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("w[0]\nU01:%x[0,0]\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"mixed\.txt, line 2: mixes CRF\+\+"):
        FeatureSet.from_file(mixed)
    bad = tmp_path / "bad.txt"
    bad.write_text("w[0]\nw[zero]\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"bad\.txt, line 2"):
        FeatureSet.from_file(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="no templates"):
        FeatureSet.from_file(empty)
