"""Tuned training settings per registered corpus ("recipes"), one record per corpus.

A recipe says how crftagger trains its best model of a corpus: the named
feature set of the corpus' task (reading the input columns the corpus has)
with its parameters, the word clusters it adds (learned from the train and
dev text of listed corpora, never from a test split), the training scheme,
the CRF order, the L-BFGS regularisation and the decoding bias of the outside
label. Every value was chosen on dev splits or by cross-validation on train;
what was tried and what it scored is in ``benchmarks/experiments.md``.

One path applies a recipe: ``Tagger.train(data, recipe="conll2002_es")``,
for the registered corpus itself or for a user's own sentences with the same
columns. ``crftagger train --recipe`` and the benchmark call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: Iteration cap of a recipe (CRFsuite's convergence test may stop earlier).
MAX_ITERATIONS = 150

_ENGLISH_TEXT = ("conll2003", "conll2000", "ud_english_ewt", "wnut17")
_SLOT_TEXT = ("atis", "snips", "mit_restaurant", *_ENGLISH_TEXT)


@dataclass(frozen=True)
class Recipe:
    """The tuned settings of one corpus (see the module docstring)."""

    corpus: str
    c1: float = 0.1
    c2: float = 0.1
    train_scheme: str | None = None
    cluster_text: tuple[str, ...] = ()
    cluster_params: dict = field(default_factory=dict)
    max_iterations: int = MAX_ITERATIONS
    feature_params: dict = field(default_factory=dict)
    order: int = 1
    o_bias: float = 0.0
    algorithm: str = "lbfgs"

    def feature_set(self, data_dir=None):
        """The recipe's feature set; learns (or reuses the cached) word clusters."""
        from crftagger.corpora import get

        return feature_set_for(get(self.corpus), data_dir, learned_clusters=True, recipe=self)

    def train_params(self) -> dict:
        """CRF parameters (CRFsuite's names)."""
        return {
            "algorithm": self.algorithm,
            "c1": self.c1,
            "c2": self.c2,
            "max_iterations": self.max_iterations,
        }

    def replace(self, **changes) -> Recipe:
        """A copy with ``changes`` (e.g. ``c2=0.5``)."""
        return replace(self, **changes)


#: The recipe of every registered corpus.
RECIPES: dict[str, Recipe] = {
    r.corpus: r
    for r in (
        Recipe("conll2000"),
        Recipe("conll2003", train_scheme="bioes", cluster_text=_ENGLISH_TEXT),
        Recipe(
            "conll2002_es",
            c1=0.02,
            c2=0.2,
            cluster_text=("conll2002_es",),
            order=2,
            feature_params={"names": None, "context_bags": [[-6, -3], [3, 6]]},
        ),
        Recipe(
            "ud_english_ewt",
            cluster_text=_ENGLISH_TEXT,
            feature_params={"clusters_lowercase": True},
        ),
        Recipe(
            "wnut17",
            cluster_text=_ENGLISH_TEXT,
            o_bias=-1.0,
            feature_params={"names_case_sensitive": False, "gazetteer_case_sensitive": False},
        ),
        Recipe("mit_restaurant", c2=0.3, cluster_text=_SLOT_TEXT, feature_params={"version": 2}),
        Recipe("atis", c1=0.05, c2=0.01, cluster_text=_SLOT_TEXT),
        Recipe("snips", cluster_text=_SLOT_TEXT),
    )
}


def recipe(corpus: str) -> Recipe:
    """The recipe of a registered corpus (every registered corpus has one)."""
    from crftagger.corpora import get

    info = get(corpus)
    if info.name not in RECIPES:
        raise KeyError(f"no recipe for the corpus {info.name!r}")
    return RECIPES[info.name]


def get_recipe(value) -> Recipe:
    """A :class:`Recipe` from a recipe or the name of a registered corpus."""
    return value if isinstance(value, Recipe) else recipe(value)


def cluster_file(corpus: str, data_dir=None, r: Recipe | None = None):
    """The learned word-cluster file of ``corpus``' recipe (learned once, then cached), or ``None``."""
    r = r or RECIPES.get(corpus)
    if r is None or not r.cluster_text:
        return None
    from crftagger.corpora import corpus_text
    from crftagger.features import clusterlearn

    text = corpus_text(r.cluster_text, ("train", "dev"), data_dir)
    return clusterlearn.learn_cached(text, **r.cluster_params)


def feature_set_for(
    info, data_dir=None, learned_clusters: bool = False, recipe: Recipe | None = None
):
    """The named feature set of ``info.task`` (a :class:`~crftagger.corpora.registry.CorpusInfo`).

    ``chunk`` and ``ner`` read the ``pos`` / ``chunk`` columns when the corpus
    provides them (never the label column); ``pos`` and ``slots`` read tokens
    only. The parameters are the recipe's (``recipe``, else the corpus'
    own); with ``learned_clusters`` a recipe with cluster text also gets word
    clusters learned from that text (cached in the user cache).
    """
    from crftagger.features import feature_set

    r = recipe or RECIPES.get(info.name) or Recipe(info.name)
    params = dict(r.feature_params)
    if info.task in ("chunk", "ner"):
        params["columns"] = [
            c for c in ("pos", "chunk") if c in info.columns and c != info.label_column
        ]
    if learned_clusters and r.cluster_text:
        params["clusters"] = str(cluster_file(info.name, data_dir, r))
    return feature_set(info.task, **params)
