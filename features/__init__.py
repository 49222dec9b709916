"""Feature extractors and templates (installed as ``crftagger.features``).

Quick start::

    from crftagger.features import feature_set

    fx = feature_set("ner").extractor()
    X = fx.transform(train_sentences)        # AttributeSequences; fx.attributes grows
    fx.freeze()
    Xt = fx.transform(test_sentences)        # unknown attributes dropped
    dicts = fx.to_dicts(test_sentences)      # the same attributes as sklearn-crfsuite dicts

A :class:`FeatureSet` is declarative and JSON-serialisable
(:meth:`FeatureSet.to_json` / :meth:`FeatureSet.from_json`); template files,
CRF++ (``U01:%x[-1,0]/%x[0,0]``) or CRFsuite style (``w[-1]|w[0]``), are read
by :meth:`FeatureSet.from_file`.
"""

from .clusters import ClusterFileError, Clusters
from .extractor import FeatureExtractor, FeatureInputError
from .featuresets import FEATURE_SETS, feature_set
from .gazetteer import Gazetteer, GazetteerFileError, MissingDataPackage, from_source
from .spec import FeatureSet, FeatureSpecError
from .templates import Slot, Template, TemplateError, conjunction, parse, parse_crfpp, read_crfpp

__all__ = [
    "FEATURE_SETS",
    "ClusterFileError",
    "Clusters",
    "FeatureExtractor",
    "FeatureInputError",
    "FeatureSet",
    "FeatureSpecError",
    "Gazetteer",
    "GazetteerFileError",
    "MissingDataPackage",
    "Slot",
    "Template",
    "TemplateError",
    "conjunction",
    "feature_set",
    "from_source",
    "parse",
    "parse_crfpp",
    "read_crfpp",
]
