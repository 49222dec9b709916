"""``Pipeline``: saved taggers run in turn, each filling a column that later ones read.

The best CoNLL-2003 entity model reads part-of-speech and chunk columns
besides the words; raw text has neither. A pipeline predicts them first::

    from crftagger.api.pipeline import Pipeline

    pipe = Pipeline.train("conll2003", folds=5)   # pos -> chunk -> ner (the recipe's model)
    pipe.spans("John lives in Berlin .".split())
    pipe("John Smith lives in Berlin.").spans      # raw text: a Doc (crftagger.text.doc)
    pipe.save("ner-pipeline.crftagger")           # one file holding the three taggers
    pipe = Pipeline.load("ner-pipeline.crftagger")
    Pipeline.from_files(["pos.crftagger", "chunk.crftagger", "ner.crftagger"])

A pipeline is a list of steps ``(column, tagger)``: every step but the last
is a *column filler*, whose predictions become the column ``column`` of the
sentences the later steps read; the last step gives the answers
(:meth:`Pipeline.tag`, :meth:`Pipeline.spans`, documents). Each column a
step's feature set reads (``tagger.feature_set.columns``) must be filled by
an earlier step; this is checked when the pipeline is built. Columns the
input sentences already carry under those names (the gold columns of a
corpus) are replaced by the predictions, never read.

A filler writes its column in its own training corpus' scheme
(:attr:`Tagger.scheme <crftagger.api.tagger.Tagger.scheme>`, e.g. IOB1 for
CoNLL-2003's chunk column), exactly as the later steps saw that column in
training; the answers of the last step are in its
:attr:`~crftagger.api.tagger.Tagger.output_scheme` (IOB2 by default).
``doc_id`` of :class:`~crftagger.sentence.Sentence` input is passed to every
step, so the document values of the ``ner`` feature set see the documents.

Training (:meth:`Pipeline.train`) uses *jackknifing*: the columns a step is
trained on are the predictions of the earlier steps, never the gold columns,
and each training sentence's predictions come from a model that did not see
that sentence (``folds`` models, each trained without one fold of the
documents, predict that fold). The pipeline's own step models are trained on
the whole training split. A later step thus learns how far to trust the
predicted columns, as it will meet them on new text.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crftagger.api.tagger import FORMAT as TAGGER_FORMAT
from crftagger.api.tagger import (
    Evaluation,
    Tagger,
    _jsonable,
    as_batch,
    check_sentence,
)
from crftagger.errors import CrftaggerError, TaggerError, TaggerInputError
from crftagger.recipes import MAX_ITERATIONS
from crftagger.sentence import Sentence
from crftagger.text.doc import TextMixin

FORMAT = "crftagger.Pipeline"
FORMAT_VERSION = 1

#: Default number of jackknife folds of :meth:`Pipeline.train`.
FOLDS = 10

#: L-BFGS settings of a training step without a recipe, unless given (those of a recipe's
#: defaults, :class:`crftagger.recipes.Recipe`).
STEP_DEFAULTS = {"c1": 0.1, "c2": 0.1, "max_iterations": MAX_ITERATIONS}


def _step_prefix(i: int) -> str:
    """Block-name prefix of step ``i`` in a pipeline file."""
    return f"step{i}/"


# --------------------------------------------------------------------------- training steps


@dataclass(frozen=True)
class Step:
    """How :meth:`Pipeline.train` trains one step.

    Parameters
    ----------
    column
        The label column the step learns (and, for a column filler, the column
        it fills for the later steps).
    feature_set
        A feature set as :meth:`Tagger.train` takes it (name, ``FeatureSet``
        or dict); ``None``: the recipe's, else ``"ner"``.
    recipe
        A registered corpus whose recipe the step trains with (``"conll2003"``).
    params
        Other :meth:`Tagger.train` arguments (``c2``, ``max_iterations``,
        ``train_scheme``, ...); they win over :meth:`Pipeline.train`'s. A step
        without a recipe trains with :data:`STEP_DEFAULTS` (``c1 = c2 = 0.1``, at
        most 150 L-BFGS iterations) where neither gives them.
    """

    column: str
    feature_set: object = None
    recipe: str | None = None
    params: Mapping = field(default_factory=dict)

    @classmethod
    def of(cls, spec, where: str = "step") -> Step:
        """A :class:`Step` from a Step, ``{"column": ..., "feature_set": ..., "recipe": ...,
        **params}`` or ``(column, feature_set)``."""
        if isinstance(spec, Step):
            step = spec
        elif isinstance(spec, Mapping):
            d = dict(spec)
            if "column" not in d:
                raise TaggerError(f"{where}: {spec!r} names no 'column'")
            column = d.pop("column")
            fs = d.pop("feature_set", None)
            recipe = d.pop("recipe", None)
            params = {**d.pop("params", {}), **d}
            step = cls(column, fs, recipe, params)
        elif isinstance(spec, tuple) and len(spec) == 2:
            step = cls(spec[0], spec[1])
        else:
            raise TaggerError(
                f"{where}: found {spec!r}; expected a Step, a dict with 'column' or a "
                "(column, feature_set) pair"
            )
        if not isinstance(step.column, str) or not step.column:
            raise TaggerError(f"{where}: column {step.column!r} is not a column name")
        return step


def default_steps(corpus: str) -> list[Step]:
    """The steps of a registered corpus: a filler for each column its recipe's feature set reads
    (``pos`` with the ``pos`` feature set, ``chunk`` with the ``chunk`` one reading ``pos``), then
    the corpus' label column with its recipe."""
    from crftagger.corpora import registry
    from crftagger.recipes import feature_set_for

    info = registry.get(corpus)
    reads = feature_set_for(info).columns
    fillers = {"pos": Step("pos", "pos"), "chunk": Step("chunk", "chunk")}
    steps = []
    for c in reads:
        if c not in fillers:
            raise TaggerError(
                f"{corpus}: the recipe reads the column {c!r}, for which no default step exists; "
                "give steps="
            )
        if c == "chunk" and "pos" not in reads:
            steps.append(fillers["pos"])
        steps.append(fillers[c])
    return [*steps, Step(info.label_column, recipe=info.name)]


def document_folds(sentences: Sequence, folds: int) -> list[int]:
    """The jackknife fold of every sentence: documents (runs of one ``doc_id``; a sentence
    without one is a document of its own) dealt to the folds in turn, as the tag dictionary's
    cross-validation does (:func:`crftagger.features.tagdict.folds_of`)."""
    from crftagger.features.tagdict import folds_of

    return folds_of([getattr(s, "doc_id", None) for s in sentences], folds)


def cross_predict(
    sentences: Sequence[Sentence],
    fold: Sequence[int],
    train: Callable[[list[Sentence]], Tagger],
) -> tuple[list[list[str]], list[Tagger]]:
    """Jackknifed predictions: for each fold ``k``, ``train`` a model on the sentences of the
    other folds and tag the sentences of fold ``k`` with it.

    Returns the predictions of every sentence, in order, in the model's corpus scheme
    (:attr:`Tagger.scheme`), and the fold models (model ``k`` never saw fold ``k``).
    """
    if len(fold) != len(sentences):
        raise TaggerError(f"{len(fold)} fold numbers for {len(sentences)} sentences")
    ks = sorted(set(fold))
    if len(ks) < 2:
        raise TaggerError(f"jackknifing needs at least 2 folds with sentences, found {len(ks)}")
    pred: list[list[str] | None] = [None] * len(sentences)
    models = []
    for k in ks:
        held = [j for j, f in enumerate(fold) if f == k]
        model = train([s for s, f in zip(sentences, fold, strict=True) if f != k])
        tags = model.tag([sentences[j] for j in held], output_scheme=model.scheme)
        for j, t in zip(held, tags, strict=True):
            pred[j] = t
        models.append(model)
    return [p if p is not None else [] for p in pred], models


def step_reads(step: Step) -> list[str]:
    """The columns the feature set of ``step`` reads (what :meth:`Tagger.train` will build:
    the explicit feature set, else the recipe's, else ``ner``'s)."""
    from crftagger.api.tagger import _resolve_feature_set

    if step.feature_set is not None:
        return list(_resolve_feature_set(step.feature_set).columns)
    if step.recipe is not None:
        from crftagger.corpora import registry
        from crftagger.recipes import feature_set_for, get_recipe

        try:
            r = get_recipe(step.recipe)
        except (KeyError, ValueError) as exc:
            raise TaggerError(f"step {step.column!r}: recipe: {exc}") from None
        return list(feature_set_for(registry.get(r.corpus), recipe=r).columns)
    return list(_resolve_feature_set("ner").columns)


def _check_reads(names: Sequence[str], reads: Sequence[Sequence[str]], what) -> None:
    """Raise :class:`TaggerError` unless step ``i`` reads only the columns ``names[:i]``."""
    for i, (name, cols) in enumerate(zip(names, reads, strict=True)):
        if name in names[:i]:
            raise TaggerError(
                f"step {i}: the column {name!r} is already filled by step {list(names).index(name)}"
            )
        missing = [c for c in cols if c not in names[:i]]
        if missing:
            earlier = ", ".join(f"{c!r}" for c in names[:i]) if i else "none"
            raise TaggerError(
                f"step {i} ({name!r}): {what(i)} reads the column(s) "
                f"{', '.join(repr(c) for c in missing)}, which no earlier step fills (columns "
                f"filled before it: {earlier}); put steps that predict them before it"
            )


def _with_column(s: Sentence, column: str, values: list[str]) -> Sentence:
    """A copy of ``s`` with ``column`` set to ``values`` (the other columns shared)."""
    return Sentence(
        tokens=s.tokens,
        columns={**s.columns, column: values},
        doc_id=s.doc_id,
        meta=s.meta,
        source=s.source,
        line=s.line,
        token_column=s.token_column,
    )


def _score(gold: list[list[str]], pred: list[list[str]], scheme: str | None) -> dict:
    s = Evaluation(gold, pred, scheme).summary()
    return {k: s[k] for k in ("accuracy", "f1", "n_sentences") if k in s}


# --------------------------------------------------------------------------- the pipeline


class Pipeline(TextMixin):
    """Taggers run in turn (see the module docstring).

    Parameters
    ----------
    steps : list of (str, Tagger)
        ``(column, tagger)`` pairs, the column fillers first and the final
        tagger last (its column names its answers, e.g. ``"ner"``; a bare
        tagger as the last item takes its training label column). Every
        column a step's feature set reads must be the column of an earlier step.
    info : dict, optional
        Training notes kept in the model file (folds, jackknife scores).
    """

    def __init__(self, steps, info: Mapping | None = None):
        pairs = list(steps)
        if not pairs:
            raise TaggerError("a pipeline needs at least one step")
        if not isinstance(pairs[-1], tuple):
            last = pairs[-1]
            pairs[-1] = ((getattr(last, "info", None) or {}).get("label_column") or "label", last)
        self.steps: list[tuple[str, Tagger]] = []
        for i, pair in enumerate(pairs):
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise TaggerError(
                    f"step {i}: found {type(pair).__name__}; expected a (column, tagger) pair"
                )
            name, tagger = pair
            if not isinstance(name, str) or not name or len(name.split()) != 1:
                raise TaggerError(f"step {i}: column name {name!r} is not a non-empty word")
            if not (hasattr(tagger, "feature_set") and hasattr(tagger, "tag")):
                raise TaggerError(
                    f"step {i} ({name!r}): found {type(tagger).__name__}; expected a Tagger"
                )
            self.steps.append((name, tagger))
        self._check_columns()
        self.info = dict(info or {})

    def _check_columns(self) -> None:
        _check_reads(
            self.columns,
            [list(t.feature_set.columns) for _, t in self.steps],
            lambda i: f"its feature set {self.steps[i][1].feature_set.name!r}",
        )

    # ------------------------------------------------------------------ properties
    @property
    def final(self) -> Tagger:
        """The last step's tagger, whose answers the pipeline gives."""
        return self.steps[-1][1]

    @property
    def columns(self) -> list[str]:
        """The columns the pipeline fills, in order (the last is the final tagger's)."""
        return [name for name, _ in self.steps]

    @property
    def tokenizer(self):  # type: ignore[override]
        """The final tagger's tokeniser (how :meth:`parse` cuts raw text)."""
        return getattr(self.final, "tokenizer", None)

    @property
    def labels(self) -> list[str]:
        """The final tagger's labels."""
        return self.final.labels

    @property
    def scheme(self) -> str | None:
        """The final tagger's corpus scheme (:attr:`Tagger.scheme`)."""
        return self.final.scheme

    @property
    def output_scheme(self) -> str | None:
        """The scheme of the answers (the final tagger's :attr:`Tagger.output_scheme`)."""
        return self.final.output_scheme

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {t.feature_set.name}" for n, t in self.steps)
        return f"Pipeline({inner})"

    # ------------------------------------------------------------------ tagging
    def _batch(self, x) -> tuple[list, bool]:
        return as_batch(x)

    @staticmethod
    def _sentences(sentences: Sequence) -> list[Sentence]:
        out = []
        for i, s in enumerate(sentences):
            if isinstance(s, Sentence):
                check_sentence(s, i)
                out.append(s)
            else:
                out.append(Sentence(tokens=check_sentence(s, i)))
        return out

    def fill(self, sentences, final: bool = True) -> list[Sentence]:
        """Copies of ``sentences`` (token lists or Sentences) with every step's column set to
        its predictions (the last step's too unless ``final=False``), each in its tagger's corpus
        scheme; ``doc_id`` and the other columns are kept."""
        sents, _ = self._batch(sentences) if sentences else ([], False)
        out = self._sentences(sents)
        steps = self.steps if final else self.steps[:-1]
        for name, tagger in steps:
            if not out:
                break
            tags = tagger.tag(out, output_scheme=tagger.scheme)
            out = [_with_column(s, name, t) for s, t in zip(out, tags, strict=True)]
        return out

    def tag(self, x, output_scheme: str | None = "output"):
        """The final tagger's tags of one sentence or a list of sentences (in
        :attr:`output_scheme`, or ``output_scheme``), on the columns the fillers predict."""
        sentences, single = self._batch(x)
        if not sentences:
            return []
        out = self.final.tag(self.fill(sentences, final=False), output_scheme=output_scheme)
        return out[0] if single else out

    def spans(self, x):
        """The final tagger's spans (:class:`~crftagger.api.tagger.TaggedSpan`) of one sentence
        or a list of sentences."""
        sentences, single = self._batch(x)
        if not sentences:
            return []
        out = self.final.spans(self.fill(sentences, final=False))
        return out[0] if single else out

    def _annotate(self, sentences: list, confidence: bool = True) -> list[tuple[list[str], list]]:
        """Output-scheme tags and spans of each sentence (what documents are built from)."""
        if not sentences:
            return []
        filled = self.fill(sentences, final=False)
        if confidence:
            return self.final._annotate(filled)
        return self.final._annotate(filled, confidence=False)

    def evaluate(self, sentences, label_column: str | None = None) -> Evaluation:
        """Score the final tagger on ``sentences`` with the columns the pipeline predicts (gold
        columns of the input are not read; the gold labels are ``label_column``, default the
        final tagger's training label column)."""
        filled = self.fill(list(sentences), final=False)
        return self.final.evaluate(filled, label_column=label_column)

    def evaluate_steps(self, sentences) -> dict[str, Evaluation]:
        """Every step scored against the gold column of its name, each on the columns the
        earlier steps predicted: ``{column: Evaluation}``."""
        sents = self._sentences(list(sentences))
        filled = self.fill(sents)
        out = {}
        for name, tagger in self.steps:
            for i, s in enumerate(sents):
                if name not in s.columns:
                    raise TaggerInputError(
                        f"sentence {i}: no gold column {name!r} to score step {name!r} against; "
                        f"it has {list(s.columns)}"
                    )
            gold = [list(s.columns[name]) for s in sents]
            out[name] = Evaluation(gold, [s.columns[name] for s in filled], tagger.scheme)
        return out

    # ------------------------------------------------------------------ files
    def header(self) -> dict:
        """The pipeline's own header fields (:meth:`save` adds each step's tagger header)."""
        return {
            "kind": FORMAT,
            "format": FORMAT_VERSION,
            "steps": [
                {
                    "column": name,
                    "prefix": _step_prefix(i),
                    "reads": list(t.feature_set.columns),
                }
                for i, (name, t) in enumerate(self.steps)
            ],
            "info": _jsonable(self.info),
        }

    def save(self, path, prune: bool = True) -> Path:
        """Write the pipeline to one model file (:mod:`crftagger.io.container`).

        Each step's blocks are those :meth:`Tagger.save` writes (with its
        ``prune``), named with the prefix ``step<i>/``; the header's ``steps``
        lists, per step, its column, its prefix, the columns it reads and its
        tagger's header fields.
        """
        from crftagger.io import container

        header = self.header()
        arrays: dict = {}
        with tempfile.TemporaryDirectory(prefix="crftagger-pipeline-") as tmp:
            for i, (entry, (name, tagger)) in enumerate(
                zip(header["steps"], self.steps, strict=True)
            ):
                step_arrays, fields = _tagger_blocks(tagger, Path(tmp) / f"step{i}", prune)
                if fields.get("kind") != TAGGER_FORMAT:
                    raise TaggerError(
                        f"step {i} ({name!r}): a {fields.get('kind')!r} model; a pipeline holds "
                        f"{TAGGER_FORMAT} models"
                    )
                entry["fields"] = fields
                for b, value in step_arrays.items():
                    arrays[entry["prefix"] + b] = value
        return container.save(path, arrays, header)

    @classmethod
    def load(cls, path) -> Pipeline:
        """Read a file written by :meth:`save`; the file and every step are checked (as
        :meth:`Tagger.load` checks a tagger file) before any kernel sees them."""
        from crftagger.io import container

        arrays, fields = container.load(path)
        kind = fields.get("kind")
        if kind != FORMAT:
            hint = (
                " (a tagger model file: use Tagger.load, or Pipeline.from_files for a list of "
                "tagger files)"
                if kind == TAGGER_FORMAT
                else ""
            )
            raise TaggerError(f"{path}: model kind {kind!r}, expected {FORMAT!r}{hint}")
        if fields.get("format") != FORMAT_VERSION:
            raise TaggerError(
                f"{path}: pipeline format {fields.get('format')!r}, expected {FORMAT_VERSION}"
            )
        entries = fields.get("steps")
        if not isinstance(entries, list) or not entries:
            raise TaggerError(f"{path}: header 'steps' is {entries!r}; expected a non-empty list")
        prefixes = [_step_prefix(i) for i in range(len(entries))]
        stray = [b for b in arrays if not any(b.startswith(p) for p in prefixes)]
        if stray:
            raise TaggerError(
                f"{path}: blocks {sorted(stray)[:5]} belong to no step (expected names starting "
                f"with {', '.join(prefixes)})"
            )
        steps = []
        with tempfile.TemporaryDirectory(prefix="crftagger-pipeline-") as tmp:
            for i, entry in enumerate(entries):
                where = f"{path}: step {i}"
                if not isinstance(entry, dict):
                    raise TaggerError(f"{where}: found {entry!r}; expected an object")
                column, sub = entry.get("column"), entry.get("fields")
                if not isinstance(column, str) or not column:
                    raise TaggerError(f"{where}: column {column!r} is not a column name")
                if entry.get("prefix") != prefixes[i]:
                    raise TaggerError(
                        f"{where}: block prefix {entry.get('prefix')!r}, expected {prefixes[i]!r}"
                    )
                if not isinstance(sub, dict):
                    raise TaggerError(
                        f"{where}: 'fields' is {type(sub).__name__}; expected an object"
                    )
                p = prefixes[i]
                own = {b[len(p) :]: v for b, v in arrays.items() if b.startswith(p)}
                tagger = _tagger_from_blocks(
                    own, sub, Path(tmp) / f"step{i}", f"{where} ({column!r})"
                )
                if entry.get("reads") != list(tagger.feature_set.columns):
                    raise TaggerError(
                        f"{where}: header says it reads {entry.get('reads')!r}, its feature set "
                        f"reads {list(tagger.feature_set.columns)}"
                    )
                steps.append((column, tagger))
        try:
            return cls(steps, info=fields.get("info") or {})
        except TaggerError as exc:
            raise TaggerError(f"{path}: {exc}") from None

    @classmethod
    def from_files(cls, paths: Sequence, columns: Sequence[str] | None = None) -> Pipeline:
        """A pipeline of saved taggers (:meth:`Tagger.save` files), in order.

        ``columns`` names the column of each (default: each tagger's training
        label column, ``info["label_column"]``).
        """
        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        if columns is not None and len(columns) != len(paths):
            raise TaggerError(f"{len(columns)} column names for {len(paths)} model files")
        steps = []
        for i, p in enumerate(paths):
            tagger = Tagger.load(p)
            name = columns[i] if columns is not None else tagger.info.get("label_column")
            if not name:
                raise TaggerError(
                    f"{p}: the model records no label column; name the columns (columns=[...])"
                )
            steps.append((name, tagger))
        return cls(steps, info={"files": [str(p) for p in paths]})

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        corpus,
        steps: Sequence | None = None,
        folds: int = FOLDS,
        *,
        dev=None,
        limit: int | None = None,
        data_dir=None,
        threads: int | None = None,
        progress: bool = False,
        log: Callable[[str], None] | None = None,
        **train_params,
    ) -> Pipeline:
        """Train every step, the fillers with jackknifing (see the module docstring).

        Parameters
        ----------
        corpus : str or list of Sentence
            A registered corpus (its train split) or labelled sentences holding
            every step's column.
        steps : list, optional
            :class:`Step` s (or their dicts / ``(column, feature_set)`` pairs), the
            fillers first; default :func:`default_steps` of the corpus (CoNLL-2003:
            ``pos`` with the ``pos`` feature set, ``chunk`` with the ``chunk`` set,
            ``ner`` with the corpus' recipe).
        folds : int
            Jackknife folds (at least 2): the columns a step trains on are
            predicted for each fold of the documents by a model trained on the
            other folds. The pipeline's step models are trained on all sentences.
        dev : list or str, optional
            Dev sentences or a split name of ``corpus``, scored by every step on the
            columns the earlier steps predict (each tagger's ``info["scores"]["dev"]``).
        limit : int, optional
            Train on the first ``limit`` training sentences only.
        log : callable, optional
            Called with a line of text as each model is trained.
        **train_params
            :meth:`Tagger.train` arguments for every step (``max_iterations``,
            ``c2``...); a step's own ``params`` and explicit arguments win over a
            recipe's.
        """
        if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
            raise TaggerError(f"folds: expected an integer of at least 2, found {folds!r}")
        corpus_name = corpus if isinstance(corpus, str) else None
        span_columns: tuple[str, ...] = ()
        corpus_scheme = None
        if corpus_name is not None:
            from crftagger.corpora import load, registry

            cinfo = registry.get(corpus_name)
            span_columns, corpus_scheme = cinfo.span_columns, cinfo.scheme
            sents = list(load(corpus_name, "train", data_dir))
            if isinstance(dev, str):
                dev = list(load(corpus_name, dev, data_dir))
            if steps is None:
                steps = default_steps(corpus_name)
        else:
            sents = list(corpus)
            if isinstance(dev, str):
                raise TaggerError("dev as a split name needs a corpus name")
            if steps is None:
                raise TaggerError("steps: give the steps to train for your own sentences")
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise TaggerError(f"limit: expected a positive integer, found {limit!r}")
            sents = sents[:limit]
        plan = [Step.of(s, f"step {i}") for i, s in enumerate(steps)]
        if not plan:
            raise TaggerError("steps: expected at least one step")
        # checked before any training: a step reading a column that no earlier step fills
        # would silently train on the gold column
        _check_reads(
            [st.column for st in plan], [step_reads(st) for st in plan], lambda i: "its feature set"
        )
        for i, s in enumerate(sents):
            if not isinstance(s, Sentence):
                raise TaggerInputError(
                    f"training sentence {i}: found {type(s).__name__}; a pipeline trains on "
                    "Sentence objects holding every step's column"
                )
            for st in plan:
                if st.column not in s.columns:
                    raise TaggerInputError(
                        f"training sentence {i}: no column {st.column!r}; it has {list(s.columns)}"
                    )
        dev_sents = None if dev is None else cls._sentences(list(dev))
        say = log or (lambda line: None)
        fold = document_folds(sents, folds)
        start = time.perf_counter()

        def trainer(st: Step, i: int, dev_part=None):
            kw = {**train_params, **st.params}
            if st.recipe is None:
                # a step without a recipe trains as the recipes do by default
                if kw.get("algorithm", "lbfgs") == "lbfgs":
                    for k, v in STEP_DEFAULTS.items():
                        kw.setdefault(k, v)
            kw.setdefault("label_column", st.column)
            if "scheme" not in kw:
                kw["scheme"] = (
                    (corpus_scheme if st.column in span_columns else None)
                    if corpus_name is not None
                    else "auto"
                )
            if st.recipe is not None:
                kw.setdefault("data_dir", data_dir)

            def fit(train_sents: list[Sentence]) -> Tagger:
                t0 = time.perf_counter()
                model = Tagger.train(
                    train_sents,
                    st.feature_set,
                    recipe=st.recipe,
                    dev=dev_part,
                    threads=threads,
                    progress=progress,
                    **kw,
                )
                model.info["corpus"] = corpus_name
                say(
                    f"step {i} ({st.column}): trained on {len(train_sents)} sentences in "
                    f"{time.perf_counter() - t0:.1f} s"
                )
                return model

            return fit

        work = list(sents)
        trained: list[tuple[str, Tagger]] = []
        notes = []
        for i, st in enumerate(plan):
            last = i == len(plan) - 1
            note: dict = {"column": st.column, "recipe": st.recipe}
            if not last:
                pred, models = cross_predict(work, fold, trainer(st, i))
                note["jackknife"] = _score(
                    [list(s.columns[st.column]) for s in work], pred, models[0].scheme
                )
                say(f"step {i} ({st.column}): jackknifed predictions {note['jackknife']}")
            model = trainer(st, i, dev_sents)(work)
            if dev_sents is not None and "dev" in model.info["scores"]:
                note["dev"] = {
                    k: v for k, v in model.info["scores"]["dev"].items() if k in ("accuracy", "f1")
                }
            trained.append((st.column, model))
            notes.append(note)
            if not last:
                work = [_with_column(s, st.column, p) for s, p in zip(work, pred, strict=True)]
                if dev_sents is not None:
                    tags = model.tag(dev_sents, output_scheme=model.scheme) if dev_sents else []
                    dev_sents = [
                        _with_column(s, st.column, t) for s, t in zip(dev_sents, tags, strict=True)
                    ]
        info = {
            "corpus": corpus_name,
            "folds": folds,
            "fold_by": "document",
            "n_sentences": len(sents),
            "steps": notes,
            "train_params": train_params,
            "seconds": round(time.perf_counter() - start, 3),
        }
        return cls(trained, info=info)


# --------------------------------------------------------------------------- Tagger file adapter
#
# Tagger.save / Tagger.load read and write a path. Until Tagger has hooks that give its blocks
# and header fields (and build a tagger from them), a step goes through a temporary file of its
# own, so every step is written and checked by Tagger's own code, never a copy of it.


def _tagger_blocks(tagger, tmp: Path, prune: bool) -> tuple[dict, dict]:
    """The blocks and header fields that ``tagger.save`` writes."""
    from crftagger.io import container

    if not hasattr(tagger, "save"):
        raise TaggerError(f"{type(tagger).__name__} cannot be saved (no save method)")
    tagger.save(tmp, prune=prune)
    return container.load(tmp)


def _tagger_from_blocks(arrays: dict, fields: dict, tmp: Path, where: str) -> Tagger:
    """A tagger from its blocks and header fields, checked by :meth:`Tagger.load`; errors name
    ``where`` instead of the temporary file."""
    from crftagger.io import container

    try:
        container.save(tmp, arrays, fields)
        return Tagger.load(tmp)
    except CrftaggerError as exc:
        raise TaggerError(str(exc).replace(str(tmp), where)) from None


def load_model(path) -> Tagger | Pipeline:
    """A :class:`Tagger` or a :class:`Pipeline` from a model file, by the kind its header names."""
    from crftagger.io import container

    kind = container.read_header(path).get("fields", {}).get("kind")
    return Pipeline.load(path) if kind == FORMAT else Tagger.load(path)
