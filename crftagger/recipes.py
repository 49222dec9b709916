"""Tuned training settings per registered corpus ("recipes").

A recipe says how crftagger trains its best model of a corpus: the named
feature set of the corpus' task (reading the input columns the corpus has),
the word clusters it adds (learned from the train and dev text of listed
corpora, never from a test split), the training scheme and the L-BFGS
regularisation. Every value was chosen on dev splits (every 10th training
sentence where a corpus has none). ``crftagger benchmark`` measures these
recipes and ``crftagger train CORPUS --recipe`` applies one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Training parameters used where a corpus has no entry of its own (CRFsuite's names).
DEFAULT_PARAMS = {"algorithm": "lbfgs", "c1": 0.1, "c2": 0.1}
#: Iteration cap of a recipe (CRFsuite's convergence test may stop earlier).
MAX_ITERATIONS = 150

#: Training scheme of corpora not trained in their own scheme. CoNLL-2003 is
#: IOB1, where most spans start with ``I-``; BIOES gives every span boundary a
#: label of its own. Chosen on the dev split (100 iterations): span F1 BIOES
#: 90.40, IOB1 90.10, IOB2 89.83. CoNLL-2000 chunking stays in IOB2 (carved dev:
#: IOB2 94.93, BIOES 94.77, IOE2 94.64, IOE1 94.55, IOB1 94.49; token majority votes
#: of three or five of these models 94.72 to 94.99).
TRAIN_SCHEMES: dict[str, str] = {"conll2003": "bioes"}

#: Per-corpus regularisation (``c1``, ``c2``) and iteration cap
#: (``max_iterations``) where they differ from :data:`DEFAULT_PARAMS` and
#: :data:`MAX_ITERATIONS`. ATIS (slots v3 with clusters, dev span F1):
#: c1/c2 0.1/0.1 95.69, 0.05/0.01 95.96; with slots v4, by 5-fold
#: cross-validation on train: 0.05/0.01 96.72, 0.02/0.01 96.72, 0.1/0.01
#: 96.67, 0.05/0.05 96.58, 0.1/0.1 96.49 (slots v5, the current default:
#: 97.35 at 0.05/0.01). MIT Restaurant, chosen by 5-fold
#: cross-validation on the training split (its carved dev split is small and
#: disagreed with the test split before): slots v3 with clusters at c2 = 0.1
#: 77.38, 0.3 77.70, 0.5 77.82, 1.0 77.76 (c1 0.3: 77.10; 300 iterations:
#: 77.49); slots v2 with clusters at c2 = 0.1 77.51, at 0.3 77.93 (with slots
#: v5's stem bags 77.67; trained in BIOES 77.62; c1 0.05 77.74, c1 0.02 77.76);
#: in contiguous blocks of sentences, c1/c2 0.1/0.3 76.97, 0.1/0.1 76.54, 0.1/1.0
#: 76.92, 0.05/0.3 76.77, 0.2/0.3 76.78 (the sklearn-crfsuite tutorial baseline
#: 75.92 there, 76.64 in folds of every 5th sentence).
#: WNUT-17 keeps 0.1/0.1: dev span F1 with the best O bias of each, 0.1/0.1
#: 40.53 (bias -1.0), 0.05/0.05 40.16 (-1.0), 0.02/0.1 40.85 (-1.5), 0.02/0.3
#: 41.07 (-1.5), within the noise of its 1,000-sentence dev split. CoNLL-2002 Spanish (second
#: order, see :data:`ORDERS`), by 5-fold cross-validation on train in contiguous
#: blocks of sentences (folds of every 5th sentence share documents and reward
#: memorising their names: the same models score 84 to 85 there):
#: c1/c2 0.1/0.1 79.18, 0.02/0.2 79.71, 0.01/0.2 79.78 (first order 79.07 and
#: 79.54); dev 78.89, 78.97 and 78.80. CoNLL-2000 in the same blocks: 0.1/0.1
#: 94.09, 0.02/0.2 94.06.
CORPUS_PARAMS: dict[str, dict[str, float]] = {
    "atis": {"c1": 0.05, "c2": 0.01},
    "conll2002_es": {"c1": 0.02, "c2": 0.2},
    "mit_restaurant": {"c2": 0.3},
}

_ENGLISH_TEXT = ("conll2003", "conll2000", "ud_english_ewt", "wnut17")
_SLOT_TEXT = ("atis", "snips", "mit_restaurant", *_ENGLISH_TEXT)

#: Unlabelled text (train and dev splits, never test) of the word clusters a
#: corpus' feature set gets. On dev: WNUT-17 (``ner`` v2, 100 iterations)
#: 24.91 -> 30.31 with clusters; CoNLL-2002 Spanish 75.99 (v1) -> 77.15; the
#: slot corpora learn from their own and the English text (``slots``, dev span
#: F1 without -> with clusters: ATIS 95.51 -> 95.66, MIT Restaurant 77.39 ->
#: 78.53, SNIPS 93.40 -> 93.77); EWT UPOS (``pos`` v2, dev accuracy) 95.01 ->
#: 95.12 with clusters looked up lower-cased (95.02 case-sensitive), and
#: 95.51 with the cross-validated tag dictionary of ``pos`` v3 (93.45 when the
#: dictionary is not cross-validated; folds of sentences instead of documents
#: 95.24 for a smaller set of its templates, whose documents figure is 95.33). CoNLL-2000
#: chunking has none: 94.93 -> 94.85 on dev with them.
CLUSTER_TEXT: dict[str, tuple[str, ...]] = {
    "conll2003": _ENGLISH_TEXT,
    "wnut17": _ENGLISH_TEXT,
    "ud_english_ewt": _ENGLISH_TEXT,
    "conll2002_es": ("conll2002_es",),
    "atis": _SLOT_TEXT,
    "snips": _SLOT_TEXT,
    "mit_restaurant": _SLOT_TEXT,
}

#: Parameters of :func:`crftagger.features.clusterlearn.learn` per corpus,
#: where they differ from its defaults. CoNLL-2002 Spanish keeps the defaults:
#: dev span F1 77.44 with ``min_count=1``, 77.92 with ``n_contexts=1000``, 78.52
#: with ``window=1`` against 78.23, which 5-fold cross-validation on train does
#: not confirm (84.03 against 84.20). ATIS with ``window=1``: dev 96.69 against 96.92.
CLUSTER_PARAMS: dict[str, dict] = {}

#: Parameters of the named feature set per corpus, beyond the input columns
#: and clusters. WNUT-17 (``ner`` v3, dev span F1): names matched case-sensitively
#: 35.00, case-folded 38.34, and with every gazetteer case-folded 38.73. Spanish
#: has no name lists (dev 77.22 without, 77.09 with Spanish names and country names)
#: and reads bags of the words 3 to 6 tokens away on either side (dev 77.22 ->
#: 78.23; other ranges 77.27 to 77.84, see ``ner`` v3's ``context_bags``; with
#: a tag dictionary of the entity labels as well: 77.40; with bags of 5-letter
#: stems as well, ``p5{-6..-3}`` and ``p5{3..6}`` 77.45, ``p5{-6..-1}`` and
#: ``p5{1..6}`` 78.05, 4-letter stems at -6..-3 and 3..6 78.05). ATIS and SNIPS
#: use the default ``slots`` (v5; SNIPS dev 93.74 with v4 -> 93.91, 5-fold
#: cross-validation on train 93.90 -> 93.88).
#: MIT Restaurant keeps ``slots`` v2 (5-fold cross-validation on train, see
#: :data:`CORPUS_PARAMS`; the v4 left bag of words: dev span F1 78.50 without,
#: 78.25 with ``lw{-15..-5}``, cross-validated 77.38 -> 77.36; a dictionary of
#: the phrases labelled as spans in training, ``span_dictionary``: 77.93 ->
#: 77.93, and the same in 10 folds of its own: 78.04). A ``version``
#: entry picks an older version of the task's feature set.
FEATURE_PARAMS: dict[str, dict] = {
    "ud_english_ewt": {"clusters_lowercase": True},
    "wnut17": {"names_case_sensitive": False, "gazetteer_case_sensitive": False},
    "conll2002_es": {"names": None, "context_bags": [[-6, -3], [3, 6]]},
    "mit_restaurant": {"version": 2},
}


#: CRF order per corpus (1 where absent), for crftagger's own engine; the
#: CRFsuite rows of the benchmark stay first order. Second order
#: (:mod:`crftagger.engine.second_order`) against first order with the same features
#: and c1/c2, span F1: CoNLL-2002 Spanish dev 78.23 -> 78.89, 5-fold
#: cross-validation on train 84.20 -> 84.47. With the first-order control
#: decoded over the same label pairs (trigram weights held at 0), dev or carved
#: dev: CoNLL-2000 94.99 -> 94.94, MIT Restaurant 78.84 -> 78.39, WNUT-17
#: 38.07 -> 38.36 (noise; left first order), ATIS 96.21 -> 96.41 (but 97.39 for
#: the plain first-order model, which may output label bigrams never seen in
#: training: 27 of the 5,703 label bigrams of ATIS dev are not in train).
#: MIT Restaurant by 5-fold cross-validation on train with the engine: first
#: order 77.93, second order 77.88. CoNLL-2000 by 5-fold cross-validation in
#: contiguous blocks: first order 94.09, second order 94.10 (c1/c2 0.02/0.2: 94.09).
ORDERS: dict[str, int] = {"conll2002_es": 2}

#: Decoding bias of the outside label per corpus (0 where absent; see
#: :attr:`crftagger.api.tagger.Tagger.o_bias`), for crftagger's own rows; the
#: CRFsuite rows decode plainly. WNUT-17 dev span F1 by bias: 0 38.73, -0.5
#: 39.57, -1.0 40.56, -1.5 39.74, -2.0 35.57, -3.0 18.53. Left at 0, by 5-fold
#: cross-validation on train (bias 0 / +0.5 / -0.25 / -0.5 / -1.0): MIT
#: Restaurant 77.92 / 77.81 / 77.82 / 77.56 / 76.48; CoNLL-2000 94.36 / 94.35 /
#: 94.34 / 94.31 / 94.23; CoNLL-2002 Spanish (second order) 84.47 / 84.52 /
#: 84.36 / 84.24 / 83.75 (its dev split: 78.89 / 78.47 / 79.14 / 79.00 / 78.70).
O_BIAS: dict[str, float] = {"wnut17": -1.0}


def corpus_params(corpus: str) -> dict:
    """``{"c1": ..., "c2": ..., "max_iterations": ...}`` of ``corpus``."""
    own = CORPUS_PARAMS.get(corpus, {})
    out = {k: own.get(k, DEFAULT_PARAMS[k]) for k in ("c1", "c2")}
    out["max_iterations"] = int(own.get("max_iterations", MAX_ITERATIONS))
    return out


def cluster_file(corpus: str, data_dir=None):
    """The learned word-cluster file of ``corpus`` (learned once, then cached), or ``None``."""
    if corpus not in CLUSTER_TEXT:
        return None
    from crftagger.features import clusterlearn

    text = clusterlearn.corpus_text(CLUSTER_TEXT[corpus], ("train", "dev"), data_dir)
    return clusterlearn.learn_cached(text, **CLUSTER_PARAMS.get(corpus, {}))


def feature_set_for(info, data_dir=None, learned_clusters: bool = False):
    """The named feature set of ``info.task`` (a :class:`~crftagger.corpora.registry.CorpusInfo`).

    ``chunk`` and ``ner`` read the ``pos`` / ``chunk`` columns when the corpus
    provides them (never the label column); ``pos`` and ``slots`` read tokens
    only. With ``learned_clusters``, a corpus of :data:`CLUSTER_TEXT` also gets
    word clusters learned from that text (cached in the user cache).
    """
    from crftagger.features import feature_set

    params = dict(FEATURE_PARAMS.get(info.name, {}))
    if info.task in ("chunk", "ner"):
        params["columns"] = [c for c in ("pos", "chunk") if c in info.columns and c != info.label_column]
    if learned_clusters and info.name in CLUSTER_TEXT:
        params["clusters"] = str(cluster_file(info.name, data_dir))
    return feature_set(info.task, **params)


@dataclass(frozen=True)
class Recipe:
    """The tuned settings of one corpus (see the module docstring)."""

    corpus: str
    c1: float
    c2: float
    train_scheme: str | None
    cluster_text: tuple[str, ...] = ()
    cluster_params: dict = field(default_factory=dict)
    max_iterations: int = MAX_ITERATIONS
    feature_params: dict = field(default_factory=dict)
    order: int = 1
    o_bias: float = 0.0

    def feature_set(self, data_dir=None):
        """The recipe's feature set; learns (or reuses the cached) word clusters."""
        from crftagger.corpora import get

        return feature_set_for(get(self.corpus), data_dir, learned_clusters=True)

    def train_params(self) -> dict:
        """CRF parameters (CRFsuite's names)."""
        return {"algorithm": DEFAULT_PARAMS["algorithm"], "c1": self.c1, "c2": self.c2,
                "max_iterations": self.max_iterations}


def recipe(corpus: str) -> Recipe:
    """The recipe of a registered corpus (every registered corpus has one)."""
    from crftagger.corpora import get

    info = get(corpus)
    p = corpus_params(info.name)
    return Recipe(info.name, p["c1"], p["c2"], TRAIN_SCHEMES.get(info.name),
                  tuple(CLUSTER_TEXT.get(info.name, ())), dict(CLUSTER_PARAMS.get(info.name, {})),
                  p["max_iterations"], dict(FEATURE_PARAMS.get(info.name, {})), ORDERS.get(info.name, 1),
                  float(O_BIAS.get(info.name, 0.0)))
