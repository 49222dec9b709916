"""crftagger: a fast feature-based linear-chain CRF sequence labeller."""

__version__ = "0.1.0"

__all__ = ["CRF", "Pipeline", "Tagger", "__version__"]


def __getattr__(name: str):
    # CRF, Tagger and Pipeline load numpy, numba and the engines: import them on first use
    # so that `import crftagger` (and `crftagger --help`) stays fast.
    if name == "CRF":
        from crftagger.api.crf import CRF

        return CRF
    if name == "Tagger":
        from crftagger.api.tagger import Tagger

        return Tagger
    if name == "Pipeline":
        from crftagger.api.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'crftagger' has no attribute {name!r}")
