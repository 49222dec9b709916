"""Open a model file of any kind crftagger reads, told apart by its first bytes (never by its name).

============================  ==========================  ====================================
first bytes                   written by                  opened as
============================  ==========================  ====================================
``crftagger-model\\n``         ``Tagger.save`` (and        :meth:`Tagger.load
                              pipelines)                  <crftagger.api.tagger.Tagger.load>`,
                                                          or a pipeline by its header's kind
``lCRF``                      CRFsuite, python-crfsuite,  :meth:`Tagger.from_crfsuite
                              sklearn-crfsuite            <crftagger.api.tagger.Tagger.from_crfsuite>`
============================  ==========================  ====================================

A CRFsuite file holds labels, attribute strings and weights, but not how the
attributes were computed from the tokens, so it needs a feature set that
computes the same attribute strings (``feature_set=``; the ``tag`` command's
``--feature-set``). It is always parsed by crftagger's own reader
(:mod:`crftagger.io.crfsuite`), which checks every offset and count before
anything is used: CRFsuite itself (python-crfsuite) can crash the process
on a corrupted file.
"""

from __future__ import annotations

import os
from pathlib import Path

from crftagger.errors import CRFsuiteModelError, TaggerError

#: The first bytes of a crftagger model file (:data:`crftagger.io.container.SIGNATURE`).
CRFTAGGER_MAGIC = b"crftagger-model\n"
#: The first bytes of a CRFsuite crf1d model file (:data:`crftagger.io.crfsuite.MAGIC`).
CRFSUITE_MAGIC = b"lCRF"
#: Below this share of a CRFsuite model's attributes that a feature set can write, it is refused.
MIN_COVERAGE = 0.5


class ModelFormatError(TaggerError):
    """A file that is no model crftagger can open, or opened with the wrong arguments."""


def model_format(path) -> str:
    """``"crftagger"`` or ``"crfsuite"``, by the file's first bytes; :class:`ModelFormatError` otherwise."""
    p = Path(path)
    if p.is_dir():
        raise ModelFormatError(f"{path}: is a folder; expected a model file")
    with open(p, "rb") as fh:  # FileNotFoundError names the path
        head = fh.read(len(CRFTAGGER_MAGIC))
    if head.startswith(CRFTAGGER_MAGIC):
        return "crftagger"
    if head.startswith(CRFSUITE_MAGIC):
        return "crfsuite"
    found = f"the bytes {head[:8]!r}" if head else "an empty file"
    raise ModelFormatError(
        f"{path}: found {found} at the start; expected a crftagger model file (starting with "
        f"{CRFTAGGER_MAGIC!r}, written by `crftagger train` or Tagger.save) or a CRFsuite model "
        f"file (starting with {CRFSUITE_MAGIC!r}, written by python-crfsuite or sklearn-crfsuite)"
    )


def resolve_feature_set(value):
    """A :class:`~crftagger.features.FeatureSet` from a name (``"ner"``), its JSON, a dict,
    a FeatureSet, or the path of a feature-set JSON file or of a CRF++ / CRFsuite template file."""
    from crftagger.api.tagger import _resolve_feature_set
    from crftagger.features import FeatureSet

    if isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
        path = os.fspath(value)
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except UnicodeDecodeError as exc:
            raise ModelFormatError(
                f"{path}: cannot decode as UTF-8 ({exc.reason}); expected a feature-set JSON "
                "file or a template file"
            ) from None
        if text.lstrip().startswith("{"):
            return FeatureSet.from_json(text)
        return FeatureSet.from_file(path)
    return _resolve_feature_set(value)


def _coverage(feature_set, attributes) -> float:
    """The share of ``attributes`` whose name one of the feature set's templates can write."""
    prefixes = tuple({t.literals[0] for t in feature_set.templates if t.slots})
    constants = {t.literals[0] for t in feature_set.templates if not t.slots}
    if not attributes:
        return 1.0
    hit = sum(1 for a in attributes if a in constants or (prefixes and a.startswith(prefixes)))
    return hit / len(attributes)


def read_crfsuite(path):
    """``(CRFsuiteModel, LinearChainCRF)`` of a CRFsuite file, parsed and checked by crftagger's reader.

    Any defect is a :class:`~crftagger.errors.CRFsuiteModelError` naming the file.
    """
    from crftagger.io.crfsuite import read_crfsuite_model

    try:
        raw = read_crfsuite_model(path)
        return raw, raw.to_crf()
    except CRFsuiteModelError as exc:
        text = str(exc)
        raise CRFsuiteModelError(
            text if text.startswith(str(path)) else f"{path}: {text}"
        ) from None
    except (ValueError, IndexError, OverflowError, MemoryError) as exc:
        raise CRFsuiteModelError(
            f"{path}: not a readable CRFsuite model ({type(exc).__name__}: {exc}); expected the "
            "crf1d file that CRFsuite, python-crfsuite or sklearn-crfsuite writes"
        ) from None


def open_crfsuite(path, feature_set=None, scheme: str | None = None):
    """A :class:`~crftagger.api.tagger.Tagger` of a CRFsuite model file (see the module docstring).

    The file is parsed and checked first, so a corrupted file is reported as
    such whether or not ``feature_set`` is given. Without ``feature_set``:
    :class:`ModelFormatError` saying to pass one. A feature set that can
    write less than half of the model's attribute names is refused too: its
    features would never meet the model's weights.
    """
    from crftagger.api.tagger import Tagger

    raw, model = read_crfsuite(path)
    if feature_set is None:
        raise ModelFormatError(
            f"{path}: a CRFsuite model file ({len(raw.labels)} labels, {len(raw.attributes)} "
            "attributes such as "
            + ", ".join(repr(a) for a in raw.attributes[:3])
            + ") records its attribute strings but not how they are computed from tokens; "
            "pass the feature set that computes them: feature_set= (a name such as "
            "'crfsuite-chunking', a FeatureSet, or a template file), or --feature-set on the "
            "command line"
        )
    fs = resolve_feature_set(feature_set)
    share = _coverage(fs, raw.attributes)
    if share < MIN_COVERAGE:
        example = raw.attributes[0] if raw.attributes else ""
        made = [t.label() for t in fs.templates[:3]]
        raise ModelFormatError(
            f"{path}: the feature set {fs.name!r} can write {100 * share:.0f}% of the model's "
            f"{len(raw.attributes)} attribute names (such as {example!r}); its templates write "
            f"names such as {', '.join(made)}; expected the feature set the model was trained "
            f"with (at least {100 * MIN_COVERAGE:.0f}% of the names)"
        )
    tagger = Tagger(
        model,
        fs,
        scheme=scheme,
        info={"imported_from": str(path), "engine": "crfsuite"},
    )
    return tagger


def open_tagger(path, feature_set=None, scheme: str | None = None):
    """The tagger of a model file: a crftagger file, or a CRFsuite file with ``feature_set``.

    Parameters
    ----------
    path
        A file written by ``crftagger train`` / :meth:`Tagger.save` (a
        pipeline file gives its pipeline; a slot-filler file of ``train
        --task slots`` its slot tagger, whose intents ``crftagger slots``
        and :class:`crftagger.slots.SlotFiller` give), or by CRFsuite,
        python-crfsuite or sklearn-crfsuite. The format is read from the first bytes.
    feature_set
        CRFsuite files only (a crftagger file carries its own): a feature-set
        name, a :class:`~crftagger.features.FeatureSet`, its dict or JSON, or
        the path of a feature-set JSON or template file.
    scheme
        CRFsuite files only: the tag scheme to decode in (default ``None``:
        unconstrained, exactly as CRFsuite decodes).

    Raises
    ------
    ModelFormatError
        For a file of another kind, a CRFsuite file without ``feature_set``
        (or with one that does not write its attributes), or a
        ``feature_set`` given for a crftagger file.
    CRFsuiteModelError, ModelFileError, TaggerError
        For a corrupted file, naming it and what is wrong.
    """
    kind = model_format(path)
    if kind == "crfsuite":
        return open_crfsuite(path, feature_set, scheme)
    if feature_set is not None or scheme is not None:
        raise ModelFormatError(
            f"{path}: a crftagger model file carries its own feature set and scheme; "
            "feature_set (--feature-set) and scheme are for CRFsuite model files"
        )
    from crftagger.io import container

    kind_field = container.read_header(path).get("fields", {}).get("kind")
    if kind_field == "crftagger.Pipeline":
        from crftagger.api import pipeline

        return pipeline.Pipeline.load(path)
    if kind_field == "crftagger.SlotFiller":
        from crftagger.slots import SlotFiller

        return SlotFiller.load(path).tagger
    from crftagger.api.tagger import Tagger

    return Tagger.load(path)
