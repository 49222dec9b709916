"""crftagger.pii: validators, recognizers, the overlap rule, operators, the mapping, the CLI."""

from __future__ import annotations

import io
import json
import math
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crftagger.cli.app import main
from crftagger.pii import (
    Analyzer,
    Anonymizer,
    Detection,
    PIIError,
    PIIMasker,
    build,
    deanonymize,
    make_operator,
    resolve_overlaps,
)
from crftagger.pii import recognizers as R
from crftagger.text.doc import Doc, Span

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def tiny_tagger():
    """A CRF trained on a few hundred synthetic sentences (a few seconds)."""
    return build.build_model(n_train=300, n_dev=0, n_test=0, max_iterations=30)


@pytest.fixture(scope="module")
def tiny_model(tiny_tagger, tmp_path_factory):
    path = tmp_path_factory.mktemp("pii") / "tiny.crftagger"
    tiny_tagger.save(path)
    return path


class StubTagger:
    """Tags the words of ``names`` as PER (and ``places`` as LOC) with a fixed confidence."""

    def __init__(self, names=("Ann Lee", "Bob"), places=("Paris",), confidence=0.8):
        self.words = [(n, "PER") for n in names] + [(p, "LOC") for p in places]
        self.confidence = confidence

    def __call__(self, text):
        spans = []
        for word, label in self.words:
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text):
                spans.append(Span(label, m.start(), m.end(), word, 0, 0, self.confidence))
        spans.sort(key=lambda s: s.start)
        return Doc(text, spans=spans)

    def pipe(self, texts, batch_size=64):
        return [self(t) for t in texts]


def found(text, type_=None, region="US"):
    dets = Analyzer(region=region).analyze(text)
    for d in dets:
        assert text[d.start : d.end] == d.text
        assert d.source.startswith("pattern:") and d.validated
    return [d.text for d in dets if type_ is None or d.type == type_]


# --------------------------------------------------------------------------- validators


@pytest.mark.parametrize(
    "number",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "378282246310005",
     "6011 1111 1111 1117", "3530111333300000"],
)  # fmt: skip
def test_credit_card_valid(number):
    assert R.credit_card_valid(number)
    assert found(f"card {number}.", "CREDIT_CARD") == [number]


@pytest.mark.parametrize(
    "number", ["4111 1111 1111 1112", "1234 5678 9012 3452", "4111 1111 1111", "0000000000000000"]
)
def test_credit_card_invalid(number):
    assert not R.credit_card_valid(number)
    assert found(f"card {number}.", "CREDIT_CARD") == []


def test_credit_card_inside_a_run_of_digits():
    text = "call +44 20 7946 0958 4111 1111 1111 1111 now; 12 5555 5555 5555 4444 3"
    assert found(text, "CREDIT_CARD") == ["4111 1111 1111 1111", "5555 5555 5555 4444"]
    text = "call +44 20 7946 0958, card 4111 1111 1111 1111, (202) 456-1111"
    assert found(text) == ["+44 20 7946 0958", "4111 1111 1111 1111", "(202) 456-1111"]


def test_luhn():
    assert R.luhn_valid("79927398713")
    assert not R.luhn_valid("79927398710")
    assert not R.luhn_valid("7992x398713")


@pytest.mark.parametrize(
    "iban",
    ["GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00",
     "FR14 2004 1010 0505 0001 3M02 606", "NL91 ABNA 0417 1643 00"],
)  # fmt: skip
def test_iban_valid(iban):
    assert R.iban_valid(iban)
    assert found(f"Pay to {iban} today", "IBAN") == [iban]


@pytest.mark.parametrize(
    "iban",
    ["GB82 WEST 1234 5698 7654 33", "GB82 WEST 1234 5698 7654", "XX82 WEST 1234 5698 7654 32",
     "DE89 3704 0044 0532 0130 0"],
)  # fmt: skip
def test_iban_invalid(iban):
    assert not R.iban_valid(iban)
    assert found(f"Pay to {iban} today", "IBAN") == []


def test_phone_valid_and_invalid_for_a_region():
    assert found("call 202-456-1111 now", "PHONE") == ["202-456-1111"]
    assert found("call (202) 456-1111 now", "PHONE") == ["(202) 456-1111"]
    assert found("call 555-123-4567 now", "PHONE") == []  # 555 is no US area code
    assert found("call 020 7946 0958 now", "PHONE", region="GB") == ["020 7946 0958"]
    assert found("call 020 7946 0958 now", "PHONE", region="US") == []
    for region in ("US", "DE", None):  # international numbers whatever the region
        assert found("call +44 20 7946 0958.", "PHONE", region=region) == ["+44 20 7946 0958"]
    assert found("call +44 20 7946 095", "PHONE") == []  # too short for London


def test_region_checked():
    with pytest.raises(PIIError, match="region: found 'XX'"):
        Analyzer(region="XX")
    assert Analyzer(region="gb").recognizers


def test_ip_addresses():
    assert found("from 192.168.0.1, then 10.0.0.255.", "IP_ADDRESS") == [
        "192.168.0.1",
        "10.0.0.255",
    ]
    assert found("bad 256.1.1.1 and 1.2.3 and 1.2.3.4.5", "IP_ADDRESS") == []
    assert found("v6 2001:db8::1 and fe80::1:2.", "IP_ADDRESS") == ["2001:db8::1", "fe80::1:2"]
    assert found("bad 2001:db8:::1 and 12:30:45 and 1:2:3:4:5:6:7:8:9", "IP_ADDRESS") == []
    assert R.ipv6_valid("::ffff:192.0.2.1") and not R.ipv4_valid("01.2.3.4")


def test_email_and_url():
    text = "Mail ann.lee@example.co.uk, see https://www.acme.com/contact. or www.x-y.org!"
    assert found(text, "EMAIL") == ["ann.lee@example.co.uk"]
    assert found(text, "URL") == ["https://www.acme.com/contact", "www.x-y.org"]
    assert found("ann@localhost and a..b@x.com and @x.com", "EMAIL") == []
    assert R.email_valid("a+b@x.io") and not R.email_valid("a@b@x.io")
    assert found("(see http://x.com/a_(b))", "URL") == ["http://x.com/a_(b)"]


def test_dates():
    text = "On 2024-02-29, 31/12/1999, 12/31/1999, 01.02.2003, 12 March 2024, 3rd of May 2001, March 5, 2020"
    assert found(text, "DATE") == [
        "2024-02-29", "31/12/1999", "12/31/1999", "01.02.2003", "12 March 2024",
        "3rd of May 2001", "March 5, 2020",
    ]  # fmt: skip
    assert (
        found("On 2023-02-29, 32/01/2000, 13/13/2000, March 5 and 30 February 2020", "DATE") == []
    )
    assert Analyzer(patterns=["email"]).analyze("On 2024-02-29") == []


def test_us_ssn():
    assert R.ssn_valid("123-45-6789") and R.ssn_valid("536-90-4399")
    for bad in ("000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000",
                "078-05-1120", "123456789", "12-345-6789"):  # fmt: skip
        assert not R.ssn_valid(bad), bad
    assert found("SSN 536-90-4399; not 666-90-4399", "US_SSN") == ["536-90-4399"]


def test_uk_nino():
    assert R.nino_valid("AB 12 34 56 C") and R.nino_valid("JG103759A")
    for bad in ("GB 12 34 56 A", "QQ123456C", "AO123456C", "AB123456E", "DA123456A", "AB12345C"):
        assert not R.nino_valid(bad), bad
    assert found("NINO AB 12 34 56 C.", "UK_NINO") == ["AB 12 34 56 C"]


def test_offsets_exact_on_unicode_text():
    text = "Zoë → ann@example.com — 4111 1111 1111 1111 \r\n ☎ +44 20 7946 0958"
    got = Analyzer().analyze(text)
    assert [d.type for d in got] == ["EMAIL", "CREDIT_CARD", "PHONE"]
    assert all(text[d.start : d.end] == d.text for d in got)


# --------------------------------------------------------------------------- overlap rule, thresholds


def det(t, a, b, score=0.5, validated=False, text="x"):
    return Detection(t, a, b, text * (b - a), score, "pattern:x" if validated else "crf", validated)


def test_overlap_rule():
    # a validated pattern wins over a longer CRF span it overlaps
    assert resolve_overlaps([det("PERSON", 0, 20, 0.99), det("EMAIL", 5, 10, 0.1, True)]) == [
        det("EMAIL", 5, 10, 0.1, True)
    ]
    # otherwise the longer one
    assert resolve_overlaps([det("PERSON", 0, 5, 0.99), det("ORG", 3, 12, 0.2)]) == [
        det("ORG", 3, 12, 0.2)
    ]
    # equal length: the higher score; then the earlier start
    assert resolve_overlaps([det("PERSON", 0, 5, 0.6), det("ORG", 2, 7, 0.7)]) == [
        det("ORG", 2, 7, 0.7)
    ]
    assert resolve_overlaps([det("ORG", 2, 7, 0.7), det("PERSON", 0, 5, 0.7)]) == [
        det("PERSON", 0, 5, 0.7)
    ]
    # non-overlapping detections are all kept, sorted by start; touching is no overlap
    dets = [det("A", 5, 8), det("B", 0, 5), det("C", 8, 9)]
    assert [d.type for d in resolve_overlaps(dets)] == ["B", "A", "C"]


def test_overlap_pattern_against_crf_on_text():
    text = "Write to Ann Lee at ann.lee@example.com please"
    tagger = StubTagger(names=("Ann Lee", "ann.lee@example.com"))
    got = Analyzer(tagger).analyze(text)
    assert [(d.type, d.text, d.source) for d in got] == [
        ("PERSON", "Ann Lee", "crf"),
        ("EMAIL", "ann.lee@example.com", "pattern:email"),
    ]


def test_thresholds():
    text = "Ann Lee met Bob in Paris"
    assert len(Analyzer(StubTagger(confidence=0.8)).analyze(text)) == 3
    a = Analyzer(StubTagger(confidence=0.8), thresholds={"PERSON": 0.9})
    assert [d.type for d in a.analyze(text)] == ["LOCATION"]
    a = Analyzer(StubTagger(confidence=0.8), thresholds={"DEFAULT": 0.85, "LOCATION": 0.5})
    assert [d.text for d in a.analyze(text)] == ["Paris"]
    a = Analyzer(StubTagger(), labels={"LOC": None, "PER": "NAME"})
    assert [d.type for d in a.analyze(text)] == ["NAME", "NAME"]


@pytest.mark.parametrize("bad", [1.5, -0.1, "0.5", math.nan, True, None])
def test_threshold_errors(bad):
    with pytest.raises(
        PIIError, match=r"threshold of PERSON: found .*; expected a number in \[0, 1\]"
    ):
        PIIMasker(thresholds={"PERSON": bad})
    with pytest.raises(PIIError, match="expected a dict"):
        Analyzer(thresholds=[0.5])


# --------------------------------------------------------------------------- operators

TEXT = "Mail ann@example.com or ann@example.com; card 4111 1111 1111 1111; ip 10.0.0.1, 10.0.0.2"


def masked(operators, text=TEXT, **kw):
    return PIIMasker(operators=operators, **kw).mask(text)


def test_redact():
    r = masked(None)
    assert r.text == "Mail [EMAIL] or [EMAIL]; card [CREDIT_CARD]; ip [IP_ADDRESS], [IP_ADDRESS]"
    assert r.mapping == {}
    r = masked({"DEFAULT": "redact:numbered=true"})
    assert r.text == (
        "Mail [EMAIL_1] or [EMAIL_1]; card [CREDIT_CARD_1]; ip [IP_ADDRESS_1], [IP_ADDRESS_2]"
    )
    assert r.mapping["[IP_ADDRESS_2]"] == "10.0.0.2"
    assert deanonymize(r.text, r.mapping) == TEXT


def test_redact_numbers_skip_placeholders_in_the_text():
    text = "[EMAIL_1] is not ann@example.com"
    r = masked({"EMAIL": {"type": "redact", "numbered": True}}, text)
    assert r.text == "[EMAIL_1] is not [EMAIL_2]"
    assert deanonymize(r.text, r.mapping) == text


def test_mask():
    r = masked({"CREDIT_CARD": "mask:keep_last=4", "EMAIL": "mask:char=#", "DEFAULT": "keep"})
    assert "card ***************1111;" in r.text
    assert "Mail ############### or" in r.text and "ip 10.0.0.1, 10.0.0.2" in r.text
    assert make_operator("mask:keep_last=100").replace(det("X", 0, 3), None, None) == "xxx"


def test_hash():
    with pytest.raises(PIIError, match="found no salt; expected an explicit salt"):
        masked({"EMAIL": "hash"})
    a = masked({"EMAIL": "hash", "DEFAULT": "keep"}, salt="s1")
    b = masked({"EMAIL": "hash:length=64", "DEFAULT": "keep"}, salt="s1")
    c = masked({"EMAIL": "hash:salt=s2", "DEFAULT": "keep"}, salt="s1")
    ha = a.items[0].replacement
    assert re.fullmatch(r"[0-9a-f]{16}", ha) and a.items[1].replacement == ha
    assert b.items[0].replacement.startswith(ha) and len(b.items[0].replacement) == 64
    assert c.items[0].replacement != ha
    assert a.mapping == {}  # a hash is not reversible
    with pytest.raises(PIIError, match=r"hash length: found 4; expected an integer in \[8, 64\]"):
        make_operator("hash:length=4")


def test_pseudonym_consistent_deterministic_and_of_the_right_kind():
    ops = {"DEFAULT": "pseudonym"}
    text = TEXT + " and ::1 Ann Lee, Bob, Ann Lee in Paris"
    r1 = PIIMasker(StubTagger(), operators=ops, seed=7).mask(text)
    r2 = PIIMasker(StubTagger(), operators=ops, seed=7).mask(text)
    r3 = PIIMasker(StubTagger(), operators=ops, seed=8).mask(text)
    assert r1 == r2 and r1.text != r3.text
    by = {}
    for it in r1.items:
        assert by.setdefault(it.text, it.replacement) == it.replacement  # same original, same fake
        assert it.replacement != it.text
    assert len(set(by.values())) == len(by)  # different originals, different fakes
    assert "@" in by["ann@example.com"]
    assert R.ipv4_valid(by["10.0.0.1"]) and R.ipv6_valid(by["::1"])
    assert R.credit_card_valid(by["4111 1111 1111 1111"])
    assert len(by["Bob"].split()) == 1 and len(by["Ann Lee"].split()) >= 2
    assert deanonymize(r1.text, r1.mapping) == text
    # one session: the same fake across texts
    m = PIIMasker(operators=ops, seed=7)
    s = m.session()
    x, y = m.mask("a ann@example.com", s), m.mask("b ann@example.com", s)
    assert x.items[0].replacement == y.items[0].replacement == by["ann@example.com"]


def test_keep_and_new_offsets():
    r = masked({"EMAIL": "keep", "DEFAULT": "redact"})
    assert r.text.startswith("Mail ann@example.com or ann@example.com; card [CREDIT_CARD];")
    for it in r.items:
        assert TEXT[it.start : it.end] == it.text
        assert r.text[it.new_start : it.new_end] == it.replacement


def test_operator_errors():
    with pytest.raises(
        PIIError, match="found 'encrypt'; expected one of redact, mask, hash, pseudonym, keep"
    ):
        PIIMasker(operators={"PERSON": "encrypt"})
    with pytest.raises(PIIError, match="operator mask: found the parameter 'keep'; expected char"):
        make_operator("mask:keep=2")
    with pytest.raises(PIIError, match="expected key=value"):
        make_operator("mask:keep_last")
    with pytest.raises(PIIError, match="mask char: found '##'"):
        make_operator({"type": "mask", "char": "##"})
    with pytest.raises(PIIError, match="redact numbered: found 'maybe'"):
        make_operator("redact:numbered=maybe")
    with pytest.raises(PIIError, match="detections overlap"):
        Anonymizer().anonymize("abcdef", [det("A", 0, 3), det("B", 2, 4)])
    with pytest.raises(PIIError, match="expected 'zz'"):
        Anonymizer().anonymize("abcdef", [Detection("A", 0, 2, "zz", 1.0, "crf")])


_FRAGMENTS = [
    "Ann Lee", "Bob", "Paris", "ann@example.com", "bob@x.org", "4111 1111 1111 1111",
    "+44 20 7946 0958", "10.0.0.1", "[PERSON_1]", "[EMAIL_1]", "said", "to", ",", ".", "é",
    "Ann", "Lee", "x@y.io", "GB82 WEST 1234 5698 7654 32",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=12),
    st.sampled_from(["pseudonym", "redact:numbered=true"]),
    st.integers(0, 3),
)
def test_round_trip(parts, op, seed):
    text = " ".join(parts)
    r = PIIMasker(StubTagger(), operators={"DEFAULT": op}, seed=seed).mask(text)
    assert deanonymize(r.text, r.mapping) == text
    for it in r.items:
        assert text[it.start : it.end] == it.text
        assert r.text[it.new_start : it.new_end] == it.replacement


# --------------------------------------------------------------------------- CRF, build, evaluation


def test_crf_detections(tiny_tagger):
    masker = PIIMasker(tiny_tagger, operators={"PERSON": "pseudonym"})
    sents = build.held_out_test(40)
    crf_types = set()
    for s in sents:
        text = s.meta["text"]
        for d in masker.analyze(text):
            assert text[d.start : d.end] == d.text and 0 <= d.score <= 1
            if d.source == "crf":
                crf_types.add(d.type)
        r = masker.mask(text)
        assert deanonymize(r.text, r.mapping).count("[") <= text.count("[") + len(r.items)
    assert {"PERSON", "LOCATION"} <= crf_types


def test_evaluate(tiny_tagger):
    sents = build.held_out_test(60)
    pat = build.evaluate(Analyzer(), sents)
    crf = build.evaluate(Analyzer(tiny_tagger, patterns=False), sents)
    both = build.evaluate(PIIMasker(tiny_tagger), sents)
    for res in (pat, crf, both):
        for s in res.values():
            assert 0 <= s["precision"] <= 1 and 0 <= s["f2"] <= 1
            assert s["tp"] + s["fn"] >= 0
    assert pat["EMAIL"]["precision"] == 1.0 and "PERSON" not in pat or pat["PERSON"]["tp"] == 0
    assert both["ALL"]["recall"] > pat["ALL"]["recall"]
    assert both["PERSON"]["f1"] > 0.5


def test_score_spans():
    gold = [[("PERSON", 0, 3), ("ID", 5, 9)], [("EMAIL", 1, 4)]]
    pred = [[("PERSON", 0, 3), ("IBAN", 5, 9), ("PERSON", 10, 12)], []]
    s = build.score_spans(gold, pred)
    assert s["ID"]["tp"] == 1  # IBAN scored as ID
    assert (s["PERSON"]["tp"], s["PERSON"]["fp"]) == (1, 1)
    assert s["EMAIL"]["fn"] == 1 and s["EMAIL"]["recall"] == 0
    assert s["ALL"]["precision"] == pytest.approx(2 / 3) and s["ALL"]["recall"] == pytest.approx(
        2 / 3
    )
    p, r = 0.5, 1.0
    s = build.score_spans([[("A", 0, 1)]], [[("A", 0, 1), ("A", 2, 3)]])
    assert s["A"]["f2"] == pytest.approx(5 * p * r / (4 * p + r))


def test_model_header_records_the_build(tiny_model):
    from crftagger import Tagger

    tagger = Tagger.load(tiny_model)
    built = tagger.info["pii"]["built_from"]
    assert built["synthetic"]["n_train"] == 300 and built["synthetic"]["seed"] == 0
    assert built["conll2003"] is None
    assert tagger.info["corpus"] == "synthetic"


def test_retokenize():
    from crftagger.text.tokenize import get_tokenizer

    text = "Hi Ann Lee. Call (202) 456-1111 now."
    seqs, bad = build.retokenize(
        text, [("PER", 3, 10), ("PHONE", 17, 31)], get_tokenizer("treebank")
    )
    tokens = [t for toks, _ in seqs for t in toks]
    tags = [t for _, tg in seqs for t in tg]
    assert bad == 0 and len(seqs) == 2
    assert list(zip(tokens, tags, strict=True))[:4] == [
        ("Hi", "O"), ("Ann", "B-PER"), ("Lee", "I-PER"), (".", "O")
    ]  # fmt: skip
    assert tags[tokens.index("(")] == "B-PHONE" and tags[tokens.index("456-1111")] == "I-PHONE"


def test_build_with_conll(data_dir):
    tagger = build.build_model(
        n_train=80, n_dev=0, n_test=0, max_iterations=3, conll_sentences=40, data_dir=data_dir
    )
    assert tagger.info["pii"]["built_from"]["conll2003"]["n_sentences"] == 40
    assert tagger.info["corpus"] == "synthetic+conll2003"
    assert "B-MISC" not in tagger.labels


# --------------------------------------------------------------------------- command line


def run_cli(argv, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_files_one_bad_among_good(tmp_path, capsys):
    good1 = tmp_path / "a.txt"
    good1.write_text("Mail ann@example.com\nCall +44 20 7946 0958 now\n", encoding="utf-8")
    good2 = tmp_path / "b.txt"
    good2.write_text("ip 10.0.0.1", encoding="utf-8")
    binary = tmp_path / "c.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    empty = tmp_path / "d.txt"
    empty.write_bytes(b"")
    latin = tmp_path / "e.txt"
    latin.write_bytes(b"ok line\ncaf\xe9 ann@example.com\n")
    long = tmp_path / "f.txt"
    long.write_text("short\n" + "x" * 200 + "\n", encoding="utf-8")
    files = [good1, binary, empty, latin, long, tmp_path / "missing.txt", good2]
    rc, out, err = run_cli(["mask", *map(str, files), "--max-chars", "100"], capsys)
    assert rc == 1
    assert out == "Mail [EMAIL]\nCall [PHONE] now\nip [IP_ADDRESS]"
    assert f"{binary}:1: found a NUL byte" in err
    assert f"{empty}: found an empty file; expected text" in err
    assert f"{latin}:2: byte b'\\xe9' at column 4 is not UTF-8 text" in err
    assert f"{long}:2: found a line of 201 characters; expected at most 100" in err
    assert "missing.txt: No such file or directory" in err
    assert "Traceback" not in err


def test_cli_jsonl_and_mapping(tmp_path, capsys, tiny_model):
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": 1, "text": "Mail ann@example.com or call 202-456-1111"},
        {"id": 2, "text": "Again ann@example.com"},
    ]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    mp, outp = tmp_path / "map.jsonl", tmp_path / "out.jsonl"
    argv = ["mask", "-m", str(tiny_model), "-f", "jsonl", str(src), "-o", str(outp)]
    argv += ["--operator", "EMAIL=pseudonym", "--operator", "DEFAULT=redact:numbered=true"]
    rc, _, err = run_cli([*argv, "--mapping", str(mp), "--seed", "3"], capsys)
    assert rc == 0, err
    lines = outp.read_text(encoding="utf-8").split("\n")
    assert lines[2:] == ["", ""]  # blank line kept
    got = [json.loads(x) for x in lines[:2]]
    assert [g["id"] for g in got] == [1, 2]
    assert got[0]["text"].endswith("or call [PHONE_1]")
    email = got[0]["entities"][0]
    assert email["type"] == "EMAIL" and email["text"] == "ann@example.com"
    assert email["source"] == "pattern:email" and email["operator"] == "pseudonym"
    assert got[1]["entities"][0]["replacement"] == email["replacement"]  # consistent in a file
    mapping = json.loads(mp.read_text(encoding="utf-8"))
    assert mapping["file"] == str(src)
    for row, g in zip(rows, got, strict=True):
        assert deanonymize(g["text"], mapping["mapping"]) == row["text"]


def test_cli_jsonl_errors(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"txt": 1}\n', encoding="utf-8")
    worse = tmp_path / "worse.jsonl"
    worse.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    rc, out, err = run_cli(["mask", "-f", "jsonl", str(bad), str(worse)], capsys)
    assert rc == 1 and out == ""
    assert f'{bad}:2: found an object without a "text" string' in err
    assert f"{worse}:2: found malformed JSON" in err


def test_cli_stdin(capsys, monkeypatch):
    rc, out, _ = run_cli(
        ["mask", "--operator", "PHONE=mask:keep_last=2"],
        capsys,
        b"call +1 202 456 1111\r\n",
        monkeypatch,
    )
    assert rc == 0 and out == "call " + "*" * 13 + "11\r\n"
    rc, out, err = run_cli(["mask"], capsys, b"", monkeypatch)
    assert rc == 1 and "<stdin>: found an empty file" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--operator", "PERSON=encrypt"], "found 'encrypt'; expected one of redact, mask, hash"),
        (["--operator", "PERSON"], "--operator: found 'PERSON'; expected TYPE=VALUE"),
        (
            ["--threshold", "PERSON=1.5"],
            r"threshold of PERSON: found 1.5; expected a number in \[0, 1\]",
        ),
        (["--threshold", "PERSON=high"], "found 'high'; expected a number"),
        (["--operator", "EMAIL=hash"], "found no salt"),
        (["--region", "XX"], "region: found 'XX'"),
    ],
)
def test_cli_option_errors(tmp_path, capsys, args, message):
    f = tmp_path / "a.txt"
    f.write_text("ann@example.com\n", encoding="utf-8")
    rc, out, err = run_cli(["mask", str(f), *args], capsys)
    assert rc == 1 and out == ""
    assert re.search(message, err) and "Traceback" not in err


def test_cli_build(tmp_path, capsys):
    path = tmp_path / "m.crftagger"
    argv = ["mask", "build", "-o", str(path), "--n-train", "100", "--n-dev", "0"]
    rc, out, err = run_cli([*argv, "--n-test", "20", "--max-iterations", "5"], capsys)
    assert rc == 0, err
    assert "Held-out test F1 (20 sentences" in out and path.exists()
    from crftagger import Tagger

    info = Tagger.load(path).info["pii"]
    assert info["built_from"]["synthetic"]["n_train"] == 100 and "ALL" in info["scores_test"]
    rc, _, err = run_cli(["mask", "build"], capsys)
    assert rc == 1 and "found no -o FILE" in err


def test_docs_pii_md_runs():
    import doctest
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "docs" / "pii.md"
    result = doctest.testfile(
        str(path),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 10
    assert result.failed == 0


def _naive_resolve(dets):
    """The overlap rule, the obvious quadratic way."""
    kept = []
    for d in sorted(
        dets, key=lambda d: (not d.validated, d.start - d.end, -d.score, d.start, d.type)
    ):
        if d.end > d.start and all(d.end <= k.start or k.end <= d.start for k in kept):
            kept.append(d)
    return sorted(kept, key=lambda d: d.start)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30), st.integers(0, 8), st.sampled_from([0.2, 0.5, 0.9]), st.booleans()
        ),
        max_size=15,
    )
)
def test_resolve_overlaps_matches_naive(rows):
    dets = [det("T", a, a + n, score, validated) for a, n, score, validated in rows]
    assert resolve_overlaps(dets) == _naive_resolve(dets)
