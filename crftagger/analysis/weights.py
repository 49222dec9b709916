"""The heaviest state-feature weights of each label of a trained model."""

from __future__ import annotations

import numpy as np


def top_features(model, top: int, sign: int = 1) -> dict[str, list[tuple[str, float]]]:
    """The ``top`` heaviest state weights of every label, ``{label: [(attribute, weight)]}``.

    ``sign=1``: the largest positive weights (the attributes that push a token
    towards the label), largest first; ``sign=-1``: the most negative ones
    (those that push away from it), most negative first. Ties keep the
    feature order of the model. ``model``: a
    :class:`~crftagger.engine.model.LinearChainCRF`.
    """
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1, not {sign!r}")
    w = model.state_weights * sign
    owner = np.repeat(np.arange(len(model.attributes)), np.diff(model.feat_ptr))
    out = {}
    for j, lab in enumerate(model.labels.items):
        ks = np.flatnonzero(model.feat_label == j)
        best = ks[np.argsort(-w[ks], kind="stable")][:top]
        out[lab] = [(model.attributes[int(owner[k])], float(sign * w[k])) for k in best if w[k] > 0]
    return out
