"""sklearn-crfsuite's own ``tests/test_crf.py``, run on ``crftagger.CRF``, on both engines.

The peer files (``test_crf.py`` and its ``conftest.py``, from
``../shared/peer-tests/sklearn-crfsuite`` or ``$CRFTAGGER_PEER_TESTS``) are
copied into a temporary folder with one change: the line
``from sklearn_crfsuite import CRF`` becomes ``from crftagger import CRF``.
pytest runs them in a subprocess once per engine. The engine is chosen by
a small pytest plugin (written beside the copy, loaded with ``-p``): for
``engine="crfsuite"`` it makes ``crftagger.CRF`` a subclass whose ``engine``
parameter defaults to ``"crfsuite"`` (same signature otherwise, so
``get_params``, ``clone`` and pickling behave as for ``crftagger.CRF``); for
the default engine it changes nothing. It also counts, per engine, the models
that ``fit`` trained in the pytest process, so the test can check that the
engine asked for is the one that ran.

Every test of the peer file passes on both engines. None of ``test_crf.py``
fails on sklearn-crfsuite 0.3.6 itself (the version the file was written
for): the one failure of sklearn-crfsuite's suite on a current scikit-learn
(``beta`` passed to ``fbeta_score`` by position) is in ``test_metrics.py``,
run by ``test_peer_sklearn_crfsuite_metrics.py``. sklearn-crfsuite 0.5
fails 12 of these tests because its ``predict`` returns object arrays, which
the file compares with ``==``; crftagger returns lists, as 0.3.6 does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crftagger import config

PEER_ENV = "CRFTAGGER_PEER_TESTS"
REPO = Path(__file__).resolve().parent.parent
PEER_IMPORT = "from sklearn_crfsuite import CRF"
OURS = "from crftagger import CRF"
ENGINES = ("numba", "crfsuite")

#: Peer tests expected to fail, per engine: ``{test id: reason}``. None do.
EXPECTED_FAILURES: dict[str, dict[str, str]] = {"numba": {}, "crfsuite": {}}

#: Seconds allowed for one engine's run (it takes about 20 s on one core).
TIMEOUT = 240

PLUGIN = '''\
"""pytest plugin: crftagger.CRF with the engine named by CRFTAGGER_PEER_ENGINE as default."""

import json
import os
import types
from collections import Counter

import crftagger
from crftagger.api.crf import CRF as _Base

ENGINE = os.environ["CRFTAGGER_PEER_ENGINE"]
FITS = Counter()

_base_fit = _Base.fit


def _counting_fit(self, *args, **kwargs):
    out = _base_fit(self, *args, **kwargs)
    FITS[self.fitted_engine_] += 1
    return out


_Base.fit = _counting_fit


class CRF(_Base):
    """crftagger.CRF with engine defaulting to CRFTAGGER_PEER_ENGINE."""


_init = _Base.__init__
_names = _init.__code__.co_varnames[1 : _init.__code__.co_argcount]
_defaults = list(_init.__defaults__)
_defaults[_names.index("engine") - (len(_names) - len(_defaults))] = ENGINE
CRF.__init__ = types.FunctionType(
    _init.__code__, _init.__globals__, "__init__", tuple(_defaults), _init.__closure__
)
if ENGINE != "numba":
    crftagger.CRF = CRF


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["CRFTAGGER_PEER_FITS"], "w", encoding="utf-8") as fh:
        json.dump(dict(FITS), fh)
'''


def _peer_dir() -> Path:
    env = os.environ.get(PEER_ENV)
    return Path(env).expanduser() if env else REPO.parent / "shared" / "peer-tests"


def _peer_file(name: str) -> Path:
    path = _peer_dir() / "sklearn-crfsuite" / name
    if not path.is_file():
        msg = f"peer file sklearn-crfsuite/{name} not found (set {PEER_ENV}; looked at {path})"
        if config.require_data():
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def _rewrite_import(src: str) -> str:
    """The peer source with its import line (and nothing else) swapped for crftagger's."""
    lines = src.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == PEER_IMPORT]
    assert len(hits) == 1, f"expected the line {PEER_IMPORT!r} once, found it {len(hits)} times"
    lines[hits[0]] = lines[hits[0]].replace(PEER_IMPORT, OURS)
    out = "".join(lines)
    assert out.count(OURS) == 1 and PEER_IMPORT not in out
    return out


def _outcomes(junit: Path) -> dict[str, str]:
    """``{test id: outcome}`` from a junit-xml report (passed, failed, error or skipped)."""
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name")
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
        assert name not in out, f"test id {name} reported twice"
        out[name] = outcome
    return out


def test_rewrite_touches_only_the_import_line():
    src = _peer_file("test_crf.py").read_text(encoding="utf-8")
    new = _rewrite_import(src)
    diff = [(a, b) for a, b in zip(src.splitlines(), new.splitlines(), strict=True) if a != b]
    assert diff == [(PEER_IMPORT, OURS)]
    with pytest.raises(AssertionError, match="once"):
        _rewrite_import(src + PEER_IMPORT + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_sklearn_crfsuite_test_crf_passes(engine, tmp_path):
    src = _peer_file("test_crf.py").read_text(encoding="utf-8")
    conftest = _peer_file("conftest.py").read_text(encoding="utf-8")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_crf.py").write_text(_rewrite_import(src), encoding="utf-8")
    (suite / "conftest.py").write_text(conftest, encoding="utf-8")
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "crftagger_peer_engine.py").write_text(PLUGIN, encoding="utf-8")
    junit, fits = tmp_path / "report.xml", tmp_path / "fits.json"
    env = dict(os.environ)
    # the worker processes of the file's cross_val_score(n_jobs=5) unpickle the plugin's class
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(plugin_dir), str(REPO), env.get("PYTHONPATH", "")) if p
    )
    env["CRFTAGGER_PEER_ENGINE"] = engine
    env["CRFTAGGER_PEER_FITS"] = str(fits)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "crftagger_peer_engine",
        f"--junitxml={junit}",
        "--rootdir",
        str(suite),
        str(suite),
    ]
    proc = subprocess.run(cmd, cwd=suite, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    log = (proc.stdout + proc.stderr)[-6000:]
    assert junit.is_file(), log
    outcomes = _outcomes(junit)
    # every test function of the peer file ran (each parametrisation is one id)
    functions = set(re.findall(r"^def (test_\w+)\(", src, flags=re.M))
    assert {name.split("[")[0] for name in outcomes} == functions, log
    listed = re.search(r"^ALGORITHMS\s*=\s*\[(.*)\]", src, flags=re.M)
    assert listed, "the peer file's ALGORITHMS list changed"
    algorithms = re.findall(r"[\"'](\w+)[\"']", listed.group(1))
    assert algorithms and all(f"test_crf[{a}]" in outcomes for a in algorithms), outcomes
    not_passed = {name: o for name, o in outcomes.items() if o != "passed"}
    expected = EXPECTED_FAILURES[engine]
    assert set(not_passed) == set(expected), (not_passed, log)
    assert all(o == "failed" for o in not_passed.values()), (not_passed, log)
    assert proc.returncode == (1 if expected else 0), log
    # the engine asked for is the one that trained the models
    counted = json.loads(fits.read_text(encoding="utf-8"))
    # (32 fits run in the pytest process; cross_val_score's run in its workers)
    assert set(counted) == {engine} and counted[engine] >= 30, counted
