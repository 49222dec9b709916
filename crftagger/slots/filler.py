"""``SlotFiller``: slots and intent of an utterance, from raw text or from tokens.

::

    from crftagger.slots import SlotFiller

    filler = SlotFiller.train("atis")            # CRF with the atis recipe + intent classifier
    result = filler("flights from boston to denver on monday")
    result.to_dict()
    # {"intent": "atis_flight", "intent_confidence": 0.99,
    #  "slots": [{"slot": "fromloc.city_name", "value": "boston", "start": 13, "end": 19,
    #             "confidence": 0.99}, ...]}
    filler.save("atis.crftagger")                # one checksummed file, no pickle
    filler = SlotFiller.load("atis.crftagger")
    filler.evaluate("test")                      # slot F1, intent accuracy, frame accuracy

The slots come from a :class:`~crftagger.Tagger` (a linear-chain CRF over a
``slots`` feature set, a registered corpus' recipe when there is one), the
intent from an :class:`~crftagger.slots.intent.IntentClassifier` (a linear
SVM with a fitted softmax temperature over TF-IDF word and character n-grams
of the utterance, the slot types the CRF finds in it and word n-grams of the
utterance delexicalised by the CRF's slot spans: ``flights from
<fromloc.city_name> to <toloc.city_name>``). The
classifier learns from spans the CRF predicts on utterances it did not see:
the training utterances are cut into folds (:data:`JACKKNIFE_FOLDS`), a CRF
with the same settings (at most :data:`JACKKNIFE_ITERATIONS` iterations) is
trained on all folds but one and tags that one; at prediction the spans are
the full CRF's. Both are
trained on the same utterances and saved in one model file
(:mod:`crftagger.io.container`): the tagger's blocks under ``crf/``, the
classifier's arrays under ``intent/``.

Raw text is cut into tokens by the tagger's tokeniser and read as one
utterance (its sentences joined); a model trained on lower-case tokens only
(ATIS, SNIPS) reads lower-cased tokens, while the slot values and offsets
are those of the original text: ``text[slot.start:slot.end] == slot.value``.
For tokens (:meth:`SlotFiller.parse_tokens`), the offsets index the tokens
joined by single spaces.

Frame accuracy is the share of utterances whose intent is right and whose
slots (conlleval's spans: type, start, end) are all right, no more and no
fewer.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crftagger.errors import TaggerError, TaggerInputError
from crftagger.text.doc import TextMixin

FORMAT = "crftagger.SlotFiller"
FORMAT_VERSION = 1
_CRF, _INTENT = "crf/", "intent/"
#: Folds of the jackknife that gives the intent classifier the CRF's spans on training utterances.
JACKKNIFE_FOLDS = 5
#: Iteration cap of the jackknife's CRFs (5-fold CV on ATIS train + dev: as good as the
#: recipe's cap for the intent, ``benchmarks/slots.md``).
JACKKNIFE_ITERATIONS = 40


@dataclass(frozen=True)
class Slot:
    """A filled slot: its name, its text and character offsets (end-exclusive), its token range
    and the probability of exactly that span."""

    slot: str
    value: str
    start: int
    end: int
    confidence: float
    token_start: int = 0
    token_end: int = 0

    def to_dict(self) -> dict:
        return {
            "slot": self.slot,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }


@dataclass
class SlotResult:
    """The frame of one utterance: its intent with its probability, and its slots."""

    text: str
    tokens: list[str]
    intent: str | None
    intent_confidence: float
    slots: list[Slot] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """``{"intent", "intent_confidence", "slots": [{"slot", "value", "start", "end",
        "confidence"}]}``."""
        return {
            "intent": self.intent,
            "intent_confidence": self.intent_confidence,
            "slots": [s.to_dict() for s in self.slots],
        }


def frame_accuracy(
    gold_intents: Sequence[str],
    pred_intents: Sequence[str],
    gold_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
) -> float:
    """Share of utterances with the right intent and exactly the gold slot spans (conlleval)."""
    return sum(frame_correct(gold_intents, pred_intents, gold_tags, pred_tags)) / max(
        len(gold_intents), 1
    )


def frame_correct(gold_intents, pred_intents, gold_tags, pred_tags) -> list[bool]:
    """Per utterance: intent right and slot spans equal to the gold ones."""
    from crftagger import metrics

    metrics.check_lengths(gold_tags, pred_tags)
    if not len(gold_intents) == len(pred_intents) == len(gold_tags):
        raise TaggerInputError(
            f"{len(gold_intents)} gold intents, {len(pred_intents)} predicted intents and "
            f"{len(gold_tags)} tag sequences; expected one of each per utterance"
        )
    gs = metrics.spans_by_sentence(gold_tags)
    ps = metrics.spans_by_sentence(pred_tags)
    return [
        gi == pi and set(g) == set(p)
        for gi, pi, g, p in zip(gold_intents, pred_intents, gs, ps, strict=True)
    ]


class SlotEvaluation:
    """Slot span scores (conlleval), intent accuracy and frame accuracy of predicted frames."""

    def __init__(self, gold_tags, pred_tags, gold_intents, pred_intents):
        from crftagger import metrics

        self.gold_tags, self.pred_tags = [list(g) for g in gold_tags], [list(p) for p in pred_tags]
        self.gold_intents, self.pred_intents = list(gold_intents), list(pred_intents)
        self.slots = metrics.span_scores(self.gold_tags, self.pred_tags, zero_division=0)
        n = len(self.gold_intents)
        self.intent_accuracy = (
            sum(g == p for g, p in zip(self.gold_intents, self.pred_intents, strict=True)) / n
            if n
            else 0.0
        )
        self.frame_accuracy = frame_accuracy(
            self.gold_intents, self.pred_intents, self.gold_tags, self.pred_tags
        )

    @property
    def slot_f1(self) -> float:
        return self.slots.micro.f1

    def summary(self) -> dict:
        """Fractions: ``slot_f1``, ``slot_precision``, ``slot_recall``, ``intent_accuracy``,
        ``frame_accuracy``, and ``n_utterances``."""
        m = self.slots.micro
        return {
            "slot_f1": m.f1,
            "slot_precision": m.precision,
            "slot_recall": m.recall,
            "intent_accuracy": self.intent_accuracy,
            "frame_accuracy": self.frame_accuracy,
            "n_utterances": len(self.gold_intents),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"SlotEvaluation(slot_f1={100 * s['slot_f1']:.2f}, intent_accuracy="
            f"{100 * s['intent_accuracy']:.2f}, frame_accuracy={100 * s['frame_accuracy']:.2f}, "
            f"n={s['n_utterances']})"
        )


def _tokens_and_tags(sentences, what: str) -> tuple[list[list[str]], list[list[str]]]:
    from crftagger.api.tagger import Tagger

    return Tagger._split_labelled(list(sentences), None, what)


class SlotFiller(TextMixin):
    """A slot tagger and an intent classifier (see the module docstring).

    Parameters
    ----------
    tagger : Tagger
        The slot tagger (span tags).
    intents : IntentClassifier
        The intent classifier.
    lowercase : bool
        Lower-case tokens before the models read them (for models trained on
        lower-case text only).
    info : dict, optional
        Training notes and scores.
    """

    def __init__(self, tagger, intents, lowercase: bool = False, info: dict | None = None):
        if not tagger.constraints.span_labels:
            raise TaggerError(
                f"the slot tagger's labels {tagger.labels[:8]} are not span tags (B-/I-/O)"
            )
        self.tagger = tagger
        self.intents = intents
        self.lowercase = bool(lowercase)
        self.info = dict(info or {})

    @property
    def tokenizer(self):  # type: ignore[override]
        return self.tagger.tokenizer

    @property
    def slot_types(self) -> list[str]:
        """The slot names the tagger's labels spell (``B-toloc.city_name`` -> ``toloc.city_name``)."""
        return sorted({lab[2:] for lab in self.tagger.labels if lab != "O" and len(lab) > 2})

    @property
    def intent_labels(self) -> list[str]:
        return list(self.intents.classes)

    def __repr__(self) -> str:
        return (
            f"SlotFiller(intents={len(self.intents.classes)}, slot labels={len(self.tagger.labels)}, "
            f"lowercase={self.lowercase})"
        )

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        corpus,
        intents=None,
        *,
        dev=None,
        dev_intents=None,
        feature_set=None,
        recipe="auto",
        C: float | None = None,
        intent_features: str = "tfidf+slots",
        intent_estimator: str = "svm",
        jackknife_folds: int = JACKKNIFE_FOLDS,
        jackknife_iterations: int | None = JACKKNIFE_ITERATIONS,
        data_dir=None,
        lowercase: bool | str = "auto",
        progress: bool = False,
        tokenizer=None,
        **crf_params,
    ) -> SlotFiller:
        """Train the slot CRF and the intent classifier on the same utterances.

        Parameters
        ----------
        corpus : str or list
            ``"atis"`` / ``"snips"`` (the train split and its intents), the path
            of an intent-comment file (:func:`crftagger.slots.data.read_intent_conll`;
            with ``intents`` the path of a one-per-line intents file, a plain
            token<TAB>tag file), or utterances: :class:`~crftagger.corpora.Sentence`
            objects or ``(tokens, tags)`` pairs.
        intents : list of str, optional
            One intent per utterance (default: each Sentence's ``meta["intent"]``).
        dev, dev_intents
            Development utterances in the same forms (with a corpus name:
            a split name, default ``"dev"``; ``"none"`` for none): the intent
            classifier's ``C`` is chosen on them and both models are scored.
        feature_set, recipe
            The slot tagger's features: ``recipe="auto"`` uses the corpus'
            recipe (:mod:`crftagger.recipes`) for a registered corpus, else
            none; ``feature_set`` defaults to the recipe's, else ``"slots"``.
        C : float, optional
            Fix the intent classifier's regularisation instead of choosing it on dev.
        intent_features, intent_estimator
            The intent classifier's ``features`` (``"tfidf+slots"``, ``"tfidf"``, ``"bag"``)
            and ``estimator`` (``"svm"``, ``"logreg"``): :meth:`IntentClassifier.train`.
        jackknife_folds, jackknife_iterations
            For ``"tfidf+slots"``: the folds of the training utterances whose CRF spans the
            intent classifier learns from (each fold tagged by a CRF trained on the others,
            with the same settings but at most ``jackknife_iterations`` iterations, and no
            more than an explicit ``max_iterations``; ``None``: the full CRF's cap).
        lowercase : bool or "auto"
            Lower-case input tokens when parsing; ``"auto"``: when every
            training token is lower-case.
        **crf_params
            CRF parameters for :meth:`crftagger.Tagger.train` (``c1``, ``c2``,
            ``max_iterations``, ...).
        """
        from crftagger.api.tagger import Tagger
        from crftagger.corpora import registry

        from .data import load_split, read_user_file
        from .intent import SPAN_FEATURES, IntentClassifier, intent_feature_set

        uses_spans = intent_features in SPAN_FEATURES
        if uses_spans and (
            isinstance(jackknife_folds, bool)
            or not isinstance(jackknife_folds, int)
            or jackknife_folds < 2
        ):
            raise TaggerError(
                f"jackknife_folds: expected an integer >= 2, found {jackknife_folds!r}"
            )
        corpus_name = None
        if isinstance(corpus, str) and corpus in registry.names():
            corpus_name = corpus
            train_s, train_i = load_split(corpus, "train", data_dir)
            if dev is None and "dev" in registry.get(corpus).splits:
                dev = "dev"
            if isinstance(dev, str) and dev != "none" and not Path(dev).is_file():
                dev, dev_intents = load_split(corpus, dev, data_dir)
        elif isinstance(corpus, (str, Path)):
            train_s, train_i = read_user_file(corpus, intents)
        else:
            train_s = list(corpus)
            train_i = cls._intents(train_s, intents, "training")
        if isinstance(dev, str) and dev == "none":
            dev = None
        if isinstance(dev, (str, Path)):
            dev, dev_intents = read_user_file(dev, dev_intents)
        elif dev is not None:
            dev = list(dev)
            dev_intents = cls._intents(dev, dev_intents, "dev")
        if recipe == "auto":
            from crftagger.recipes import RECIPES

            recipe = corpus_name if corpus_name in RECIPES else None
        if feature_set is None and recipe is None:
            feature_set = "slots"
        tokens, _tags = _tokens_and_tags(train_s, "training")
        if lowercase == "auto":
            lowercase = all(t == t.lower() for toks in tokens for t in toks)

        def lower(toks):
            return [[t.lower() for t in u] for u in toks] if lowercase else [list(u) for u in toks]

        start = time.perf_counter()
        tagger = Tagger.train(
            train_s,
            feature_set,
            recipe=recipe,
            dev=dev,
            data_dir=data_dir,
            progress=progress,
            tokenizer=tokenizer,
            **crf_params,
        )
        crf_seconds = time.perf_counter() - start
        spans = dev_spans = None
        jk_seconds = 0.0
        if uses_spans:
            start = time.perf_counter()
            spans = cls._jackknife_spans(
                train_s,
                lower(tokens),
                jackknife_folds,
                jackknife_iterations,
                dict(
                    feature_set=feature_set,
                    recipe=recipe,
                    data_dir=data_dir,
                    tokenizer=tokenizer,
                    **crf_params,
                ),
            )
            jk_seconds = time.perf_counter() - start
        tagger.info["corpus"] = corpus_name
        fx = tagger.extractor
        fps = dict(fx.cluster_fingerprints)
        tables = {fps[n]: t for n, t in fx.cluster_tables.items()}
        bag = intent_feature_set(tagger.feature_set, fps)
        dev_tokens = _tokens_and_tags(dev, "dev")[0] if dev is not None else None
        if uses_spans and dev_tokens:
            dev_spans = _spans_of(tagger, lower(dev_tokens))
        start = time.perf_counter()
        clf = IntentClassifier.train(
            tokens,
            train_i,
            dev_tokens=dev_tokens,
            dev_intents=dev_intents,
            C=C,
            feature_set=bag,
            clusters=tables,
            features=intent_features,
            estimator=intent_estimator,
            spans=spans,
            dev_spans=dev_spans,
        )
        intent_seconds = time.perf_counter() - start
        filler = cls(
            tagger,
            clf,
            lowercase=bool(lowercase),
            info={
                "corpus": corpus_name,
                "recipe": recipe if isinstance(recipe, str) else getattr(recipe, "corpus", None),
                "n_utterances": len(tokens),
                "n_intents": len(clf.classes),
                "seconds": {
                    "crf": round(crf_seconds, 3),
                    "jackknife": round(jk_seconds, 3),
                    "intent": round(intent_seconds, 3),
                },
                "scores": {},
            },
        )
        if uses_spans:
            filler.info["jackknife"] = {
                "folds": min(jackknife_folds, len(tokens)),
                "max_iterations": jackknife_iterations,
            }
        if dev is not None:
            filler.info["scores"]["dev"] = filler.evaluate(dev, dev_intents).summary()
        return filler

    @staticmethod
    def _jackknife_spans(sentences, model_tokens, folds: int, iterations, train_args: dict):
        """The spans of each training utterance from a CRF trained on the other folds
        (shuffled folds, seed 0)."""
        import numpy as np

        from crftagger.api.tagger import Tagger

        n = len(sentences)
        k = min(int(folds), n)
        if k < 2:
            raise TaggerError(
                f"the jackknife of the intent's slot spans needs two utterances or more, found {n}"
            )
        args = dict(train_args)
        if iterations is not None:  # never more than the full CRF's explicit cap
            cap = args.get("max_iterations")
            args["max_iterations"] = int(iterations) if cap is None else min(int(iterations), cap)
        order = np.random.default_rng(0).permutation(n)
        out: list = [None] * n
        for part in np.array_split(order, k):
            held = set(part.tolist())
            fold_tagger = Tagger.train(
                [s for i, s in enumerate(sentences) if i not in held], progress=False, **args
            )
            for i, sp in zip(
                part, _spans_of(fold_tagger, [model_tokens[i] for i in part]), strict=True
            ):
                out[int(i)] = sp
        return out

    @staticmethod
    def _intents(sentences, intents, what: str) -> list[str]:
        from .data import intents_of

        if intents is None:
            return intents_of(sentences, what)
        if isinstance(intents, (str, Path)):
            from .data import align, read_intents

            return align(sentences, read_intents(intents), intents)
        intents = list(intents)
        if len(intents) != len(sentences):
            raise TaggerInputError(
                f"{what}: {len(sentences)} utterances but {len(intents)} intents; expected one "
                "intent per utterance"
            )
        for i, x in enumerate(intents):
            if not isinstance(x, str) or not x or len(x.split()) != 1:
                raise TaggerInputError(f"{what} intent {i}: {x!r} is not an intent name")
        return intents

    # ------------------------------------------------------------------ prediction
    def _model_tokens(self, tokens: list[str]) -> list[str]:
        return [t.lower() for t in tokens] if self.lowercase else list(tokens)

    def _frames(self, texts: list[str], offsets: list[list[tuple[int, int]]]) -> list[SlotResult]:
        toks = [[text[a:b] for a, b in offs] for text, offs in zip(texts, offsets, strict=True)]
        model_toks = [self._model_tokens(t) for t in toks]
        nonempty = [i for i, t in enumerate(model_toks) if t]
        decoded = self.tagger._annotate([model_toks[i] for i in nonempty]) if nonempty else []
        found = self.intents.predict(
            [model_toks[i] for i in nonempty],
            [[(sp.type, sp.start, sp.end) for sp in spans] for _tags, spans in decoded],
        )
        out = [SlotResult(text, t, None, 0.0) for text, t in zip(texts, toks, strict=True)]
        for k, i in enumerate(nonempty):
            text, offs, r = texts[i], offsets[i], out[i]
            r.intent, r.intent_confidence = found[k]
            tags, spans = decoded[k]
            r.tags = list(tags)
            for sp in spans:
                a, b = offs[sp.start][0], offs[sp.end - 1][1]
                r.slots.append(
                    Slot(sp.type, text[a:b], a, b, float(sp.confidence), sp.start, sp.end)
                )
        return out

    def parse(self, text: str) -> SlotResult:  # type: ignore[override]
        """The frame of one raw-text utterance (offsets into ``text``)."""
        return self.parse_many([text])[0]

    def __call__(self, text: str) -> SlotResult:  # type: ignore[override]
        return self.parse(text)

    def parse_many(self, texts: Sequence[str]) -> list[SlotResult]:
        """The frames of many raw-text utterances, decoded together."""
        tok = self._text_tokenizer()
        offsets = []
        for k, text in enumerate(texts):
            if not isinstance(text, str):
                raise TaggerInputError(f"text {k}: expected a str, found {type(text).__name__}")
            offsets.append([o for sent in tok.sentences(text) for o in sent])
        return self._frames(list(texts), offsets)

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[SlotResult]:  # type: ignore[override]
        """Frames of many texts, ``batch_size`` at a time, in order."""
        if isinstance(texts, str):
            raise TaggerInputError("pipe: expected an iterable of texts, found one str (use parse)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise TaggerInputError(f"batch_size: expected a positive integer, found {batch_size!r}")
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self.parse_many(batch)
                batch = []
        if batch:
            yield from self.parse_many(batch)

    def parse_tokens(self, tokens):
        """The frame of a tokenised utterance (a list of str), or of a list of them; offsets
        index the tokens joined by single spaces (``result.text``)."""
        from crftagger.api.tagger import as_batch, check_sentence

        sentences, single = as_batch(tokens)
        texts, offsets = [], []
        for i, s in enumerate(sentences):
            toks = check_sentence(s, i)
            pos, offs = 0, []
            for t in toks:
                offs.append((pos, pos + len(t)))
                pos += len(t) + 1
            texts.append(" ".join(toks))
            offsets.append(offs)
        out = self._frames(texts, offsets)
        return out[0] if single else out

    def _annotate(self, sentences: list, confidence: bool = True) -> list:
        return self.tagger._annotate(
            [self._model_tokens(list(getattr(s, "tokens", s))) for s in sentences], confidence
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, data="test", intents=None, data_dir=None) -> SlotEvaluation:
        """Score the frames of ``data``: a split name of the training corpus (``"test"``,
        ``"dev"``), a file (as :meth:`train` reads), or utterances with ``intents``."""
        from .data import load_split, read_user_file

        if isinstance(data, str) and not Path(data).is_file():
            corpus = self.info.get("corpus")
            if not corpus:
                raise TaggerError(
                    f"evaluate({data!r}): the model was not trained on a registered corpus; "
                    "give utterances or a file"
                )
            sentences, gold_i = load_split(corpus, data, data_dir)
        elif isinstance(data, (str, Path)):
            sentences, gold_i = read_user_file(data, intents)
        else:
            sentences = list(data)
            gold_i = self._intents(sentences, intents, "evaluation")
        tokens, gold = _tokens_and_tags(sentences, "evaluation")
        model_toks = [self._model_tokens(t) for t in tokens]
        pred = self.tagger.tag(model_toks, output_scheme=self.tagger.scheme) if model_toks else []
        spans = _spans_of(self.tagger, model_toks) if self.intents.uses_spans else None
        pred_i = [c for c, _p in self.intents.predict(model_toks, spans)]
        return SlotEvaluation(gold, pred, gold_i, pred_i)

    # ------------------------------------------------------------------ files
    def header(self) -> dict:
        from crftagger.api.tagger import _jsonable

        return {
            "kind": FORMAT,
            "format": FORMAT_VERSION,
            "lowercase": self.lowercase,
            "info": _jsonable(self.info),
        }

    def save(self, path, prune: bool = True) -> Path:
        """Write one model file: the tagger's blocks (as :meth:`Tagger.save` writes them) under
        ``crf/``, the intent classifier's classes, attribute vocabulary, coefficients and
        intercepts under ``intent/``; the header holds both parts' fields."""
        from crftagger.api.pipeline import _tagger_blocks
        from crftagger.api.tagger import _jsonable
        from crftagger.io import container

        header = self.header()
        arrays: dict = {}
        with tempfile.TemporaryDirectory(prefix="crftagger-slots-") as tmp:
            crf_arrays, crf_fields = _tagger_blocks(self.tagger, Path(tmp) / "crf", prune)
        for b, v in crf_arrays.items():
            arrays[_CRF + b] = v
        fps = self._saved_fingerprints(crf_fields)
        i_arrays, i_header = self.intents.blocks(fps)
        for b, v in i_arrays.items():
            arrays[_INTENT + b] = v
        header["crf"] = crf_fields
        header["intent"] = _jsonable(i_header)
        return container.save(path, arrays, header)

    @staticmethod
    def _saved_fingerprints(crf_fields: dict) -> dict:
        ext = (crf_fields.get("feature_set") or {}).get("extractors") or {}
        return {
            n: d["fingerprint"]
            for n, d in ext.items()
            if d.get("kind") == "cluster" and d.get("fingerprint")
        }

    @classmethod
    def load(cls, path) -> SlotFiller:
        """Read a file written by :meth:`save`; both parts are checked before use."""
        from crftagger.api.pipeline import _tagger_from_blocks
        from crftagger.io import container

        from .intent import IntentClassifier

        arrays, fields = container.load(path)
        if fields.get("kind") != FORMAT:
            raise TaggerError(f"{path}: model kind {fields.get('kind')!r}, expected {FORMAT!r}")
        if fields.get("format") != FORMAT_VERSION:
            raise TaggerError(
                f"{path}: slot-filler format {fields.get('format')!r}, expected {FORMAT_VERSION}"
            )
        stray = [b for b in arrays if not b.startswith((_CRF, _INTENT))]
        if stray:
            raise TaggerError(
                f"{path}: blocks {sorted(stray)[:5]} belong to neither part (expected names "
                f"starting with {_CRF} or {_INTENT})"
            )
        for part in ("crf", "intent"):
            if not isinstance(fields.get(part), dict):
                raise TaggerError(f"{path}: header field {part!r} is missing or not an object")
        crf = {b[len(_CRF) :]: v for b, v in arrays.items() if b.startswith(_CRF)}
        intent = {b[len(_INTENT) :]: v for b, v in arrays.items() if b.startswith(_INTENT)}
        with tempfile.TemporaryDirectory(prefix="crftagger-slots-") as tmp:
            tagger = _tagger_from_blocks(crf, fields["crf"], Path(tmp) / "crf", f"{path}: crf")
        clf = IntentClassifier.from_blocks(
            intent, fields["intent"], tagger.clusters, f"{path}: intent"
        )
        return cls(
            tagger, clf, lowercase=bool(fields.get("lowercase", False)), info=fields.get("info")
        )


def _spans_of(tagger, tokens: list[list[str]]) -> list[list[tuple[str, int, int]]]:
    """``(type, start, end)`` of the spans the tagger decodes in each utterance (none in an
    empty one)."""
    nonempty = [i for i, t in enumerate(tokens) if t]
    out: list[list[tuple[str, int, int]]] = [[] for _ in tokens]
    if nonempty:
        decoded = tagger._annotate([tokens[i] for i in nonempty], confidence=False)
        for i, (_tags, spans) in zip(nonempty, decoded, strict=True):
            out[i] = [(sp.type, sp.start, sp.end) for sp in spans]
    return out


def is_slot_filler(path) -> bool:
    """Whether ``path`` is a crftagger model file holding a :class:`SlotFiller`."""
    from crftagger.io import container

    try:
        return container.read_header(path).get("fields", {}).get("kind") == FORMAT
    except Exception:
        return False


__all__ = [
    "FORMAT",
    "Slot",
    "SlotEvaluation",
    "SlotFiller",
    "SlotResult",
    "frame_accuracy",
    "frame_correct",
    "is_slot_filler",
]
