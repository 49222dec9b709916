"""Per-corpus recipes, ``crftagger train --recipe`` and ``crftagger clusters``."""

from __future__ import annotations

import random

import pytest

from crftagger import recipes
from crftagger.api.tagger import Tagger
from crftagger.cli.app import main
from crftagger.corpora import get, registry
from crftagger.features.clusters import Clusters
from crftagger.schemes import get_scheme


def test_every_registered_corpus_has_a_consistent_recipe():
    for name in registry.names():
        r = recipes.recipe(name)
        assert r.corpus == name and r.c1 >= 0 and r.c2 >= 0 and r.max_iterations >= 1
        if r.train_scheme is not None:
            assert get_scheme(r.train_scheme).name == r.train_scheme
        assert set(r.cluster_text) <= set(registry.names())
        assert r.train_params()["algorithm"] == "lbfgs"
    for name, r in recipes.RECIPES.items():
        assert name in registry.names() and r.corpus == name
    assert set(recipes.RECIPES) == set(registry.names())


def test_feature_sets_never_read_the_label_column():
    for name in registry.names():
        info = get(name)
        fs = recipes.feature_set_for(info)
        assert fs.name == info.task
        assert info.label_column not in fs.columns


def _text(path, n=400, seed=0):
    rng = random.Random(seed)
    groups = [
        ["cat", "dog", "horse", "cow"],
        ["runs", "sleeps", "eats"],
        ["the", "a"],
        ["red", "big", "old"],
    ]
    lines = []
    for _ in range(n):
        lines.append(
            " ".join(
                [
                    rng.choice(groups[2]),
                    rng.choice(groups[3]),
                    rng.choice(groups[0]),
                    rng.choice(groups[1]),
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return groups


def test_clusters_command_learns_a_brown_file_from_text(tmp_path, capsys):
    src = tmp_path / "text.txt"
    groups = _text(src)
    out = tmp_path / "paths.txt"
    assert main(["clusters", str(src), "-o", str(out), "--dim", "8", "--contexts", "20"]) == 0
    c = Clusters.from_file(out)
    words = {w for g in groups for w in g}
    assert set(c.paths) == words
    assert "12 words" in capsys.readouterr().out

    # Words of one distributional class share a longer prefix with each other than with other classes.
    def common(a, b):
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    p = c.paths
    assert common(p["cat"], p["dog"]) > common(p["cat"], p["runs"])
    assert common(p["red"], p["old"]) > common(p["red"], p["the"])


def test_clusters_command_refuses_bad_text(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\n\xff\xfe broken\n")
    assert main(["clusters", str(bad), "-o", str(tmp_path / "o.txt")]) == 1
    err = capsys.readouterr().err
    assert "bad.txt:2" in err and "utf-8" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    assert main(["clusters", str(empty), "-o", str(tmp_path / "o.txt")]) == 1
    assert "found no text" in capsys.readouterr().err


def test_train_recipe_applies_the_corpus_settings(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(
        recipes.RECIPES,
        "atis",
        recipes.RECIPES["atis"].replace(c1=0.0, c2=0.05, train_scheme="bioes"),
    )
    model = tmp_path / "atis.model"
    args = [
        "--data-dir",
        str(data_dir),
        "train",
        "atis",
        "--recipe",
        "--limit",
        "150",
        "--max-iterations",
        "3",
        "--dev",
        "none",
        "--test",
        "none",
        "--no-progress",
        "-o",
        str(model),
    ]
    assert main(args) == 0
    t = Tagger.load(model)
    tr = t.info["training"]
    assert (tr["c1"], tr["c2"], tr["max_iterations"], tr["train_scheme"]) == (0.0, 0.05, 3, "bioes")
    assert any(lab.startswith("S-") for lab in t.model.labels)
    assert t.scheme == "iob2" and t.feature_set.name == "slots"
    # An explicit option wins over the recipe.
    assert main(args[:-2] + ["--c2", "0.2", "-o", str(model)]) == 0
    assert Tagger.load(model).info["training"]["c2"] == 0.2


def test_train_recipe_needs_a_registered_corpus(tmp_path, capsys):
    f = tmp_path / "d.conll"
    f.write_text("a O\nb B-X\n\n")
    assert main(["train", str(f), "--recipe", "-o", str(tmp_path / "m")]) == 1
    assert "--recipe" in capsys.readouterr().err


@pytest.mark.parametrize("corpus", sorted(n for n, r in recipes.RECIPES.items() if r.cluster_text))
def test_cluster_text_is_train_and_dev_only(corpus):
    for name in recipes.RECIPES[corpus].cluster_text:
        assert "train" in get(name).splits


def test_train_recipe_on_your_own_files(data_dir, tmp_path, capsys):
    """`--recipe CORPUS` trains a user's own CoNLL file with that corpus' recipe, through
    the same Tagger.train(recipe=...) path as the corpus itself."""
    from crftagger.corpora import load, write_conll

    own = tmp_path / "own.conll"
    write_conll(load("atis", "train", data_dir)[:120], own)
    model = tmp_path / "own.model"
    args = [
        "--data-dir",
        str(data_dir),
        "train",
        str(own),
        "--recipe",
        "atis",
        "--max-iterations",
        "3",
        "--no-progress",
        "-o",
        str(model),
    ]
    assert main(args) == 0
    t = Tagger.load(model)
    r = recipes.recipe("atis")
    tr = t.info["training"]
    assert t.info["recipe"] == "atis" and t.info["corpus"] is None
    assert (tr["c1"], tr["c2"], tr["max_iterations"]) == (r.c1, r.c2, 3)
    assert t.feature_set.name == "slots" and t.feature_set.params.get("clusters")
    # the same through the API, and an unknown recipe is a clear error
    direct = Tagger.train(
        load("atis", "train", data_dir)[:120], recipe="atis", max_iterations=3, data_dir=data_dir
    )
    assert direct.info["recipe"] == "atis" and direct.info["training"]["c2"] == r.c2
    assert direct.feature_set.name == "slots" and direct.labels == t.labels
    assert main(["train", str(own), "--recipe", "nope", "-o", str(tmp_path / "m")]) == 1
    assert "nope" in capsys.readouterr().err
