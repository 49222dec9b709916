"""Intent classifier variants, 5-fold cross-validation on train + dev (no test data).

The folds: stratified on the intent (labels with fewer than 5 utterances pooled into one
stratum), shuffled with seed 0, over the train and dev utterances of ATIS / SNIPS (lower-cased
tokens). Every variant fits its vocabulary, idf and weights on each training part only.

Slot-type variants read the slot CRF's tags, jackknifed over the same 5 folds: the tags of the
utterances of fold k come from the corpus' recipe CRF trained on the other 4 folds (so a
held-out fold's tags are from a CRF that never saw it; a training part's tags are from CRFs
that saw the held-out fold's slot tags, not its intents). The tags are cached under
``~/.cache/crftagger/intent-cv``::

    NUMBA_NUM_THREADS=1 python benchmarks/intent_cv.py jackknife --corpus atis [--max-iterations N]
    python benchmarks/intent_cv.py cv --corpus atis --variants svm svm-multi ...
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(os.path.expanduser("~/.cache/crftagger/intent-cv"))


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_cv_data(corpus: str):
    """Train + dev: ``(sentences, tokens, tags, intents)``."""
    from crftagger.slots import load_split

    sents, intents = [], []
    for split in ("train", "dev"):
        s, i = load_split(corpus, split)
        sents += s
        intents += i
    tokens = [[t.lower() for t in s.tokens] for s in sents]
    tags = [list(s.columns["tag"]) for s in sents]
    return sents, tokens, tags, intents


def folds(intents, k: int = 5, seed: int = 0):
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(intents)
    uniq, counts = np.unique(labels, return_counts=True)
    rare = set(uniq[counts < k].tolist())
    strata = np.asarray(["" if x in rare else x for x in labels.tolist()])
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(labels, strata))


def _key(corpus: str, tokens, max_iterations) -> str:
    h = hashlib.sha256(json.dumps(tokens).encode()).hexdigest()[:12]
    return f"{corpus}-{h}-it{max_iterations or 'recipe'}"


def jackknife(corpus: str, max_iterations: int | None = None):
    """Jackknifed CRF tags of train + dev over the CV folds (cached)."""
    from crftagger.api.tagger import Tagger

    sents, tokens, _tags, intents = load_cv_data(corpus)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (_key(corpus, tokens, max_iterations) + ".json")
    if path.is_file():
        return json.loads(path.read_text())["tags"]
    out: list = [None] * len(tokens)
    params = {} if max_iterations is None else {"max_iterations": max_iterations}
    for f, (tr, te) in enumerate(folds(intents)):
        t0 = time.perf_counter()
        part = CACHE / (path.stem + f".fold{f}.json")
        if part.is_file():
            pred = json.loads(part.read_text())
        else:
            tagger = Tagger.train([sents[i] for i in tr], recipe=corpus, **params)
            pred = tagger.tag([tokens[i] for i in te], output_scheme=tagger.scheme)
            part.write_text(json.dumps(pred))
        for i, p in zip(te, pred, strict=True):
            out[i] = list(p)
        _log(f"{corpus} fold {f}: {time.perf_counter() - t0:.0f} s")
    path.write_text(json.dumps({"tags": out}))
    return out


# --------------------------------------------------------------------------- features


def spans(tags):
    """``(type, start, end)`` of the IOB2 tags (conlleval's reading)."""
    from crftagger import metrics

    return [(sp[0], sp[1], sp[2]) for sp in metrics.spans_by_sentence([tags])[0]]


def delex(tokens, tags):
    """The tokens with every slot span replaced by its type."""
    out, i = [], 0
    sp = {a: (t, b) for t, a, b in spans(tags)}
    while i < len(tokens):
        if i in sp:
            t, b = sp[i]
            out.append("<" + t + ">")
            i = b
        else:
            out.append(tokens[i])
            i += 1
    return out


def terms(tokens, tags=None, *, words=(1, 3), chars=(2, 5), slots=False, dlx=None, dlx_chars=False):
    from crftagger.slots.intent import tfidf_terms

    out = tfidf_terms(tokens, words, chars) if chars else tfidf_terms(tokens, words, (99, 98))
    if tags is not None and slots:
        out += ["s:" + t for t in sorted({t for t, _a, _b in spans(tags)})]
    if tags is not None and dlx:
        d = delex(tokens, tags)
        for n in range(dlx[0], dlx[1] + 1):
            for i in range(len(d) - n + 1):
                out.append("d:" + " ".join(d[i : i + n]))
    return out


# --------------------------------------------------------------------------- estimators


def fit_predict(kind, Xtr, ytr, Xte, C, **kw):
    """Predicted labels (and the fitted scores) of one fold."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    cw = kw.get("class_weight")
    if cw == "sqrt":
        labs, counts = np.unique(np.asarray(ytr), return_counts=True)
        cw = {
            c: float(np.sqrt(len(ytr) / (len(labs) * n))) for c, n in zip(labs, counts, strict=True)
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kind == "svm-cs":
            m = LinearSVC(C=C, max_iter=5000, multi_class="crammer_singer")
        elif kind == "svm":
            m = LinearSVC(C=C, max_iter=5000, class_weight=cw)
        else:
            m = LogisticRegression(C=C, max_iter=2000, class_weight=cw)
        m.fit(Xtr, ytr)
    return m


def atom_order(labels):
    """A key ordering atomic intents as multi-intent labels of training list them."""
    from collections import Counter

    freq = Counter(a for lab in labels for a in lab.split("#"))
    before = set()
    for lab in set(labels):
        parts = lab.split("#")
        for i in range(len(parts)):
            for j in range(i + 1, len(parts)):
                before.add((parts[i], parts[j]))

    def order(atoms):
        import functools

        def cmp(a, b):
            if (a, b) in before:
                return -1
            if (b, a) in before:
                return 1
            return -1 if (freq[a], b) > (freq[b], a) else 1

        return "#".join(sorted(atoms, key=functools.cmp_to_key(cmp)))

    return order


def multi_predict(Xtr, ytr, Xte, C, mode, threshold=0.0, single=None):
    """One-vs-rest linear SVMs over the atomic intents (an utterance labelled ``a#b`` is a
    positive of ``a`` and of ``b``); ``mode``: ``"atoms"`` predicts the atoms scoring above
    ``threshold`` (the best one when none does); ``"hybrid"`` keeps ``single``'s label unless
    two atoms or more score above the threshold and their combination was not a training label."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    mlb = MultiLabelBinarizer()
    Y = mlb.fit_transform([lab.split("#") for lab in ytr])
    S = np.zeros((Xte.shape[0], Y.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for j in range(Y.shape[1]):
            m = LinearSVC(C=C, max_iter=5000).fit(Xtr, Y[:, j])
            S[:, j] = m.decision_function(Xte)
    order = atom_order(list(ytr))
    seen = set(ytr)
    out = []
    for i in range(len(S)):
        above = [mlb.classes_[j] for j in np.flatnonzero(S[i] > threshold)]
        best = mlb.classes_[int(S[i].argmax())]
        combo = order(above) if above else best
        if mode == "atoms":
            out.append(combo)
        elif mode == "hybrid-sub":
            ok = len(above) >= 2 and combo not in seen and set(single[i].split("#")) < set(above)
            out.append(combo if ok else single[i])
        else:
            out.append(combo if len(above) >= 2 and combo not in seen else single[i])
    return out


# --------------------------------------------------------------------------- CV


def run_cv(corpus, variant, Cs, tags_source=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    _s, tokens, gold_tags, intents = load_cv_data(corpus)
    v = dict(VARIANTS[variant])
    tags = None
    if v.get("slots") or v.get("dlx"):
        src = v.pop("tags", "crf")
        tags = gold_tags if src == "gold" else jackknife(corpus, v.pop("jk_iterations", 40))
    v.pop("tags", None)
    v.pop("jk_iterations", None)
    est = v.pop("estimator", "svm")
    multi = v.pop("multi", None)
    thr = v.pop("threshold", 0.0)
    cw = v.pop("class_weight", None)
    docs = [terms(t, None if tags is None else tags[i], **v) for i, t in enumerate(tokens)]
    y = np.asarray(intents)
    res = {}
    errors = {}
    for C in Cs:
        correct = []
        pred_all = np.empty(len(y), dtype=object)
        for tr, te in folds(intents):
            vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, lowercase=False)
            Xtr = vec.fit_transform([docs[i] for i in tr])
            Xte = vec.transform([docs[i] for i in te])
            if est == "ens":
                pred = ensemble_predict(Xtr, y[tr], Xte, C)
            else:
                m = fit_predict(est, Xtr, y[tr], Xte, C, class_weight=cw)
                pred = m.predict(Xte)
            if multi:
                pred = multi_predict(Xtr, y[tr], Xte, C, multi, thr, list(pred))
            pred_all[te] = pred
            correct.append(float(np.mean(np.asarray(pred) == y[te])))
        res[C] = round(100 * float(np.mean(correct)), 2)
        errors[C] = [
            (y[i], pred_all[i], " ".join(tokens[i])) for i in range(len(y)) if y[i] != pred_all[i]
        ]
    return res, errors


def ensemble_predict(Xtr, ytr, Xte, C):
    """Mean of the SVM's tempered softmax and logistic regression's probabilities (logreg at
    ``10 * C``)."""
    from crftagger.slots.intent import IntentClassifier

    beta = IntentClassifier._inverse_temperature(Xtr, list(ytr), C, 5000)
    svm = fit_predict("svm", Xtr, ytr, Xte, C)
    lr = fit_predict("logreg", Xtr, ytr, Xte, 10 * C)
    from scipy.special import softmax

    p1 = softmax(beta * svm.decision_function(Xte), axis=1)
    p2 = lr.predict_proba(Xte)
    assert list(svm.classes_) == list(lr.classes_)
    return svm.classes_[(p1 + p2).argmax(axis=1)]


VARIANTS = {
    "svm": {},
    "svm balanced": {"class_weight": "balanced"},
    "svm sqrt-balanced": {"class_weight": "sqrt"},
    "svm crammer-singer": {"estimator": "svm-cs"},
    "svm sqrt-balanced + slot types + delex 1-3 (crf40)": {
        "class_weight": "sqrt",
        "slots": True,
        "dlx": (1, 3),
    },
    "svm words 1-4": {"words": (1, 4)},
    "svm chars 1-5": {"chars": (1, 5)},
    "svm chars 2-6": {"chars": (2, 6)},
    "svm chars 3-5": {"chars": (3, 5)},
    "svm no chars": {"chars": None},
    "svm + atoms": {"multi": "atoms"},
    "svm + atoms hybrid": {"multi": "hybrid"},
    "svm + atoms hybrid thr -0.25": {"multi": "hybrid", "threshold": -0.25},
    "svm + atoms thr -0.25": {"multi": "atoms", "threshold": -0.25},
    "svm + atoms hybrid thr 0.25": {"multi": "hybrid", "threshold": 0.25},
    "svm + atoms hybrid thr 0.5": {"multi": "hybrid", "threshold": 0.5},
    "svm + atoms hybrid-sub": {"multi": "hybrid-sub"},
    "svm + atoms hybrid-sub thr -0.25": {"multi": "hybrid-sub", "threshold": -0.25},
    "svm + atoms hybrid-sub thr 0.25": {"multi": "hybrid-sub", "threshold": 0.25},
    "ens svm+logreg": {"estimator": "ens"},
    "svm + slot types (gold)": {"slots": True, "tags": "gold"},
    "svm + delex 1-3 (gold)": {"dlx": (1, 3), "tags": "gold"},
    "svm + slot types + delex 1-3 (gold)": {"slots": True, "dlx": (1, 3), "tags": "gold"},
    "svm + slot types (crf40)": {"slots": True},
    "svm + delex 1-3 (crf40)": {"dlx": (1, 3)},
    "svm + slot types + delex 1-3 (crf40)": {"slots": True, "dlx": (1, 3)},
    "svm + delex 1-4 (crf40)": {"dlx": (1, 4)},
    "svm + slot types + delex 1-3 (crf150)": {"slots": True, "dlx": (1, 3), "jk_iterations": None},
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("jackknife")
    j.add_argument("--corpus", required=True)
    j.add_argument("--max-iterations", type=int, default=None)
    c = sub.add_parser("cv")
    c.add_argument("--corpus", required=True)
    c.add_argument("--variants", nargs="+", default=list(VARIANTS))
    c.add_argument("--C", nargs="+", type=float, default=[1.0, 3.0, 10.0, 30.0])
    c.add_argument("--errors", type=int, default=0, help="print N errors at the best C")
    c.add_argument("--out", default=None, help="append JSON lines here")
    co = sub.add_parser("collect", help="merge cv JSON lines into benchmarks/intent_cv.json")
    co.add_argument("lines", nargs="+")
    co.add_argument("--out", default=str(Path(__file__).resolve().parent / "intent_cv.json"))
    args = ap.parse_args(argv)
    if args.cmd == "collect":
        rows: dict = {}
        for path in args.lines:
            for text in Path(path).read_text().splitlines():
                r = json.loads(text)
                grid = rows.setdefault(r["variant"], {}).setdefault(r["corpus"], {})
                grid.update({f"{float(c):g}": a for c, a in r["by_C"].items()})
        out = {
            "what": "mean accuracy (percent) over 5 stratified folds of train + dev, by C",
            "folds": "StratifiedKFold(5, shuffle=True, random_state=0), labels with < 5 "
            "utterances pooled",
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "rows": rows,
        }
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
        return 0
    if args.cmd == "jackknife":
        jackknife(args.corpus, args.max_iterations)
        return 0
    for variant in args.variants:
        t0 = time.perf_counter()
        res, errors = run_cv(args.corpus, variant, args.C)
        best = max(res, key=lambda k: (res[k], -k))
        line = {
            "corpus": args.corpus,
            "variant": variant,
            "by_C": res,
            "best_C": best,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(json.dumps(line), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(line) + "\n")
        if args.errors:
            from collections import Counter

            conf = Counter((g, p) for g, p, _t in errors[best])
            for (g, p), n in conf.most_common(args.errors):
                print(f"  {n:3d} {g} -> {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def multi_sweep(corpus, C=10.0, thresholds=(-0.25, 0.0, 0.25, 0.5, 0.75)):
    """The decomposition's modes and thresholds over one set of fold fits (the SVM's and the
    atoms'), with the utterances whose prediction the decomposition changes."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    _s, tokens, _g, intents = load_cv_data(corpus)
    docs = [terms(t) for t in tokens]
    y = np.asarray(intents)
    single = np.empty(len(y), dtype=object)
    scores = [None] * len(y)
    names = [None] * len(y)
    seen_of = [None] * len(y)
    order_of = [None] * len(y)
    for tr, te in folds(intents):
        vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, lowercase=False)
        Xtr = vec.fit_transform([docs[i] for i in tr])
        Xte = vec.transform([docs[i] for i in te])
        single[te] = fit_predict("svm", Xtr, y[tr], Xte, C).predict(Xte)
        mlb = MultiLabelBinarizer()
        Y = mlb.fit_transform([lab.split("#") for lab in y[tr]])
        S = np.zeros((Xte.shape[0], Y.shape[1]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for j in range(Y.shape[1]):
                S[:, j] = LinearSVC(C=C, max_iter=5000).fit(Xtr, Y[:, j]).decision_function(Xte)
        seen, order = set(y[tr].tolist()), atom_order(list(y[tr]))
        for k, i in enumerate(te):
            scores[i], names[i], seen_of[i], order_of[i] = S[k], mlb.classes_, seen, order
    base = float(np.mean(single == y))
    print(f"{corpus} svm C={C}: {100 * base:.2f}")
    for mode in ("atoms", "hybrid", "hybrid-sub"):
        for thr in thresholds:
            pred, changed = [], []
            for i in range(len(y)):
                above = [names[i][j] for j in np.flatnonzero(scores[i] > thr)]
                best = names[i][int(scores[i].argmax())]
                combo = order_of[i](above) if above else best
                if mode == "atoms":
                    p = combo
                else:
                    ok = len(above) >= 2 and combo not in seen_of[i]
                    if mode == "hybrid-sub":
                        ok = ok and set(single[i].split("#")) < set(above)
                    p = combo if ok else single[i]
                pred.append(p)
                if p != single[i]:
                    changed.append((y[i], single[i], p))
            acc = float(np.mean(np.asarray(pred) == y))
            gain = sum(g == p for g, _s1, p in changed) - sum(g == s1 for g, s1, _p in changed)
            print(
                f"  {mode:10s} thr {thr:+.2f}: {100 * acc:.2f} changed {len(changed)} net {gain:+d}"
            )
            if mode != "atoms" and len(changed) <= 12:
                for c in changed:
                    print("     ", c)
