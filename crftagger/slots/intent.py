"""The intent classifier: multinomial logistic regression over TF-IDF n-grams of the utterance.

An utterance (its tokens) becomes a TF-IDF vector (``features="tfidf"``, the
default) of its word 1-3 grams and the character 2-5 grams of each token padded
with a space on either side (:func:`tfidf_terms`; n-grams never cross a word
boundary): the term frequency is sublinear (``1 + log tf``), multiplied by the
term's idf (``1 + log((1 + n) / (1 + df))`` over the training utterances) and
the row is scaled to unit length, as scikit-learn's
:class:`~sklearn.feature_extraction.text.TfidfVectorizer` (``sublinear_tf=True``)
computes it. The older ``features="bag"`` reads the set of the attributes that a
feature set's extractors write for the tokens (:func:`intent_feature_set`:
lower-cased words, word bigrams, 3-letter prefixes and suffixes, shapes, cluster
ids), each present attribute with the value 1.

scikit-learn's :class:`~sklearn.linear_model.LogisticRegression` (L2, lbfgs,
multinomial) fits the weights; prediction is numpy only, from the stored
arrays: ``softmax(X @ coef.T + intercept)`` (for two classes, scikit-learn's
one-row logistic form). Nothing is pickled: the classes, the term (or
attribute) vocabulary, the idf weights, the coefficients and the intercepts are
plain blocks of the model file (:meth:`IntentClassifier.blocks`).

``features="tfidf+slots"`` adds the slot tagger's spans: the types of the
slots present (``s:`` terms) and the word n-grams (:data:`DELEX_NGRAMS`) of
the *delexicalised* utterance, where every slot span is replaced by its type
(``flights from <fromloc.city_name> to <toloc.city_name>``,
:func:`delexicalise`; ``d:`` terms), in the same TF-IDF row. Training reads the spans the CRF predicts for utterances it was not
trained on (jackknifed, :meth:`crftagger.slots.SlotFiller.train`), prediction
the spans of the full CRF.

Every label is one class, a multi-intent label such as
``atis_flight#atis_airfare`` included (as in the ATIS literature): the
classifier never predicts a combination it has not seen in training. (A
decomposition into one-vs-rest atomic intents, which could predict unseen
combinations, lost accuracy in 5-fold cross-validation on ATIS train + dev and
was not adopted; ``benchmarks/slots.md``.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from crftagger.errors import TaggerError

#: The token attributes of the bag (``crftagger.features`` template strings).
BAG_TEMPLATES = ("lw[0]", "lw[0]|lw[1]", "lw[-1]|lw[0]", "p3[0]", "s3[0]", "sshape[0]")
#: Regularisation values tried on dev (scikit-learn's inverse strength ``C``).
C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
#: The n-gram ranges of the TF-IDF features (inclusive): words, characters within a word.
WORD_NGRAMS = (1, 3)
CHAR_NGRAMS = (2, 5)
#: The word n-grams (inclusive) of the delexicalised utterance (``features="tfidf+slots"``).
DELEX_NGRAMS = (1, 3)
#: The feature kinds of :meth:`IntentClassifier.train`.
FEATURES = ("tfidf", "tfidf+slots", "bag")
#: The feature kinds that read the slot spans of each utterance.
SPAN_FEATURES = ("tfidf+slots",)
#: The estimators of :meth:`IntentClassifier.train`: a linear SVM whose scores are turned into
#: probabilities by one softmax temperature, or logistic regression.
ESTIMATORS = ("svm", "logreg")
#: ``C`` of the linear SVM when neither ``C`` nor dev data are given (5-fold cross-validation on
#: ATIS and SNIPS train + dev, ``benchmarks/slots.md``).
SVM_C = 3.0


def delexicalise(tokens: Sequence[str], spans: Sequence) -> list[str]:
    """``tokens`` with each slot span replaced by one token ``<type>``; ``spans`` are
    ``(type, start, end)`` triples (end exclusive) or objects with those attributes, not
    overlapping, within the utterance."""
    toks = [str(t) for t in tokens]
    starts: dict[int, tuple[str, int]] = {}
    last = 0
    for sp in sorted((_span(x) for x in spans), key=lambda x: x[1]):
        kind, a, b = sp
        if not (last <= a < b <= len(toks)):
            raise TaggerError(
                f"slot span {sp!r} overlaps another or lies outside the {len(toks)} tokens"
            )
        starts[a] = (kind, b)
        last = b
    out: list[str] = []
    i = 0
    while i < len(toks):
        if i in starts:
            kind, i = starts[i]
            out.append(f"<{kind}>")
        else:
            out.append(toks[i])
            i += 1
    return out


def _span(x) -> tuple[str, int, int]:
    if isinstance(x, tuple):
        kind, a, b = x
    else:
        kind, a, b = x.type, x.start, x.end
    return str(kind), int(a), int(b)


def tfidf_terms(
    tokens: Sequence[str],
    word_ngrams: Sequence[int] = WORD_NGRAMS,
    char_ngrams: Sequence[int] = CHAR_NGRAMS,
    spans: Sequence | None = None,
    delex_ngrams: Sequence[int] = DELEX_NGRAMS,
) -> list[str]:
    """The terms of one utterance, repeated as often as they occur: ``w:`` word n-grams
    (joined by a space) and ``c:`` character n-grams of each token padded as ``" tok "``
    (a padded token shorter than ``n`` gives itself once); with ``spans`` (the utterance's
    slot spans), ``s:`` the slot types present (once each) and ``d:`` word n-grams of
    :func:`delexicalise`'s utterance as well."""
    toks = [str(t) for t in tokens]
    out: list[str] = []
    for n in range(int(word_ngrams[0]), int(word_ngrams[1]) + 1):
        for i in range(len(toks) - n + 1):
            out.append("w:" + " ".join(toks[i : i + n]))
    for t in toks:
        w = f" {t} "
        for n in range(int(char_ngrams[0]), int(char_ngrams[1]) + 1):
            for i in range(max(len(w) - n + 1, 1)):
                out.append("c:" + w[i : i + n])
    if spans is not None:
        out.extend("s:" + kind for kind in sorted({_span(x)[0] for x in spans}))
        d = delexicalise(toks, spans)
        for n in range(int(delex_ngrams[0]), int(delex_ngrams[1]) + 1):
            for i in range(len(d) - n + 1):
                out.append("d:" + " ".join(d[i : i + n]))
    return out


def _tfidf_matrix(docs: Sequence[Sequence[str]], index: Mapping[str, int], idf: np.ndarray):
    """Sublinear-tf x idf, rows scaled to unit L2 norm (unknown terms dropped), as CSR."""
    from scipy import sparse

    indptr = [0]
    cols: list[int] = []
    vals: list[float] = []
    for terms in docs:
        counts: dict[int, int] = {}
        for term in terms:
            j = index.get(term)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        js = sorted(counts)
        cols.extend(js)
        vals.extend(counts[j] for j in js)
        indptr.append(len(cols))
    data = np.asarray(vals, dtype=np.float64)
    col = np.asarray(cols, dtype=np.int64)
    ptr = np.asarray(indptr, dtype=np.int64)
    if len(data):
        data = (1.0 + np.log(data)) * idf[col]
    row = np.repeat(np.arange(len(docs)), np.diff(ptr))
    norms = np.sqrt(np.bincount(row, weights=data * data, minlength=len(docs)))
    norms[norms == 0] = 1.0
    data = data / norms[row]
    return sparse.csr_matrix((data, col, ptr), shape=(len(docs), len(index)))


def intent_feature_set(slot_feature_set=None, cluster_fingerprints: Mapping | None = None):
    """The bag's feature set: :data:`BAG_TEMPLATES` plus, for every ``cluster`` extractor of
    ``slot_feature_set``, its cluster id at the token (the same extractor definition, with the
    fingerprint of its table from ``cluster_fingerprints`` when given)."""
    from crftagger.features import FeatureSet

    templates = list(BAG_TEMPLATES)
    extractors: dict[str, dict] = {}
    if slot_feature_set is not None:
        for name in slot_feature_set.used_extractors():
            d = slot_feature_set.extractor_def(name)
            if d.get("kind") != "cluster":
                continue
            d = dict(d)
            if cluster_fingerprints and name in cluster_fingerprints:
                d["fingerprint"] = cluster_fingerprints[name]
            extractors[name] = d
            templates.append(f"{name}[0]")
    return FeatureSet.from_templates(
        templates, pad=True, bos_eos=False, extractors=extractors, name="intent-bag"
    )


def _bag_matrix(data, n_features: int):
    """A binary CSR matrix, one row per sequence of ``data`` (attributes seen in it)."""
    from scipy import sparse

    n = data.n_sequences
    item_of = np.repeat(np.arange(data.n_items), np.diff(data.item_ptr))
    seq_of_item = np.repeat(np.arange(n), np.diff(data.seq_ptr))
    rows = seq_of_item[item_of] if len(item_of) else np.zeros(0, dtype=np.int64)
    cols = np.asarray(data.attr_ids, dtype=np.int64)
    keep = cols >= 0
    m = sparse.csr_matrix(
        (np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(n, n_features)
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


#: The longest word or character n-gram an intent model file may declare.
MAX_NGRAM = 10


class IntentClassifier:
    """Intent of an utterance from its tokens (see the module docstring).

    Parameters
    ----------
    feature_set : FeatureSet or None
        The bag's feature set (:func:`intent_feature_set`); ``None`` for TF-IDF features.
    attributes : Sequence[str]
        The term (TF-IDF) or attribute (bag) vocabulary, in column order of ``coef``.
    classes : Sequence[str]
        The intents, in row order of ``coef``.
    coef, intercept : ndarray
        ``(n_classes, n_attributes)`` and ``(n_classes,)``; for two classes
        ``(1, n_attributes)`` and ``(1,)`` (scikit-learn's binary form: the
        score of the second class). For the SVM, the softmax temperature is
        folded in: the stored rows are the SVM's times the inverse temperature.
    clusters : mapping, optional
        Word-cluster tables ``{fingerprint: Clusters}`` for the bag's cluster extractors.
    info : dict, optional
        Training notes (``C``, dev accuracy per ``C``, the estimator).
    idf : ndarray, optional
        The idf weight of each term (TF-IDF features); ``None`` for the bag.
    ngrams : mapping, optional
        ``{"word": [lo, hi], "char": [lo, hi]}`` of :func:`tfidf_terms` (TF-IDF features),
        and ``"delex": [lo, hi]`` for ``features="tfidf+slots"``.
    features : str, optional
        ``"tfidf"`` (the default with ``idf``) or ``"tfidf+slots"`` (the terms of the
        delexicalised utterance too: :meth:`predict` needs the slot spans).
    """

    #: The fitted scikit-learn estimator of :meth:`train` (in memory only, never saved).
    _sklearn: Any = None
    #: The fitted scikit-learn vectoriser of :meth:`train` (TF-IDF; in memory only).
    _vectorizer: Any = None

    def __init__(
        self,
        feature_set,
        attributes: Sequence[str],
        classes: Sequence[str],
        coef,
        intercept,
        clusters: Mapping | None = None,
        info: dict | None = None,
        idf=None,
        ngrams: Mapping | None = None,
        features: str | None = None,
    ):
        from crftagger.engine.encoding import Vocabulary

        self.feature_set = feature_set
        self.classes = list(classes)
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = np.ascontiguousarray(intercept, dtype=np.float64).reshape(-1)
        k = 1 if len(self.classes) == 2 else len(self.classes)
        if len(self.classes) < 2:
            raise TaggerError(f"an intent classifier needs two intents or more, found {classes!r}")
        if self.coef.shape != (k, len(attributes)) or self.intercept.shape != (k,):
            raise TaggerError(
                f"intent classifier: coef {self.coef.shape} and intercept {self.intercept.shape} "
                f"do not fit {len(self.classes)} intents and {len(attributes)} attributes "
                f"(expected ({k}, {len(attributes)}) and ({k},))"
            )
        if features is None:
            features = "bag" if idf is None else "tfidf"
        if features not in FEATURES or (features == "bag") != (idf is None):
            raise TaggerError(
                f"intent classifier: features {features!r} with "
                f"{'no idf' if idf is None else 'idf weights'}; expected 'bag' without idf or "
                "'tfidf' / 'tfidf+slots' with them"
            )
        self.features = features
        self.idf: np.ndarray | None = None
        self.ngrams = {"word": list(WORD_NGRAMS), "char": list(CHAR_NGRAMS)}
        if features in SPAN_FEATURES:
            self.ngrams["delex"] = list(DELEX_NGRAMS)
        if idf is not None:
            self.idf = np.ascontiguousarray(idf, dtype=np.float64).reshape(-1)
            if self.idf.shape != (len(attributes),) or not np.all(np.isfinite(self.idf)):
                raise TaggerError(
                    f"intent classifier: idf {self.idf.shape} does not fit {len(attributes)} "
                    "terms, or is not finite"
                )
            for key, (lo, hi) in dict(ngrams or {}).items():
                if key not in self.ngrams or not (
                    isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi <= MAX_NGRAM
                ):
                    raise TaggerError(f"intent classifier: bad n-gram range {key}={[lo, hi]!r}")
                self.ngrams[key] = [lo, hi]
            self._index = {t: j for j, t in enumerate(attributes)}
            if len(self._index) != len(attributes):
                raise TaggerError("intent classifier: the term vocabulary holds duplicates")
        elif feature_set is None:
            raise TaggerError("intent classifier: a bag of attributes needs its feature set")
        vocab = Vocabulary.from_list(list(attributes))
        vocab.freeze()
        self.attributes = vocab
        self.clusters = dict(clusters or {})
        self.info = dict(info or {})
        self._extractor = None

    @property
    def extractor(self):
        if self._extractor is None:
            self._extractor = self.feature_set.extractor(
                attributes=self.attributes, clusters=self.clusters
            )
        return self._extractor

    @property
    def uses_spans(self) -> bool:
        """Whether the features read the slot spans of each utterance (``"tfidf+slots"``)."""
        return self.features in SPAN_FEATURES

    def terms(self, tokens: Sequence[str], spans: Sequence | None = None) -> list[str]:
        """The TF-IDF terms of one utterance (:func:`tfidf_terms` with this model's ranges;
        ``spans``, its slot spans, are read by ``"tfidf+slots"`` features only)."""
        if not self.uses_spans:
            return tfidf_terms(tokens, self.ngrams["word"], self.ngrams["char"])
        if spans is None:
            raise TaggerError(
                "this intent classifier reads the slot spans of the utterance "
                "(features='tfidf+slots'); give spans="
            )
        return tfidf_terms(
            tokens, self.ngrams["word"], self.ngrams["char"], spans, self.ngrams["delex"]
        )

    def _all_terms(self, tokens: Sequence[Sequence[str]], spans: Sequence | None) -> list:
        if self.uses_spans:
            if spans is None or len(spans) != len(tokens):
                raise TaggerError(
                    f"{len(tokens)} utterances but "
                    f"{'no' if spans is None else len(spans)} span lists; this intent "
                    "classifier reads the slot spans of each utterance (features='tfidf+slots')"
                )
            return [self.terms(t, s) for t, s in zip(tokens, spans, strict=True)]
        return [self.terms(t) for t in tokens]

    # ------------------------------------------------------------------ training
    @staticmethod
    def _fit(X, y: Sequence[str], C: float, max_iter: int, estimator: str = "logreg"):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        clf: Any
        if estimator == "svm":
            clf = LinearSVC(C=C, max_iter=max_iter)
        else:
            clf = LogisticRegression(C=C, max_iter=max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, list(y))
        return clf

    @classmethod
    def _inverse_temperature(cls, X, y: Sequence[str], C: float, max_iter: int) -> float:
        """The SVM scores' inverse temperature: minimises the log loss of ``softmax(beta * s)``
        over 3-fold cross-validated scores (stratified, seed 0; a class missing from a fold's
        training part scores far below the others)."""
        from scipy.optimize import minimize_scalar
        from scipy.special import logsumexp
        from sklearn.model_selection import StratifiedKFold

        labels = np.asarray(list(y))
        classes = sorted(set(labels.tolist()))
        col = {c: j for j, c in enumerate(classes)}
        counts = {c: int(np.sum(labels == c)) for c in classes}
        strata = np.asarray([c if counts[c] >= 3 else "" for c in labels.tolist()])
        if len(set(strata.tolist())) < 2 or min(np.unique(strata, return_counts=True)[1]) < 3:
            return 1.0
        logits = np.zeros((len(labels), len(classes)))
        for tr, te in StratifiedKFold(3, shuffle=True, random_state=0).split(X, strata):
            if len(set(labels[tr].tolist())) < 2:
                return 1.0
            m = cls._fit(X[tr], labels[tr], C, max_iter, "svm")
            s = np.asarray(m.decision_function(X[te]), dtype=np.float64)
            if s.ndim == 1:
                s = np.stack([-s, s], axis=1)
            full = np.full((len(te), len(classes)), 0.0)
            full[:] = s.min(axis=1, keepdims=True) - 10.0
            full[:, [col[c] for c in m.classes_]] = s
            logits[te] = full
        gold = np.asarray([col[c] for c in labels.tolist()])

        def loss(log_beta: float) -> float:
            z = np.exp(log_beta) * logits
            return float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(gold)), gold]))

        res = minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded")
        return float(np.exp(res.x))

    @classmethod
    def train(
        cls,
        tokens: Sequence[Sequence[str]],
        intents: Sequence[str],
        *,
        dev_tokens: Sequence[Sequence[str]] | None = None,
        dev_intents: Sequence[str] | None = None,
        C: float | None = None,
        C_grid: Sequence[float] | None = None,
        feature_set=None,
        clusters: Mapping | None = None,
        max_iter: int | None = None,
        features: str = "tfidf",
        estimator: str = "svm",
        spans: Sequence | None = None,
        dev_spans: Sequence | None = None,
    ) -> IntentClassifier:
        """Fit on ``tokens`` (one token list per utterance) and their ``intents``.

        ``features``: ``"tfidf"`` (word 1-3 grams and character 2-5 grams, the
        default), ``"tfidf+slots"`` (those and the word n-grams of the utterance
        delexicalised by ``spans``, one list of ``(type, start, end)`` per
        utterance; ``dev_spans`` for the dev utterances) or ``"bag"`` (the
        attributes of ``feature_set``); ``estimator``:
        ``"svm"`` (a linear SVM, its scores made probabilities by a softmax with
        one temperature fitted on 3-fold cross-validated scores, the default) or
        ``"logreg"`` (multinomial logistic regression).

        ``C`` fixes the regularisation; otherwise each value of ``C_grid``
        (default: 0.3, 1, 3, 10 for the SVM, :data:`C_GRID` for logistic
        regression) is fitted on the training utterances and scored on the dev
        utterances, and the best (the smallest on a tie) is kept (without dev
        data: :data:`SVM_C` for the SVM, 10 for logistic regression).
        """
        from crftagger.engine.encoding import Vocabulary

        if features not in FEATURES:
            raise TaggerError(f"intent features {features!r}: expected one of {FEATURES}")
        if estimator not in ESTIMATORS:
            raise TaggerError(f"intent estimator {estimator!r}: expected one of {ESTIMATORS}")
        if len(tokens) != len(intents):
            raise TaggerError(f"{len(tokens)} utterances but {len(intents)} intents")
        uses_spans = features in SPAN_FEATURES
        if uses_spans and (spans is None or len(spans) != len(tokens)):
            raise TaggerError(
                f"intent features {features!r} read the slot spans: {len(tokens)} utterances "
                f"but {'no' if spans is None else len(spans)} span lists"
            )
        if not uses_spans:
            spans = dev_spans = None
        if len(set(intents)) < 2:
            raise TaggerError(
                f"intents: found {sorted(set(intents))}; expected at least two different intents"
            )
        if max_iter is None:
            max_iter = 5000 if estimator == "svm" else 1000
        if C_grid is None:
            C_grid = (0.3, 1.0, 3.0, 10.0) if estimator == "svm" else C_GRID
        fs = None
        vec = None
        fx = None
        if features != "bag":
            from sklearn.feature_extraction.text import TfidfVectorizer

            def docs(toks, sps):
                if sps is None:
                    return [tfidf_terms(t) for t in toks]
                return [
                    tfidf_terms(t, spans=sp, delex_ngrams=DELEX_NGRAMS)
                    for t, sp in zip(toks, sps, strict=True)
                ]

            vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, lowercase=False)
            X = vec.fit_transform(docs(tokens, spans))
            names = [str(t) for t in vec.get_feature_names_out()]

            def transform(toks):
                if uses_spans and (dev_spans is None or len(dev_spans) != len(toks)):
                    raise TaggerError(
                        f"intent features {features!r}: {len(toks)} dev utterances but "
                        f"{'no' if dev_spans is None else len(dev_spans)} dev span lists"
                    )
                return vec.transform(docs(toks, dev_spans))
        else:
            fs = feature_set if feature_set is not None else intent_feature_set()
            vocab = Vocabulary()
            fx = fs.extractor(attributes=vocab, clusters=clusters)
            data = fx.transform([list(t) for t in tokens])
            fx.freeze()
            X = _bag_matrix(data, len(vocab))
            names = list(vocab.items)

            def transform(toks):
                return _bag_matrix(fx.transform([list(t) for t in toks]), len(vocab))

        scores: dict[str, float] = {}
        if C is None:
            if dev_tokens is not None and dev_intents is not None and len(dev_tokens):
                Xd = transform(dev_tokens)
                best = None
                for c in C_grid:
                    clf = cls._fit(X, intents, c, max_iter, estimator)
                    acc = float(np.mean(clf.predict(Xd) == np.asarray(list(dev_intents))))
                    scores[repr(float(c))] = acc
                    if best is None or acc > best[1]:
                        best = (float(c), acc)
                assert best is not None
                C = best[0]
            else:
                C = SVM_C if estimator == "svm" else 10.0
        clf = cls._fit(X, intents, float(C), max_iter, estimator)
        coef = np.asarray(clf.coef_, dtype=np.float64)
        intercept = np.asarray(clf.intercept_, dtype=np.float64)
        info: dict[str, Any] = {
            "features": features,
            "estimator": estimator,
            "C": float(C),
            "dev_accuracy_by_C": scores,
            "n_utterances": len(tokens),
        }
        if estimator == "svm":
            beta = cls._inverse_temperature(X, intents, float(C), max_iter)
            info["inverse_temperature"] = beta
            # softmax(beta * s); two classes: scores (-s, s), so p1 = sigmoid(2 * beta * s)
            factor = 2.0 * beta if len(clf.classes_) == 2 else beta
            coef, intercept = coef * factor, intercept * factor
        out = cls(
            fs,
            names,
            [str(c) for c in clf.classes_],
            coef,
            intercept,
            clusters=clusters if features == "bag" else None,
            info=info,
            idf=None if vec is None else vec.idf_,
            features=features,
        )
        out._extractor = fx
        out._sklearn = clf  # kept in memory only (tests compare against it); never saved
        out._vectorizer = vec
        return out

    # ------------------------------------------------------------------ prediction
    def matrix(self, tokens: Sequence[Sequence[str]], spans: Sequence | None = None):
        """The feature matrix of the utterances (unknown terms or attributes dropped);
        ``spans``: the slot spans of each utterance, read by ``"tfidf+slots"`` features."""
        if self.idf is not None:
            return _tfidf_matrix(self._all_terms(tokens, spans), self._index, self.idf)
        return _bag_matrix(
            self.extractor.transform([list(t) for t in tokens]), len(self.attributes)
        )

    def predict_proba(
        self, tokens: Sequence[Sequence[str]], spans: Sequence | None = None
    ) -> np.ndarray:
        """``(n_utterances, n_classes)`` probabilities, classes in :attr:`classes` order
        (``spans`` as for :meth:`matrix`)."""
        if not len(tokens):
            return np.zeros((0, len(self.classes)))
        scores = np.asarray(self.matrix(tokens, spans) @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(
        self, tokens: Sequence[Sequence[str]], spans: Sequence | None = None
    ) -> list[tuple[str, float]]:
        """``(intent, probability)`` of each utterance (``spans`` as for :meth:`matrix`)."""
        p = self.predict_proba(tokens, spans)
        best = p.argmax(axis=1) if len(p) else np.zeros(0, dtype=int)
        return [(self.classes[int(k)], float(p[i, k])) for i, k in enumerate(best)]

    # ------------------------------------------------------------------ files
    def blocks(self, cluster_fingerprints: Mapping | None = None) -> tuple[dict, dict]:
        """``(arrays, header)``: the model-file blocks (``classes``, ``attributes``, ``coef``,
        ``intercept``, and ``idf`` for TF-IDF features) and the header fields (the features:
        the bag's feature set or the n-gram ranges; the sizes; ``info``)."""
        arrays: dict[str, Any] = {
            "classes": list(self.classes),
            "attributes": list(self.attributes.items),
            "coef": self.coef,
            "intercept": self.intercept,
        }
        header: dict[str, Any] = {
            "features": self.features,
            "n_classes": len(self.classes),
            "n_attributes": len(self.attributes),
            "info": self.info,
        }
        if self.idf is not None:
            arrays["idf"] = self.idf
            header["ngrams"] = {k: list(v) for k, v in self.ngrams.items()}
            return arrays, header
        fs_dict = self.feature_set.to_dict()
        fps = dict(cluster_fingerprints or {})
        fx = self._extractor
        if fx is not None:
            fps.update(getattr(fx, "cluster_fingerprints", {}))
        for name, d in fs_dict["extractors"].items():
            if d.get("kind") == "cluster" and name in fps:
                d["fingerprint"] = fps[name]
        header["feature_set"] = fs_dict
        return arrays, header

    @classmethod
    def from_blocks(
        cls, arrays: Mapping, header: Mapping, clusters: Mapping | None, where: str
    ) -> IntentClassifier:
        """The classifier of :meth:`blocks`' output; every block is checked first."""
        from crftagger.features import FeatureSet

        features = header.get("features", "bag")  # files without the field hold a bag
        if features not in FEATURES:
            raise TaggerError(f"{where}: intent features {features!r}, expected one of {FEATURES}")
        tfidf = features != "bag"
        needed = [
            ("classes", list),
            ("attributes", list),
            ("coef", np.ndarray),
            ("intercept", np.ndarray),
        ]
        if tfidf:
            needed.append(("idf", np.ndarray))
        for name, kind in needed:
            if not isinstance(arrays.get(name), kind):
                raise TaggerError(
                    f"{where}: intent block {name!r} is "
                    f"{'missing' if name not in arrays else type(arrays[name]).__name__}; "
                    f"expected {'a string block' if kind is list else 'an array'}"
                )
        for key, n in (
            ("n_classes", len(arrays["classes"])),
            ("n_attributes", len(arrays["attributes"])),
        ):
            if header.get(key) != n:
                raise TaggerError(
                    f"{where}: header says {key}={header.get(key)!r}, the blocks hold {n}"
                )
        for name in ("coef", "intercept") + (("idf",) if tfidf else ()):
            a = arrays[name]
            if a.dtype != np.float64 or not np.all(np.isfinite(a)):
                raise TaggerError(f"{where}: intent {name} is not finite float64")
        try:
            if tfidf:
                ngrams = header.get("ngrams")
                keys = {"word", "char"} | ({"delex"} if features in SPAN_FEATURES else set())
                if not isinstance(ngrams, Mapping) or set(ngrams) != keys:
                    raise ValueError(
                        f"intent n-gram ranges {str(ngrams)[:80]}: expected the ranges "
                        f"{sorted(keys)} of {features!r} features"
                    )
                if not all(
                    isinstance(v, list)
                    and len(v) == 2
                    and all(type(x) is int for x in v)
                    and 1 <= v[0] <= v[1] <= MAX_NGRAM
                    for v in ngrams.values()
                ):
                    raise ValueError(
                        f"intent n-gram ranges {str(ngrams)[:80]} are not [lo, hi] pairs with "
                        f"1 <= lo <= hi <= {MAX_NGRAM}"
                    )
                return cls(
                    None,
                    arrays["attributes"],
                    arrays["classes"],
                    arrays["coef"],
                    arrays["intercept"],
                    info=header.get("info") or {},
                    idf=arrays["idf"],
                    ngrams={k: (v[0], v[1]) for k, v in ngrams.items()},
                    features=features,
                )
            from crftagger.features.spec import check_model_feature_set

            check_model_feature_set(header.get("feature_set"), where, clusters or {})
            fs = FeatureSet.from_dict(header.get("feature_set"))
            return cls(
                fs,
                arrays["attributes"],
                arrays["classes"],
                arrays["coef"],
                arrays["intercept"],
                clusters=clusters,
                info=header.get("info") or {},
            )
        except ValueError as exc:
            raise TaggerError(f"{where}: {exc}") from None


def _identity(terms):
    return terms
