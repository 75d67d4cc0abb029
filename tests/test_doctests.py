"""The examples in camera_map's docstrings run as tests, so the documentation cannot drift.

Every module of the package is imported and its docstring examples run (with ELLIPSIS, as
pytest's own doctest runner does); a module that cannot be imported, or an example whose
output differs, fails the suite. This file rather than ``--doctest-modules`` so that any
way of running the tests runs the examples, and so that the runner itself is tested.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import camera_map

#: Every module of the package (``__main__`` would run the CLI on import).
MODULES = sorted(m.name for m in pkgutil.walk_packages(camera_map.__path__, "camera_map.")
                 if not m.name.endswith(".__main__"))

#: Modules whose functions people call and whose docstrings show them at work: if the finder
#: stopped finding their examples, the suite would pass without running any.
DOCUMENTED = ["camera_map._version", "camera_map.cli_options", "camera_map.companies",
              "camera_map.directions", "camera_map.errors", "camera_map.layers",
              "camera_map.names", "camera_map.request.howto", "camera_map.request.letter",
              "camera_map.request.template", "camera_map.settings", "camera_map.text"]


def run_examples(module: types.ModuleType) -> tuple[doctest.TestResults, str]:
    """Run the docstring examples of ``module``; return the counts and the failure report."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in finder.find(module, module.__name__):
        runner.run(test, out=report.append)
    return doctest.TestResults(runner.failures, runner.tries), "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    results, report = run_examples(importlib.import_module(name))
    assert results.failed == 0, f"{name}: {results.failed} example(s) failed\n{report}"


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_modules_have_examples(name: str) -> None:
    results, _ = run_examples(importlib.import_module(name))
    assert results.attempted > 0


def test_a_wrong_example_fails() -> None:
    module = types.ModuleType("wrong_example")
    exec(textwrap.dedent('''
        def double(x):
            """Twice ``x``.

            >>> double(2)
            5
            """
            return 2 * x
    '''), module.__dict__)
    results, report = run_examples(module)
    assert results == (1, 1)
    assert "Expected:\n    5\nGot:\n    4" in report


def test_every_module_imports_without_side_effects(tmp_path: Path) -> None:
    """Importing the package writes no file, creates no folder and prints nothing."""
    home = tmp_path / "home"
    home.mkdir()
    # caches and settings of camera-map and of what it imports (matplotlib's font cache)
    # would land under HOME
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CAMERA_MAP_", "XDG_", "MPLCONFIGDIR"))}
    env.update(HOME=str(home), PYTHONPATH=str(Path(camera_map.__file__).parent.parent))
    script = f"import importlib\nfor name in {MODULES!r}:\n    importlib.import_module(name)\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=home, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []
