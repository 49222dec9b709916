"""Entity extraction for indexing: crftagger.api.extract and ``crftagger extract``."""

from __future__ import annotations

import json

import pytest

from crftagger import Tagger, cli
from crftagger.api.extract import (
    ExtractInputError,
    check_file,
    extract,
    extract_files,
    read_documents,
)
from crftagger.corpora import synthetic

PARAGRAPHS = [
    "Dear Anna Smith,\r\nplease call 020 7946 0958 or write to anna.smith@example.org.",
    "Thanks, Peter Jones from Acme Bank in London.",
    "Nothing to see here.",
    "Maria Rossi met Jan Novak in Berlin on 12/03/2024.",
]


@pytest.fixture(scope="module")
def tagger():
    sents = synthetic.generate(300, seed=5)
    return Tagger.train(
        [(s.tokens, s.columns["ner"]) for s in sents], feature_set="pii", max_iterations=30
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, tagger):
    path = tmp_path_factory.mktemp("extract") / "pii.crftagger"
    tagger.save(path)
    return path


def _write(path, text: str) -> str:
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def _records(model, docs, **kw):
    recs = list(extract(model, docs, **kw))
    return [r for r in recs if r["type"] == "entity"], [r for r in recs if r["type"] == "document"]


def test_records_have_exact_offsets_and_match_the_text_path(tmp_path, tagger):
    text = "\r\n\r\n".join(PARAGRAPHS) + "\r\n"
    path = _write(tmp_path / "letter.txt", text)
    ents, summaries = _records(tagger, read_documents(path))
    assert ents, "the model finds entities in the letter"
    for e in ents:
        assert text[e["start"] : e["end"]] == e["text"]
        assert e["doc"] == path
    expected = [(s.label, s.start, s.end) for s in tagger(text).spans]
    assert [(e["label"], e["start"], e["end"]) for e in ents] == expected
    (summ,) = summaries
    assert summ["doc"] == path and summ["characters"] == len(text)
    assert summ["entities"] == len(ents)
    by_label: dict[str, int] = {}
    for e in ents:
        by_label[e["label"]] = by_label.get(e["label"], 0) + 1
    assert {k: v["count"] for k, v in summ["labels"].items()} == by_label
    assert sum(n for v in summ["labels"].values() for _t, n in v["top"]) <= len(ents)


def test_small_chunks_give_the_same_entities(tmp_path, tagger):
    text = "\n\n".join(PARAGRAPHS * 5) + "\n"
    path = _write(tmp_path / "long.txt", text)
    whole, _ = _records(tagger, read_documents(path, chunk_chars=10**6))
    chunked, summ = _records(tagger, read_documents(path, chunk_chars=80), batch_size=3)
    assert len(list(next(read_documents(path, chunk_chars=80)).chunks)) > 5
    assert chunked == whole
    for e in chunked:
        assert text[e["start"] : e["end"]] == e["text"]
    assert summ[0]["characters"] == len(text)


def test_chunks_of_a_large_file_are_bounded_and_lose_nothing(tmp_path):
    line = "Peter Jones lives in London and works for Acme Bank.\n"
    text = "".join(line if i % 7 else "\n" for i in range(60_000))  # about 3 MB
    path = _write(tmp_path / "big.txt", text)
    (doc,) = read_documents(path, chunk_chars=50_000)
    parts = list(doc.chunks)
    assert "".join(t for _o, t in parts) == text
    assert all(text[o : o + len(t)] == t for o, t in parts)
    assert max(len(t) for _o, t in parts) <= 2 * 50_000
    assert len(parts) > 20
    assert check_file(path) == len(text.encode())


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty file"),
        (b" \n\t\r\n", "only white space"),
        (b"hello\nwor\x00ld\n", ":2: found a NUL byte"),
        (b"ok\nfine\ncaf\xe9 au lait\n", ":3: byte b'\\xe9' at column 4 is not UTF-8"),
    ],
)
def test_bad_files_are_named(tmp_path, content, expected):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(ExtractInputError, match=expected.replace("\\", "\\\\").replace("(", r"\(")):
        check_file(p)


def test_a_failing_file_does_not_stop_the_others(tmp_path, tagger):
    good1 = _write(tmp_path / "a.txt", PARAGRAPHS[1])
    bad = tmp_path / "b.bin"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    good2 = _write(tmp_path / "c.txt", PARAGRAPHS[3])
    recs: list[dict] = []
    errors = []
    reports = extract_files(
        tagger,
        [good1, str(bad), tmp_path / "missing.txt", good2],
        recs.append,
        on_error=errors.append,
    )
    assert [r.error is None for r in reports] == [True, False, False, True]
    assert "NUL byte" in reports[1].error and str(bad) in reports[1].error
    assert "missing.txt" in reports[2].error
    assert len(errors) == 2
    docs = [r["doc"] for r in recs if r["type"] == "document"]
    assert docs == [good1, good2]
    assert not any(r["doc"] == str(bad) for r in recs)


def test_line_and_jsonl_units(tmp_path, tagger):
    lines = [PARAGRAPHS[1], "", PARAGRAPHS[3]]
    path = _write(tmp_path / "lines.txt", "\r\n".join(lines) + "\r\n")
    docs = list(read_documents(path, "line"))
    assert [d.id for d in docs] == [f"{path}:1", f"{path}:3"]
    ents, summ = _records(tagger, docs)
    assert [s["line"] for s in summ] == [1, 3]
    for e in ents:
        src = lines[int(e["doc"].rsplit(":", 1)[1]) - 1]
        assert src[e["start"] : e["end"]] == e["text"]

    objs = [{"id": "m1", "body": PARAGRAPHS[0]}, {"body": PARAGRAPHS[3]}]
    jp = _write(tmp_path / "msgs.jsonl", "\n".join(json.dumps(o) for o in objs) + "\n")
    ents, summ = _records(tagger, read_documents(jp, "jsonl", text_field="body"))
    assert [s["doc"] for s in summ] == ["m1", f"{jp}:2"]
    for e in ents:
        src = objs[0]["body"] if e["doc"] == "m1" else objs[1]["body"]
        assert src[e["start"] : e["end"]] == e["text"]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("{not json", ":2: column 2"),
        ("[1, 2]", ":2: found a JSON list"),
        ('{"id": "x"}', ':2: field "text": found no such field'),
        ('{"text": 5}', ':2: field "text": found int'),
        ('{"text": "a", "id": [1]}', ':2: field "id": found list'),
    ],
)
def test_bad_jsonl_is_named_and_writes_nothing(tmp_path, tagger, line, expected):
    jp = _write(tmp_path / "m.jsonl", json.dumps({"text": PARAGRAPHS[1]}) + "\n" + line + "\n")
    recs: list[dict] = []
    (rep,) = extract_files(tagger, [jp], recs.append, unit="jsonl")
    assert expected in rep.error and jp in rep.error
    assert recs == []


def test_labels_and_confidence_filters(tmp_path, tagger):
    path = _write(tmp_path / "a.txt", "\n\n".join(PARAGRAPHS))
    every, _ = _records(tagger, read_documents(path))
    per, summ = _records(tagger, read_documents(path), labels=["PER"])
    assert per == [e for e in every if e["label"] == "PER"] and per
    assert set(summ[0]["labels"]) == {"PER"}
    sure, _ = _records(tagger, read_documents(path), min_confidence=0.9)
    assert sure == [e for e in every if e["confidence"] >= 0.9]
    with pytest.raises(ExtractInputError, match=r"min_confidence: expected a number in \[0, 1\]"):
        list(extract(tagger, read_documents(path), min_confidence=1.5))
    with pytest.raises(ExtractInputError, match="labels: found PERSON; the model's span labels"):
        list(extract(tagger, read_documents(path), labels=["PERSON"]))


def test_cli_extract(tmp_path, model_file, capsys):
    good = _write(tmp_path / "a.txt", "\n\n".join(PARAGRAPHS))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "entities.jsonl"
    code = cli.main(["extract", good, str(empty), "-m", str(model_file), "-o", str(out)])
    _o, err = capsys.readouterr()
    assert code == 1
    assert f"error: {empty}: found an empty file; expected text" in err
    assert "from 1 of 2 files; 1 failed" in err
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert recs[-1]["type"] == "document" and recs[-1]["doc"] == good
    assert recs[-1]["entities"] == len(recs) - 1 > 0

    code = cli.main(["extract", good, "-m", str(model_file), "-q"])
    o, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert [json.loads(x) for x in o.splitlines()] == recs

    code = cli.main(["extract", good, "-m", str(model_file), "-o", str(tmp_path)])
    _o, err = capsys.readouterr()
    assert code == 1 and "is a folder; expected a file name" in err
