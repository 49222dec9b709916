"""``crftagger.Tagger``: a feature set, a CRF and a tag scheme, from tokens to spans.

::

    from crftagger import Tagger

    tagger = Tagger.train("conll2003", feature_set="ner", train_scheme="bioes", c2=0.1)
    tagger.tag(["John", "lives", "in", "Paris", "."])
    # ['I-PER', 'O', 'O', 'I-LOC', 'O']          (the corpus' scheme, IOB1)
    tagger.spans(["John", "lives", "in", "Paris", "."])
    # [TaggedSpan(type='PER', start=0, end=1, confidence=0.998, text='John'), ...]
    tagger.save("ner.crftagger")
    tagger = Tagger.load("ner.crftagger")

Decoding never returns a sequence the tag scheme forbids (constrained
Viterbi, :mod:`crftagger.decode.constrained`). With ``train_scheme`` the model is
trained on tags converted to that scheme (BIOES usually helps) and its
answers are converted back to the output scheme.

Input sentences are lists of tokens (``str``), lists of token tuples
``(token, column1, ...)`` for feature sets that read extra columns (the
columns named by the feature set, in order), or
:class:`~crftagger.corpora.Sentence` objects. Tokens must be non-empty
strings without white space (they could not be written back to a CoNLL
file); anything else raises :class:`TaggerInputError` naming the sentence and
the position. An empty sentence gets an empty answer. ``tag``, ``spans``
and the other methods take one sentence or a list of sentences; a list of
``str`` is one sentence.

A saved model is self-contained: the word-cluster tables its feature set
reads are embedded in the file (:meth:`Tagger.save`), so it loads and tags
the same after the cluster files are gone (:attr:`Tagger.clusters`); its
gazetteers are embedded compiled, so loading never rebuilds them from the data
packages (:attr:`Tagger.gazetteers`).

Marginals, n-best probabilities and span confidences are computed over the
label sequences the scheme allows (the model's distribution renormalised
over them); without a scheme, over all sequences.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from crftagger.decode import constrained
from crftagger.engine.encoding import AttributeSequences, Vocabulary
from crftagger.errors import ModelFileError, TaggerError, TaggerInputError
from crftagger.text.doc import TextMixin

FORMAT = "crftagger.Tagger"
FORMAT_VERSION = 1
#: Largest ``o_bias`` accepted (absolute value). Trained weights are of order
#: 1-100, so 1e6 already forces or forbids ``O`` everywhere; near 1e30 the
#: marginals overflow to NaN.
MAX_O_BIAS = 1e6


class TaggedSpan(NamedTuple):
    """A span found by :meth:`Tagger.spans` (``end`` is exclusive)."""

    type: str
    start: int
    end: int
    confidence: float
    text: str


class Candidate(NamedTuple):
    """One entry of :meth:`Tagger.nbest`."""

    tags: list[str]
    score: float
    probability: float


# --------------------------------------------------------------------------- input handling


def _is_sentence(x) -> bool:
    """One sentence (tokens, token tuples or a Sentence) rather than a batch of them."""
    if hasattr(x, "tokens") and hasattr(x, "columns"):
        return True
    if isinstance(x, str):
        return False
    if not isinstance(x, Sequence) or len(x) == 0:
        return isinstance(x, Sequence)
    first = x[0]
    return isinstance(first, str) or (
        isinstance(first, tuple) and first and isinstance(first[0], str)
    )


def _tokens_of(sent) -> list[str]:
    if hasattr(sent, "tokens") and hasattr(sent, "columns"):
        return list(sent.tokens)
    return [tok[0] if isinstance(tok, tuple) else tok for tok in sent]


def as_batch(x) -> tuple[list, bool]:
    """``(sentences, single)`` from one sentence or a list of sentences."""
    if _is_sentence(x):
        return [x], True
    if isinstance(x, str) or not isinstance(x, Iterable):
        raise TaggerInputError(
            f"expected a list of tokens or a list of sentences, found {type(x).__name__}"
        )
    return list(x), False


def check_sentence(sent, index: int = 0) -> list[str]:
    """Return the tokens of ``sent``; raise :class:`TaggerInputError` for a bad token."""
    if isinstance(sent, str):
        raise TaggerInputError(
            f"sentence {index}: found a string {sent[:40]!r}; expected a list of tokens "
            "(split the text first, e.g. with str.split())"
        )
    if not (hasattr(sent, "tokens") or isinstance(sent, Sequence)):
        raise TaggerInputError(
            f"sentence {index}: expected a list of tokens, found {type(sent).__name__}"
        )
    tokens = _tokens_of(sent)
    for t, tok in enumerate(tokens):
        if not isinstance(tok, str):
            raise TaggerInputError(f"sentence {index}, token {t}: found {tok!r}; expected a string")
        if not tok:
            raise TaggerInputError(
                f"sentence {index}, token {t}: found an empty token; expected a non-empty string"
            )
        if len(tok.split()) != 1 or tok.strip() != tok:
            raise TaggerInputError(
                f"sentence {index}, token {t}: {tok!r} contains white space; expected one token "
                "without spaces, tabs or line breaks"
            )
    return tokens


def resolve_schemes(scheme: str | None, train_scheme: str | None) -> tuple[str | None, str | None]:
    """The corpus scheme's canonical name and the scheme the model is trained in
    (``train_scheme``, else the corpus scheme); ``train_scheme`` needs span tags."""
    from crftagger import schemes

    if scheme is not None:
        scheme = schemes.get_scheme(scheme).name
    if train_scheme is None:
        return scheme, scheme
    if scheme is None:
        raise TaggerError("train_scheme needs span tags with a known scheme (scheme=...)")
    return scheme, schemes.get_scheme(train_scheme).name


def _resolve_feature_set(feature_set):
    from crftagger.features import FeatureSet
    from crftagger.features import feature_set as named

    if isinstance(feature_set, FeatureSet):
        return feature_set
    if isinstance(feature_set, str):
        if feature_set.lstrip().startswith("{"):
            return FeatureSet.from_json(feature_set)
        return named(feature_set)
    if isinstance(feature_set, Mapping):
        if "templates" in feature_set:
            return FeatureSet.from_dict(dict(feature_set))
        params = dict(feature_set)
        name = params.pop("name")
        return named(name, **params)
    raise TaggerError(
        f"feature_set: expected a name such as 'ner', a FeatureSet or its dict, found {type(feature_set).__name__}"
    )


def _guess_scheme(tag_seqs: Sequence[Sequence[str]]) -> str | None:
    """The scheme of training tags, or None for plain tags (POS) that no scheme reads."""
    from crftagger import schemes

    try:
        return schemes.detect_scheme(tag_seqs, tolerance=0.001)
    except ValueError:
        return None


# --------------------------------------------------------------------------- the tagger


def _check_fixed(fixed, T: int) -> None:
    """``fixed`` is a ``{position: tag}`` dict whose positions are token indices of a
    sentence of ``T`` tokens; else :class:`TaggerInputError`."""
    if not isinstance(fixed, Mapping):
        raise TaggerInputError("fixed: expected a dict {position: tag}")
    for pos in fixed:
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)) or not 0 <= pos < T:
            raise TaggerInputError(
                f"fixed: position {pos!r} is not a token index of a sentence of {T} tokens"
            )


class Tagger(TextMixin):
    """A trained sequence tagger (see the module docstring).

    Parameters
    ----------
    model : LinearChainCRF
        A fitted model; its attribute vocabulary is the feature set's.
    feature_set : FeatureSet, str or dict
        How tokens become attributes (:mod:`crftagger.features`).
    scheme : str, optional
        The scheme of the answers (``None``: plain tags, decoding unconstrained).
    model_scheme : str, optional
        The scheme of the model's labels (default: ``scheme``).
    info : dict, optional
        Training parameters, scores and provenance kept in the model file.
    clusters : mapping, optional
        Word-cluster tables ``{fingerprint: Clusters}`` that the feature set's
        ``cluster`` extractors use instead of reading their files (the tables
        :meth:`load` finds embedded in a model file).
    o_bias : float, optional
        Decoding bias of the outside label (see :attr:`o_bias`).
    tag_dictionary : TagDictionary, optional
        The table of the feature set's ``tagdict`` extractors (learned from
        the training labels, :mod:`crftagger.features.tagdict`).
    output_scheme : str, optional
        The scheme of the tags that :meth:`tag`, :meth:`nbest` and documents
        answer in (default ``"iob2"`` when the labels are span tags, whatever
        the training corpus used; see :attr:`output_scheme`).
    tokenizer : Tokenizer, str or dict, optional
        How raw text is cut into sentences and tokens for :meth:`parse`
        (:mod:`crftagger.text.tokenize`; default ``"treebank"``).
    gazetteers : mapping, optional
        Compiled gazetteers ``{fingerprint: Gazetteer}`` that the feature
        set's ``gazetteer`` extractors use instead of building their lists
        (the lists :meth:`load` finds embedded in a model file).
    """

    def __init__(
        self,
        model,
        feature_set,
        scheme: str | None = None,
        model_scheme: str | None = "same",
        info: dict | None = None,
        clusters: Mapping | None = None,
        o_bias: float = 0.0,
        tag_dictionary=None,
        output_scheme: str | None = "default",
        tokenizer=None,
        gazetteers: Mapping | None = None,
    ):
        from crftagger import schemes
        from crftagger.text.tokenize import get_tokenizer

        if not getattr(model, "fitted", False):
            raise TaggerError("the model is not fitted")
        self.model = model
        self.feature_set = _resolve_feature_set(feature_set)
        self.scheme = None if scheme is None else schemes.get_scheme(scheme).name
        if model_scheme == "same":
            model_scheme = self.scheme
        self.model_scheme = None if model_scheme is None else schemes.get_scheme(model_scheme).name
        self.constraints = constrained.build_constraints(model.labels.items, self.model_scheme)
        self.info = dict(info or {})
        self.clusters = dict(clusters or {})
        #: Compiled gazetteers ``{fingerprint: Gazetteer}`` the extractor uses instead of building
        #: them (those :meth:`load` finds embedded in a model file).
        self.gazetteers = dict(gazetteers or {})
        self.tag_dictionary = tag_dictionary
        self._extractor = None
        self._tr = np.ascontiguousarray(model.transition_weights)
        self._o_bias = 0.0
        self.o_bias = o_bias
        self._output_scheme: str | None = None
        self.output_scheme = output_scheme
        try:
            self.tokenizer = get_tokenizer(tokenizer)
        except ValueError as exc:
            raise TaggerError(str(exc)) from None

    @property
    def output_scheme(self) -> str | None:
        """The scheme of the answers of :meth:`tag`, :meth:`nbest`, :meth:`parse` (``"iob2"``
        by default for span tags; ``None`` for plain tags such as POS).

        Setting ``"default"`` restores the default; any scheme of
        :mod:`crftagger.schemes` can be set when the labels are span tags.
        :meth:`evaluate` always scores in the corpus scheme (:attr:`scheme`).
        """
        return self._output_scheme

    @output_scheme.setter
    def output_scheme(self, value) -> None:
        from crftagger import schemes

        if self.scheme is None:
            if value not in (None, "default"):
                raise TaggerError(
                    f"output_scheme {value!r}: the model's labels are not span tags of a scheme"
                )
            self._output_scheme = None
            return
        if value in ("default", None):
            value = "iob2"
        try:
            self._output_scheme = schemes.get_scheme(value).name
        except (KeyError, ValueError) as exc:
            raise TaggerError(f"output_scheme: {exc}") from None

    @property
    def o_bias(self) -> float:
        """Score added to the outside label ``O`` at every token when decoding.

        Negative values make the tagger find more spans (recall up, precision
        down), positive values fewer; 0 decodes the model as trained. It
        applies to every answer (tags, spans and their confidences, n-best,
        marginals, masks) and is saved with the model. Its absolute value
        must be at most ``MAX_O_BIAS`` (1e6; far larger values overflow to NaN).
        """
        return self._o_bias

    @o_bias.setter
    def o_bias(self, value) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not abs(float(value)) <= MAX_O_BIAS
        ):
            raise TaggerError(
                f"o_bias: expected a finite number with absolute value at most {MAX_O_BIAS:g}, "
                f"found {value!r}"
            )
        if value and "O" not in self.model.labels:
            raise TaggerError(f"o_bias: the model has no outside label 'O' among {self.labels[:8]}")
        self._o_bias = float(value)

    # ------------------------------------------------------------------ properties
    @property
    def labels(self) -> list[str]:
        """The model's labels (in the model scheme), in id order."""
        return list(self.model.labels.items)

    @property
    def extractor(self):
        """The feature extractor over the model's (frozen) attribute vocabulary."""
        if self._extractor is None:
            self.model.attributes.freeze()
            self._extractor = self.feature_set.extractor(
                attributes=self.model.attributes,
                clusters=self.clusters,
                tag_dictionary=self.tag_dictionary,
                gazetteers=self.gazetteers,
            )
        return self._extractor

    def __repr__(self) -> str:
        return (
            f"Tagger(labels={len(self.labels)}, attributes={len(self.model.attributes)}, "
            f"feature_set={self.feature_set.name!r}, scheme={self.scheme!r}, "
            f"model_scheme={self.model_scheme!r})"
        )

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        corpus,
        feature_set=None,
        *,
        recipe=None,
        scheme: str | None = "auto",
        train_scheme: str | None = None,
        dev=None,
        label_column: str | None = None,
        data_dir=None,
        engine: str = "numba",
        threads: int | None = None,
        progress: bool = False,
        order: int | None = None,
        o_bias: float | None = None,
        tokenizer=None,
        output_scheme: str | None = "default",
        memory_budget=None,
        work_budget=None,
        **crf_params,
    ) -> Tagger:
        """Train a tagger.

        Parameters
        ----------
        corpus : str or list
            A registered corpus name (its train split is read through
            :func:`crftagger.corpora.load`), or training sentences:
            :class:`~crftagger.corpora.Sentence` objects (labels in
            ``label_column``) or ``(tokens, tags)`` pairs.
        feature_set : str, FeatureSet or dict
            A named feature set (``"ner"``, ``"pii"``, ``"chunk"``, ...), a
            :class:`~crftagger.features.FeatureSet`, or ``{"name": ..., params}``
            (default: the recipe's, else ``"ner"``).
        recipe : str or Recipe, optional
            Train with the tuned settings of a registered corpus
            (:mod:`crftagger.recipes`: feature set, training scheme, CRF order,
            regularisation, O bias), on that corpus or on your own sentences
            with the same columns. Arguments given explicitly win over the
            recipe's.
        scheme : str or None
            Scheme of the corpus tags and of the answers. ``"auto"``: the
            registry's for a corpus name, else detected from the tags
            (``None`` when no scheme reads them, e.g. POS tags).
        train_scheme : str, optional
            Train on tags converted to this scheme (e.g. ``"bioes"``); answers
            are converted back to ``scheme``.
        dev : list, str or None
            Development sentences (same forms as ``corpus``) or, with a corpus
            name, a split name such as ``"dev"``: scored after every iteration
            (``training_log``) and at the end (``info["scores"]["dev"]``).
        label_column : str, optional
            Label column of Sentence input (default: the corpus' label column,
            or the only column).
        engine : {"numba", "crfsuite"}
            Who trains the weights; tagging always uses crftagger's kernels.
        threads : int, optional
            numba threads during training.
        progress : bool
            Show a tqdm bar with the loss and dev scores per iteration.
        o_bias : float, optional
            Decoding bias of the outside label (:attr:`o_bias`; default: the
            recipe's where the model has an ``O`` label, else 0).
        order : {1, 2}, optional
            1 (the default unless the recipe says otherwise): first-order CRF; 2: second-order CRF
            (:class:`~crftagger.engine.second_order.SecondOrderCRF`, transitions over
            label triples; ``engine="numba"`` and ``algorithm="lbfgs"`` only).
        tokenizer : str, dict or Tokenizer, optional
            How :meth:`parse` cuts raw text (:mod:`crftagger.text.tokenize`):
            default the registered corpus' (``tweet`` for WNUT-17, else
            ``treebank``), with the abbreviations of the training tokens
            (``Corp.``, ``U.S.``) added to its sentence splitter.
        output_scheme : str, optional
            Scheme of the answers (:attr:`output_scheme`; default IOB2 for span tags).
        memory_budget : int or str, optional
            Bytes (or ``"16G"``) that training may take for what grows with the
            number of labels (:mod:`crftagger.engine.budget`): a label set
            whose transitions, optimiser memory and lattices would need more
            is refused before training. Default ``$CRFTAGGER_MEMORY_BUDGET``,
            else 4 GiB.
        work_budget : int, float or str, optional
            Label-pair steps per pass over the data (tokens times labels
            squared) that training may take; more is refused before training.
            Default ``$CRFTAGGER_WORK_BUDGET``, else 2e10.
        **crf_params
            :class:`crftagger.CRF` parameters (``algorithm``, ``c1``, ``c2``,
            ``max_iterations``, ``all_possible_transitions``, ...).
        """
        from crftagger import schemes
        from crftagger.api.crf import CRF
        from crftagger.engine import budget

        budget.resolve_budget(memory_budget)  # bad values are refused before any work
        budget.resolve_work(work_budget)
        recipe_name = None
        if recipe is not None:
            from crftagger.recipes import get_recipe

            try:
                r = get_recipe(recipe)
            except (KeyError, ValueError) as exc:
                raise TaggerError(f"recipe: {exc}") from None
            recipe_name = r.corpus
            algorithm = crf_params.get("algorithm", r.algorithm)
            if algorithm == "lbfgs":
                for k, v in r.train_params().items():
                    crf_params.setdefault(k, v)
            else:
                crf_params.setdefault("max_iterations", r.max_iterations)
            if train_scheme is None:
                train_scheme = r.train_scheme
            if order is None and engine == "numba" and algorithm == "lbfgs":
                order = r.order
            if o_bias is None:
                o_bias = r.o_bias
            if feature_set is None:
                feature_set = r.feature_set(data_dir)
        if feature_set is None:
            feature_set = "ner"
        if order is None:
            order = 1
        if isinstance(order, bool) or order not in (1, 2):
            raise TaggerError(f"order must be 1 or 2, found {order!r}")
        if order == 2 and engine != "numba":
            raise TaggerError(
                f"order=2 needs engine='numba' (CRFsuite trains first-order models), found {engine!r}"
            )
        est = CRF(engine=engine, threads=threads, order=order, verbose=bool(progress), **crf_params)
        if order == 2 and est.algorithm not in (None, "lbfgs"):
            raise TaggerError(
                f"order=2 trains with algorithm 'lbfgs' only, found {est.algorithm!r}"
            )
        est.check_params()  # options and algorithm checked before any data is read
        corpus_name = corpus if isinstance(corpus, str) else None
        if corpus_name is not None:
            from crftagger.corpora import load, registry

            cinfo = registry.get(corpus_name)
            label_column = label_column or cinfo.label_column
            if scheme == "auto":
                scheme = cinfo.scheme
            train_sents = load(corpus_name, "train", data_dir)
            if isinstance(dev, str):
                dev = load(corpus_name, dev, data_dir)
        else:
            train_sents = corpus
            if isinstance(dev, str):
                raise TaggerError("dev as a split name needs a corpus name")
        tokens, tags = cls._split_labelled(train_sents, label_column, "training")
        if not any(tokens):
            raise TaggerError("the training data hold no token")
        if scheme == "auto":
            scheme = _guess_scheme(tags)
        scheme, model_scheme = resolve_schemes(scheme, train_scheme)
        if train_scheme is not None:
            assert model_scheme is not None  # resolve_schemes raises otherwise
            tags = [schemes.convert(t, scheme, model_scheme, repair="begin") for t in tags]
        fs = _resolve_feature_set(feature_set)
        fx = fs.extractor()
        labels = Vocabulary()
        sents = cls._feature_input(train_sents, tokens)
        data = fx.transform(sents, y=tags, labels=labels)
        fx.freeze()
        labels.freeze()
        dev_part = dev_X = dev_y = dev_scorer = None
        if dev is not None:
            dtoks, dtags = cls._split_labelled(dev, label_column, "dev")
            dev_part = (cls._feature_input(dev, dtoks), dtoks, dtags)
        # CRFsuite adds the labels of holdout data to its label set, so the
        # CRFsuite engine trains on the training data alone (dev is scored at the end).
        if dev_part is not None and est.engine == "numba":
            dev_X = fx.transform(dev_part[0])
            dev_y = dev_part[2]
            if model_scheme != scheme:
                dev_y = [schemes.convert(t, scheme, model_scheme, repair="begin") for t in dev_y]
            if scheme is not None:
                dev_scorer = _DevSpanScorer(dev_X, dev_part[2], scheme, model_scheme)
        start = time.perf_counter()
        with budget.training_budgets(memory_budget, work_budget):
            est.fit(data, tags, dev_X, dev_y, attributes=fx.attributes, dev_scorer=dev_scorer)
        seconds = time.perf_counter() - start
        model, log = est.model_, list(est.training_log_)
        info = {
            "corpus": corpus_name,
            "recipe": recipe_name,
            "label_column": label_column,
            "n_sentences": len(tokens),
            "n_tokens": int(sum(len(t) for t in tokens)),
            "engine": engine,
            "training": {
                **est.training_params_,
                "order": int(order),
                "min_freq": est.min_freq,
                "all_possible_states": bool(est.all_possible_states),
                "all_possible_transitions": bool(est.all_possible_transitions),
                "train_scheme": model_scheme,
                "seconds": round(seconds, 3),
            },
            "training_log": log,
            "scores": {},
        }
        if model is None:
            raise TaggerError("training produced no model")
        from crftagger.text.tokenize import corpus_tokenizer, get_tokenizer, learn_abbreviations

        if tokenizer is None or isinstance(tokenizer, str):
            try:
                tokenizer = get_tokenizer(
                    tokenizer or corpus_tokenizer(corpus_name or recipe_name),
                    abbreviations=learn_abbreviations(tokens),
                )
            except ValueError as exc:
                raise TaggerError(str(exc)) from None
        tagger = cls(
            model,
            fs,
            scheme=scheme,
            model_scheme=model_scheme,
            info=info,
            tag_dictionary=fx.tag_dictionary,
            output_scheme=output_scheme,
            tokenizer=tokenizer,
        )
        if model.attributes is fx.attributes:
            tagger._extractor = fx
        if o_bias and (recipe is None or "O" in tagger.labels):
            # the decoding bias: the dev scores and the saved model use it
            tagger.o_bias = o_bias
        if dev_part is not None:
            tagger.info["scores"]["dev"] = tagger.evaluate(dev_part[0], dev_part[2]).summary()
        return tagger

    @staticmethod
    def _split_labelled(sentences, label_column, what) -> tuple[list[list[str]], list[list[str]]]:
        """Tokens and tags of labelled input (Sentences or (tokens, tags) pairs)."""
        tokens, tags = [], []
        for i, s in enumerate(sentences):
            if hasattr(s, "tokens") and hasattr(s, "columns"):
                col = label_column
                if col is None:
                    if len(s.columns) != 1:
                        raise TaggerInputError(
                            f"{what} sentence {i}: give label_column; the sentence has the columns "
                            f"{list(s.columns)}"
                        )
                    col = next(iter(s.columns))
                if col not in s.columns:
                    raise TaggerInputError(
                        f"{what} sentence {i}: no label column {col!r}; it has {list(s.columns)}"
                    )
                toks, labs = list(s.tokens), list(s.columns[col])
            else:
                try:
                    toks, labs = s
                except (TypeError, ValueError):
                    raise TaggerInputError(
                        f"{what} sentence {i}: expected a Sentence or a (tokens, tags) pair"
                    ) from None
                toks, labs = list(toks), list(labs)
            if len(toks) != len(labs):
                raise TaggerInputError(
                    f"{what} sentence {i}: {len(toks)} tokens but {len(labs)} tags"
                )
            check_sentence(toks, i)
            for t, lab in enumerate(labs):
                if not isinstance(lab, str) or lab.split() != [lab]:
                    raise TaggerInputError(
                        f"{what} sentence {i}, token {t}: tag {lab!r} is not a tag; expected a "
                        "non-empty string with no white space in it or at its ends"
                    )
            tokens.append(toks)
            tags.append(labs)
        return tokens, tags

    @staticmethod
    def _feature_input(sentences, tokens):
        """What the feature extractor reads: the Sentences themselves, else the token lists."""
        sentences = list(sentences)
        if sentences and hasattr(sentences[0], "columns"):
            return sentences
        return tokens

    # ------------------------------------------------------------------ encoding
    def _batch(self, x) -> tuple[list, bool]:
        return as_batch(x)

    def encode(self, sentences: Sequence) -> AttributeSequences:
        """Attribute arrays of checked sentences (unknown attributes dropped)."""
        for i, s in enumerate(sentences):
            check_sentence(s, i)
        return self.extractor.transform(sentences)

    def _bias(self) -> np.ndarray | None:
        """The decoding bias of every label (the outside label's :attr:`o_bias`), or None."""
        if not self._o_bias:
            return None
        bias = np.zeros(self.model.n_labels)
        bias[self.model.labels.get("O")] = self._o_bias
        return bias

    def _decode(self, data: AttributeSequences) -> np.ndarray:
        """Best allowed label ids of every item (``-1`` throughout a sentence without one)."""
        return self.model.decode(data, self.constraints, bias=self._bias())

    def _decode_ids(self, data: AttributeSequences) -> np.ndarray:
        out = self._decode(data)
        if len(out) and out.min() < 0:
            pairs = " and the model's label pairs" if self.model.order == 2 else ""
            raise constrained.DecodingError(
                f"no label sequence is allowed by {self.model_scheme}{pairs} for the labels {self.labels}"
            )
        return out

    def _to_output(self, tags: list[str], scheme: str | None = "output") -> list[str]:
        """Model-scheme tags in ``scheme`` (default: :attr:`output_scheme`)."""
        if scheme == "output":
            scheme = self._output_scheme
        if scheme is None or self.model_scheme == scheme or not tags:
            return tags
        from crftagger import schemes

        return schemes.convert(tags, self.model_scheme, scheme, lossy_ok=True)

    def _lattice(self, sentence, fixed=None) -> constrained.Lattice:
        return next(self._lattices([sentence], fixed))

    def _lattices(self, sentences, fixed=None):
        """The constrained lattice of every sentence (features computed for all at once)."""
        from crftagger.engine import kernels

        data = self.encode(sentences)
        m = self.model
        for s in range(data.n_sequences):
            i0, i1 = int(data.seq_ptr[s]), int(data.seq_ptr[s + 1])
            E = np.zeros((i1 - i0, m.n_labels))
            if i1 > i0:
                kernels.emissions(
                    data.item_ptr,
                    data.attr_ids,
                    data.attr_vals,
                    i0,
                    i1,
                    m.feat_ptr,
                    m.feat_label,
                    m.w,
                    E,
                )
                if self._o_bias:
                    E[:, m.labels.get("O")] += self._o_bias
            if fixed and self._forced_in_output(m):
                yield self._forced_lattice(E, fixed, i1 - i0)
            else:
                yield m.lattice(E, self.constraints, self._fixed_ids(fixed, i1 - i0))

    def _forced_in_output(self, model) -> bool:
        """Whether forced tags need the exact pair lattice: answers in another scheme than the
        labels (IOB1's B-LOC depends on the tag before it), on a first-order model."""
        from crftagger.engine.model import LinearChainCRF

        return (
            self._output_scheme is not None
            and self.model_scheme is not None
            and self._output_scheme != self.model_scheme
            and type(model).lattice is LinearChainCRF.lattice
        )

    def _forced_lattice(self, E, fixed, T: int):
        """:class:`~crftagger.decode.constrained.ForcedLattice` of forced answer tags."""
        _check_fixed(fixed, T)
        try:
            return constrained.ForcedLattice(
                E, self.model.transition_weights, self.constraints, fixed, self._output_scheme
            )
        except constrained.DecodingError as exc:
            raise TaggerInputError(f"fixed: {exc}") from None

    def _fixed_ids(self, fixed, T: int) -> dict[int, list[int]] | None:
        if not fixed:
            return None
        _check_fixed(fixed, T)
        out = {}
        for pos, tag in fixed.items():
            wanted = [tag] if isinstance(tag, str) else list(tag)
            ids = set()
            for w in wanted:
                found = constrained.compatible_labels(
                    w, self.labels, self._output_scheme, self.model_scheme
                )
                if not found:
                    raise TaggerInputError(
                        f"fixed: tag {w!r} at position {pos} is not a label of this model; its labels "
                        f"are {self.labels}"
                    )
                ids.update(found)
            out[int(pos)] = sorted(ids)
        return out

    # ------------------------------------------------------------------ tagging
    def tag(self, x, fixed: Mapping[int, str] | None = None, output_scheme: str | None = "output"):
        """Tags of one sentence (a list of str) or of a list of sentences.

        The tags are in :attr:`output_scheme` (IOB2 by default), or in the
        scheme named by ``output_scheme`` (e.g. ``tagger.scheme``, the
        training corpus' own). ``fixed={position: tag}`` (one sentence only)
        forces those tags (a tag of :attr:`output_scheme`, or a list of
        allowed tags) and decodes the best valid sequence that agrees with
        them; :class:`DecodingError` when none does.
        """
        if output_scheme != "output" and output_scheme is not None and self.scheme is not None:
            from crftagger import schemes

            output_scheme = schemes.get_scheme(output_scheme).name
        sentences, single = self._batch(x)
        if fixed:
            if not single:
                raise TaggerInputError("fixed labels are given for one sentence at a time")
            path, _ = self._lattice(sentences[0], fixed).best()
            return self._to_output([self.labels[i] for i in path], output_scheme)
        data = self.encode(sentences)
        ids = self._decode_ids(data)
        names = np.asarray(self.labels, dtype=object)
        sp = data.seq_ptr
        out = [
            self._to_output(names[ids[sp[s] : sp[s + 1]]].tolist(), output_scheme)
            for s in range(data.n_sequences)
        ]
        return out[0] if single else out

    def _check_raw_text(self) -> None:
        if self.feature_set.columns:
            raise TaggerError(
                f"the model reads the column(s) {', '.join(self.feature_set.columns)} besides "
                "the words, which raw text does not have; tag raw text through a "
                "crftagger.Pipeline whose earlier taggers predict them"
            )

    def _annotate(
        self, sentences: list, confidence: bool = True
    ) -> list[tuple[list[str], list[TaggedSpan]]]:
        """Output-scheme tags and spans (with confidences, or None without ``confidence``)
        of each sentence, decoded once."""
        if not self.constraints.span_labels:
            return [(tags, []) for tags in self.tag(sentences)]
        out = []
        if not confidence:
            data = self.encode(sentences)
            ids = self._decode_ids(data)
            sp = data.seq_ptr
            for k, s in enumerate(sentences):
                path = ids[sp[k] : sp[k + 1]].tolist()
                toks = _tokens_of(s)
                spans = [
                    TaggedSpan(x.type, x.start, x.end, None, " ".join(toks[x.start : x.end]))  # type: ignore[arg-type]
                    for x in constrained.spans_of(path, self.constraints)
                ]
                out.append((self._to_output([self.labels[i] for i in path]), spans))
            return out
        if self._first_order():
            return self._annotate_batched(sentences)
        for s, lat in zip(sentences, self._lattices(sentences), strict=True):
            path, _ = lat.best()
            out.append((self._to_output([self.labels[i] for i in path]), self._spans(s, lat, path)))
        return out

    def _first_order(self) -> bool:
        """Whether the model decodes and builds lattices as :class:`LinearChainCRF` does."""
        from crftagger.engine.model import LinearChainCRF

        cls = type(self.model)
        return cls.decode is LinearChainCRF.decode and cls.lattice is LinearChainCRF.lattice

    def _annotate_batched(self, sentences: list) -> list[tuple[list[str], list[TaggedSpan]]]:
        """What the lattice loop of :meth:`_annotate` answers, for a first-order model: the
        paths of all sentences from one batched constrained Viterbi pass (the same
        emissions and Viterbi recursion as :meth:`Lattice.best`, so the same paths), and a
        lattice (for the spans' probabilities) only for the sentences with spans."""
        from crftagger.engine import kernels

        data = self.encode(sentences)
        m = self.model
        ids = self._decode(data)
        sp = data.seq_ptr
        labels = self.labels
        E = None
        out = []
        for k, s in enumerate(sentences):
            i0, i1 = int(sp[k]), int(sp[k + 1])
            path = ids[i0:i1]
            found = constrained.spans_of(path.tolist(), self.constraints) if i1 > i0 else []
            if found or (i1 > i0 and path[0] < 0):
                if E is None:  # the emissions of every item, as _lattices computes them
                    E = np.zeros((data.n_items, m.n_labels))
                    kernels.emissions(
                        data.item_ptr,
                        data.attr_ids,
                        data.attr_vals,
                        0,
                        data.n_items,
                        m.feat_ptr,
                        m.feat_label,
                        m.w,
                        E,
                    )
                    if self._o_bias:
                        E[:, m.labels.get("O")] += self._o_bias
                lat = m.lattice(E[i0:i1], self.constraints, None)
                if path[0] < 0:  # no allowed path: the lattice's DecodingError
                    path = lat.best()[0]
                    found = constrained.spans_of(path.tolist(), self.constraints)
                toks = _tokens_of(s)
                spans = [
                    TaggedSpan(
                        x.type,
                        x.start,
                        x.end,
                        lat.span_probability(x.type, x.start, x.end),
                        " ".join(toks[x.start : x.end]),
                    )
                    for x in found
                ]
            else:
                spans = []
            out.append((self._to_output([labels[i] for i in path.tolist()]), spans))
        return out

    def _spans(self, sentence, lat, path) -> list[TaggedSpan]:
        """The spans of ``path`` with their probabilities in ``lat``."""
        toks = _tokens_of(sentence)
        return [
            TaggedSpan(
                sp.type,
                sp.start,
                sp.end,
                lat.span_probability(sp.type, sp.start, sp.end),
                " ".join(toks[sp.start : sp.end]),
            )
            for sp in constrained.spans_of(path.tolist(), self.constraints)
        ]

    def spans(self, x, fixed: Mapping[int, str] | None = None):
        """Spans of the best valid tagging with their confidences.

        Returns a list of :class:`TaggedSpan` ``(type, start, end, confidence,
        text)`` for one sentence, or a list of such lists. ``confidence`` is
        the probability that the span, exactly, is in the tagging (see
        :mod:`crftagger.decode.constrained`).
        """
        if not self.constraints.span_labels:
            raise TaggerError(f"the labels {self.labels[:8]}... are not span tags; use tag()")
        sentences, single = self._batch(x)
        out = []
        for s, lat in zip(sentences, self._lattices(sentences, fixed), strict=True):
            path, _ = lat.best()
            out.append(self._spans(s, lat, path))
        return out[0] if single else out

    def span_confidence(self, tokens, type_: str, start: int, end: int) -> float:
        """Probability that ``(type_, start, end)`` is exactly a span of the tagging."""
        return self._lattice(tokens).span_probability(type_, start, end)

    def marginals(self, x) -> list[dict[str, float]] | list[list[dict[str, float]]]:
        """``p(y_t = label)`` per token as ``{label: probability}`` (model labels)."""
        sentences, single = self._batch(x)
        labels = self.labels
        out = [
            [dict(zip(labels, row.tolist(), strict=True)) for row in lat.marginals()]
            for lat in self._lattices(sentences)
        ]
        return out[0] if single else out

    def nbest(self, tokens, k: int = 5, fixed: Mapping[int, str] | None = None) -> list[Candidate]:
        """The ``k`` best valid taggings of one sentence, best first, with score and probability.

        ``k`` is cut to the number of label sequences of the sentence (fewer
        come back when fewer are valid); above that, ``k`` greater than
        ``crftagger.decode.constrained.MAX_NBEST`` (10000) is refused.
        """
        sentences, single = self._batch(tokens)
        if not single:
            raise TaggerInputError("nbest takes one sentence")
        lat = self._lattice(sentences[0], fixed)
        return [
            Candidate(self._to_output([self.labels[i] for i in path]), score, p)
            for path, score, p in lat.kbest(k)
        ]

    def mask(self, tokens, placeholder: str = "[{type}]") -> list[str]:
        """The tokens with every span replaced by one placeholder token (``[PER]``)."""
        toks = check_sentence(tokens)
        out, pos = [], 0
        for sp in self.spans(toks):
            out.extend(toks[pos : sp.start])
            out.append(placeholder.format(type=sp.type))
            pos = sp.end
        out.extend(toks[pos:])
        return out

    def explain(self, tokens, i: int, top: int = 10) -> list[dict]:
        """Why each label scores what it does at position ``i`` of one sentence.

        Returns one dict per label, highest total first: ``label``,
        ``marginal``, ``emission`` (sum of the attribute contributions),
        ``attributes`` (the ``top`` largest ``(attribute, value, weight,
        value * weight)`` by magnitude), ``transition_in`` (``(previous
        label, weight)`` from the predicted tag at ``i - 1``) and
        ``transition_out`` (``(next label, weight)`` to the predicted tag at
        ``i + 1``); ``total`` = emission plus both transitions.
        """
        toks = check_sentence(tokens)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < len(toks):
            raise TaggerInputError(
                f"position {i!r} is not a token index of a sentence of {len(toks)} tokens"
            )
        data = self.encode([tokens])
        lat = self._lattice(tokens)
        path, _ = lat.best()
        marg = lat.marginals()[i]
        m = self.model
        names = m.attributes.items
        contrib: dict[int, list] = {j: [] for j in range(m.n_labels)}
        for p in range(data.item_ptr[i], data.item_ptr[i + 1]):
            a = int(data.attr_ids[p])
            if a < 0:
                continue
            v = float(data.attr_vals[p])
            for k in range(m.feat_ptr[a], m.feat_ptr[a + 1]):
                wk = float(m.w[k])
                if wk != 0.0:
                    contrib[int(m.feat_label[k])].append((names[a], v, wk, v * wk))
        out = []
        for j, lab in enumerate(self.labels):
            items = sorted(contrib[j], key=lambda r: -abs(r[3]))
            emission = float(sum(r[3] for r in items))
            before = int(path[i - 2]) if i >= 2 else None
            tin = (
                (self.labels[path[i - 1]], self._edge_score(before, int(path[i - 1]), j))
                if i > 0
                else None
            )
            tout = (
                (
                    self.labels[path[i + 1]],
                    self._edge_score(int(path[i - 1]) if i > 0 else None, j, int(path[i + 1])),
                )
                if i + 1 < len(toks)
                else None
            )
            total = emission + (tin[1] if tin else 0.0) + (tout[1] if tout else 0.0)
            out.append(
                {
                    "label": lab,
                    "marginal": float(marg[j]),
                    "emission": emission,
                    "attributes": items[:top],
                    "transition_in": tin,
                    "transition_out": tout,
                    "total": total,
                    "predicted": bool(path[i] == j),
                }
            )
        out.sort(key=lambda d: -d["total"])
        return out

    def _edge_score(self, before: int | None, prev: int, cur: int) -> float:
        """Transition score of ``prev -> cur`` (second order: after ``before``, None = sentence start)."""
        score = float(self._tr[prev, cur])
        if self.model.order == 2:
            L = self.model.n_labels
            score += float(self.model.trigram_weights[L if before is None else before, prev, cur])
        return score

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        sentences,
        gold: Sequence[Sequence[str]] | None = None,
        label_column: str | None = None,
    ) -> Evaluation:
        """Tag ``sentences`` and score them against their gold tags.

        ``gold`` gives the tags; otherwise they are read from the sentences
        (``label_column``, default the training label column). Gold tags the
        model never saw simply count as errors.
        """
        sentences = list(sentences)
        if gold is None:
            _toks, gold = self._split_labelled(
                sentences, label_column or self.info.get("label_column"), "evaluation"
            )
        pred = self.tag(sentences, output_scheme=self.scheme) if sentences else []
        return Evaluation([list(g) for g in gold], pred, self.scheme)

    # ------------------------------------------------------------------ files
    def header(self) -> dict:
        """The JSON header of the model file (:meth:`save` adds the cluster tables and their fingerprints)."""
        return {
            "kind": FORMAT,
            "format": FORMAT_VERSION,
            "n_labels": self.model.n_labels,
            "n_attributes": len(self.model.attributes),
            "n_state_features": self.model.n_state_features,
            "order": int(self.model.order),
            "feature_set": self.feature_set.to_dict(),
            "scheme": self.scheme,
            "model_scheme": self.model_scheme,
            "o_bias": self._o_bias,
            "output_scheme": self._output_scheme,
            "tokenizer": self.tokenizer.to_dict(),
            "info": _jsonable(self.info),
        }

    def save(self, path, prune: bool = True) -> Path:
        """Write one model file (:mod:`crftagger.io.container`: checksummed, no pickle).

        With ``prune`` (the default) zero-weight state features and the
        attributes left without features are not written
        (:meth:`~crftagger.engine.model.LinearChainCRF.pruned`: the loaded tagger
        answers exactly as this one); ``prune=False`` writes everything.

        The word-cluster tables of the feature set's ``cluster`` extractors
        are written into the file (one copy per distinct table), so the model
        never needs the cluster files again: the header field ``clusters``
        maps each table's fingerprint to its blocks, and every cluster
        extractor of the stored feature set records the fingerprint of the
        table it reads.
        """
        from crftagger.io import container

        m = self.model.pruned() if prune else self.model
        header = self.header()
        header.update(n_attributes=len(m.attributes), n_state_features=m.n_state_features)
        arrays = m.arrays()
        fs_dict, tables = self._cluster_blocks(arrays)
        header["feature_set"] = fs_dict
        if tables:
            header["clusters"] = tables
        gazetteers = self._gazetteer_blocks(fs_dict, arrays)
        if gazetteers:
            header["gazetteers"] = gazetteers
        td = self._tagdict_block(arrays)
        if td:
            header["tag_dictionary"] = td
        return container.save(path, arrays, header)

    def _tagdict_block(self, arrays: dict) -> dict | None:
        """Add the tag dictionary to ``arrays``; the ``tag_dictionary`` header field (None: no tagdict extractor)."""
        fs = self.feature_set
        if not any(fs.extractor_def(n)["kind"] == "tagdict" for n in fs.used_extractors()):
            return None
        td = (
            self.tag_dictionary
            if self.tag_dictionary is not None
            else self.extractor.tag_dictionary
        )
        if td is None:
            raise TaggerError(
                "the feature set has tagdict extractors but the tagger has no tag dictionary "
                "(pass tag_dictionary=, the table the training extractor learned)"
            )
        words, entries = td.to_blocks()
        names = ("tagdict_words", "tagdict_entries") + (
            ("tagdict_phrases", "tagdict_phrase_entries") if td.spans is not None else ()
        )
        for b in names:
            if b in arrays:
                raise TaggerError(f"model block {b!r} is already taken")
        arrays["tagdict_words"], arrays["tagdict_entries"] = words, entries
        out = {
            "words": "tagdict_words",
            "entries": "tagdict_entries",
            "size": len(words),
            "lowercase": td.lowercase,
            "fingerprint": td.fingerprint(),
        }
        if td.spans is not None:
            phrases, pentries = td.span_blocks()
            arrays["tagdict_phrases"], arrays["tagdict_phrase_entries"] = phrases, pentries
            out.update(
                phrases="tagdict_phrases",
                phrase_entries="tagdict_phrase_entries",
                phrase_count=len(phrases),
            )
        return out

    def _gazetteer_blocks(self, fs_dict: dict, arrays: dict) -> dict:
        """Add the compiled gazetteers to ``arrays``; the ``gazetteers`` header field.

        One copy per distinct list (by fingerprint): blocks ``gazetteer_tokens_<i>``,
        ``gazetteer_edges_<i>`` and ``gazetteer_terminal_<i>``
        (:meth:`~crftagger.features.gazetteer.Gazetteer.to_blocks`); every gazetteer
        extractor of the stored feature set records its list's fingerprint, so
        :meth:`load` takes the compiled list instead of rebuilding it. A gazetteer read
        from a file is also written inline (its entries): a model never opens a path it names.
        """
        tables: dict[str, dict] = {}
        extractors = fs_dict["extractors"]
        for name, g in getattr(self.extractor, "gazetteers", {}).items():
            d = extractors.get(name)
            if d is None:
                continue
            if str(d.get("source", "")).startswith("file:"):
                del d["source"]
                d["entries"] = [list(e) for e in g.entries]
            fp = g.fingerprint()
            d["fingerprint"] = fp
            if fp in tables:
                continue
            i = len(tables)
            names = [f"gazetteer_{k}_{i}" for k in ("tokens", "edges", "terminal")]
            if any(b in arrays for b in names):
                raise TaggerError(f"model blocks {names} are already taken")
            tokens, edges, terminal = g.to_blocks()
            arrays[names[0]], arrays[names[1]], arrays[names[2]] = tokens, edges, terminal
            tables[fp] = {
                "name": g.name,
                "tokens": names[0],
                "edges": names[1],
                "terminal": names[2],
                "size": len(tokens),
                "entries": len(g),
                "case_sensitive": g.case_sensitive,
                "source": g.source,
            }
        return tables

    def _uses_clusters(self) -> bool:
        fs = self.feature_set
        return any(fs.extractor_def(n)["kind"] == "cluster" for n in fs.used_extractors())

    def _cluster_blocks(self, arrays: dict) -> tuple[dict, dict]:
        """Add the cluster tables to ``arrays``; the feature set dict and the ``clusters`` header field.

        The tables are those the extractor reads (the ones it was trained
        with when this tagger was trained in this process). Their blocks are
        ``cluster_words_<i>`` and ``cluster_bits_<i>``; a table read from a
        file is stored case-sensitive, so loading lower-cases it exactly as
        reading the file did.
        """
        fs_dict = self.feature_set.to_dict()
        if not self._uses_clusters():
            return fs_dict, {}
        fx = self.extractor
        tables: dict[str, dict] = {}
        for name, table in fx.cluster_tables.items():
            fp = fx.cluster_fingerprints[name]
            fs_dict["extractors"][name]["fingerprint"] = fp
            if fp in tables:
                continue
            i = len(tables)
            words, bits = table.words_and_bits()
            wname, bname = f"cluster_words_{i}", f"cluster_bits_{i}"
            if wname in arrays or bname in arrays:
                raise TaggerError(f"model block {wname!r} or {bname!r} is already taken")
            arrays[wname], arrays[bname] = words, bits
            tables[fp] = {
                "words": wname,
                "bits": bname,
                "size": len(words),
                "lowercase": table.lowercase,
                "source": table.source,
            }
        return fs_dict, tables

    @classmethod
    def load(cls, path) -> Tagger:
        """Read a model file written by :meth:`save`; every check runs before any kernel sees it.

        The file is untrusted: besides the container's checks it must embed every
        table it needs and keep the documented bounds (see :func:`_check_untrusted`).
        Every refusal is a :class:`TaggerFileError`, both a
        :class:`~crftagger.errors.ModelFileError` and a :class:`TaggerError`,
        naming the file.
        """
        try:
            return cls._load(path)
        except TaggerFileError:
            raise
        except (ModelFileError, TaggerError) as exc:
            raise TaggerFileError(str(exc)) from None

    @classmethod
    def _load(cls, path) -> Tagger:
        from crftagger.engine.model import LinearChainCRF, ModelError, build_model, model_kind
        from crftagger.io import container

        arrays, fields = container.load(path)
        if fields.get("kind") != FORMAT:
            raise TaggerError(
                f"{path}: model kind {fields.get('kind')!r}, expected {FORMAT!r}"
                + (
                    " (a plain CRF model file: use crftagger.CRF.load)"
                    if fields.get("kind") == LinearChainCRF.MODEL_KIND
                    else ""
                )
            )
        if fields.get("format") != FORMAT_VERSION:
            raise TaggerError(
                f"{path}: tagger format {fields.get('format')!r}, expected {FORMAT_VERSION}"
            )
        order = fields.get("order", 1)
        if isinstance(order, bool) or order not in (1, 2):
            raise TaggerError(f"{path}: header says order={order!r}, expected 1 or 2")
        need = {"labels", "attributes", "feat_ptr", "feat_label", "w", "trans_mask"}
        if order == 2:
            need.add("pair_mask")
        missing = need - set(arrays)
        if missing:
            raise TaggerError(f"{path}: missing blocks {sorted(missing)}")
        _check_untrusted(path, fields, arrays)
        for key, n in (
            ("n_labels", len(arrays["labels"])),
            ("n_attributes", len(arrays["attributes"])),
            ("n_state_features", len(arrays["feat_label"])),
        ):
            if fields.get(key) != n:
                raise TaggerError(
                    f"{path}: header says {key}={fields.get(key)!r}, the arrays hold {n}"
                )
        clusters = _embedded_clusters(path, fields.get("clusters"), arrays)
        gazetteers = _embedded_gazetteers(path, fields.get("gazetteers"), arrays)
        tag_dictionary = _embedded_tagdict(path, fields.get("tag_dictionary"), arrays)
        try:
            model = build_model(arrays, model_kind(order), where=str(path))
            return cls(
                model,
                fields["feature_set"],
                scheme=fields.get("scheme"),
                model_scheme=fields.get("model_scheme"),
                info=fields.get("info") or {},
                o_bias=fields.get("o_bias", 0.0),
                clusters=clusters,
                tag_dictionary=tag_dictionary,
                output_scheme=fields.get("output_scheme", "default"),
                tokenizer=fields.get("tokenizer"),
                gazetteers=gazetteers,
            )
        except ModelError as exc:
            raise TaggerError(str(exc)) from None
        except (ValueError, KeyError, TypeError, IndexError, OverflowError) as exc:
            raise TaggerError(f"{path}: {exc}") from None

    @classmethod
    def from_crfsuite(
        cls, path, feature_set, scheme: str | None = None, full_precision: bool = True
    ) -> Tagger:
        """Import a CRFsuite / python-crfsuite / sklearn-crfsuite model file.

        ``feature_set`` must compute the attributes the model was trained on
        (CRFsuite files do not record how). ``scheme=None`` decodes without
        constraints, exactly as CRFsuite does.
        """
        from crftagger.io.crfsuite import load_crfsuite

        model = load_crfsuite(path, full_precision=full_precision)
        return cls(
            model,
            feature_set,
            scheme=scheme,
            info={"imported_from": str(path), "engine": "crfsuite"},
        )


# --------------------------------------------------------------------------- helpers


class TaggerFileError(ModelFileError, TaggerError):
    """A tagger model file that :meth:`Tagger.load` refuses (a :class:`ModelFileError` and a
    :class:`TaggerError`)."""


#: The dtype of each model block :meth:`Tagger.load` reads (as written by
#: ``LinearChainCRF.arrays``): another dtype would be cast, and an integer cast can
#: wrap (a label id of 2**32 + k read as int32 is k).
_BLOCK_DTYPES = {
    "feat_ptr": "<i8",
    "feat_label": "<i4",
    "w": "<f8",
    "trans_mask": "|u1",
    "pair_mask": "|u1",
}


def _check_untrusted(path, fields: Mapping, arrays: Mapping) -> None:
    """Refuse a tagger file that would read outside itself or allocate beyond the documented
    bounds, before anything is built from it (:class:`ModelFileError` naming the field).

    The container has checked the layout and checksums; a crafted file can carry
    valid ones, so this checks what they cannot: the block dtypes
    (:data:`_BLOCK_DTYPES`), the string blocks, and the feature set
    (:func:`crftagger.features.spec.check_model_feature_set`: no ``file:`` or
    unknown gazetteer source, every cluster table embedded, offsets, sizes and
    parameters within the ``MAX_*`` bounds of :mod:`crftagger.features.spec`).
    """
    from crftagger.features.spec import check_model_feature_set

    for name in ("labels", "attributes"):
        if not isinstance(arrays.get(name), list):
            raise ModelFileError(
                f"{path}: block {name!r}: found a numeric array, expected a list of strings"
            )
    for name, want in _BLOCK_DTYPES.items():
        block = arrays.get(name)
        if block is None:
            continue
        got = getattr(block, "dtype", None)
        if got is None or got.str != want:
            raise ModelFileError(
                f"{path}: block {name!r}: found "
                f"{'a list of strings' if got is None else f'dtype {got.str}'}, expected dtype "
                f"{want} (a model file's blocks are never cast)"
            )
    clusters = fields.get("clusters")
    if clusters is not None and not isinstance(clusters, dict):
        raise ModelFileError(
            f"{path}: header field 'clusters': found a {type(clusters).__name__}, expected an "
            "object {fingerprint: table}"
        )
    for fp, entry in (clusters or {}).items():
        src = entry.get("source") if isinstance(entry, dict) else None
        if src is not None and not isinstance(src, str):
            raise ModelFileError(
                f"{path}: cluster table {fp} source: found {src!r:.60}, expected a string or null"
            )
    check_model_feature_set(fields.get("feature_set"), f"model file {path}", clusters or {})


def _embedded_clusters(path, spec, arrays: Mapping) -> dict:
    """The word-cluster tables of a model file's ``clusters`` header field, ``{fingerprint: Clusters}``."""
    from crftagger.features.clusters import ClusterFileError, Clusters

    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise TaggerError(
            f"{path}: header 'clusters' is a {type(spec).__name__}; expected an object "
            "{fingerprint: {words, bits, size}}"
        )
    out = {}
    for fp, entry in spec.items():
        where = f"{path}: cluster table {fp}"
        if not isinstance(entry, dict):
            raise TaggerError(
                f"{where}: found {entry!r}; expected an object with 'words', 'bits' and 'size'"
            )
        words, bits = _string_blocks(where, entry, ("words", "bits"), arrays)
        try:
            out[fp] = Clusters.from_table(
                words,
                bits,
                lowercase=bool(entry.get("lowercase", False)),
                source=entry.get("source"),
                fingerprint=fp,
                where=where,
            )
        except ClusterFileError as exc:
            raise TaggerError(str(exc)) from None
    return out


def _embedded_gazetteers(path, spec, arrays: Mapping) -> dict:
    """The compiled gazetteers of a model file's ``gazetteers`` header field, ``{fingerprint:
    Gazetteer}``, each checked by :meth:`~crftagger.features.gazetteer.Gazetteer.from_blocks`."""
    from crftagger.errors import GazetteerFileError
    from crftagger.features.gazetteer import Gazetteer

    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise TaggerError(
            f"{path}: header 'gazetteers' is a {type(spec).__name__}; expected an object "
            "{fingerprint: {name, tokens, edges, terminal, size, entries, case_sensitive}}"
        )
    out = {}
    for fp, entry in spec.items():
        where = f"{path}: gazetteer {fp}"
        if not isinstance(entry, dict):
            raise TaggerError(f"{where}: found {entry!r:.60}; expected an object")
        (tokens,) = _string_blocks(where, entry, ("tokens",), arrays)
        blocks = []
        for key in ("edges", "terminal"):
            bname = entry.get(key)
            block = arrays.get(bname) if isinstance(bname, str) else None
            if block is None or isinstance(block, list):
                raise TaggerError(
                    f"{where}: {key} block {bname!r} is "
                    f"{'missing' if block is None else 'a string list'}; expected a numeric block"
                )
            blocks.append(block)
        n, cs, src = entry.get("entries"), entry.get("case_sensitive"), entry.get("source")
        if type(n) is not int or n < 0 or not isinstance(cs, bool):
            raise TaggerError(
                f"{where}: entries={n!r:.30}, case_sensitive={cs!r:.30}; expected a count and "
                "a boolean"
            )
        if src is not None and not isinstance(src, str):
            raise TaggerError(f"{where}: source: found {src!r:.60}, expected a string or null")
        try:
            out[fp] = Gazetteer.from_blocks(
                entry.get("name"), tokens, blocks[0], blocks[1], cs, n, fp, src, where
            )
        except GazetteerFileError as exc:
            raise TaggerError(str(exc)) from None
    return out


def _string_blocks(
    where: str, entry: dict, keys: tuple[str, ...], arrays: Mapping
) -> list[list[str]]:
    """The string blocks an embedded table's header ``entry`` names under ``keys``; the first holds
    the words, as many as ``entry["size"]``."""
    blocks = []
    for key in keys:
        bname = entry.get(key)
        block = arrays.get(bname) if isinstance(bname, str) else None
        if not isinstance(block, list):
            raise TaggerError(
                f"{where}: {key} block {bname!r} is "
                f"{'missing' if block is None else 'not a string list'}; "
                "expected a string block of the file"
            )
        blocks.append(block)
    if entry.get("size") != len(blocks[0]):
        raise TaggerError(
            f"{where}: header says size={entry.get('size')!r}, the blocks hold "
            f"{len(blocks[0])} words"
        )
    return blocks


def _embedded_tagdict(path, spec, arrays: Mapping):
    """The tag dictionary of a model file's ``tag_dictionary`` header field, or None."""
    from crftagger.features.tagdict import TagDictionary, TagDictionaryError

    if spec is None:
        return None
    where = f"{path}: tag dictionary"
    if not isinstance(spec, dict):
        raise TaggerError(
            f"{where}: header field is a {type(spec).__name__}; expected an object "
            "{words, entries, size, lowercase, fingerprint}"
        )
    blocks = _string_blocks(where, spec, ("words", "entries"), arrays)
    phrases = phrase_entries = None
    if "phrases" in spec:
        phrases, phrase_entries = _string_blocks(
            where, {**spec, "size": spec.get("phrase_count")}, ("phrases", "phrase_entries"), arrays
        )
    try:
        td = TagDictionary.from_blocks(
            blocks[0], blocks[1], bool(spec.get("lowercase", True)), where, phrases, phrase_entries
        )
    except TagDictionaryError as exc:
        raise TaggerError(str(exc)) from None
    if spec.get("fingerprint") != td.fingerprint():
        raise TaggerError(
            f"{where}: fingerprint {spec.get('fingerprint')!r} does not match the table's "
            f"{td.fingerprint()!r}"
        )
    return td


class _DevSpanScorer:
    """``(model, w) -> {"dev_f1": ...}``: span F1 of scheme-constrained decoding on dev data."""

    def __init__(
        self, data: AttributeSequences, gold: list[list[str]], scheme: str, model_scheme: str
    ):
        self.data, self.gold = data, gold
        self.scheme, self.model_scheme = scheme, model_scheme
        self.out = np.empty(data.n_items, dtype=np.int32)
        self.c = None

    def __call__(self, model, w) -> dict:
        from crftagger import metrics, schemes

        if self.c is None:  # the model's labels are known once training has started
            self.names = np.asarray(model.labels.items, dtype=object)
            self.c = constrained.build_constraints(model.labels.items, self.model_scheme)
        d = self.data
        model.decode_with(w, d, self.c, out=self.out)
        sp = d.seq_ptr
        pred = [self.names[self.out[sp[s] : sp[s + 1]]].tolist() for s in range(d.n_sequences)]
        if self.model_scheme != self.scheme:
            pred = [
                schemes.convert(p, self.model_scheme, self.scheme, lossy_ok=True) if p else p
                for p in pred
            ]
        return {"dev_f1": metrics.span_scores(self.gold, pred, zero_division=0).micro.f1}


def _jsonable(obj):
    """``obj`` with numpy scalars turned into Python numbers and non-finite floats into None."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


_SPAN_PREFIXES = ("B-", "I-", "E-", "S-", "L-", "U-")


def _span_tags(*seqs: list[list[str]]) -> bool:
    """Whether every tag is ``O`` or a span tag ``X-TYPE`` (conlleval reads them as spans)."""
    return all(
        t == "O" or (t[:2] in _SPAN_PREFIXES and len(t) > 2)
        for tags in seqs
        for seq in tags
        for t in seq
    )


class Evaluation:
    """Scores of predicted against gold tags.

    Span metrics (conlleval's lenient reading, and the strict one of the
    scheme) are computed when the tagger has a scheme or every tag reads as a
    span tag; plain tags such as part-of-speech tags get token accuracy only
    (:attr:`lenient` is None).
    """

    def __init__(self, gold: list[list[str]], pred: list[list[str]], scheme: str | None):
        from crftagger import metrics

        metrics.check_lengths(gold, pred)
        self.gold, self.pred, self.scheme = gold, pred, scheme
        spans = scheme is not None or _span_tags(gold, pred)
        self.lenient = metrics.span_scores(gold, pred, zero_division=0) if spans else None
        self.strict = (
            metrics.span_scores(gold, pred, mode="strict", scheme=scheme, zero_division=0)
            if scheme is not None
            else None
        )
        self.accuracy = metrics.token_accuracy(gold, pred)

    def summary(self) -> dict:
        """Token accuracy and, for span tags, micro precision/recall/F1 (lenient and strict), as fractions."""
        out = {
            "accuracy": self.accuracy,
            "n_sentences": len(self.gold),
            "n_tokens": sum(len(g) for g in self.gold),
        }
        if self.lenient is not None:
            out.update(
                precision=self.lenient.micro.precision,
                recall=self.lenient.micro.recall,
                f1=self.lenient.micro.f1,
            )
        if self.strict is not None:
            out["strict_f1"] = self.strict.micro.f1
        return out

    def report(self, labels: bool = False, confusion: bool = True) -> str:
        """conlleval's report (span tags), the strict F1, optionally per-label tables and the confusion matrix."""
        from crftagger import metrics

        if self.lenient is None:
            n = sum(len(g) for g in self.gold)
            parts = [
                f"processed {n} tokens; plain tags (no spans): accuracy {100 * self.accuracy:6.2f}% "
                f"({round(self.accuracy * n)} of {n} tokens)\n"
            ]
        else:
            parts = [metrics.conlleval_report(self.gold, self.pred, scores=self.lenient)]
        if self.strict is not None:
            m = self.strict.micro
            parts.append(
                f"strict {self.scheme} spans (malformed spans do not count): precision "
                f"{100 * m.precision:6.2f}%; recall {100 * m.recall:6.2f}%; "
                f"FB1 {100 * m.f1:6.2f}\n"
            )
        if labels:
            parts.append("\n" + metrics.label_report(self.gold, self.pred))
        if confusion:
            parts.append(
                "\nconfusion matrix (rows gold, columns predicted):\n"
                + metrics.format_confusion(*metrics.confusion_matrix(self.gold, self.pred))
            )
        return "".join(parts)
