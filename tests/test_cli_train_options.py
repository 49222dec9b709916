"""``crftagger train`` options (cross-validation, pa/arow options, warm start, config files),
``crftagger dump`` and ``crftagger tag`` forced labels and confidences, through the real command."""

from __future__ import annotations

import json
import warnings

import pytest

from crftagger import cli
from crftagger.corpora import read_conll

CHUNK_COLUMNS = "word,pos,chunk"


def _run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def chunk_file(data_dir, tmp_path_factory):
    """The first 120 sentences of CoNLL-2000 training data, as a file of their own."""
    src = data_dir / "conll2000" / "train.txt"
    lines, n = [], 0
    with open(src, encoding="utf-8") as fh:
        for line in fh:
            lines.append(line)
            if not line.strip():
                n += 1
                if n == 120:
                    break
    path = tmp_path_factory.mktemp("chunk") / "train.txt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _train(chunk_file, path, *extra):
    code = cli.main(
        [
            "train",
            str(chunk_file),
            "--columns",
            CHUNK_COLUMNS,
            "--max-iterations",
            "15",
            "--no-progress",
            "-o",
            str(path),
            *map(str, extra),
        ]
    )
    assert code == 0
    return path


@pytest.fixture(scope="module")
def chunk_model(chunk_file, tmp_path_factory):
    return _train(chunk_file, tmp_path_factory.mktemp("m") / "chunk.crftagger")


# --------------------------------------------------------------------------- --cv


def test_cv_folds_partition_and_seed():
    from crftagger.cli.train import cv_folds

    a = cv_folds(23, 4, 0)
    assert sorted(set(a)) == [0, 1, 2, 3]
    sizes = [a.count(f) for f in range(4)]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 23
    assert cv_folds(23, 4, 0) == a
    assert cv_folds(23, 4, 1) != a
    assert cv_folds(7, 3, None) == [0, 1, 2, 0, 1, 2, 0]  # CRFsuite's -g 3: i mod 3
    with pytest.raises(ValueError, match="at least one per fold"):
        cv_folds(3, 4, 0)
    with pytest.raises(ValueError, match="at least 2"):
        cv_folds(10, 1, 0)


def test_cv_json_matches_its_folds(chunk_file, capsys, tmp_path):
    from crftagger.api.tagger import Tagger
    from crftagger.cli.train import cv_folds

    argv = ["train", chunk_file, "--columns", CHUNK_COLUMNS, "--max-iterations", "10"]
    code, out, err = _run([*argv, "--cv", "3", "--cv-seed", "5", "--json", "--no-progress"], capsys)
    assert code == 0, err
    obj = json.loads(out)
    assert obj["folds"] == 3 and obj["metric"] == "f1" and len(obj["per_fold"]) == 3
    f1s = [r["f1"] for r in obj["per_fold"]]
    assert obj["mean"] == pytest.approx(sum(f1s) / 3)
    assert obj["std"] > 0
    assert sum(r["n_held_out"] for r in obj["per_fold"]) == 120
    assert not list(tmp_path.iterdir())  # nothing written without -o
    # fold 2 recomputed through the library: same held-out sentences, same score
    sents = list(read_conll(chunk_file, tuple(CHUNK_COLUMNS.split(","))))
    folds = cv_folds(len(sents), 3, 5)
    train = [s for s, f in zip(sents, folds, strict=True) if f != 1]
    held = [s for s, f in zip(sents, folds, strict=True) if f == 1]
    t = Tagger.train(train, "ner", label_column="chunk", max_iterations=10)
    with warnings.catch_warnings():  # a span type the fold never predicts
        warnings.simplefilter("ignore", UserWarning)
        f1 = t.evaluate(held).summary()["f1"]
    assert f1 == pytest.approx(obj["per_fold"][1]["f1"])


def test_cv_text_writes_fold_models_with_o(chunk_file, capsys, tmp_path):
    argv = ["train", chunk_file, "--columns", CHUNK_COLUMNS, "--max-iterations", "5"]
    code, out, err = _run(
        [*argv, "--cv", "2", "--cv-in-order", "-o", tmp_path / "m.crftagger"], capsys
    )
    assert code == 0, err
    assert "fold 1/2: trained on 60 sentences" in out and "fold 2/2" in out
    assert "2-fold cross-validation (folds in file order): span F1" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.fold1.crftagger", "m.fold2.crftagger"]


def test_cv_refuses_dev_and_needs_output_otherwise(chunk_file, capsys):
    code, _out, err = _run(
        ["train", chunk_file, "--columns", CHUNK_COLUMNS, "--cv", "2", "--dev-fraction", "0.1"],
        capsys,
    )
    assert code == 1 and "--dev-fraction 0.1 do not go with it" in err
    code, _out, err = _run(["train", chunk_file, "--columns", CHUNK_COLUMNS], capsys)
    assert code == 1 and "-o/--output" in err
    code, _out, err = _run(["train", chunk_file, "--task", "slots", "--cv", "2"], capsys)
    assert code == 1 and "--cv trains taggers" in err


# --------------------------------------------------------------------------- pa / arow options


def test_pa_and_arow_options_reach_the_trainer(chunk_file, tmp_path, capsys):
    from crftagger.api.tagger import Tagger

    a = _train(chunk_file, tmp_path / "a.crftagger", "--algorithm", "pa", "--pa-type", "2",
               "--c", "0.5", "--averaging", "0", "--error-sensitive", "0")  # fmt: skip
    b = _train(chunk_file, tmp_path / "b.crftagger", "--algorithm", "pa")
    ta, tb = Tagger.load(a), Tagger.load(b)
    tr = ta.info["training"]
    assert (tr["pa_type"], tr["c"], tr["averaging"], tr["error_sensitive"]) == (2, 0.5, 0, 0)
    assert ta.model.w.shape != tb.model.w.shape or (ta.model.w != tb.model.w).any()
    r = _train(chunk_file, tmp_path / "r.crftagger", "--algorithm", "arow", "--variance", "2",
               "--gamma", "0.5")  # fmt: skip
    tr = Tagger.load(r).info["training"]
    assert (tr["variance"], tr["gamma"]) == (2, 0.5)
    capsys.readouterr()
    code, _out, err = _run(
        [
            "train",
            chunk_file,
            "--columns",
            CHUNK_COLUMNS,
            "-o",
            tmp_path / "x.crftagger",
            "--algorithm",
            "lbfgs",
            "--gamma",
            "1",
        ],  # fmt: skip
        capsys,
    )
    assert code == 1 and "takes no parameter 'gamma'" in err
    with pytest.raises(SystemExit):
        cli.main(
            ["train", str(chunk_file), "-o", str(tmp_path / "y.crftagger"), "--averaging", "2"]
        )
    assert "expected 1 or 0" in capsys.readouterr().err


# --------------------------------------------------------------------------- dump


def _unescape(name: str) -> str:
    import re

    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m[1], m[1]), name)


def _parse_tsv(text: str, parse) -> tuple[dict, dict, dict]:
    state, trans, tri = {}, {}, {}
    for line in text.split("\n")[:-1]:
        kind, *names, w = line.split("\t")
        names = [_unescape(x) for x in names]
        {"state": state, "transition": trans, "trigram": tri}[kind][tuple(names)] = parse(w)
    return state, trans, tri


@pytest.mark.parametrize("how,parse", [("repr", float), ("hex", float.fromhex)])
def test_dump_tsv_gives_every_weight_exactly(chunk_model, capsys, how, parse):
    import numpy as np

    from crftagger.api.tagger import Tagger

    code, out, err = _run(["dump", chunk_model, "--format", "tsv", "--weights", how], capsys)
    assert code == 0, err
    state, trans, tri = _parse_tsv(out, parse)
    m = Tagger.load(chunk_model).model
    owner = np.repeat(np.arange(len(m.attributes)), np.diff(m.feat_ptr))
    labels = m.labels.items
    want = {
        (m.attributes[int(a)], labels[int(j)]): float(w)
        for a, j, w in zip(owner, m.feat_label, m.state_weights, strict=True)
    }
    assert state == want  # exact float equality, every state feature
    L = len(labels)
    mask = m.trans_mask.reshape(L, L)
    assert trans == {
        (labels[i], labels[j]): float(m.transition_weights[i, j])
        for i in range(L)
        for j in range(L)
        if mask[i, j]
    }
    assert not tri


def test_dump_crfsuite_text_is_crfsuites(chunk_model, capsys, tmp_path):
    """The default dump of a crftagger file and of the CRFsuite file it converts to is what
    CRFsuite's own Tagger.dump prints; repr weights change only the numbers."""
    pycrfsuite = pytest.importorskip("pycrfsuite")
    from crftagger.api.tagger import Tagger
    from crftagger.io.crfsuite import save_crfsuite

    cs = tmp_path / "m.crfsuite"
    save_crfsuite(Tagger.load(chunk_model).model, cs)
    t = pycrfsuite.Tagger()
    t.open(str(cs))
    t.dump(str(tmp_path / "ref.txt"))
    ref = (tmp_path / "ref.txt").read_text(encoding="utf-8")
    for path in (chunk_model, cs):
        code, out, err = _run(["dump", path], capsys)
        assert code == 0, err
        assert out == ref
    code, exact, _err = _run(["dump", cs, "--weights", "repr"], capsys)
    assert exact != ref
    fixed = [
        line.rpartition(": ")[0] + ": " + f"{float(line.rpartition(': ')[2]):f}"
        if line.startswith("  (")
        else line
        for line in exact.split("\n")
    ]
    assert "\n".join(fixed) == ref


def test_dump_second_order_and_errors(chunk_file, capsys, tmp_path):
    from crftagger.api.tagger import Tagger

    path = _train(chunk_file, tmp_path / "o2.crftagger", "--order", "2", "--max-iterations", "3")
    capsys.readouterr()
    code, out, err = _run(["dump", path], capsys)
    assert code == 0, err
    _s, _t, tri = _parse_tsv(out, float)
    m = Tagger.load(path).model
    assert len(tri) == m.space.n_edges
    assert {(None if x == "<s>" else x, a, b): w for (x, a, b), w in tri.items()} == (
        m.trigram_features_
    )
    code, _out, err = _run(["dump", path, "--format", "crfsuite"], capsys)
    assert code == 1 and "expected --format tsv" in err
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"nothing")
    code, _out, err = _run(["dump", bad], capsys)
    assert code == 1 and "expected a crftagger model file" in err


# --------------------------------------------------------------------------- --init


def test_init_continues_from_the_model(chunk_file, chunk_model, capsys, tmp_path):
    from crftagger.api.tagger import Tagger

    capsys.readouterr()
    warm = tmp_path / "warm.crftagger"
    code, out, err = _run(
        [
            "train",
            chunk_file,
            "--columns",
            CHUNK_COLUMNS,
            "--max-iterations",
            "3",
            "--no-progress",
            "--init",
            chunk_model,
            "-o",
            warm,
        ],  # fmt: skip
        capsys,
    )
    assert code == 0, err
    t0, t1 = Tagger.load(chunk_model), Tagger.load(warm)
    ws = t1.info["warm_start"]
    assert ws["new_attributes"] == 0 and ws["new_state_features"] == 0
    assert f"{ws['state_features_from_model']} of the" in out
    cold_first = t0.info["training_log"][0]["loss"]
    before = t0.info["training_log"][-1]["loss"]
    warm_first = t1.info["training_log"][0]["loss"]
    # the same data: training goes on from where it stopped, far below a cold start
    assert warm_first < 1.05 * before < 0.5 * cold_first
    assert t1.labels == t0.labels and t1.feature_set.name == t0.feature_set.name


def test_init_adds_new_attributes_and_refuses_new_labels(chunk_file, chunk_model, capsys, tmp_path):
    from crftagger.api.tagger import Tagger

    extra = tmp_path / "extra.txt"
    extra.write_text("Zyzzyva NNP B-NP\nflew VBD B-VP\n\n", encoding="utf-8")
    capsys.readouterr()
    code, out, err = _run(
        [
            "train",
            chunk_file,
            extra,
            "--columns",
            CHUNK_COLUMNS,
            "--max-iterations",
            "3",
            "--no-progress",
            "--init",
            chunk_model,
            "-o",
            tmp_path / "w.crftagger",
            "--dev-fraction",
            "0.1",
        ],
        capsys,
    )
    assert code == 0, err
    t1 = Tagger.load(tmp_path / "w.crftagger")
    assert t1.info["warm_start"]["new_attributes"] > 0
    assert "w[0]=Zyzzyva" in set(t1.model.attributes.items)
    # fine-tuning on 90% of the data keeps every feature of the model, with its weight as start
    assert t1.info["warm_start"]["model_state_features_dropped"] == 0
    t0 = Tagger.load(chunk_model)
    names0 = {
        (t0.model.attributes.items[a], t0.model.labels.items[int(lab)])
        for a in range(len(t0.model.attributes))
        for lab in t0.model.feat_label[t0.model.feat_ptr[a] : t0.model.feat_ptr[a + 1]]
    }
    names1 = {
        (t1.model.attributes.items[a], t1.model.labels.items[int(lab)])
        for a in range(len(t1.model.attributes))
        for lab in t1.model.feat_label[t1.model.feat_ptr[a] : t1.model.feat_ptr[a + 1]]
    }
    assert names0 <= names1 and len(names1) > len(names0)
    assert all("dev_accuracy" in r for r in t1.info["training_log"])
    assert t1.info["scores"]["dev"]["n_sentences"] == 12
    bad = tmp_path / "bad.txt"
    bad.write_text("Paris NNP B-LOC\n\n", encoding="utf-8")
    code, _out, err = _run(
        ["train", bad, "--columns", CHUNK_COLUMNS, "--init", chunk_model, "-o", tmp_path / "x"],
        capsys,
    )
    assert code == 1 and "label 'B-LOC', which the model does not have" in err
    code, _out, err = _run(
        [
            "train",
            chunk_file,
            "--columns",
            CHUNK_COLUMNS,
            "--init",
            chunk_model,
            "--feature-set",
            "pos",
            "-o",
            tmp_path / "y",
        ],  # fmt: skip
        capsys,
    )
    assert code == 1 and "--feature-set do(es) not go with it" in err


# --------------------------------------------------------------------------- --config


def test_config_file_with_command_line_overrides(chunk_file, capsys, tmp_path):
    from crftagger.api.tagger import Tagger

    cfg = tmp_path / "train.toml"
    model = tmp_path / "cfg.crftagger"
    cfg.write_text(
        f'data = ["{chunk_file}"]\ncolumns = "word,pos,chunk"\nmax-iterations = 4\n'
        f'c1 = 0.25\nalgorithm = "pa"\nfeature_param = {{columns = "pos"}}\n'
        f'output = "{model}"\nall_possible_transitions = true\n',
        encoding="utf-8",
    )
    # an option given on the command line wins, even when it is the default value
    code, out, err = _run(
        ["train", "--config", cfg, "--algorithm", "lbfgs", "--c2", "0.5", "--print-config"],
        capsys,
    )
    assert code == 0, err
    assert not model.exists()  # --print-config does not train
    import tomllib

    eff = tomllib.loads(out)
    assert eff["algorithm"] == "lbfgs" and eff["c1"] == 0.25 and eff["c2"] == 0.5
    assert eff["max_iterations"] == 4 and eff["feature_param"] == ["columns=pos"]
    assert eff["data"] == [str(chunk_file)] and eff["all_possible_transitions"] is True
    # the printed config reads back to itself
    again = tmp_path / "again.toml"
    again.write_text(out, encoding="utf-8")
    code, out2, err = _run(["train", "--config", again, "--print-config"], capsys)
    assert code == 0 and out2 == out, err
    code, out, err = _run(["train", "--config", again, "--no-progress"], capsys)
    assert code == 0, err
    t = Tagger.load(model)
    assert t.info["training"]["c1"] == 0.25 and t.info["training"]["c2"] == 0.5
    assert t.info["training"]["max_iterations"] == 4
    assert t.feature_set.columns == ("pos",) or list(t.feature_set.columns) == ["pos"]


def test_config_refuses_unknown_keys_and_bad_values(chunk_file, capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f'data = "{chunk_file}"\nmaxiter = 3\n', encoding="utf-8")
    code, _out, err = _run(["train", "--config", cfg, "--print-config"], capsys)
    assert code == 1
    assert f"--config {cfg}: unknown key 'maxiter' (did you mean 'max-iterations'?)" in err
    cfg.write_text(f'data = "{chunk_file}"\nmax_iterations = "many"\n', encoding="utf-8")
    code, _out, err = _run(["train", "--config", cfg, "--print-config"], capsys)
    assert code == 1 and "max_iterations = 'many'" in err
    cfg.write_text('algorithm = "newton"\n', encoding="utf-8")
    code, _out, err = _run(["train", "--config", cfg, chunk_file, "--print-config"], capsys)
    assert code == 1 and "expected one of lbfgs, l2sgd, ap, pa, arow" in err
    cfg.write_text("c1 = [0.1\n", encoding="utf-8")
    code, _out, err = _run(["train", "--config", cfg, chunk_file], capsys)
    assert code == 1 and "not a TOML file" in err
    code, _out, err = _run(["train", "--config", tmp_path / "none.toml"], capsys)
    assert code == 1 and "no file" in err


# --------------------------------------------------------------------------- tag --force-column, -v, -n


SENTS = [
    [("He", "PRP", "_"), ("saw", "VBD", "B-NP"), ("the", "DT", "_"), ("dog", "NN", "_")],
    [("It", "PRP", "_"), ("runs", "VBZ", "_")],
    [("Prices", "NNS", "B-VP"), ("rose", "VBD", "O"), ("sharply", "RB", "B-NP")],
]


def _conll(tmp_path, sents=SENTS):
    path = tmp_path / "in.txt"
    path.write_text(
        "".join("".join(" ".join(t) + "\n" for t in s) + "\n" for s in sents), encoding="utf-8"
    )
    return path


def _blocks(out: str) -> list[list[list[str]]]:
    return [[ln.split() for ln in b.splitlines()] for b in out.strip("\n").split("\n\n")]


def test_force_column_fixes_the_labels(chunk_model, capsys, tmp_path):
    from crftagger.api.tagger import Tagger

    t = Tagger.load(chunk_model)
    inp = _conll(tmp_path)
    for spec in ("force", "3"):
        code, out, err = _run(
            [
                "tag",
                "-m",
                chunk_model,
                "-f",
                "conll",
                "--columns",
                "word,pos,force",
                "--force-column",
                spec,
                inp,
            ],  # fmt: skip
            capsys,
        )
        assert code == 0, err
        for block, sent in zip(_blocks(out), SENTS, strict=True):
            fixed = {i: f for i, (_w, _p, f) in enumerate(sent) if f != "_"}
            got = [row[-1] for row in block]
            assert all(got[i] == lab for i, lab in fixed.items())
            assert got == t.tag([w for w, _p, _f in sent], fixed=fixed or None)
    # without forcing, the third sentence is tagged differently: the column did change it
    code, out, _err = _run(["tag", "-m", chunk_model, "-f", "conll", "--columns", "word,pos,force",
                            inp], capsys)  # fmt: skip
    assert [r[-1] for r in _blocks(out)[2]] == t.tag(["Prices", "rose", "sharply"])
    assert [r[-1] for r in _blocks(out)[2]] != ["B-VP", "O", "B-NP"]


def test_force_column_of_json_lines(chunk_model, capsys, monkeypatch):
    import io

    from crftagger.api.tagger import Tagger

    t = Tagger.load(chunk_model)
    lines = [
        {"tokens": ["Prices", "rose", "sharply"], "forced": ["B-VP", "", "B-NP"]},
        {"tokens": ["It", "runs"]},
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(x) + "\n" for x in lines)))
    code, out, err = _run(
        ["tag", "-m", chunk_model, "-f", "jsonl", "--force-column", "forced", "-v1"], capsys
    )
    assert code == 0, err
    a, b = (json.loads(x) for x in out.splitlines())
    assert a["tags"] == t.tag(["Prices", "rose", "sharply"], fixed={0: "B-VP", 2: "B-NP"})
    assert a["tags"][0] == "B-VP" and a["tags"][2] == "B-NP"
    assert a["confidences"][0] == pytest.approx(1.0) and "forced" not in a
    assert b["tags"] == t.tag(["It", "runs"])


def test_force_column_errors(chunk_model, capsys, tmp_path):
    inp = _conll(tmp_path, [[("Paris", "NNP", "B-LOC")]])
    base = ["tag", "-m", chunk_model, "-f", "conll", "--columns", "word,pos,force", inp]
    code, _out, err = _run([*base, "--force-column", "force"], capsys)
    assert code == 1 and f"{inp}:1: sentence 1" in err and "'B-LOC'" in err
    code, _out, err = _run([*base, "--force-column", "1"], capsys)
    assert code == 1 and "column 1 holds the tokens" in err
    code, _out, err = _run([*base, "--force-column", "gold"], capsys)
    assert code == 1 and "is not one of the --columns word,pos,force" in err
    code, _out, err = _run([*base, "--force-column", "force", "--marginals"], capsys)
    assert code == 1 and "do not go with --force-column" in err
    code, _out, err = _run(["tag", "-m", chunk_model, "--force-column", "2", inp], capsys)
    assert code == 1 and "not tokens" in err


def test_v1_v2_and_n_as_crf_test(chunk_model, capsys, tmp_path):
    from crftagger.api.tagger import Tagger

    t = Tagger.load(chunk_model)
    inp = _conll(tmp_path)
    base = ["tag", "-m", chunk_model, "-f", "conll", "--columns", "word,pos,force", inp]
    code, out, err = _run([*base, "-v1"], capsys)
    assert code == 0, err
    for block, sent in zip(_blocks(out), SENTS, strict=True):
        toks = [w for w, _p, _f in sent]
        assert block[0][0] == "#"
        assert float(block[0][1]) == pytest.approx(t.nbest(toks, 1)[0].probability, abs=1e-6)
        marg = t.marginals(toks)
        for row, m, tag in zip(block[1:], marg, t.tag(toks), strict=True):
            lab, p = row[-1].split("/")
            assert lab == tag and float(p) == pytest.approx(m[tag], abs=1e-6)
    code, out2, err = _run([*base, "-v2"], capsys)
    assert code == 0, err
    first = _blocks(out2)[0]
    assert first[0] == _blocks(out)[0][0]
    assert len(first[1]) == 3 + 1 + len(t.labels)  # tag/p, then every label/p
    code, jl, err = _run([*base, "-v1", "--output-format", "jsonl"], capsys)
    obj = json.loads(jl.splitlines()[1])
    assert obj["probability"] == pytest.approx(t.nbest(["It", "runs"], 1)[0].probability, abs=1e-6)
    assert len(obj["confidences"]) == 2
    code, n1, _err = _run([*base, "-n", "2"], capsys)
    code, n2, _err = _run([*base, "--nbest", "2"], capsys)
    assert n1 == n2 and "# 1 " in n1
