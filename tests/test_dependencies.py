"""What the package imports is what pyproject.toml declares for it, and the other way round.

CI installs the project with its test extra, so a module imported by camera_map but declared
only for the tests (odfpy was, for `camera-map request`) passes every test and fails on a
plain install; a run-time dependency nothing imports (fiona was) costs every user a download.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "camera_map"


def _name(requirement: str) -> str:
    """``"pyogrio>=0.9"`` -> ``"pyogrio"`` (normalised as PEP 503 does)."""
    found = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert found is not None, requirement
    return re.sub(r"[-_.]+", "-", found[0]).lower()


def _declared() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return {"run": {_name(r) for r in project["dependencies"]},
            "test": {_name(r) for r in project["optional-dependencies"]["test"]}}


def _imported_modules() -> dict[str, set[str]]:
    """Top-level third-party modules the package imports -> the files importing them."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "camera_map" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


@functools.cache
def _installed() -> dict[str, list[str]]:
    return packages_distributions()  # top-level module -> distributions (scans them all)


def _distributions(module: str) -> set[str]:
    return {_name(d) for d in _installed().get(module, [])}


def test_every_module_the_package_imports_is_a_run_time_dependency() -> None:
    declared = _declared()["run"]
    missing = {module: sorted(files) for module, files in _imported_modules().items()
               if not _distributions(module) & declared}
    assert missing == {}, "imported by camera_map but not in [project] dependencies"


#: Run-time dependencies whose files the package reads rather than imports (render/offline.py
#: inlines them into map.html): folium's leaflet_heat.min.js, Leaflet and its marker cluster.
READ_AS_FILES = {"folium", "xstatic-leaflet", "xstatic-leaflet-markercluster"}


def test_every_run_time_dependency_is_used_by_the_package() -> None:
    imported = set().union(*(_distributions(m) for m in _imported_modules()))
    unused = _declared()["run"] - imported - READ_AS_FILES
    assert unused == set(), "declared for the package but never imported by it"


def test_no_dependency_is_declared_twice() -> None:
    declared = _declared()
    assert declared["run"] & declared["test"] == set()
