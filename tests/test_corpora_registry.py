"""The corpus registry: entries, file resolution, loading, documented counts, the CLI."""

from __future__ import annotations

import re
import shutil

import pytest

from crftagger import cli, config
from crftagger.corpora import CorpusFormatError, Sentence, load, registry
from crftagger.corpora.registry import CorpusNotFoundError
from crftagger.corpora.stats import corpus_stats, split_stats

NAMES = [
    "conll2000",
    "conll2003",
    "conll2002_es",
    "ud_english_ewt",
    "wnut17",
    "mit_restaurant",
    "atis",
    "snips",
]


# ---------------------------------------------------------------------------
# entries


def test_registry_holds_the_eight_corpora():
    assert registry.names() == NAMES
    assert {n: registry.get(n).task for n in NAMES} == {
        "conll2000": "chunk",
        "conll2003": "ner",
        "conll2002_es": "ner",
        "ud_english_ewt": "pos",
        "wnut17": "ner",
        "mit_restaurant": "slots",
        "atis": "slots",
        "snips": "slots",
    }
    assert registry.get("conll2000").splits == ("train", "test")
    assert registry.get("mit_restaurant").splits == ("train", "test")
    for n in NAMES[1:5] + NAMES[6:]:
        assert registry.get(n).splits == ("train", "dev", "test")
    assert registry.get("conll2003").scheme == "iob1"
    assert registry.get("conll2002_es").scheme == "iob2"
    assert len(registry.get("conll2002_es").scheme_exceptions) == 3
    assert registry.get("ud_english_ewt").scheme is None
    assert registry.get("ud_english_ewt").label_columns == ("upos", "xpos")
    with pytest.raises(ValueError, match="unknown corpus 'nope'"):
        registry.get("nope")
    with pytest.raises(ValueError, match="no split 'dev'"):
        registry.get("conll2000").file("dev")


@pytest.mark.parametrize("name", NAMES)
def test_entries_are_complete(name):
    info = registry.get(name)
    assert info.token_column in info.columns and info.label_column in info.columns
    assert info.licence
    assert set(info.expected) == set(info.splits)
    for split in info.splits:
        f = info.file(split)
        assert re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.size > 10_000
        assert f.sources
        for src in f.sources:
            m = re.fullmatch(
                r"https://raw\.githubusercontent\.com/([\w.-]+/[\w.-]+)/([0-9a-f]{40})/(.+)",
                src.url,
            )
            assert m, src.url
            assert src.spec == f"{m.group(1)}@{m.group(2)}:{m.group(3)}"
            if f.build is not None:
                assert re.fullmatch(r"[0-9a-f]{64}", src.sha256) and src.size > 0


def test_documented_sources_and_checksums():
    f = registry.get("conll2003").file("test")
    assert f.filename == "eng.testb" and f.size == 748096
    assert f.sha256 == "0632f32c090ef31c223135b7fee3187a7cf8e65c4015c7866bb7783428cdd9a6"
    assert f.sources[0].url == (
        "https://raw.githubusercontent.com/synalp/NER/c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc/"
        "corpus/CoNLL-2003/eng.testb"
    )
    ud = registry.get("ud_english_ewt").file("train")
    assert ud.sources[0].spec == (
        "UniversalDependencies/UD_English-EWT@15d613d8447b3478787d4c278730a1e48a945efb:"
        "en_ewt-ud-train.conllu"
    )
    atis = registry.get("atis").file("dev")
    assert atis.build == "zip_seq"
    assert [s.store_as for s in atis.sources] == ["raw/valid/seq.in", "raw/valid/seq.out"]


# ---------------------------------------------------------------------------
# resolution


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $CRFTAGGER_DATA, and a private cache folder."""
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv(config.CACHE_ENV, str(cache))
    return tmp_path


def _tiny_corpus(root, name="wnut17", filename="wnut17train.conll", text="a\tB-person\n\nb\tO\n"):
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / filename).write_text(text)
    return d / filename


def test_resolution_order_explicit_env_cache(isolated, monkeypatch):
    explicit, env, cache = isolated / "explicit", isolated / "env", isolated / "cache"
    assert registry.search_roots() == [cache]
    _tiny_corpus(cache, text="cache\tO\n")
    assert load("wnut17", "train")[0].tokens == ["cache"]
    _tiny_corpus(env, text="env\tO\n")
    monkeypatch.setenv(config.DATA_ENV, str(env))
    assert registry.search_roots() == [env, cache]
    assert load("wnut17", "train")[0].tokens == ["env"]
    _tiny_corpus(explicit, text="explicit\tO\n")
    assert registry.search_roots(explicit) == [explicit, cache]
    assert load("wnut17", "train", data_dir=explicit)[0].tokens == ["explicit"]
    # A root without the file falls through to the cache.
    assert load("wnut17", "train", data_dir=isolated / "empty")[0].tokens == ["cache"]


def test_missing_corpus_error_says_where_and_how(isolated):
    with pytest.raises(CorpusNotFoundError) as info:
        load("conll2003", "dev", data_dir=isolated / "nowhere")
    msg = str(info.value)
    assert str(isolated / "nowhere" / "conll2003" / "eng.testa") in msg
    assert str(isolated / "cache" / "conll2003" / "eng.testa") in msg
    assert "crftagger corpora download conll2003" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_load_reports_format_errors_with_file_and_line(isolated):
    """A bad line in a registered corpus file is reported with its file and line."""
    bad = _tiny_corpus(isolated / "data", text="a\tO\nb\tO\textra\n")
    with pytest.raises(CorpusFormatError, match=re.escape(f"{bad}:2:")):
        load("wnut17", "train", data_dir=isolated / "data")


def test_validation_against_the_declared_scheme(isolated):
    data = isolated / "data"
    p = _tiny_corpus(data, text="a\tB-person\nb\tI-person\n\nc\tO\nd\tI-group\n")
    with pytest.raises(CorpusFormatError) as info:
        load("wnut17", "train", data_dir=data, validate=True)
    assert info.value.line == 5 and str(p) in str(info.value) and "IOB2" in str(info.value)
    # By default the tags are checked (crftagger.schemes is installed); validate=False skips it.
    with pytest.raises(CorpusFormatError):
        load("wnut17", "train", data_dir=data)
    assert len(load("wnut17", "train", data_dir=data, validate=False)) == 2
    # A documented slip is accepted at its line only; the rest of the sentence is still checked.
    info = registry.get("wnut17")
    slipped = registry.CorpusInfo(**{**info.__dict__, "scheme_exceptions": (("train", 5),)})
    sents = [Sentence(["c", "d"], {"tag": ["O", "I-group"]}, source=str(p), line=4)]
    assert registry.check_labels(slipped, "train", sents) == 1
    sents = [
        Sentence(["c", "d", "e"], {"tag": ["O", "I-group", "I-person"]}, source=str(p), line=4)
    ]
    with pytest.raises(CorpusFormatError) as err:
        registry.check_labels(slipped, "train", sents)
    assert err.value.line == 6


# ---------------------------------------------------------------------------
# the real corpora: counts of the shared README


@pytest.fixture(scope="module")
def all_stats(data_dir):
    return {name: {s.split: s for s in corpus_stats(name, data_dir)} for name in NAMES}


def test_conll2000_chunk_counts(all_stats):
    st = all_stats["conll2000"]
    assert (st["train"].sentences, st["train"].tokens) == (8936, 211727)
    assert (st["test"].sentences, st["test"].tokens) == (2012, 47377)
    assert st["train"].spans == {
        "ADJP": 2060,
        "ADVP": 4227,
        "CONJP": 56,
        "INTJ": 31,
        "LST": 10,
        "NP": 55081,
        "PP": 21281,
        "PRT": 556,
        "SBAR": 2207,
        "UCP": 2,
        "VP": 21467,
    }
    assert st["test"].spans == {
        "ADJP": 438,
        "ADVP": 866,
        "CONJP": 9,
        "INTJ": 2,
        "LST": 5,
        "NP": 12422,
        "PP": 4811,
        "PRT": 106,
        "SBAR": 535,
        "VP": 4658,
    }
    assert (st["train"].span_total, st["test"].span_total) == (106978, 23852)
    assert (len(st["train"].labels), len(st["test"].labels)) == (22, 19)
    assert st["train"].docstarts == 0


def test_conll2003_ner_counts_and_docstarts(all_stats):
    st = all_stats["conll2003"]
    got = {sp: (s.sentences, s.docstarts, s.tokens) for sp, s in st.items()}
    assert got == {
        "train": (14041, 946, 203621),
        "dev": (3250, 216, 51362),
        "test": (3453, 231, 46435),
    }
    assert {sp: s.spans for sp, s in st.items()} == {
        "train": {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600},
        "dev": {"LOC": 1837, "MISC": 922, "ORG": 1341, "PER": 1842},
        "test": {"LOC": 1668, "MISC": 702, "ORG": 1661, "PER": 1617},
    }
    assert [st[sp].span_total for sp in ("train", "dev", "test")] == [23499, 5942, 5648]


def test_conll2003_chunk_column_counts(data_dir):
    totals = [
        split_stats("conll2003", sp, data_dir, label_column="chunk").span_total
        for sp in ("train", "dev", "test")
    ]
    assert totals == [99997, 25737, 22020]


def test_ud_english_ewt_counts(all_stats):
    st = all_stats["ud_english_ewt"]
    got = {
        sp: (
            s.sentences,
            s.tokens,
            s.extra["words"],
            s.extra["multiword_tokens"],
            s.extra["empty_nodes"],
            s.extra["documents"],
        )
        for sp, s in st.items()
    }
    assert got == {
        "train": (12544, 201962, 204577, 2614, 37, 540),
        "dev": (2001, 24787, 25147, 359, 4, 318),
        "test": (2077, 24740, 25094, 354, 2, 316),
    }
    assert len(st["train"].labels) == 17
    assert st["train"].labels["NOUN"] == 34751 and st["train"].labels["X"] == 400


def test_ud_surface_and_word_views_agree_with_counts(data_dir):
    words = load("ud_english_ewt", "dev", data_dir)
    surface = load("ud_english_ewt", "dev", data_dir, multiword="surface")
    assert sum(map(len, words)) == 25147 and sum(map(len, surface)) == 24787
    assert len({s.doc_id for s in words}) == 318
    stream = registry.iterate("ud_english_ewt", "dev", data_dir)
    assert next(stream) == words[0] and next(stream) == words[1]
    assert sum("+" in t for s in surface for t in s["upos"]) > 0


@pytest.mark.parametrize(
    "name, counts",
    [
        ("conll2002_es", {"train": (8323, 264715), "dev": (1915, 52923), "test": (1517, 51533)}),
        ("wnut17", {"train": (3394, 62730), "dev": (1009, 15733), "test": (1287, 23394)}),
        ("mit_restaurant", {"train": (7660, 70525), "test": (1521, 14256)}),
        ("atis", {"train": (4478, 50497), "dev": (500, 5703), "test": (893, 9164)}),
        ("snips", {"train": (13084, 117700), "dev": (700, 6384), "test": (700, 6354)}),
    ],
)
def test_other_corpora_sentence_and_token_counts(all_stats, name, counts):
    assert {sp: (s.sentences, s.tokens) for sp, s in all_stats[name].items()} == counts


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_count_matches(all_stats, name):
    info = registry.get(name)
    problems = [m for sp, s in all_stats[name].items() for m in s.mismatches(info.expected[sp])]
    assert problems == []


def test_mismatches_are_reported(all_stats):
    s = all_stats["wnut17"]["dev"]
    wrong = registry.Expected(1008, 15733, spans={"person": 471})
    found = s.mismatches(wrong)
    assert "dev sentences: found 1009, documented 1008" in found
    assert "dev person spans: found 470, documented 471" in found


def test_declared_schemes_validate_on_real_files(data_dir):
    # conll2002_es: three documented stray I- starts, nothing else.
    assert len(load("conll2002_es", "dev", data_dir, validate=True)) == 1915
    assert len(load("conll2003", "dev", data_dir, validate=True)) == 3250
    # Without the documented exception the slip at esp.testa line 30882 is reported.
    info = registry.get("conll2002_es")
    strict = registry.CorpusInfo(**{**info.__dict__, "scheme_exceptions": ()})
    sents = load("conll2002_es", "dev", data_dir, validate=False)
    with pytest.raises(CorpusFormatError) as err:
        registry.check_labels(strict, "dev", sents)
    assert err.value.line == 30882 and "esp.testa" in str(err.value)


# ---------------------------------------------------------------------------
# command line


def test_cli_list(isolated, capsys, data_dir):
    assert cli.main(["--data-dir", str(data_dir), "corpora", "list"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert re.search(rf"^{name}\s+\w+\s+\S+\s+\S+\s+found", out, re.M), out
    assert cli.main(["--data-dir", str(isolated / "nothing"), "corpora", "list"]) == 0
    out = capsys.readouterr().out
    assert (
        len(re.findall(r"\smissing\s+-$", out, re.M)) == 8
        and "crftagger corpora download NAME" in out
    )


def test_cli_list_partial(isolated, capsys):
    _tiny_corpus(isolated / "d")
    assert cli.main(["--data-dir", str(isolated / "d"), "corpora", "list"]) == 0
    assert re.search(r"^wnut17 .*partial \(1/3\)", capsys.readouterr().out, re.M)


def test_cli_stats(capsys, data_dir):
    assert (
        cli.main(["--data-dir", str(data_dir), "corpora", "stats", "conll2003", "--split", "test"])
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(r"\| sentences\s+\|\s+3,453 \|", out)
    assert re.search(r"\| -DOCSTART- lines\s+\|\s+231 \|", out)
    assert re.search(r"\| PER spans\s+\|\s+1,617 \|", out)
    assert "agree with the registry" in out
    # --data-dir is also accepted after the action.
    assert (
        cli.main(
            ["corpora", "stats", "mit_restaurant", "--split", "test", "--data-dir", str(data_dir)]
        )
        == 0
    )
    assert re.search(r"\| sentences\s+\|\s+1,521 \|", capsys.readouterr().out)


def test_cli_stats_reports_disagreement_and_errors(isolated, capsys):
    _tiny_corpus(isolated / "d")
    assert (
        cli.main(
            ["--data-dir", str(isolated / "d"), "corpora", "stats", "wnut17", "--split", "train"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "train sentences: found 2, documented 3394" in err
    assert cli.main(["--data-dir", str(isolated / "d"), "corpora", "stats", "wnut17"]) == 1
    assert "crftagger corpora download wnut17" in capsys.readouterr().err
    assert cli.main(["corpora", "stats", "nope"]) == 1
    assert "unknown corpus" in capsys.readouterr().err
    assert cli.main(["corpora", "stats", "wnut17", "--label-column", "pos"]) == 1
    assert "has no label column 'pos'; its columns: ['tag']" in capsys.readouterr().err


def test_cli_verify(isolated, capsys, data_dir):
    assert cli.main(["--data-dir", str(data_dir), "corpora", "verify", "mit_restaurant"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok ") == 2
    d = isolated / "copy" / "mit_restaurant"
    d.mkdir(parents=True)
    shutil.copyfile(data_dir / "mit_restaurant" / "test.txt", d / "test.txt")
    with open(d / "train.txt", "w") as fh:
        fh.write("tampered O")
    assert (
        cli.main(["--data-dir", str(isolated / "copy"), "corpora", "verify", "mit_restaurant"]) == 1
    )
    captured = capsys.readouterr()
    assert re.search(r"train\s+train\.txt\s+mismatch", captured.out)
    assert re.search(r"test\s+test\.txt\s+ok", captured.out)
    assert "68f304fdfa377b7a0e5fced686fed72482b8a2ed495e62c52a449a043282d9ab" in captured.out
    assert "crftagger corpora download mit_restaurant" in captured.err


def test_real_files_round_trip(tmp_path, data_dir):
    """Reading, writing and reading again gives the same sentences and documents."""
    from crftagger.corpora import read_conll_documents, read_conllu, write_conll, write_conllu

    cols = ("word", "pos", "chunk", "ner")
    src = data_dir / "conll2003" / "eng.testb"
    docs = list(read_conll_documents(src, cols))
    write_conll(docs, tmp_path / "eng.testb")
    assert list(read_conll_documents(tmp_path / "eng.testb", cols)) == docs
    # Byte for byte, but for the second blank line at the end of the original.
    assert (tmp_path / "eng.testb").read_bytes() + b"\n" == src.read_bytes()
    ud = list(read_conllu(data_dir / "ud_english_ewt" / "en_ewt-ud-test.conllu"))
    write_conllu(ud, tmp_path / "test.conllu")
    assert list(read_conllu(tmp_path / "test.conllu")) == ud
