"""The tuned versions of the ``chunk``, ``pos`` and ``slots`` feature sets (v1 stays buildable)."""

from __future__ import annotations

import pytest
from crftagger.features import FeatureSet, feature_set

WORDS = ["show", "me", "flights", "from", "boston", "to", "denver", "tomorrow"]


def _attrs(fs: FeatureSet, sent) -> list[set[str]]:
    return [set(d) for d in fs.extractor().to_dicts([sent])[0]]


@pytest.mark.parametrize("name", ["chunk", "pos", "slots"])
def test_v1_still_built_and_latest_is_default(name):
    v1 = feature_set(name, version=1)
    latest = feature_set(name)
    assert v1.version == 1
    assert latest.version >= 1
    assert FeatureSet.from_json(latest.to_json()) == latest
    assert FeatureSet.from_json(v1.to_json()) == v1


def test_slots_v1_unchanged():
    labels = [t.label() for t in feature_set("slots", version=1).templates]
    assert len(labels) == 26
    assert "lw[-3]=%lw[-3]" not in labels


def test_slots_v2_window_and_trigrams():
    fs = feature_set("slots", version=2)
    a = _attrs(fs, WORDS)
    # token 4 = "boston": +-3 window, trigrams ending and starting at it, bigrams at distance 2-3
    assert {"lw[-3]=me", "lw[3]=tomorrow", "lw[-2]|lw[-1]|lw[0]=flights|from|boston",
            "lw[0]|lw[1]|lw[2]=boston|to|denver", "lw[-3]|lw[-2]=me|flights",
            "lw[2]|lw[3]=denver|tomorrow", "s3[-1]=rom", "s4[0]=ston", "p4[0]=bost"} <= a[4]
    # 2-letter neighbour "to" has no 3-suffix
    assert not any(x.startswith("s3[1]=") for x in a[4])
    # padding beyond the sentence start
    assert "lw[-3]=_B-3" in a[0] and "lw[3]=_B+3" in a[7]
