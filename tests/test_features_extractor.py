"""The feature extractor: arrays and dicts describe the same attributes, for every named set.

``naive_dicts`` is the slow, obviously-correct twin: it applies each template
token by token in plain Python (type functions called per token, gazetteers
matched by trying every length), with no interning, caching or numba.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crftagger.engine.encoding import Vocabulary
from crftagger.features import FEATURE_SETS, FeatureInputError, FeatureSet, feature_set
from crftagger.features.document import document_values
from crftagger.features.extractor import _type_function, load_gazetteer
from crftagger.features.spec import FeatureSpecError
from crftagger.features.tagdict import TagDictionary
from crftagger.features.tagdict import settings as tagdict_settings


def naive_gazetteer(entries, tokens, fold):
    norm = [t.casefold() if fold else t for t in tokens]
    out = [None] * len(tokens)
    longest = max((len(e) for e in entries), default=0)
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            if tuple(norm[i : i + n]) in entries:
                out[i : i + n] = ["S"] if n == 1 else ["B"] + ["I"] * (n - 2) + ["E"]
                i += n
                break
        else:
            i += 1
    return out


def naive_dicts(fs: FeatureSet, sentences, tag_dictionary=None) -> list[list[Counter]]:
    """Per-token attribute multisets of token tuples ``(word, col1, col2, ...)``.

    ``tagdict`` extractors look every word up in ``tag_dictionary``.
    """
    gaz = {}
    for name in fs.used_extractors():
        d = fs.extractor_def(name)
        if d["kind"] == "gazetteer":
            g = load_gazetteer(d, name)
            gaz[name] = (set(g.entries), not g.case_sensitive)
    res = []
    for sent in sentences:
        tokens = [r[0] for r in sent]
        values = {}
        for name in fs.used_extractors():
            d = fs.extractor_def(name)
            if d["kind"] == "column":
                pos = d["index"] if "index" in d else fs.columns.index(d["column"]) + 1
                values[name] = [r[pos] for r in sent]
            elif d["kind"] == "gazetteer":
                values[name] = naive_gazetteer(gaz[name][0], tokens, gaz[name][1])
            elif d["kind"] == "tagdict":
                t = tagdict_settings(d)
                counts = [
                    tag_dictionary.counts.get(w.lower() if t["lowercase"] else w) for w in tokens
                ]
                values[name] = [
                    TagDictionary.value(c, w, t["form"], t["rare"], t["suffix"])
                    for c, w in zip(counts, tokens, strict=True)
                ]
            elif d["kind"] == "document":
                # token tuples carry no document id: each sentence is its own document
                values[name] = document_values([tokens], [d["feature"]])[0][d["feature"]]
            else:
                f = _type_function(d, name)
                values[name] = [f(t) for t in tokens]
        n = len(tokens)
        out = []
        for i in range(n):
            c = Counter()
            for t in fs.templates:
                if (t.where == "first" and i != 0) or (t.where == "last" and i != n - 1):
                    continue
                vs = []
                for s in t.slots:
                    p = i + s.offset
                    if 0 <= p < n:
                        v = values[s.extractor][p]
                    elif not t.pad:
                        v = None
                    else:
                        v = fs.bos.format(k=-p) if p < 0 else fs.eos.format(k=p - n + 1)
                    if v is None:
                        break
                    vs.append(v)
                else:
                    c[t.render(vs)] += 1
            out.append(c)
        res.append(out)
    return res


def named_sets():
    sets = {name: feature_set(name) for name in FEATURE_SETS}
    sets["ner+columns"] = feature_set("ner", columns=("pos", "chunk"))
    sets["ner-nocase"] = feature_set("ner", gazetteer_case_sensitive=False)
    return sets


SETS = named_sets()
#: The table the ``tagdict`` extractors (``pos``) read here: some of WORDS with made-up tags.
TAGDICT = TagDictionary.learn(
    [["He", "the", "New", "new", "York", "1999", "|", "a|b", "a"], ["new", "_B-1"]],
    [["PRON", "DET", "PROPN", "ADJ", "PROPN", "NUM", "PUNCT", "X", "DET"], ["ADJ", "X"]],
)

WORDS = [
    "He",
    "reckons",
    "the",
    "New",
    "York",
    "new",
    "york",
    "City",
    "Paris",
    "French",
    "Germany",
    "United",
    "States",
    "Texas",
    "1999",
    "3.14",
    "a@b.com",
    "12:30",
    "$5",
    "5%",
    "XIV",
    "3rd",
    "a|b",
    "b|c",
    "|",
    "a",
    "c",
    "-",
    "Zürich",
    "東京",
    "😀",
    "",
    "_B-1",
    "COVID-19",
    "x" * 300,
]
ROWS = st.tuples(
    st.sampled_from(WORDS),
    st.sampled_from(["NN", "NNP", "|", "VB"]),
    st.sampled_from(["B-NP", "I-NP", "O"]),
)
SENTENCES = st.lists(st.lists(ROWS, max_size=9), min_size=1, max_size=5)


def as_counters(dicts):
    return [[Counter(d) for d in s] for s in dicts]


def names_counters(fx, X):
    return [[Counter(tok) for tok in s] for s in fx.names(X)]


@pytest.mark.parametrize("set_name", sorted(SETS))
@settings(max_examples=25, deadline=None)
@given(sentences=SENTENCES, other=SENTENCES)
def test_arrays_dicts_and_naive_twin_agree(set_name, sentences, other):
    fs = SETS[set_name]
    fx = fs.extractor(tag_dictionary=TAGDICT)
    X = fx.transform(sentences)
    X.check(n_attributes=len(fx.attributes))
    dicts = fx.to_dicts(sentences)
    ref = naive_dicts(fs, sentences, TAGDICT)
    assert as_counters(dicts) == ref
    assert names_counters(fx, X) == ref
    # tagging time: a frozen vocabulary keeps the known attributes only
    fx.freeze()
    n_attr = len(fx.attributes)
    Y = fx.transform(other)
    Y.check(n_attributes=n_attr)
    ref_other = naive_dicts(fs, other, TAGDICT)
    known = [
        [Counter({k: v for k, v in c.items() if k in fx.attributes}) for c in s] for s in ref_other
    ]
    assert names_counters(fx, Y) == known
    assert len(fx.attributes) == n_attr
    # kept as -1 instead of dropped: one -1 per unknown instance
    Z = fx.transform(other, drop_unknown=False)
    n_unknown = sum(v for s in ref_other for c in s for k, v in c.items() if k not in fx.attributes)
    assert int(np.sum(Z.attr_ids == -1)) == n_unknown
    # a fresh extractor over the stored (loaded) vocabulary gives the same arrays
    loaded = Vocabulary(fx.attributes.items).freeze()
    fx2 = FeatureSet.from_json(fs.to_json()).extractor(loaded, tag_dictionary=TAGDICT)
    Y2 = fx2.transform(other)
    assert np.array_equal(Y2.attr_ids, Y.attr_ids) and np.array_equal(Y2.item_ptr, Y.item_ptr)


def test_colliding_names_share_one_attribute():
    fs = FeatureSet.from_templates(["w[-1]|w[0]"])
    fx = fs.extractor()
    X = fx.transform([["a|b", "c"], ["a", "b|c"]])
    names = fx.names(X)
    assert names[0][1] == ["w[-1]|w[0]=a|b|c"] and names[1][1] == ["w[-1]|w[0]=a|b|c"]
    a, b = X.attr_ids[X.item_ptr[1] : X.item_ptr[2]], X.attr_ids[X.item_ptr[3] : X.item_ptr[4]]
    assert a.tolist() == b.tolist()
    # the safe key seen first, the ambiguous one only at tagging time
    fx = fs.extractor()
    fx.transform([["a", "b|c"]])
    fx.freeze()
    Y = fx.transform([["a|b", "c"]])
    assert fx.names(Y)[0][1] == ["w[-1]|w[0]=a|b|c"]
    # and the other way round: the ambiguous key trained, the safe one at tagging time
    fx = fs.extractor()
    fx.transform([["a|b", "c"]])
    fx.freeze()
    Y = fx.transform([["a", "b|c"]])
    assert fx.names(Y)[0][1] == ["w[-1]|w[0]=a|b|c"]


def test_unfreezing_after_tagging_forgets_cached_unknowns():
    fs = FeatureSet.from_templates(["w[0]", "w[-1]|w[0]"], pad=False)
    fx = fs.extractor()
    fx.transform([["a", "b"]])
    fx.freeze()
    Y = fx.transform([["a", "z"], ["a|b", "q"]])
    assert fx.names(Y) == [[["w[0]=a"], []], [[], []]]
    fx.attributes.frozen = False
    Z = fx.transform([["a", "z"], ["a|b", "q"]])
    assert fx.names(Z) == [
        [["w[0]=a"], ["w[0]=z", "w[-1]|w[0]=a|z"]],
        [["w[0]=a|b"], ["w[0]=q", "w[-1]|w[0]=a|b|q"]],
    ]


def test_growth_over_many_calls_and_direct_to_hash_switch():
    # w[-1]|w[0] over 2,000 distinct words needs more than 2**20 direct slots: it moves to the table
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(2000)]
    fs = FeatureSet.from_templates(["w[0]", "w[-1]|w[0]", "sshape[0]|s1[0]"])
    fx = fs.extractor()
    batches = [
        [[words[j] for j in rng.integers(0, 2000 if b else 20, size=8)] for _ in range(60)]
        for b in range(4)
    ]
    seen: list = []
    for batch in batches:
        X = fx.transform(batch)
        assert names_counters(fx, X) == naive_dicts(fs, [[(w,) for w in s] for s in batch])
        seen.append(X)
    assert fx._hashed.tolist() == [False, True, False]
    # ids stay stable: re-encoding the first batch gives the same ids
    again = fx.transform(batches[0])
    assert np.array_equal(again.attr_ids, seen[0].attr_ids)


def test_input_forms_give_the_same_attributes():
    from crftagger.corpora import Sentence

    fs = feature_set("crfsuite-chunking")
    rows = [("He", "PRP"), ("reckons", "VBZ")]
    sent = Sentence(
        tokens=["He", "reckons"], columns={"pos": ["PRP", "VBZ"], "chunk": ["B-NP", "B-VP"]}
    )
    assert fs.extractor().to_dicts([rows]) == fs.extractor().to_dicts([sent])
    fw = FeatureSet.from_templates(["w[-1]|w[0]", "s2[0]"])
    assert fw.extractor().to_dicts([["He", "reckons"]]) == fw.extractor().to_dicts([sent])
    assert fw.extractor().to_dicts([("He", "reckons")]) == fw.extractor().to_dicts([sent])


@pytest.mark.parametrize(
    "sentences, match",
    [
        ("He reckons", r"sentence 0 is a string"),
        ([["ok"], ["fine", 3]], r"sentence 1, token 1: token 3 is a int; expected a str"),
        ([["ok", None]], r"sentence 0, token 1: token None"),
    ],
)
def test_bad_tokens(sentences, match):
    fx = FeatureSet.from_templates(["w[0]"]).extractor()
    with pytest.raises(FeatureInputError, match=match):
        fx.transform(sentences)


def test_missing_columns():
    from crftagger.corpora import Sentence

    fx = feature_set("crfsuite-chunking").extractor()
    with pytest.raises(FeatureInputError, match="plain token list"):
        fx.transform([["He", "reckons"]])
    with pytest.raises(FeatureInputError, match="no column 'pos'"):
        fx.transform([Sentence(tokens=["He"], columns={"tag": ["X"]})])
    with pytest.raises(FeatureInputError, match="has only 1 fields"):
        fx.transform([[("He",), ("x",)]])
    with pytest.raises(FeatureInputError, match="names no column 'pos'"):
        FeatureSet.from_templates(["pos[0]"]).extractor().transform([[("He", "PRP")]])

    class Loose:  # a sentence-like object that does not check its columns
        tokens = ["He"]
        columns = {"pos": ["X", "Y"]}

    with pytest.raises(FeatureInputError, match="2 values for 1 tokens"):
        fx.transform([Loose()])


def test_labels():
    from crftagger.corpora import Sentence

    fs = FeatureSet.from_templates(["w[0]"])
    labels = Vocabulary()
    X = fs.extractor().transform([["a", "b"], ["c"]], y=[["O", "B-X"], ["O"]], labels=labels)
    assert X.y.tolist() == [0, 1, 0] and labels.items == ["O", "B-X"]
    s = Sentence(tokens=["a"], columns={"ner": ["B-X"]})
    assert fs.extractor().transform([s], label_column="ner", labels=labels).y.tolist() == [1]
    with pytest.raises(ValueError, match="2 tokens but 1 labels"):
        fs.extractor().transform([["a", "b"]], y=[["O"]], labels=labels)
    labels.freeze()
    with pytest.raises(ValueError, match="not a known label"):
        fs.extractor().transform([["a"]], y=[["I-Y"]], labels=labels)


@pytest.mark.parametrize("set_name", sorted(SETS))
def test_json_roundtrip(set_name):
    fs = SETS[set_name]
    s = fs.to_json()
    back = FeatureSet.from_json(s)
    assert back == fs and back.to_json() == s
    assert json.loads(s)["name"] == fs.name and json.loads(s)["version"] == fs.version


def test_spec_errors():
    with pytest.raises(FeatureSpecError, match="unknown feature set"):
        feature_set("nope")
    with pytest.raises(FeatureSpecError, match="versions"):
        feature_set("ner", version=99)
    with pytest.raises(FeatureSpecError, match="format"):
        FeatureSet.from_json('{"templates": []}')
    with pytest.raises(FeatureSpecError, match="needs the parameter 'n'"):
        FeatureSet.from_templates(["p9[0]"], extractors={"p9": {"kind": "prefix"}})
    with pytest.raises(FeatureSpecError, match="JSON"):
        FeatureSet.from_json("{")


def test_declared_extractors():
    fs = FeatureSet.from_templates(
        ["p6[0]", "gz[0]", "tag[0]"],
        extractors={
            "p6": {"kind": "prefix", "n": 6},
            "gz": {"kind": "gazetteer", "entries": ["Rio de Janeiro"], "case_sensitive": False},
            "tag": {"kind": "column", "column": "xpos"},
        },
        columns=["xpos"],
    )
    d = fs.extractor().to_dicts([[("in", "IN"), ("RIO", "NNP"), ("de", "IN"), ("Janeiro", "NNP")]])[
        0
    ]
    assert d[1] == {"gz[0]=B": 1.0, "tag[0]=NNP": 1.0}
    assert d[3] == {"p6[0]=Janeir": 1.0, "gz[0]=E": 1.0, "tag[0]=NNP": 1.0}


def test_gazetteer_fingerprint_change_warns(tmp_path):
    p = tmp_path / "list.txt"
    p.write_text("Paris\n", encoding="utf-8")
    fs = FeatureSet.from_templates(
        ["g[0]"],
        extractors={"g": {"kind": "gazetteer", "source": f"file:{p}", "fingerprint": "0" * 16}},
    )
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fs.extractor()
    assert any("has changed" in str(x.message) for x in w)


def test_ner_cluster_hook(tmp_path):
    p = tmp_path / "paths"
    p.write_text("0110\tparis\t10\n0111001010101\tlondon\t9\n10\tthe\t100\n", encoding="utf-8")
    fs = feature_set("ner", gazetteers=False, clusters=str(p), clusters_lowercase=True)
    d = fs.extractor().to_dicts([["the", "Paris", "London"]])[0]
    assert d[1]["cl4[0]=0110"] == 1.0 and d[1]["cl20[0]=0110"] == 1.0
    assert d[2]["cl10[0]=0111001010"] == 1.0 and d[2]["cl4[-1]=0110"] == 1.0
    assert "cl6[-1]|cl6[0]=10|0110" in d[1]
    assert FeatureSet.from_json(fs.to_json()) == fs


@pytest.mark.corpora
def test_conll2000_crfsuite_chunking_against_naive(data_dir):
    from crftagger.corpora import load

    sents = load("conll2000", "test", data_dir)[:300]
    fs = feature_set("crfsuite-chunking")
    fx = fs.extractor()
    X = fx.transform(sents)
    X.check(n_attributes=len(fx.attributes))
    rows = [list(zip(s.tokens, s.columns["pos"], strict=True)) for s in sents]
    assert names_counters(fx, X) == naive_dicts(fs, rows)


@pytest.mark.corpora
def test_conll2003_ner_arrays_equal_dicts(data_dir):
    from crftagger.corpora import load

    sents = load("conll2003", "dev", data_dir)[:200]
    fs = feature_set("ner", columns=("pos", "chunk"))
    fx = fs.extractor()
    X = fx.transform(sents)
    assert names_counters(fx, X) == as_counters(fx.to_dicts(sents))
    rows = [list(zip(s.tokens, s.columns["pos"], s.columns["chunk"], strict=True)) for s in sents]
    # token tuples carry no document ids, so document values are per sentence on both sides
    assert as_counters(fx.to_dicts(rows)) == naive_dicts(fs, rows)


def test_to_dicts_in_blocks():
    fs = feature_set("crfsuite-chunking")
    sents = [[("a", "X"), ("b|c", "Y"), ("d", "Z")], [], [("e", "X")]] * 4
    whole = fs.extractor().to_dicts(sents)
    fx = fs.extractor()
    fx.DICT_BLOCK_TOKENS = 2
    assert fx.to_dicts(sents) == whole
    assert [fs.extractor().to_dicts([s])[0] for s in sents] == whole
    with pytest.raises(FeatureInputError, match="sentence 5, token 0"):
        fx.to_dicts(sents[:5] + [[(7, "X")]])
