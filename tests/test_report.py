"""``crftagger report``: the HTML page, its figures and report.json, checked in headless Chromium.

The browser tests need Chromium (Debian: ``apt-get install chromium``; or
``CRFTAGGER_BROWSER=/path/to/chrome``). They are skipped without one unless
``CRFTAGGER_REQUIRE_BROWSER=1`` (set by CI), which makes a missing browser a
failure. The rest checks the same page by parsing its HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from crftagger import Tagger, cli, metrics
from crftagger.analysis.report import FIGURES, HEADINGS, build_report
from crftagger.analysis.weights import top_features
from crftagger.corpora import read_conll, synthetic, write_conll

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def ner(tmp_path_factory):
    """A small span model with dev scores in its training log, its test file and test sentences."""
    d = tmp_path_factory.mktemp("report")
    sp = synthetic.make_splits(200, 30, 40, seed=2)
    tagger = Tagger.train(
        sp.train, "pii", dev=sp.dev, label_column="ner", max_iterations=12, c1=0.05
    )
    model = tagger.save(d / "ner.crftagger")
    test = d / "test.conll"
    write_conll(sp.test, test, ("word", "ner"))
    return tagger, model, test, sp.test


@pytest.fixture(scope="module")
def pos(tmp_path_factory):
    """A small plain-tag model (tags without B-/I- prefixes) and its test sentences."""
    rng = np.random.default_rng(0)
    words = {"DET": ["the", "a"], "NOUN": ["dog", "cat", "park"], "VERB": ["runs", "sees"]}

    def sentence():
        pattern = ["DET", "NOUN", "VERB", "DET", "NOUN"]
        toks = [words[t][rng.integers(len(words[t]))] for t in pattern]
        tags = list(pattern)
        if rng.random() < 0.3:  # "park" sometimes a verb: errors to find
            toks[2], tags[2] = "park", "VERB"
        return toks, tags

    train = [sentence() for _ in range(60)]
    test = [sentence() for _ in range(30)]
    tagger = Tagger.train(train, "pii", scheme=None, max_iterations=8)
    return tagger, test


class Page(HTMLParser):
    """The headings, image sources, table cells and text of a page."""

    def __init__(self):
        super().__init__()
        self.h1, self.h2, self.imgs, self.cells, self.text = [], [], [], [], []
        self._tag = None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "img":
            self.imgs.append(dict(attrs))

    def handle_endtag(self, tag):
        self._tag = None

    def handle_data(self, data):
        self.text.append(data)
        if self._tag == "h1":
            self.h1.append(data)
        elif self._tag == "h2":
            self.h2.append(data)
        elif self._tag in ("td", "th"):
            self.cells.append(data)


def _page(folder) -> Page:
    p = Page()
    p.feed((folder / "index.html").read_text(encoding="utf-8"))
    return p


def _check_png(path) -> np.ndarray:
    """Decode a PNG; it must have some size and more than one colour."""
    from matplotlib import image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    px = image.imread(str(path))
    assert px.ndim == 3 and px.shape[0] > 100 and px.shape[1] > 100, (path, px.shape)
    assert len(np.unique(px.reshape(-1, px.shape[2]), axis=0)) > 10, f"{path} is nearly blank"
    return px


def test_span_report_numbers_match_evaluate_and_errors(ner, tmp_path):
    tagger, _model, _test, sents = ner
    rep = build_report(tagger, sents, "ner", model_name="ner.crftagger", test_name="test.conll")
    ev = tagger.evaluate(sents, label_column="ner")
    assert rep.kind == "spans"
    for key in ("accuracy", "f1", "precision", "recall", "strict_f1"):
        assert rep.summary[key] == pytest.approx(ev.summary()[key])
    assert set(rep.scores) == set(ev.lenient.per_type)
    for t, v in ev.lenient.per_type.items():
        assert rep.scores[t]["f1"] == pytest.approx(v.f1) and rep.scores[t]["support"] == v.gold
    # the error table's correct pairs are conlleval's correct phrases
    assert rep.errors.totals["correct"] == ev.lenient.micro.correct
    assert rep.confusion.shape == (len(rep.confusion_labels),) * 2
    # the training log holds the loss and the dev F1 of every iteration
    assert len(rep.training_log) == 12 and rep.dev_key == "dev_f1"
    assert all("loss" in r for r in rep.training_log)
    # the heaviest features are the model's
    top = top_features(tagger.model, 8)
    lab = next(iter(top))
    assert rep.features[lab]["positive"] == top[lab]
    assert all(w < 0 for _a, w in rep.features[lab]["negative"])


def test_report_folder_html_and_figures(ner, tmp_path):
    tagger, _model, test, _ = ner
    sents = list(read_conll(test, ("word", "ner")))  # they know their file and line
    rep = build_report(tagger, sents, "ner", model_name="ner.crftagger", test_name="test.conll")
    written = rep.write(tmp_path / "r")
    names = sorted(p.name for p in written)
    assert names == sorted([*FIGURES, "index.html", "report.json"])
    page = _page(tmp_path / "r")
    assert page.h2 == list(HEADINGS)
    assert [i["src"] for i in page.imgs] == list(FIGURES)
    assert all(i.get("alt") for i in page.imgs)
    for name in FIGURES:
        _check_png(tmp_path / "r" / name)
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["f1"] == pytest.approx(rep.summary["f1"])
    assert data["errors"]["totals"] == rep.errors.totals
    assert data["confusion"]["matrix"] == rep.confusion.tolist()
    # every type's F1 is in the page's table, as printed
    for t, v in rep.scores.items():
        assert t in page.cells and f"{100 * v['f1']:.2f}" in page.cells
    # each non-correct example is shown with where it came from
    wrong = [x for x in rep.errors.examples if x.kind != "correct"]
    assert wrong
    where = {f"test.conll:{sents[x.sentence].line}" for x in wrong}
    assert where <= set(page.cells)


def test_report_escapes_tokens_and_writes_only_its_files(ner, tmp_path):
    tagger, *_ = ner
    sents = [(["Mail", "<script>alert(1)</script>", "today"], ["O", "B-EMAIL", "O"])]
    rep = build_report(tagger, sents, model_name="m", test_name="t")
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    rep.write(folder)
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert (folder / "keep.txt").read_text() == "mine"


def test_report_without_training_log(ner, tmp_path):
    tagger, model, *_ = ner
    t = Tagger.load(model)
    t.info["training_log"] = []
    rep = build_report(t, ner[3][:5], "ner")
    rep.write(tmp_path / "r")
    assert rep.dev_key is None
    _check_png(tmp_path / "r" / "training.png")
    assert "holds no training log" in (tmp_path / "r" / "index.html").read_text()


def test_plain_tag_report_lists_the_token_confusions(pos, tmp_path):
    tagger, test = pos
    rep = build_report(tagger, test, model_name="pos", test_name="toy")
    assert rep.kind == "tags" and rep.errors is None
    gold = [g for _t, g in test]
    pred = tagger.tag([t for t, _g in test])
    labels, c = metrics.confusion_matrix(gold, pred)
    assert rep.confusion_labels == labels and (rep.confusion == c).all()
    off = {
        (labels[i], labels[j]): int(c[i, j]) for i, j in zip(*np.nonzero(c), strict=True) if i != j
    }
    assert {(x.gold, x.pred): x.count for x in rep.tag_confusions} == off
    for x in rep.tag_confusions:
        assert x.examples and all("[" in e for e in x.examples)
    per = metrics.label_scores(gold, pred)
    assert {k: v["f1"] for k, v in rep.scores.items()} == {k: v.f1 for k, v in per.items()}
    rep.write(tmp_path / "r")
    page = _page(tmp_path / "r")
    assert page.h2 == list(HEADINGS)
    for name in FIGURES:
        _check_png(tmp_path / "r" / name)


def _run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_report_on_a_file(ner, tmp_path, capsys):
    _tagger, model, test, _ = ner
    out = tmp_path / "out"
    code, o, err = _run(
        ["report", str(model), str(test), "--columns", "word,ner", "-o", str(out)], capsys
    )
    assert code == 0, err
    assert "span F1" in o and "index.html" in o
    assert sorted(p.name for p in out.iterdir()) == sorted([*FIGURES, "index.html", "report.json"])
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["test"] == str(test) and data["kind"] == "spans"


def test_cli_report_errors(ner, tmp_path, capsys):
    _tagger, model, test, _ = ner
    code, _o, err = _run(["report", str(model), str(tmp_path / "nope.conll"), "-o", "x"], capsys)
    assert code == 1 and "nope.conll: no such file, and not a registered corpus" in err
    f = tmp_path / "file"
    f.write_text("")
    code, _o, err = _run(["report", str(model), str(test), "-o", str(f)], capsys)
    assert code == 1 and "exists and is not a folder" in err
    code, _o, err = _run(["report", str(model), str(test), "--top", "0", "-o", "x"], capsys)
    assert code == 1 and "--top must be at least 1" in err
    bad = tmp_path / "bad.conll"
    bad.write_text("Anna B-PER\nSmith\n", encoding="utf-8")
    code, _o, err = _run(
        ["report", str(model), str(bad), "--columns", "word,ner", "-o", str(tmp_path / "o")],
        capsys,
    )
    assert code == 1 and "bad.conll" in err and "Traceback" not in err


def test_cli_report_on_a_registered_corpus(data_dir, tmp_path, capsys):
    sents = __import__("crftagger.corpora", fromlist=["load"]).load("conll2000", "train")[:150]
    t = Tagger.train(sents, "pii", label_column="chunk", max_iterations=5)
    model = t.save(tmp_path / "chunk.crftagger")
    out = tmp_path / "out"
    code, o, err = _run(
        ["report", str(model), "conll2000", "--limit", "40", "-o", str(out)], capsys
    )
    assert code == 0, err
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["test"] == "conll2000 test" and data["summary"]["n_sentences"] == 40
    assert data["errors"]["totals"]["correct"] > 0


# ---------------------------------------------------------------------- the real browser


def _browser() -> str | None:
    given = os.environ.get("CRFTAGGER_BROWSER")
    if given:
        return given
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    path = _browser()
    if path is None:
        if os.environ.get("CRFTAGGER_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "CRFTAGGER_REQUIRE_BROWSER=1 but no Chromium found (install it with "
                "`apt-get install chromium`, or set CRFTAGGER_BROWSER)"
            )
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    return path


def _chromium(browser, *args, timeout=90):
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--hide-scrollbars",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _rendered(browser, page):
    """The DOM after the page's load event, as the browser serialises it."""
    r = _chromium(browser, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_report_in_headless_chromium(browser, ner, tmp_path):
    tagger, _model, _test, sents = ner
    folder = tmp_path / "r"
    build_report(tagger, sents, "ner", model_name="ner.crftagger", test_name="t").write(folder)
    dom = _rendered(browser, folder / "index.html")
    assert f'data-figures="{len(FIGURES)}/{len(FIGURES)}"' in dom
    p = Page()
    p.feed(dom)
    assert p.h2 == list(HEADINGS)
    shot = tmp_path / "shot.png"
    r = _chromium(
        browser, "--window-size=1280,4000", f"--screenshot={shot}", (folder / "index.html").as_uri()
    )
    assert r.returncode == 0 and shot.is_file(), r.stderr[-2000:]
    px = _check_png(shot)
    assert px.shape[1] == 1280
    # not an empty page: many rows hold something other than the white background
    busy = (px[..., :3] < 0.9).any(axis=2).any(axis=1).mean()
    assert busy > 0.3, f"only {busy:.0%} of the screenshot's rows hold anything"


def test_headless_chromium_sees_a_missing_figure(browser, ner, tmp_path):
    tagger, _model, _test, sents = ner
    folder = tmp_path / "r"
    build_report(tagger, sents[:5], "ner").write(folder)
    (folder / "confusion.png").unlink()
    dom = _rendered(browser, folder / "index.html")
    assert f'data-figures="{len(FIGURES) - 1}/{len(FIGURES)}"' in dom
    assert "figures that did not load: confusion.png" in dom


def test_cli_report_on_a_crfsuite_file(ner, tmp_path, capsys):
    from crftagger.io.crfsuite import crfsuite_bytes

    tagger, _model, test, _ = ner
    path = tmp_path / "m.crfsuite"
    path.write_bytes(crfsuite_bytes(tagger.model))
    out = tmp_path / "out"
    argv = ["report", str(path), str(test), "--columns", "word,ner", "-o", str(out)]
    code, _o, err = _run(argv, capsys)
    assert code == 1 and "--feature-set" in err  # CRFsuite files do not say how to compute them
    code, _o, err = _run([*argv, "--feature-set", "pii"], capsys)
    assert code == 0, err
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    ev = tagger.evaluate(list(read_conll(test, ("word", "ner"))), label_column="ner")
    assert data["summary"]["f1"] == pytest.approx(ev.summary()["f1"])
    assert data["training_log"] == [] and data["features"]
    assert "holds no training log" in (out / "index.html").read_text(encoding="utf-8")
