"""Fuzzing: corpus readers, model files, CRFsuite files, API inputs and CLI arguments.

Each area runs its cases (fixed seeds, :mod:`fuzz.gen`) in one worker process
with a memory limit, the parent killing and restarting it on a case that takes
too long (:mod:`fuzz.runner`). A case is ``ok`` (parsed and equal to the plain
twin of the reader, loaded and tagged, answered), a clean crftagger error that
names the file and line, or a failure: another exception, a crash, a hang, a
``MemoryError``, or a reader result that differs from the plain twin.

The counts per area are written to the terminal and to ``fuzz-counts.json``
in pytest's base temporary folder. ``python -m benchmarks.fuzz`` runs the same
areas with many more cases.
"""

from __future__ import annotations

import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fuzz import runner

#: Cases per area: the whole file runs in about 80 s on two shared cores.
CASES = {"corpus": 4000, "model": 500, "crfsuite": 300, "api": 400, "cli": 120}
AREAS = list(CASES)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    runner.make_fixtures(folder)
    return folder / "config.json"


@pytest.fixture(scope="module")
def results(fixtures, tmp_path_factory, request) -> dict:
    def one(area):
        return runner.run_area(area, range(CASES[area]), fixtures)

    # the slowest areas first, two at a time (two cores)
    order = ["cli", "model", "api", "crfsuite", "corpus"]
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(order, pool.map(one, order), strict=True))
    out = {a: done[a] for a in AREAS}
    report = tmp_path_factory.getbasetemp() / "fuzz-counts.json"
    report.write_text(json.dumps([r.as_dict() for r in out.values()], indent=1))
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    text = runner.table(out.values()) + f"\n(counts also in {report})"
    if tr is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # past pytest's capture of fd 1
            tr.write_line("")
            for line in text.splitlines():
                tr.write_line(line)
    else:
        print(text)
    return out


@pytest.mark.parametrize("area", AREAS)
def test_no_failures(results, area):
    r = results[area]
    assert r.cases == CASES[area]
    assert r.n_failures == 0, f"{area}: {dict(r.failures)}; examples {r.examples}"
    # the cases reach both outcomes: a fuzzer whose inputs are all refused (or all
    # accepted) tests little
    assert r.ok > 0 and r.errors > 0, r.as_dict()
    assert not r.known, r.known  # every failure class found so far is fixed


def test_the_corpus_cases_cover_every_reader(results):
    from fuzz import gen

    readers = {gen.corpus_case(s)["reader"] for s in range(CASES["corpus"])}
    assert readers == {name for name, _ in gen.READERS}


# ----------------------------------------------------------------------------- harness checks


def test_a_hang_and_a_crash_are_failures_and_the_worker_restarts(fixtures):
    # the selftest area's seed 1 sleeps, seed 3 kills its worker with SIGSEGV
    r = runner.run_area("selftest", [0, 1, 2, 3], fixtures, timeout=5)
    assert r.cases == 4
    assert r.ok == 2
    assert r.failures == {"hang": 1, "crash (exit -11)": 1}
    assert r.restarts == 2


def test_an_unbounded_allocation_is_a_memory_error(fixtures):
    # seed 4 allocates 256 MiB blocks until the address-space limit stops it
    r = runner.run_area("selftest", [4], fixtures, timeout=60, memory_mb=3072)
    assert r.failures == {"MemoryError": 1}


def test_the_plain_twins_catch_a_silent_change():
    from fuzz import plain

    data = b"a B\nb C\n\nc D\n"
    kind, sents = plain.conll(data)
    assert kind == "parsed" and sents[1] == (["c"], {1: ["D"]}, None, {})
    assert plain.conll(b"a B\nb\n") == ("refused", 2)
    assert plain.conll(b"a B\rb C\n") == ("refused", 1)
    assert plain.conll(b"a B\n\xff C\n") == ("refused", 2)
    assert plain.conllu(b"1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n\xc2\xb2\tb\t_\t_\t_\t_\t_\t_\t_\t_\n") == (
        "refused",
        2,
    )


# ----------------------------------------------------------------------------- found by fuzzing


def test_a_block_dtype_that_is_a_list_is_refused(fixtures, tmp_path):
    # was a TypeError (unhashable list) from the dtype check
    from fuzz import gen

    from crftagger.api.tagger import Tagger
    from crftagger.errors import ModelFileError

    base = Path(json.loads(fixtures.read_text())["model"])
    raw = base.read_bytes()
    meta = gen._header(raw)
    next(b for b in meta["blocks"] if b["kind"] == "array")["dtype"] = ["<f8"]
    p = tmp_path / "dtype.crftagger"
    p.write_bytes(gen._resign(raw, meta))
    with pytest.raises(ModelFileError, match=r"dtype.*\['<f8'\].*expected one of"):
        Tagger.load(p)


def test_a_cr_inside_a_streamed_conllu_line_is_refused():
    # the file reader refused it; the stream reader of `crftagger tag -f conllu` kept the CR
    from crftagger.corpora.conllu import iter_sentences
    from crftagger.errors import CorpusFormatError

    good = "1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n"
    with pytest.raises(CorpusFormatError, match=r"<stdin>:2: carriage return inside a line"):
        list(iter_sentences([good, "2\tb\r\t_\t_\t_\t_\t_\t_\t_\t_\n"], "<stdin>"))
    assert [s.tokens for s in iter_sentences([good.replace("\n", "\r\n")], "<stdin>")] == [["a"]]


def test_a_folder_or_an_unreadable_file_given_as_a_corpus_is_a_corpus_error(tmp_path):
    # a folder gave IsADirectoryError from open() (crftagger train DIR printed a traceback)
    from crftagger.corpora import detect_format, read_conll
    from crftagger.errors import CorpusFormatError

    with pytest.raises(CorpusFormatError, match=r"not a file: found a folder"):
        detect_format(tmp_path)
    with pytest.raises(CorpusFormatError, match=r"not a file: found a folder"):
        list(read_conll(tmp_path))
    p = tmp_path / "locked.conll"
    p.write_text("a B\n")
    p.chmod(0)
    try:
        if os.access(p, os.R_OK):  # root reads any file
            pytest.skip("this user reads files without read permission")
        with pytest.raises(CorpusFormatError, match=r"file cannot be read: found no permission"):
            list(read_conll(p))
    finally:
        p.chmod(0o644)


def test_the_whitespace_separator_splits_on_spaces_and_tabs_only(tmp_path):
    # str.split() cut '10\xa0000' (no-break space) and 'a\x1cb' into two fields each
    from crftagger.corpora import read_conll
    from crftagger.errors import CorpusFormatError

    p = tmp_path / "ws.conll"
    p.write_text(" 10\u00a0000 \t CD\na\x1cb\tNN\n\nx  Y\n", encoding="utf-8")
    got = [(s.tokens, s.columns) for s in read_conll(p, sep="whitespace")]
    assert got == [(["10\u00a0000", "a\x1cb"], {"col1": ["CD", "NN"]}), (["x"], {"col1": ["Y"]})]
    p.write_text("a\x0bb C\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=r":1: white space inside a field.*runs of spaces"):
        list(read_conll(p, sep="whitespace"))


def _tag_stream(data: bytes, columns=None):
    from crftagger.cli import tag

    lines = tag._read_lines(io.BytesIO(data), "<stdin>")
    if columns is None:
        return [it.tokens for it in tag.read_tokens(lines, "<stdin>")]
    return [it.tokens for it in tag.read_conll_stream(lines, "<stdin>", columns) if it.tokens]


def test_tag_tokens_keeps_a_token_with_a_no_break_space():
    # `printf '10\xc2\xa0000 EUR\n' | crftagger tag -m M -f tokens` tags three tokens
    assert _tag_stream("10\u00a0000 EUR\n".encode()) == [["10\u00a0000", "EUR"]]


def test_tag_conll_keeps_every_character_of_a_field():
    # `crftagger tag -f conll --columns word,tag` reads 'Núñez\x1c' as 'Núñez'
    data = "Núñez\x1c B-PER\nvisited O\n".encode()
    assert _tag_stream(data, ["word", "tag"]) == [["Núñez\x1c", "visited"]]


def test_tag_conll_refuses_cr_only_line_ends():
    # read_conll refuses this input; `crftagger tag -f conll` reads one sentence of
    # one token whose "columns" are the other lines
    from crftagger.errors import CrftaggerError

    with pytest.raises(CrftaggerError, match=r"<stdin>:1: .*carriage return"):
        _tag_stream(b"EU B-ORG\rrejects O\r\rPeter B-PER\r", ["word", "tag", "x", "y"])


def test_evaluate_of_a_folder_is_a_clean_error(tmp_path, capsys):
    from crftagger.cli.app import main

    assert main(["evaluate", str(tmp_path)]) == 1
    assert "found a folder, expected a file" in capsys.readouterr().err


def test_tag_of_a_folder_is_a_clean_error(fixtures, tmp_path, capsys):
    from crftagger.cli.app import main

    model = json.loads(fixtures.read_text())["model"]
    assert main(["tag", "-m", model, str(tmp_path)]) == 1
    assert "found a folder, expected a file" in capsys.readouterr().err


def test_tag_conll_refuses_a_docstart_line_with_a_no_break_space():
    # '-DOCSTART-\xa0' is one field, not 4: read_conll refuses such a line; tag reads it as
    # a document boundary
    from crftagger.errors import CrftaggerError

    with pytest.raises(CrftaggerError, match=r"<stdin>:2: "):
        _tag_stream("EU NNP B-NP B-ORG\n-DOCSTART-\u00a0\n".encode(), ["word", "pos", "c", "n"])
