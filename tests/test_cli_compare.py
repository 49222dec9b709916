"""``crftagger compare`` (and the functions behind ``evaluate --errors``) through the command line."""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys

import pytest

from crftagger.cli.app import main
from crftagger.cli.compare import add_error_arguments, read_table, write_errors
from crftagger.cli.evaluate import read_conlleval
from crftagger.metrics import conlleval_report, spans_by_sentence


def run(capsys, argv):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def write(path, tokens, *columns, docs=None):
    """A token-per-line file; ``docs``: sentence indexes preceded by a -DOCSTART- line."""
    lines = []
    for k, words in enumerate(tokens):
        if docs is not None and k in docs:
            lines += ["-DOCSTART- " + " ".join(["O"] * len(columns)), ""]
        for i, w in enumerate(words):
            lines.append(" ".join([w] + [c[k][i] for c in columns]))
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def corpus(seed, n=40):
    rng = random.Random(seed)
    tokens, gold = [], []
    for k in range(n):
        m = rng.randint(2, 9)
        tokens.append([f"w{k}_{i}" for i in range(m)])
        tags, i = [], 0
        while i < m:
            if rng.random() < 0.35:
                t = rng.choice(["PER", "LOC", "ORG"])
                ln = min(rng.randint(1, 3), m - i)
                tags += [f"B-{t}"] + [f"I-{t}"] * (ln - 1)
                i += ln
            else:
                tags.append("O")
                i += 1
        gold.append(tags)
    return tokens, gold


def erase(gold, rate, seed):
    rng = random.Random(seed)
    out = []
    for seq in gold:
        s = list(seq)
        for sp in spans_by_sentence([seq])[0]:
            if rng.random() < rate:
                s[sp.start : sp.end] = ["O"] * (sp.end - sp.start)
        out.append(s)
    return out


def test_system_against_itself_difference_zero_p_one(tmp_path, capsys):
    tokens, gold = corpus(1)
    a = erase(gold, 0.3, 2)
    g = write(tmp_path / "gold.txt", tokens, gold)
    sa = write(tmp_path / "a.txt", tokens, gold, a)
    rc, out, err = run(capsys, ["compare", g, sa, sa, "--samples", "500", "--json"])
    assert rc == 0 and err == ""
    d = json.loads(out)
    assert d["overall"]["difference"] == 0.0 and d["overall"]["p_value"] == 1.0
    assert all(r["p_value"] == 1.0 and r["difference"] == 0.0 for r in d["types"])


def test_clearly_better_system_small_p_and_evaluate_figures(tmp_path, capsys):
    tokens, gold = corpus(3, n=400)
    a, b = erase(gold, 0.05, 4), erase(gold, 0.4, 5)
    g = write(tmp_path / "gold.txt", tokens, gold)
    sa = write(tmp_path / "a.txt", tokens, gold, a)
    sb = write(tmp_path / "b.txt", tokens, gold, b)
    rc, out, _ = run(capsys, ["compare", g, sa, sb, "--samples", "1000", "--json"])
    assert rc == 0
    d = json.loads(out)
    assert d["overall"]["p_value"] < 0.05
    lo, hi = d["overall"]["ci"]
    assert 0 < lo <= d["overall"]["difference"] <= hi
    # the F1 of each system is the one `crftagger evaluate` prints
    for path, key in ((sa, "a"), (sb, "b")):
        rc, ev, _ = run(capsys, ["evaluate", path])
        fb1 = float(ev.splitlines()[1].rsplit("FB1:", 1)[1])
        assert round(100 * d["overall"][key]["f1"], 2) == pytest.approx(fb1)
    # the text table says the same
    rc, text, _ = run(capsys, ["compare", g, sa, sb, "--samples", "1000"])
    overall = [ln for ln in text.splitlines() if ln.startswith("overall")][0].split()
    assert float(overall[2]) == pytest.approx(round(100 * d["overall"]["a"]["f1"], 2))
    assert float(overall[-1]) == pytest.approx(round(d["overall"]["p_value"], 4))


def test_one_file_with_two_prediction_columns_equals_three_files(tmp_path, capsys):
    tokens, gold = corpus(6, n=60)
    a, b = erase(gold, 0.1, 7), erase(gold, 0.3, 8)
    g = write(tmp_path / "gold.txt", tokens, gold)
    sa = write(tmp_path / "a.txt", tokens, a)
    sb = write(tmp_path / "b.txt", tokens, b)
    both = write(tmp_path / "both.txt", tokens, gold, a, b)
    _, three, _ = run(capsys, ["compare", g, sa, sb, "--samples", "300", "--json"])
    _, one, _ = run(capsys, ["compare", both, "--samples", "300", "--json"])
    _, neg, _ = run(capsys, ["compare", both, "--columns=-3,-2,-1", "--samples", "300", "--json"])
    assert neg == one
    _, cols, _ = run(capsys, ["compare", both, "--columns", "2,3,4", "--samples", "300", "--json"])
    d3, d1, dc = json.loads(three), json.loads(one), json.loads(cols)
    for d in (d1, dc):
        assert d["overall"] == d3["overall"] and d["types"] == d3["types"]
    # swapped columns: the difference changes sign
    _, sw, _ = run(capsys, ["compare", both, "--columns", "2,4,3", "--samples", "300", "--json"])
    assert json.loads(sw)["overall"]["difference"] == pytest.approx(-d3["overall"]["difference"])


def test_document_units_and_seed(tmp_path, capsys):
    tokens, gold = corpus(9, n=60)
    a, b = erase(gold, 0.1, 10), erase(gold, 0.3, 11)
    docs = set(range(0, 60, 6))
    g = write(tmp_path / "gold.txt", tokens, gold, docs=docs)
    sa = write(tmp_path / "a.txt", tokens, a, docs=docs)
    sb = write(tmp_path / "b.txt", tokens, b)  # -DOCSTART- lines are boundaries only
    base = ["compare", g, sa, sb, "--samples", "300", "--json"]
    _, s1, _ = run(capsys, base + ["--unit", "document", "--seed", "3"])
    _, s2, _ = run(capsys, base + ["--unit", "document", "--seed", "3"])
    _, s3, _ = run(capsys, base + ["--unit", "sentence", "--seed", "3"])
    d1, d3 = json.loads(s1), json.loads(s3)
    assert s1 == s2
    assert (d1["unit"], d1["units"], d1["sentences"]) == ("document", 10, 60)
    assert (d3["unit"], d3["units"]) == ("sentence", 60)
    assert d1["overall"]["difference"] == d3["overall"]["difference"]
    rc, _, err = run(
        capsys, ["compare", sa.replace("a.txt", "b.txt"), sa, sb, "--unit", "document"]
    )
    assert rc == 1 and "b.txt: found no -DOCSTART- line" in err


def test_token_mismatch_names_files_and_lines(tmp_path, capsys):
    tokens, gold = corpus(12, n=5)
    g = write(tmp_path / "gold.txt", tokens, gold)
    other = [list(s) for s in tokens]
    other[1][1] = "XXX"
    bad = write(tmp_path / "bad.txt", other, gold)
    rc, _, err = run(capsys, ["compare", g, bad, g])
    line = len(tokens[0]) + 1 + 2  # sentence 0, its blank line, then token 2 of sentence 1
    assert rc == 1
    assert f"bad.txt:{line}: found token 'XXX', but " in err
    assert f"gold.txt:{line} has '{tokens[1][1]}'" in err
    # a sentence boundary missing
    merged = [tokens[0] + tokens[1]] + tokens[2:]
    mgold = [gold[0] + gold[1]] + gold[2:]
    m = write(tmp_path / "merged.txt", merged, mgold)
    rc, _, err = run(capsys, ["compare", g, g, m])
    assert rc == 1 and "sentence 1 ends after" in err and "merged.txt" in err
    # a file cut short
    short = write(tmp_path / "short.txt", tokens[:3], gold[:3])
    rc, _, err = run(capsys, ["compare", g, short, g])
    assert rc == 1 and "short.txt" in err and "ends after 3 sentences" in err


def test_bad_options_are_clear_errors(tmp_path, capsys):
    tokens, gold = corpus(13, n=5)
    g = write(tmp_path / "gold.txt", tokens, gold)
    rc, _, err = run(capsys, ["compare", g, g])
    assert rc == 1 and "found 2 files" in err
    rc, _, err = run(capsys, ["compare", g, "--columns", "2,x,3"])
    assert rc == 1 and "--columns" in err
    rc, _, err = run(capsys, ["compare", g, "--columns", "2,3,7"])
    assert rc == 1 and "gold.txt:1: column 3 asked for, but token lines have 2 fields" in err
    rc, _, err = run(capsys, ["compare", g, g, g, "--samples", "0"])
    assert rc == 1 and "--samples: found 0" in err
    rc, _, err = run(capsys, ["compare", g, g, g, "--level", "95"])
    assert rc == 1 and "--level" in err
    rc, _, err = run(capsys, ["compare", g, g, str(tmp_path / "missing.txt")])
    assert rc == 1 and "missing.txt" in err
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("a O\nb O O\n", encoding="utf-8")
    rc, _, err = run(capsys, ["compare", g, str(ragged), g])
    assert rc == 1 and "ragged.txt:2: found 3 fields; expected 2" in err


def test_compare_runs_as_a_program(tmp_path):
    tokens, gold = corpus(14, n=30)
    g = write(tmp_path / "gold.txt", tokens, gold)
    a = write(tmp_path / "a.txt", tokens, erase(gold, 0.2, 1))
    proc = subprocess.run(
        [sys.executable, "-m", "crftagger", "compare", g, a, g, "--samples", "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "approximate randomisation: 200 shuffles" in proc.stdout
    assert proc.stdout.splitlines()[-1].startswith("overall")


@pytest.mark.corpora
def test_compare_on_conll2003_test_with_noise(data_dir, tmp_path, capsys):
    src = data_dir / "conll2003" / "eng.testb"
    table = read_table(src.read_text(encoding="utf-8").splitlines(), str(src))
    gold = table.column(-1)
    assert len(gold) == 3453 and sum(table.doc_starts) == 231
    a = write(tmp_path / "a.txt", table.tokens, erase(gold, 0.10, 1), docs=None)
    b = write(tmp_path / "b.txt", table.tokens, erase(gold, 0.15, 2))
    rc, out, err = run(
        capsys, ["compare", str(src), a, b, "--unit", "document", "--samples", "2000", "--json"]
    )
    assert rc == 0, err
    d = json.loads(out)
    assert d["units"] == 231
    assert d["overall"]["a"]["gold"] == 5648
    assert d["overall"]["difference"] > 0 and d["overall"]["p_value"] < 0.05


# --------------------------------------------------------------------------- evaluate --errors


def error_args(tmp_path, **kw):
    p = argparse.ArgumentParser()
    p.add_argument("--delimiter", default=None)
    p.add_argument("--docstart", default="token")
    p.add_argument("--scheme", default=None)
    p.add_argument("--raw", action="store_true")
    p.add_argument("--outside-tag", default="O")
    add_error_arguments(p)
    argv = ["--errors", "--errors-json", str(tmp_path / "e.json")]
    return p.parse_args(argv + [a for k, v in kw.items() for a in (f"--{k}", v)])


def test_write_errors_from_evaluate_input(tmp_path, capsys):
    text = (
        "-DOCSTART- -X- O O\n\n"
        "Peter NNP B-PER B-PER\nSmith NNP I-PER I-PER\nin IN O O\n"
        "New NNP B-LOC B-LOC\nYork NNP I-LOC I-LOC\nCity NNP I-LOC O\n\n"
        "IBM NNP B-ORG O\n"
    )
    lines = io.StringIO(text).readlines()
    gold, pred = read_conlleval(lines, "x.txt")
    args = error_args(tmp_path)
    write_errors(args, "x.txt", lines, gold, pred, "conlleval")
    out = capsys.readouterr().out
    assert "wrong boundary, LOC:\n  line 6\n" in out
    assert "missed, ORG:\n  line 10\n" in out
    assert "    gold: Peter Smith in [LOC New York City]" in out
    assert "    pred: Peter Smith in [LOC New York] City" in out
    assert "missed, ORG:" in out and "    gold: [ORG IBM]" in out
    d = json.loads((tmp_path / "e.json").read_text())
    assert d["totals"]["correct"] == 1 and d["totals"]["missed"] == 1
    assert d["totals"]["correct"] == int(conlleval_report(gold, pred).split("correct: ")[1][0])
