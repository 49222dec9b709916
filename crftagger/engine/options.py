"""The training options: one table of algorithms and their options, one validator.

Names and meanings are CRFsuite's (and sklearn-crfsuite's estimator
parameters); ``None`` means the algorithm's default. Both engines read this
table and train all five algorithms (:class:`~crftagger.engine.engines.NumbaEngine`
second-order models with ``lbfgs`` only);
:class:`~crftagger.engine.engines.CRFsuiteEngine` passes the options under the
CRFsuite parameter names of :data:`CRFSUITE_NAMES`.
"""

from __future__ import annotations

import math

import numpy as np

from crftagger.errors import CRFError

ENGINES = ("numba", "crfsuite")
LINESEARCHES = ("MoreThuente", "Backtracking", "StrongBacktracking")
NUMBA_ALGORITHMS = ("lbfgs", "l2sgd", "ap", "pa", "arow")
CRFSUITE_ALGORITHMS = ("lbfgs", "l2sgd", "ap", "pa", "arow")
ALIASES = {
    "lbfgs": "lbfgs",
    "l2sgd": "l2sgd",
    "ap": "ap",
    "averaged-perceptron": "ap",
    "pa": "pa",
    "passive-aggressive": "pa",
    "arow": "arow",
}

#: Options each algorithm takes (CRFsuite's lists).
ALGORITHM_OPTIONS = {
    "lbfgs": (
        "c1",
        "c2",
        "max_iterations",
        "num_memories",
        "epsilon",
        "period",
        "delta",
        "linesearch",
        "max_linesearch",
    ),
    "l2sgd": (
        "c2",
        "max_iterations",
        "period",
        "delta",
        "calibration_eta",
        "calibration_rate",
        "calibration_samples",
        "calibration_candidates",
        "calibration_max_trials",
    ),
    "ap": ("max_iterations", "epsilon"),
    "pa": ("max_iterations", "epsilon", "pa_type", "c", "error_sensitive", "averaging"),
    "arow": ("max_iterations", "epsilon", "variance", "gamma"),
}
ALL_OPTIONS = tuple(dict.fromkeys(o for opts in ALGORITHM_OPTIONS.values() for o in opts))

#: Feature-generation options, taken by every algorithm.
FEATURE_OPTIONS = ("min_freq", "all_possible_states", "all_possible_transitions")

#: Option -> CRFsuite parameter name (where they differ).
CRFSUITE_NAMES = {
    "min_freq": "feature.minfreq",
    "all_possible_states": "feature.possible_states",
    "all_possible_transitions": "feature.possible_transitions",
    "calibration_eta": "calibration.eta",
    "calibration_rate": "calibration.rate",
    "calibration_samples": "calibration.samples",
    "calibration_candidates": "calibration.candidates",
    "calibration_max_trials": "calibration.max_trials",
    "pa_type": "type",
}

#: Options whose value is a flag rather than a number.
_FLAGS = ("error_sensitive", "averaging")
#: Options that must be > 0 (CRFsuite would divide by them).
_POSITIVE = ("c", "variance", "gamma")
#: Passive-aggressive update rules: PA, PA-I, PA-II.
PA_TYPES = (0, 1, 2)


def check_algorithm(algorithm, engine: str, order: int = 1) -> str:
    """The canonical name of ``algorithm`` for ``engine`` and CRF ``order``; a clear error otherwise."""
    algo = "lbfgs" if algorithm is None else algorithm
    name = ALIASES.get(str(algo).lower()) if isinstance(algo, str) else None
    if name is None:
        raise CRFError(f"unknown algorithm {algo!r}; expected one of {CRFSUITE_ALGORITHMS}")
    if engine not in ENGINES:
        raise CRFError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    if engine == "numba" and name not in NUMBA_ALGORITHMS:
        raise CRFError(
            f"algorithm {name!r} is only available with engine='crfsuite'; the numba engine "
            f"trains {NUMBA_ALGORITHMS}"
        )
    if isinstance(order, bool) or order not in (1, 2):
        raise CRFError(f"order must be 1 or 2, found {order!r}")
    if order == 2 and (engine != "numba" or name != "lbfgs"):
        raise CRFError(
            f"order=2 needs engine='numba' and algorithm 'lbfgs', found engine={engine!r}, "
            f"algorithm {name!r}"
        )
    return name


def check_options(algorithm: str, given: dict) -> dict:
    """The options of ``given`` that are set (not None), checked against ``algorithm``.

    An option the algorithm does not take is an error, as in CRFsuite.
    """
    out = {}
    for name, v in given.items():
        if v is None:
            continue
        if name not in ALGORITHM_OPTIONS[algorithm]:
            raise CRFError(
                f"algorithm {algorithm!r} takes no parameter {name!r} (it takes "
                f"{', '.join(ALGORITHM_OPTIONS[algorithm])})"
            )
        if name == "linesearch":
            if v not in LINESEARCHES:
                raise CRFError(f"linesearch must be one of {LINESEARCHES}, found {v!r}")
        elif name in _FLAGS:
            if not (isinstance(v, (bool, int, np.integer)) and v in (0, 1)):
                raise CRFError(f"{name} must be a flag (True/False or 1/0), found {v!r}")
        elif name == "pa_type":
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v not in PA_TYPES:
                raise CRFError(f"pa_type must be 0 (PA), 1 (PA-I) or 2 (PA-II), found {v!r}")
        elif isinstance(v, bool):
            raise CRFError(f"{name} must be a number, found {v!r}")
        elif (
            not isinstance(v, (bool, int, float, np.integer, np.floating))
            or not math.isfinite(v)
            or v < 0
        ):
            raise CRFError(f"{name} must be a finite number >= 0, found {v!r}")
        elif name in _POSITIVE and v == 0:
            raise CRFError(f"{name} must be a finite number > 0, found {v!r}")
        out[name] = v
    return out


def check_min_freq(min_freq) -> float:
    if min_freq is None:
        return 0.0
    if (
        isinstance(min_freq, bool)
        or not isinstance(min_freq, (int, float))
        or not math.isfinite(min_freq)
    ):
        raise CRFError(f"min_freq must be a finite number, found {min_freq!r}")
    return float(min_freq)


def check_threads(threads) -> int | None:
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)):
        raise CRFError(f"threads must be an integer, found {threads!r}")
    return threads
