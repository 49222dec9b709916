"""``crftagger evaluate`` and ``crftagger convert`` through ``crftagger.cli.app.main``."""

from __future__ import annotations

import io

import pytest

from crftagger.cli.app import main

EVAL_TEXT = """\
Peter NNP I-PER I-PER
Blackburn NNP I-PER I-PER
Smith NNP B-PER I-PER
in IN O O
Paris NNP I-LOC B-LOC
"""

EVAL_REPORT = (
    "processed 5 tokens with 3 phrases; found: 2 phrases; correct: 1.\n"
    "accuracy:  60.00%; precision:  50.00%; recall:  33.33%; FB1:  40.00\n"
    "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
    "              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
)


def run(capsys, argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


# --------------------------------------------------------------------------- evaluate


def test_evaluate_file_exact_report(tmp_path, capsys):
    f = tmp_path / "out.txt"
    f.write_text(EVAL_TEXT)
    rc, out, err = run(capsys, ["evaluate", str(f)])
    assert rc == 0 and err == ""
    assert out == EVAL_REPORT


def test_evaluate_stdin_tab_delimiter(capsys, monkeypatch):
    text = EVAL_TEXT.replace(" ", "\t")
    rc, out, _ = run(capsys, ["evaluate", "-d", "\\t"], stdin=text, monkeypatch=monkeypatch)
    assert rc == 0 and out == EVAL_REPORT
    rc, out, _ = run(capsys, ["evaluate"], stdin=text, monkeypatch=monkeypatch)
    assert rc == 0 and out == EVAL_REPORT  # default: runs of whitespace


def test_evaluate_boundaries_and_docstart(tmp_path, capsys):
    # "-X-" and blank lines end sentences; -DOCSTART- is an O token by default (conlleval.pl)
    f = tmp_path / "d.txt"
    f.write_text(
        "-DOCSTART- -X- O O\n\nA x I-ORG I-ORG\n-X- -X- O O\nB x I-ORG I-ORG\n\n\nC x I-ORG O\n"
    )
    rc, out, _ = run(capsys, ["evaluate", str(f)])
    assert out.startswith("processed 4 tokens with 3 phrases; found: 2 phrases; correct: 2.\n")
    rc, out, _ = run(capsys, ["evaluate", "--docstart", "boundary", str(f)])
    assert out.startswith("processed 3 tokens with 3 phrases; found: 2 phrases; correct: 2.\n")


def test_evaluate_raw_and_strict(tmp_path, capsys):
    f = tmp_path / "r.txt"
    f.write_text("a NN NN\nb NN VB\nc VB VB\n")
    rc, out, _ = run(capsys, ["evaluate", "-r", str(f)])
    assert out.startswith("processed 3 tokens with 3 phrases; found: 3 phrases; correct: 2.")
    g = tmp_path / "s.txt"
    g.write_text("a B-X B-X\nb I-X I-X\nc O O\nd B-Y O\ne I-Y I-Y\n")
    rc, out, _ = run(capsys, ["evaluate", str(g)])
    assert "with 2 phrases; found: 2 phrases; correct: 1." in out
    rc, out, _ = run(capsys, ["evaluate", "--strict", "--scheme", "IOB2", str(g)])
    assert "with 2 phrases; found: 1 phrases; correct: 1." in out


def test_evaluate_labels_and_confusion(tmp_path, capsys):
    f = tmp_path / "out.txt"
    f.write_text(EVAL_TEXT)
    rc, out, _ = run(capsys, ["evaluate", "--labels", "--confusion", str(f)])
    assert rc == 0 and out.startswith(EVAL_REPORT + "\n")
    table = out[len(EVAL_REPORT) + 1 :].split("\n\n")
    assert table[0].splitlines() == [
        "label  precision     recall      FB1     gold  predicted",
        "B-LOC      0.00%      0.00%     0.00        0          1",
        "I-LOC      0.00%      0.00%     0.00        1          0",
        "B-PER      0.00%      0.00%     0.00        1          0",
        "I-PER     66.67%    100.00%    80.00        2          3",
        "    O    100.00%    100.00%   100.00        1          1",
    ]
    assert table[1].splitlines() == [
        "gold\\pred B-LOC I-LOC B-PER I-PER O",
        "B-LOC         0     0     0     0 0",
        "I-LOC         1     0     0     0 0",
        "B-PER         0     0     0     1 0",
        "I-PER         0     0     0     2 0",
        "O             0     0     0     0 1",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("a B-X B-X\nb I-X\n", "bad.txt:2: found 2 fields; expected 3 as on line 1"),
        ("a\n", "bad.txt:1: found 1 field ('a'); expected at least 2 fields"),
        ("a NN B-X\n", "bad.txt: gold sentence 0: position 0: tag 'NN' has prefix 'NN'"),
    ],
)
def test_evaluate_bad_lines(tmp_path, capsys, text, message):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    rc, out, err = run(capsys, ["evaluate", str(f)])
    assert rc == 1 and out == ""
    assert message in err and err.startswith("crftagger evaluate: error: ")


def test_evaluate_usage_errors(tmp_path, capsys):
    f = tmp_path / "x.txt"
    f.write_text("a O O\n")
    rc, _, err = run(capsys, ["evaluate", "--strict", str(f)])
    assert rc == 1 and "--strict needs --scheme" in err
    rc, _, err = run(capsys, ["evaluate", "--strict", "--scheme", "iob9", str(f)])
    assert rc == 1 and "unknown tag scheme 'iob9'" in err
    rc, _, err = run(capsys, ["evaluate", str(tmp_path / "missing.txt")])
    assert rc == 1 and "missing.txt" in err
    f.write_bytes(b"a O \xff\n")
    rc, _, err = run(capsys, ["evaluate", str(f)])
    assert rc == 1 and "x.txt: not UTF-8 text" in err


def test_evaluate_conll2003_test_gold_vs_gold(data_dir, tmp_path, capsys):
    lines = (data_dir / "conll2003" / "eng.testb").read_text().splitlines()
    f = tmp_path / "testb.eval"
    f.write_text("".join(f"{ln} {ln.split()[-1]}\n" if ln.strip() else "\n" for ln in lines))
    rc, out, _ = run(capsys, ["evaluate", str(f)])
    head = out.splitlines()
    # conlleval.pl counts the 231 -DOCSTART- lines as tokens: 46,435 + 231
    assert (
        head[0] == "processed 46666 tokens with 5648 phrases; found: 5648 phrases; correct: 5648."
    )
    assert head[1] == "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00"
    assert head[2:] == [
        f"{t:>17}: precision: 100.00%; recall: 100.00%; FB1: 100.00  {n}"
        for t, n in (("LOC", 1668), ("MISC", 702), ("ORG", 1661), ("PER", 1617))
    ]
    rc, out, _ = run(capsys, ["evaluate", "--docstart", "boundary", str(f)])
    assert out.startswith("processed 46435 tokens with 5648 phrases;")


# --------------------------------------------------------------------------- convert

CONLL = """\
-DOCSTART- -X- O O

EU  NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
\t
Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
Smith NNP I-NP B-PER
"""


def test_convert_keeps_every_other_byte(tmp_path, capsys):
    f = tmp_path / "in.conll"
    f.write_text(CONLL)
    rc, out, err = run(capsys, ["convert", "--from", "iob1", "--to", "bioes", str(f)])
    assert rc == 0 and err == ""
    assert out == (
        CONLL.replace("I-ORG", "S-ORG")
        .replace("I-MISC", "S-MISC")
        .replace("Peter NNP I-NP I-PER", "Peter NNP I-NP B-PER")
        .replace("Blackburn NNP I-NP I-PER", "Blackburn NNP I-NP E-PER")
        .replace("Smith NNP I-NP B-PER", "Smith NNP I-NP S-PER")
    )
    assert "EU  NNP" in out and "\n\t\n" in out  # spacing and whitespace-only lines kept


def test_convert_column_output_file_and_stdin(tmp_path, capsys, monkeypatch):
    out_file = tmp_path / "out.conll"
    rc, out, _ = run(
        capsys,
        ["convert", "--from", "iob1", "--to", "iob2", "--column", "2", "-o", str(out_file)],
        stdin=CONLL,
        monkeypatch=monkeypatch,
    )
    assert rc == 0 and out == ""
    text = out_file.read_text()
    assert "EU  NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP O\n" in text
    assert text.startswith("-DOCSTART- -X- O O\n\n")


def test_convert_invalid_input_names_file_and_line(tmp_path, capsys):
    f = tmp_path / "bad.conll"
    f.write_text("a B-X\nb I-X\n\nc O\nd I-Y\ne I-Y\n")
    rc, out, err = run(capsys, ["convert", "--from", "iob2", "--to", "bioes", str(f)])
    assert rc == 1
    assert "bad.conll:5: position 1: found 'I-Y' after 'O'" in err
    assert "(sentence starting at line 4)" in err
    rc, out, _ = run(
        capsys, ["convert", "--from", "iob2", "--to", "bioes", "--repair", "begin", str(f)]
    )
    assert out == "a B-X\nb E-X\n\nc O\nd B-Y\ne E-Y\n"
    rc, out, _ = run(
        capsys, ["convert", "--from", "iob2", "--to", "bioes", "--repair", "outside", str(f)]
    )
    assert out == "a B-X\nb E-X\n\nc O\nd O\ne O\n"


def test_convert_from_conlleval_reads_iob1_and_iob2(tmp_path, capsys):
    f = tmp_path / "mixed.conll"
    f.write_text("a I-X\nb B-X\nc O\nd B-Y\ne I-Y\n")
    rc, out, _ = run(capsys, ["convert", "--from", "conlleval", "--to", "BIOES", str(f)])
    assert rc == 0 and out == "a S-X\nb S-X\nc O\nd B-Y\ne E-Y\n"


def test_convert_lossy_and_bad_columns(tmp_path, capsys):
    f = tmp_path / "adj.conll"
    f.write_text("a B-X\nb B-X\n")
    rc, _, err = run(capsys, ["convert", "--from", "iob2", "--to", "io", str(f)])
    assert rc == 1 and "adj.conll:2: io cannot separate" in err and "use --lossy-ok" in err
    rc, out, _ = run(capsys, ["convert", "--from", "iob2", "--to", "io", "--lossy-ok", str(f)])
    assert rc == 0 and out == "a I-X\nb I-X\n"
    rc, _, err = run(capsys, ["convert", "--from", "iob2", "--to", "io", "--column", "4", str(f)])
    assert rc == 1 and "adj.conll:1: found 2 fields" in err and "column 4" in err
    with pytest.raises(SystemExit) as info:
        main(["convert", "--from", "iob2", "--to", "xyz", str(f)])
    assert info.value.code == 2 and "invalid choice: 'xyz'" in capsys.readouterr().err


def test_convert_conll2003_round_trip(data_dir, tmp_path, capsys):
    src = data_dir / "conll2003" / "eng.testb"
    bioes = tmp_path / "testb.bioes"
    back = tmp_path / "testb.iob1"
    assert main(["convert", "--from", "iob1", "--to", "bioes", str(src), "-o", str(bioes)]) == 0
    assert main(["convert", "--from", "bioes", "--to", "iob1", str(bioes), "-o", str(back)]) == 0
    assert back.read_bytes() == src.read_bytes()
    n_single = sum(1 for ln in bioes.read_text().splitlines() if ln.endswith(("S-LOC", "S-PER")))
    assert n_single > 0
    # the same phrases are found in the converted file
    lines_a = src.read_text().splitlines()
    lines_b = bioes.read_text().splitlines()
    merged = tmp_path / "merged.eval"
    merged.write_text(
        "".join(
            f"{a} {b.split()[-1]}\n" if a.strip() else "\n"
            for a, b in zip(lines_a, lines_b, strict=True)
        )
    )
    capsys.readouterr()
    assert main(["evaluate", str(merged)]) == 0
    out = capsys.readouterr().out
    assert "with 5648 phrases; found: 5648 phrases; correct: 5648." in out


def test_evaluate_errors_classify_every_span(tmp_path, capsys, monkeypatch):
    import json

    f = tmp_path / "out.txt"
    f.write_text(EVAL_TEXT)
    out_json = tmp_path / "errors.json"
    rc, out, err = run(capsys, ["evaluate", str(f), "--errors", "--errors-json", str(out_json)])
    assert rc == 0 and out.startswith(EVAL_REPORT)  # the report first, unchanged
    assert "span errors over 1 sentences" in out
    report = json.loads(out_json.read_text())
    # gold PER "Peter Blackburn" + PER "Smith" vs predicted PER "Peter Blackburn Smith":
    # both gold spans overlap the longer prediction (wrong boundary); LOC is right
    assert report["totals"]["correct"] == 1  # evaluate's "correct: 1"
    assert report["counts"]["PER"]["wrong_boundary"] == 2
    assert report["counts"]["LOC"]["correct"] == 1
    # the same from stdin
    rc, out2, _ = run(capsys, ["evaluate", "--errors"], stdin=EVAL_TEXT, monkeypatch=monkeypatch)
    assert rc == 0 and out2 == out
    rc, _, err = run(capsys, ["evaluate", "-m", str(f), str(f), "--errors"])
    assert rc == 1 and "--errors" in err and "crftagger tag -f conll" in err


def test_evaluate_notes_gold_and_predictions_in_two_schemes(tmp_path, capsys):
    """IOB1 gold (CoNLL-2003) against IOB2 answers: same phrases, different tags."""
    f = tmp_path / "two.txt"
    f.write_text(
        "Anna x I-PER B-PER\nPeter x B-PER B-PER\nSmith x I-PER I-PER\nin x O O\n"
        "Paris x I-LOC B-LOC\n"
    )
    rc, out, err = run(capsys, ["evaluate", str(f)])
    assert rc == 0
    assert "FB1: 100.00" in out and "accuracy:  60.00%" in out
    assert "gold tags read as IOB1 and the predictions as IOB2" in err
    assert "(60.00%)" in err and "it is 100.00%" in err
    assert "convert --from iob2 --to iob1" in err
    # one scheme on both sides: no note
    f.write_text("Peter x B-PER B-PER\nSmith x I-PER I-PER\nin x O O\nParis x B-LOC B-LOC\n")
    rc, out, err = run(capsys, ["evaluate", str(f)])
    assert rc == 0 and err == ""
