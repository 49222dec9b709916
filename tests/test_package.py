import importlib
import subprocess
import sys

import crftagger


def test_subpackages_installed_under_crftagger_name():
    for name in ("crftagger.features", "crftagger.corpora", "crftagger.cli"):
        mod = importlib.import_module(name)
        assert mod.__name__ == name


def test_cli_version():
    out = subprocess.run(
        [sys.executable, "-m", "crftagger", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"crftagger {crftagger.__version__}"
