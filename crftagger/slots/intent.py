"""The intent classifier: multinomial logistic regression over a bag of token attributes.

An utterance becomes the set of the attributes that a feature set's
extractors write for its tokens (:func:`intent_feature_set`): lower-cased
words, word bigrams (the sentence ends padded), 3-letter prefixes and
suffixes, word shapes and, when the slot feature set reads word clusters,
the same cluster-id prefixes; each present attribute has the value 1.
scikit-learn's :class:`~sklearn.linear_model.LogisticRegression` (L2, lbfgs,
multinomial) fits the weights; prediction is numpy only, from the stored
arrays: ``softmax(X @ coef.T + intercept)`` (for two classes, scikit-learn's
one-row logistic form). Nothing is pickled: the classes, the attribute
vocabulary, the coefficients and the intercepts are plain blocks of the
model file (:meth:`IntentClassifier.blocks`).

Every label is one class, a multi-intent label such as
``atis_flight#atis_airfare`` included (as in the ATIS literature): the
classifier never predicts a combination it has not seen in training.
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


class IntentClassifier:
    """Intent of an utterance from its tokens (see the module docstring).

    Parameters
    ----------
    feature_set : FeatureSet
        The bag's feature set (:func:`intent_feature_set`).
    attributes : Sequence[str]
        The attribute vocabulary, in column order of ``coef``.
    classes : Sequence[str]
        The intents, in row order of ``coef``.
    coef, intercept : ndarray
        ``(n_classes, n_attributes)`` and ``(n_classes,)``; for two classes
        ``(1, n_attributes)`` and ``(1,)`` (scikit-learn's binary form: the
        score of the second class).
    clusters : mapping, optional
        Word-cluster tables ``{fingerprint: Clusters}`` for the cluster extractors.
    info : dict, optional
        Training notes (``C``, dev accuracy per ``C``).
    """

    #: The fitted scikit-learn estimator of :meth:`train` (in memory only, never saved).
    _sklearn: Any = None

    def __init__(
        self,
        feature_set,
        attributes: Sequence[str],
        classes: Sequence[str],
        coef,
        intercept,
        clusters: Mapping | None = None,
        info: dict | None = None,
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

    # ------------------------------------------------------------------ training
    @staticmethod
    def _fit(X, y: Sequence[str], C: float, max_iter: int):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=C, max_iter=max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, list(y))
        return clf

    @classmethod
    def train(
        cls,
        tokens: Sequence[Sequence[str]],
        intents: Sequence[str],
        *,
        dev_tokens: Sequence[Sequence[str]] | None = None,
        dev_intents: Sequence[str] | None = None,
        C: float | None = None,
        C_grid: Sequence[float] = C_GRID,
        feature_set=None,
        clusters: Mapping | None = None,
        max_iter: int = 1000,
    ) -> IntentClassifier:
        """Fit on ``tokens`` (one token list per utterance) and their ``intents``.

        ``C`` fixes the regularisation; otherwise each value of ``C_grid`` is
        fitted on the training utterances and scored on the dev utterances,
        and the best (the smallest on a tie) is kept (without dev data: 10).
        """
        from crftagger.engine.encoding import Vocabulary

        if len(tokens) != len(intents):
            raise TaggerError(f"{len(tokens)} utterances but {len(intents)} intents")
        if len(set(intents)) < 2:
            raise TaggerError(
                f"intents: found {sorted(set(intents))}; expected at least two different intents"
            )
        fs = feature_set if feature_set is not None else intent_feature_set()
        vocab = Vocabulary()
        fx = fs.extractor(attributes=vocab, clusters=clusters)
        data = fx.transform([list(t) for t in tokens])
        fx.freeze()
        X = _bag_matrix(data, len(vocab))
        scores: dict[str, float] = {}
        if C is None:
            if dev_tokens is not None and dev_intents is not None and len(dev_tokens):
                Xd = _bag_matrix(fx.transform([list(t) for t in dev_tokens]), len(vocab))
                best = None
                for c in C_grid:
                    clf = cls._fit(X, intents, c, max_iter)
                    acc = float(np.mean(clf.predict(Xd) == np.asarray(list(dev_intents))))
                    scores[repr(float(c))] = acc
                    if best is None or acc > best[1]:
                        best = (float(c), acc)
                assert best is not None
                C = best[0]
            else:
                C = 10.0
        clf = cls._fit(X, intents, float(C), max_iter)
        out = cls(
            fs,
            list(vocab.items),
            [str(c) for c in clf.classes_],
            clf.coef_,
            clf.intercept_,
            clusters=clusters,
            info={"C": float(C), "dev_accuracy_by_C": scores, "n_utterances": len(tokens)},
        )
        out._extractor = fx
        out._sklearn = clf  # kept in memory only (tests compare against it); never saved
        return out

    # ------------------------------------------------------------------ prediction
    def matrix(self, tokens: Sequence[Sequence[str]]):
        """The binary bag matrix of the utterances (unknown attributes dropped)."""
        return _bag_matrix(
            self.extractor.transform([list(t) for t in tokens]), len(self.attributes)
        )

    def predict_proba(self, tokens: Sequence[Sequence[str]]) -> np.ndarray:
        """``(n_utterances, n_classes)`` probabilities, classes in :attr:`classes` order."""
        if not len(tokens):
            return np.zeros((0, len(self.classes)))
        scores = np.asarray(self.matrix(tokens) @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack([1.0 - p1, p1], axis=1)
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, tokens: Sequence[Sequence[str]]) -> list[tuple[str, float]]:
        """``(intent, probability)`` of each utterance."""
        p = self.predict_proba(tokens)
        best = p.argmax(axis=1) if len(p) else np.zeros(0, dtype=int)
        return [(self.classes[int(k)], float(p[i, k])) for i, k in enumerate(best)]

    # ------------------------------------------------------------------ files
    def blocks(self, cluster_fingerprints: Mapping | None = None) -> tuple[dict, dict]:
        """``(arrays, header)``: the model-file blocks (``classes``, ``attributes``, ``coef``,
        ``intercept``) and the header fields (the bag's feature set, its size, ``info``)."""
        fs_dict = self.feature_set.to_dict()
        fps = dict(cluster_fingerprints or {})
        fx = self._extractor
        if fx is not None:
            fps.update(getattr(fx, "cluster_fingerprints", {}))
        for name, d in fs_dict["extractors"].items():
            if d.get("kind") == "cluster" and name in fps:
                d["fingerprint"] = fps[name]
        arrays = {
            "classes": list(self.classes),
            "attributes": list(self.attributes.items),
            "coef": self.coef,
            "intercept": self.intercept,
        }
        header = {
            "feature_set": fs_dict,
            "n_classes": len(self.classes),
            "n_attributes": len(self.attributes),
            "info": self.info,
        }
        return arrays, header

    @classmethod
    def from_blocks(
        cls, arrays: Mapping, header: Mapping, clusters: Mapping | None, where: str
    ) -> IntentClassifier:
        """The classifier of :meth:`blocks`' output; every block is checked first."""
        from crftagger.features import FeatureSet

        for name, kind in (
            ("classes", list),
            ("attributes", list),
            ("coef", np.ndarray),
            ("intercept", np.ndarray),
        ):
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
        coef = arrays["coef"]
        if coef.dtype != np.float64 or not np.all(np.isfinite(coef)):
            raise TaggerError(f"{where}: intent coef is not finite float64")
        try:
            fs = FeatureSet.from_dict(header.get("feature_set"))
            return cls(
                fs,
                arrays["attributes"],
                arrays["classes"],
                coef,
                arrays["intercept"],
                clusters=clusters,
                info=header.get("info") or {},
            )
        except ValueError as exc:
            raise TaggerError(f"{where}: {exc}") from None
