"""Document-level token values and their use by the ner v2 feature set."""

from __future__ import annotations

import pytest

from crftagger.corpora import Sentence
from crftagger.features import FeatureSet, feature_set
from crftagger.features.document import DocumentFeatureError, annotate, document_values
from crftagger.features.spec import FeatureSpecError

DOC = [
    "John Smith said the talks in Paris went well .".split(),
    "Smith met Blair , who said THE deal was done .".split(),
    "THE TALKS IN PARIS".split(),  # headline: no evidence
    "Talks will resume in Paris .".split(),
]


def col(vals, name):
    return [v[name] for v in vals]


def test_values_by_hand():
    vals = document_values(DOC, ["dcase", "dseq", "dprev", "dfirst"])
    s1 = vals[1]
    # "Smith": capitalised run "John Smith" elsewhere -> end of a run of 2
    assert s1["dseq"][0] == "E2"
    assert s1["dprev"][0] == "john"
    assert s1["dfirst"][0] == "0"
    assert vals[0]["dfirst"][1] == "1"
    # "the": lower in non-initial positions, upper in "THE deal" -> "LU"
    assert vals[0]["dcase"][3] == "LU"
    # "Talks" at the start of sentence 3 borrows "talks" (lower) from sentence 0
    assert vals[3]["dcase"][0] == "L"
    # headline tokens receive values but give none: "TALKS" reads "L", not "LU"
    assert vals[2]["dcase"][1] == "L"
    # sentence-initial lone capital gives no run; "Blair" is a run of 1
    assert vals[1]["dseq"][2] == "S1"
    assert vals[0]["dseq"][6] == "S1"  # Paris
    # punctuation and digits: no evidence
    assert vals[0]["dcase"][-1] == "-" and vals[0]["dseq"][-1] == "-"


def test_unknown_feature():
    with pytest.raises(DocumentFeatureError, match="unknown document feature 'dfoo'"):
        document_values(DOC, ["dfoo"])
    with pytest.raises(FeatureSpecError, match="unknown document feature"):
        FeatureSet.from_templates(
            ["d[0]"], extractors={"d": {"kind": "document", "feature": "dfoo"}}
        )
    with pytest.raises(FeatureSpecError, match="needs the parameter 'feature'"):
        FeatureSet.from_templates(["d[0]"], extractors={"d": {"kind": "document"}})


def test_annotate_groups_by_doc_id_and_keeps_input():
    sents = [Sentence(list(s), {"pos": ["X"] * len(s)}, "d1") for s in DOC[:2]]
    sents += [Sentence(["Smith", "left", "."], {"pos": ["X"] * 3}, "d2")]
    out = annotate(sents, ["dseq"])
    assert out[1].columns["doc:dseq"][0] == "E2"
    # another document knows nothing of "John Smith"; at its start "Smith" is a lone initial capital
    assert out[2].columns["doc:dseq"][0] == "-"
    assert "doc:dseq" not in sents[0].columns and out[0].columns["pos"] == sents[0].columns["pos"]


def test_plain_sentences_are_their_own_documents():
    plain = annotate([list(s) for s in DOC[:2]], ["dseq"])
    assert plain[1].columns["doc:dseq"][0] == "-"  # no "John Smith" within sentence 1
    single = annotate([list(DOC[0])], ["dseq"])
    assert single[0].columns["doc:dseq"][:2] == ["B2", "E2"]
    tuples = annotate([[(t, "NNP") for t in DOC[0]]], ["dcase"], columns=["pos"])
    assert tuples[0].columns["pos"] == ["NNP"] * len(DOC[0])
    with pytest.raises(DocumentFeatureError, match="sentence 0 is a string"):
        annotate(["John Smith"], ["dseq"])


def test_extractor_uses_documents_the_same_way_in_both_outputs():
    fs = feature_set("ner", columns=["pos"], gazetteers=False)
    assert fs.version >= 2
    sents = [Sentence(list(s), {"pos": ["NNP"] * len(s)}, "d1") for s in DOC]
    fx = fs.extractor()
    X = fx.transform(sents)
    dicts = fx.to_dicts(sents)
    names = fx.attributes.items if hasattr(fx.attributes, "items") else None
    assert names is not None
    for t in range(len(DOC[1])):
        i = len(DOC[0]) + t
        got = sorted(names[a] for a in X.attr_ids[X.item_ptr[i] : X.item_ptr[i + 1]])
        assert got == sorted(dicts[1][t])
    assert "dseq[0]=E2" in dicts[1][0]
    # as a sentence on its own, "Smith" loses the document evidence
    alone = fx.to_dicts([sents[1]])
    assert "dseq[0]=E2" not in alone[0][0]


def test_tagger_round_trip_with_document_features(tmp_path):
    from crftagger.api.tagger import Tagger

    train = [
        (
            list(s),
            [
                "B-PER"
                if t in ("John", "Smith", "Blair")
                else "B-LOC"
                if t in ("Paris", "PARIS")
                else "O"
                for t in s
            ],
        )
        for s in DOC
    ]
    train = [
        (toks, [("I-PER" if k and toks[k - 1] == "John" else tag) for k, tag in enumerate(tags)])
        for toks, tags in train
    ]
    fs = feature_set("ner", gazetteers=False)
    tg = Tagger.train(train, fs, max_iterations=30, c1=0.0, c2=0.01)
    path = tg.save(tmp_path / "m.crftagger")
    back = Tagger.load(path)
    assert back.feature_set == fs
    assert back.tag(DOC) == tg.tag(DOC)
    assert back.tag(DOC[0])[:2] == ["B-PER", "I-PER"]
