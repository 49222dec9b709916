"""crftagger's conlleval report against conlleval.pl itself, run with perl on random files.

Each random file (1-6 sentences of 0-10 tokens, ``token gold predicted``
lines, a blank line after each sentence) is scored by
``../shared/peer-tests/conlleval.pl`` and by :func:`crftagger.metrics.conlleval_report`,
and the two texts must be identical: token, phrase and correct counts, and
precision, recall and F1 overall and per type.

Claimed identical: the default mode on B/I/O and on I/E/O files; ``-r``
(raw tags); ``mode="conlleval.pl"`` on any prefixes. On B/I/E/S files the
default mode reads ``S-`` and ``E-X B-X`` as seqeval does, and the counts
differ from conlleval.pl's only in files that have them (pinned below).
"""

from __future__ import annotations

import random
import shutil
import subprocess

import pytest
from peer_files import peer_file

from crftagger import config
from crftagger.metrics import conlleval_report
from crftagger.schemes import convert

N_FILES = 600  # random files per tag set (about 2,000 sentences, 4,000 tag sequences)
TYPES = ("A", "B", "creative-work")


@pytest.fixture(scope="module")
def conlleval():
    script = peer_file("conlleval.pl")
    perl = shutil.which("perl")
    if perl is None:
        msg = "perl not found: conlleval.pl cannot be run"
        if config.require_data():
            pytest.fail(msg)
        pytest.skip(msg)

    def run(gold, pred, *options):
        lines = []
        for g, p in zip(gold, pred, strict=True):
            lines += [f"w{i} {a} {b}" for i, (a, b) in enumerate(zip(g, p, strict=True))]
            lines.append("")
        proc = subprocess.run(
            [perl, str(script), *options],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout

    return run


def _files(seed, tags, valid_scheme=None):
    rng = random.Random(seed)
    for _ in range(N_FILES):
        lengths = [rng.randint(0, 10) for _ in range(rng.randint(1, 6))]
        gold = [[rng.choice(tags) for _ in range(n)] for n in lengths]
        pred = [[rng.choice(tags) for _ in range(n)] for n in lengths]
        if valid_scheme and rng.random() < 0.5:
            gold = [convert(g, None, valid_scheme, lossy_ok=True) for g in gold]
        yield gold, pred


def _tags(prefixes):
    return ["O"] + [f"{p}-{t}" for p in prefixes for t in TYPES]


@pytest.mark.parametrize("prefixes, scheme", [("BI", "iob2"), ("IE", "ioe2")])
def test_default_mode_equals_conlleval_pl(conlleval, prefixes, scheme):
    n_phrases = 0
    for gold, pred in _files(f"perl-{prefixes}", _tags(prefixes), scheme):
        ours = conlleval_report(gold, pred)
        assert ours == conlleval(gold, pred), (gold, pred)
        n_phrases += int(ours.split(" phrases;")[0].split()[-1])
    assert n_phrases > N_FILES


def test_raw_mode_equals_conlleval_pl_r(conlleval):
    tags = ["O", "NN", "VB", "B-NP", "creative-work"]
    for gold, pred in _files("perl-raw", tags):
        assert conlleval_report(gold, pred, raw=True) == conlleval(gold, pred, "-r"), (gold, pred)


def test_perl_mode_equals_conlleval_pl_on_any_prefixes(conlleval):
    for gold, pred in _files("perl-any", _tags("BIESLU")):
        assert conlleval_report(gold, pred, mode="conlleval.pl") == conlleval(gold, pred)


def _has_perl_gap(seqs):
    """S- tags, or E-X right before B-X: where conlleval.pl reads B/I/E/S differently."""
    for s in seqs:
        for i, t in enumerate(s):
            if t.startswith("S-"):
                return True
            if t.startswith("E-") and i + 1 < len(s) and s[i + 1] == "B-" + t[2:]:
                return True
    return False


def test_bioes_default_mode_differs_from_conlleval_pl_only_where_it_has_no_rule(conlleval):
    n_diff = n_files = 0
    for gold, pred in _files("perl-bioes", _tags("BIES"), "bioes"):
        n_files += 1
        perl = conlleval(gold, pred)
        assert conlleval_report(gold, pred, mode="conlleval.pl") == perl
        if conlleval_report(gold, pred) != perl:
            n_diff += 1
            assert _has_perl_gap(gold) or _has_perl_gap(pred), (gold, pred)
    assert 0 < n_diff < n_files


def test_the_gaps_by_hand(conlleval):
    # S-X S-X: two phrases here (and in seqeval), one for conlleval.pl
    gold, pred = [["S-X", "S-X"]], [["S-X", "O"]]
    assert "with 2 phrases; found: 1 phrases; correct: 1." in conlleval_report(gold, pred)
    assert "with 1 phrases; found: 1 phrases; correct: 0." in conlleval(gold, pred)
    # E-X B-X: two phrases here, one for conlleval.pl
    gold = [["B-X", "E-X", "B-X", "E-X"]]
    assert "with 2 phrases" in conlleval_report(gold, gold)
    assert "with 1 phrases" in conlleval(gold, gold)


# --------------------------------------------------------------------------- crftagger evaluate


def _evaluate(capsys, path, *options):
    from crftagger.cli.app import main

    rc = main(["evaluate", *options, str(path)])
    out, err = capsys.readouterr()
    return rc, out, err


BIOES_FILE = "a B-A B-A\nb E-A E-A\n\nc S-X S-X\nd S-X O\n\n"


def test_evaluate_notes_where_conlleval_pl_counts_differently(conlleval, tmp_path, capsys):
    f = tmp_path / "bioes.txt"
    f.write_text(BIOES_FILE, encoding="utf-8")
    gold = [["B-A", "E-A"], ["S-X", "S-X"]]
    pred = [["B-A", "E-A"], ["S-X", "O"]]
    rc, out, err = _evaluate(capsys, f)
    assert rc == 0 and out == conlleval_report(gold, pred) != conlleval(gold, pred)
    assert out.startswith("processed 4 tokens with 3 phrases; found: 2 phrases; correct: 2.")
    assert err.startswith(f"note: {f}: E-, S- tags are read here as their scheme means them")
    assert "would report 2 phrases, found 2, correct 1 (FB1 50.00)" in err
    assert "where this report has 3, 2, 2 (FB1 80.00)" in err
    assert "--strict --scheme bioes" in err
    # conlleval.pl's own figures, and the BIOES rules
    rc, out, err = _evaluate(capsys, f, "--conlleval-pl")
    assert rc == 0 and out == conlleval(gold, pred) and err == ""
    rc, out, err = _evaluate(capsys, f, "--strict", "--scheme", "bioes")
    assert rc == 0 and err == "" and "with 3 phrases; found: 2 phrases; correct: 2." in out
    rc, out, err = _evaluate(capsys, f, "--strict", "--scheme", "bioes", "--conlleval-pl")
    assert rc != 0 and "choose one" in err


def test_evaluate_no_note_when_the_counts_agree(conlleval, tmp_path, capsys):
    # I/E/O tags, and B/I/E/S tags without S- or E-X B-X, count as conlleval.pl counts
    for text in ("a I-A I-A\nb E-A E-A\nc I-A O\n\n", "a B-A B-A\nb E-A I-A\nc O B-B\n\n"):
        f = tmp_path / "f.txt"
        f.write_text(text, encoding="utf-8")
        lines = [ln.split() for ln in text.split("\n") if ln]
        gold, pred = [[ln[1] for ln in lines]], [[ln[2] for ln in lines]]
        rc, out, err = _evaluate(capsys, f)
        assert rc == 0 and err == "" and out == conlleval(gold, pred)


def test_evaluate_bilou_note_names_bilou(tmp_path, capsys):
    f = tmp_path / "bilou.txt"
    f.write_text("a U-A U-A\nb U-A U-A\n\n", encoding="utf-8")
    rc, out, err = _evaluate(capsys, f)
    assert rc == 0 and "with 2 phrases" in out
    assert "U- tags" in err and "--strict --scheme bilou" in err
    rc, out, err = _evaluate(capsys, f, "-r")  # raw tags: every tag a phrase, no note
    assert rc == 0 and err == "" and "with 2 phrases" in out


def test_typeless_tags_same_counts_other_type_name(conlleval):
    # one-type data (B, I, O): conlleval.pl names the type "" and prints its line once per
    # table; the default report names it "_" (as seqeval); the counts agree
    rng = random.Random("typeless")
    for _ in range(100):
        lengths = [rng.randint(0, 8) for _ in range(rng.randint(1, 4))]
        gold = [[rng.choice("BIO") for _ in range(n)] for n in lengths]
        pred = [[rng.choice("BIO") for _ in range(n)] for n in lengths]
        perl = conlleval(gold, pred)
        ours = conlleval_report(gold, pred)
        assert ours.split("\n")[:2] == perl.split("\n")[:2]
        # conlleval.pl repeats the "" line; crftagger prints it once
        lines = perl.splitlines()
        once = [x for k, x in enumerate(lines) if k < 2 or x not in lines[2:k]]
        assert conlleval_report(gold, pred, mode="conlleval.pl").splitlines() == once
    assert "                _: precision" in conlleval_report([["B", "I"]], [["B", "I"]])


def test_outside_tag_option(conlleval, tmp_path, capsys):
    # -o with -r: conlleval.pl's figures; -o without -r: conlleval.pl ignores it (X is a
    # typeless phrase there), crftagger reads X as outside
    rng = random.Random("outside")
    for _ in range(100):
        lengths = [rng.randint(0, 8) for _ in range(rng.randint(1, 4))]
        gold = [[rng.choice(["X", "NN", "VB"]) for _ in range(n)] for n in lengths]
        pred = [[rng.choice(["X", "NN", "VB"]) for _ in range(n)] for n in lengths]
        ours = conlleval_report(gold, pred, raw=True, outside="X")
        assert ours == conlleval(gold, pred, "-r", "-o", "X")
    f = tmp_path / "o.txt"
    f.write_text("a X B-A\nb B-A B-A\nc X X\n\n", encoding="utf-8")
    rc, out, _ = _evaluate(capsys, f, "-o", "X")
    assert rc == 0 and out.startswith("processed 3 tokens with 1 phrases; found: 2 phrases")
    perl = conlleval([["X", "B-A", "X"]], [["B-A", "B-A", "X"]], "-o", "X")
    assert perl.startswith("processed 3 tokens with 2 phrases; found: 3 phrases")
