"""Span F1 on dev splits with and without features from external resources.

Each row trains the corpus' recipe (:mod:`crftagger.recipes`: its feature set,
learned clusters, scheme, regularisation, O bias) with extra parameters of the
``ner`` feature set (:func:`crftagger.features.featuresets.resource_features`),
and scores the dev split (conlleval span F1; ``--split test`` scores the test split, to be
run once for the rows chosen on dev)::

    CRFTAGGER_RESOURCES=../shared/resources python benchmarks/bench_resources.py wnut17 \\
        --row base --row ark=resource_clusters:ark_clusters --json out.jsonl

A row is ``NAME`` or ``NAME=KEY:VALUE,...``: ``resource_clusters`` takes
resource names joined by ``+``, ``resource_lists`` a group name,
``list_max_zipf`` a number, ``wordfreq_bands`` ``1``; ``c1``, ``c2`` and ``o_bias`` change the
recipe's regularisation and outside-label bias.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

#: Row keys that change the recipe itself (L-BFGS regularisation, outside-label bias), not the
#: feature set.
RECIPE_KEYS = ("c1", "c2", "o_bias")


def parse_row(text: str) -> tuple[str, dict]:
    name, _, spec = text.partition("=")
    params: dict = {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition(":")
        if key == "resource_clusters":
            params[key] = value.split("+")
        elif key == "list_max_zipf":
            params[key] = float(value)
        elif key == "wordfreq_bands":
            params[key] = value == "1"
        elif key in RECIPE_KEYS:
            params[key] = float(value)
        else:
            params[key] = value
    return name, params


def run_row(corpus: str, name: str, params: dict, split: str = "dev") -> dict:
    from crftagger import Tagger
    from crftagger.corpora import load
    from crftagger.recipes import recipe

    r = recipe(corpus)
    changes = {k: v for k, v in params.items() if k in RECIPE_KEYS}
    features = {k: v for k, v in params.items() if k not in RECIPE_KEYS}
    r2 = dataclasses.replace(r, feature_params={**r.feature_params, **features}, **changes)
    t0 = time.perf_counter()
    fs = r2.feature_set()
    t1 = time.perf_counter()
    tagger = Tagger.train(corpus, feature_set=fs, recipe=r2)
    t2 = time.perf_counter()
    ev = tagger.evaluate(load(corpus, split))
    s = ev.summary()
    return {
        "corpus": corpus,
        "row": name,
        "params": params,
        "split": split,
        f"{split}_f1": round(100 * s["f1"], 2),
        f"{split}_precision": round(100 * s["precision"], 2),
        f"{split}_recall": round(100 * s["recall"], 2),
        "templates": len(fs.templates),
        "attributes": len(tagger.model.attributes),
        "feature_set_seconds": round(t1 - t0, 1),
        "train_seconds": round(t2 - t1, 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--row", action="append", required=True)
    ap.add_argument("--json", help="append one JSON line per row to this file")
    ap.add_argument(
        "--split", default="dev", help="split to score (default dev; test once, for chosen rows)"
    )
    args = ap.parse_args(argv)
    for text in args.row:
        name, params = parse_row(text)
        res = run_row(args.corpus, name, params, args.split)
        print(json.dumps(res), flush=True)
        if args.json:
            with open(args.json, "a") as fh:
                fh.write(json.dumps(res) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
