"""Tag dictionaries learned from training labels: cross-validated values, extractor, model files."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from helpers import write_two_columns

from crftagger.api.tagger import Tagger, TaggerError, _embedded_tagdict
from crftagger.corpora.base import Sentence
from crftagger.engine.encoding import Vocabulary
from crftagger.features import FeatureInputError, FeatureSet, FeatureSpecError, feature_set
from crftagger.features.tagdict import (
    FREQUENT,
    UNKNOWN,
    TagDictionary,
    TagDictionaryError,
    cross_validated,
    folds_of,
)

EXT = {
    "amb": {"kind": "tagdict", "folds": 3},
    "ambr": {"kind": "tagdict", "form": "rare", "folds": 3, "rare": 1, "suffix": 2},
}


def _corpus(n=60, seed=0):
    rng = random.Random(seed)
    words = {
        "the": "DET",
        "a": "DET",
        "dog": "NOUN",
        "cat": "NOUN",
        "runs": "VERB",
        "sleeps": "VERB",
        "Fast": "ADV",
        "fast": "ADJ",
        "red": "ADJ",
        "walks": "NOUN",
    }
    sents, tags = [], []
    for _ in range(n):
        toks = [rng.choice(sorted(words)) for _ in range(rng.randint(1, 6))]
        tg = [words[w] if rng.random() > 0.2 else "X" for w in toks]
        sents.append(toks)
        tags.append(tg)
    return sents, tags


def test_learn_values_and_forms():
    td = TagDictionary.learn([["The", "run", "the"], ["run"]], [["DET", "NOUN", "DET"], ["VERB"]])
    assert td.counts["the"] == Counter({"DET": 2}) and td.counts["run"] == Counter(
        {"NOUN": 1, "VERB": 1}
    )
    assert td.values(["THE", "run", "zebra"], "class") == ["DET", "NOUN|VERB", UNKNOWN]
    assert td.values(["THE", "Run", "zebra"], "rare", rare=1, suffix=2) == [
        FREQUENT,
        FREQUENT,
        UNKNOWN + "~ra",
    ]
    assert td.values(["Run"], "rare", rare=2, suffix=2) == ["NOUN|VERB~un"]
    cased = TagDictionary.learn([["The"]], [["DET"]], lowercase=False)
    assert cased.values(["the", "The"], "class") == [UNKNOWN, "DET"]
    with pytest.raises(TagDictionaryError, match="2 tokens but 1 labels"):
        TagDictionary.learn([["a", "b"]], [["X"]])


def test_folds_keep_documents_together():
    assert folds_of(["d1", "d1", "d2", None, None, "d3", "d3"], 3) == [0, 0, 1, 2, 0, 1, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_validation_is_the_table_of_the_other_folds(seed):
    sents, tags = _corpus(seed=seed)
    docs = [f"d{i // 4}" for i in range(len(sents))]
    specs = {
        "amb": {"form": "class", "rare": 5, "suffix": 3},
        "ambr": {"form": "rare", "rare": 2, "suffix": 2},
    }
    full, vals = cross_validated(sents, tags, docs, specs, True, 4)
    assert full.counts == TagDictionary.learn(sents, tags).counts
    fold = folds_of(docs, 4)
    for f in range(4):
        rest = TagDictionary.learn(
            [s for s, g in zip(sents, fold, strict=True) if g != f],
            [t for t, g in zip(tags, fold, strict=True) if g != f],
        )
        for i in (i for i, g in enumerate(fold) if g == f):
            assert vals["amb"][i] == rest.values(sents[i], "class")
            assert vals["ambr"][i] == rest.values(sents[i], "rare", rare=2, suffix=2)


def test_blocks_roundtrip_and_errors():
    sents, tags = _corpus()
    td = TagDictionary.learn(sents, tags)
    back = TagDictionary.from_blocks(*td.to_blocks(), lowercase=True)
    assert back.counts == td.counts and back.fingerprint() == td.fingerprint()
    for words, entries, match in [
        (["a"], [], "1 words but 0 entries"),
        (["a"], ["DET"], "pairs"),
        (["a"], ["DET x"], "positive integer"),
        (["a", "a"], ["X 1", "X 2"], "twice"),
    ]:
        with pytest.raises(TagDictionaryError, match=match):
            TagDictionary.from_blocks(words, entries, True)


def test_extractor_learns_on_the_labelled_call_and_reads_the_whole_table_after():
    sents, tags = _corpus()
    fs = FeatureSet.from_templates(["w[0]", "amb[-1..1]", "ambr[0]"], extractors=EXT)
    fx = fs.extractor()
    X = fx.transform(sents, y=tags, labels=Vocabulary())
    assert fx.tag_dictionary.counts == TagDictionary.learn(sents, tags).counts
    _, vals = cross_validated(
        sents,
        tags,
        [None] * len(sents),
        {"amb": {"form": "class", "rare": 5, "suffix": 3}},
        True,
        3,
    )
    names = fx.names(X)
    for s, row in enumerate(names):
        assert [next(a for a in item if a.startswith("amb[0]=")) for item in row] == [
            f"amb[0]={v}" for v in vals["amb"][s]
        ]
    # the dicts of the same labelled call are the same attributes
    fx2 = fs.extractor()
    dicts = fx2.to_dicts(sents, y=tags)
    assert [[sorted(d) for d in sent] for sent in dicts] == [
        [sorted(i) for i in row] for row in names
    ]
    fx.freeze()
    [row] = fx.to_dicts([["The", "zebra"]])
    assert "amb[0]=" + "|".join(sorted(fx.tag_dictionary.counts["the"])) in row[0]
    assert "amb[0]=_UNK" in row[1] and "ambr[0]=_UNK~ra" in row[1]
    with pytest.raises(
        FeatureInputError, match="read a tag dictionary learned from training labels"
    ):
        fs.extractor().transform([["a", "dog"]])
    fx3 = fs.extractor()
    fx3.transform(sents[:5], y=tags[:5], labels=Vocabulary())
    with pytest.raises(FeatureInputError, match="already learned"):
        fx3.transform(sents[5:], y=tags[5:], labels=Vocabulary())
    with pytest.raises(FeatureInputError, match="3 tokens but 2 labels"):
        fs.extractor().transform([["a", "b", "c"]], y=[["X", "Y"]], labels=Vocabulary())


def test_label_column_and_sentence_documents():
    sents, tags = _corpus(20)
    objs = [
        Sentence(s, {"upos": t}, f"doc{i // 5}")
        for i, (s, t) in enumerate(zip(sents, tags, strict=True))
    ]
    fs = FeatureSet.from_templates(["amb[0]"], extractors=EXT)
    fx = fs.extractor()
    X = fx.transform(objs, label_column="upos", labels=Vocabulary())
    _, vals = cross_validated(
        sents,
        tags,
        [o.doc_id for o in objs],
        {"amb": {"form": "class", "rare": 5, "suffix": 3}},
        True,
        3,
    )
    assert [[i[0] for i in row] for row in fx.names(X)] == [
        [f"amb[0]={v}" for v in s] for s in vals["amb"]
    ]


@pytest.mark.parametrize(
    "ext, match",
    [
        ({"amb": {"kind": "tagdict", "form": "majority"}}, "form"),
        ({"amb": {"kind": "tagdict", "folds": 1}}, "folds"),
        ({"amb": {"kind": "tagdict", "rare": -1}}, "rare"),
    ],
)
def test_bad_definitions(ext, match):
    with pytest.raises(FeatureSpecError, match=match):
        FeatureSet.from_templates(["amb[0]"], extractors=ext)


def test_extractors_must_share_one_table():
    fs = FeatureSet.from_templates(
        ["a[0]", "b[0]"],
        extractors={
            "a": {"kind": "tagdict", "lowercase": True},
            "b": {"kind": "tagdict", "lowercase": False},
        },
    )
    with pytest.raises(FeatureSpecError, match="must agree"):
        fs.extractor()


def test_pos_v3_adds_the_dictionary_and_v2_without_it():
    v2 = feature_set("pos", version=2)
    assert feature_set("pos", tag_dictionary=False).templates == v2.templates
    v3 = feature_set("pos")
    assert v3.version == 3 and {"amb", "ambr"} <= set(v3.used_extractors())
    assert FeatureSet.from_json(v3.to_json()) == v3


def test_tagger_file_carries_the_table(tmp_path):
    sents, tags = _corpus(80)
    fs = FeatureSet.from_templates(["w[0]", "lw[-1]", "amb[-1..1]", "ambr[0]"], extractors=EXT)
    tagger = Tagger.train(list(zip(sents, tags, strict=True)), fs, scheme=None, max_iterations=30)
    td = tagger.tag_dictionary
    assert td is not None and td.counts == TagDictionary.learn(sents, tags).counts
    path = tagger.save(tmp_path / "m.crftagger")
    back = Tagger.load(path)
    assert back.tag_dictionary.counts == td.counts
    new = [["the", "zebra", "runs"], ["Fast", "walks"], sents[0]]
    assert back.tag(new) == tagger.tag(new)
    assert back.marginals(new[0]) == tagger.marginals(new[0])
    # a tagger whose feature set needs a table it does not have cannot be saved
    bare = Tagger(tagger.model, fs, scheme=None)
    with pytest.raises(TaggerError, match="no tag dictionary"):
        bare.save(tmp_path / "bare.crftagger")


@pytest.mark.parametrize(
    "spec, match",
    [
        ("x", "expected an object"),
        ({"words": "w", "entries": "missing", "size": 1}, "entries block 'missing' is missing"),
        ({"words": "w", "entries": "e", "size": 2}, "size=2"),
        ({"words": "w", "entries": "e", "size": 1, "fingerprint": "0" * 64}, "fingerprint"),
        ({"words": "w", "entries": "bad", "size": 1}, "pairs"),
    ],
)
def test_embedded_table_errors(spec, match):
    arrays = {"w": ["dog"], "e": ["NOUN 2"], "bad": ["NOUN"]}
    with pytest.raises(TaggerError, match=match):
        _embedded_tagdict("m.crftagger", spec, arrays)
    good = {
        "words": "w",
        "entries": "e",
        "size": 1,
        "lowercase": True,
        "fingerprint": TagDictionary.from_blocks(["dog"], ["NOUN 2"], True).fingerprint(),
    }
    assert _embedded_tagdict("m.crftagger", good, arrays).counts == {"dog": Counter({"NOUN": 2})}


def test_cli_train_inspect_and_tag_with_the_pos_set(tmp_path, capsys):
    from crftagger import cli

    sents, tags = _corpus(60)
    train = write_two_columns(tmp_path / "train.conll", sents, tags)
    model = tmp_path / "pos.crftagger"
    code = cli.main(
        [
            "train",
            str(train),
            "--columns",
            "word,upos",
            "--feature-set",
            "pos",
            "--test",
            str(train),
            "--max-iterations",
            "10",
            "--no-progress",
            "-o",
            str(model),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    # part-of-speech tags are scored by token accuracy (no spans)
    assert "test: token accuracy" in out and "F1" not in out
    code = cli.main(["inspect", str(model), "--top", "1"])
    out, err = capsys.readouterr()
    n = len(TagDictionary.learn(sents, tags))
    assert code == 0, err
    assert f"tag dictionary: {n:,} words" in out and "read by amb, ambr" in out
    loaded = Tagger.load(model)
    assert loaded.tag_dictionary.counts == TagDictionary.learn(sents, tags).counts
    assert len(loaded.tag(["the", "zebra"])) == 2
