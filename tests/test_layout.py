"""The package's import graph flows one way: base <- shared model <- stages <- output <- top.

A module may import from its own rank or below, never from a rank above it, so that a
reader can follow the pipeline from ``sources`` to ``render`` without cycles (issue 16).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "camera_map"

#: Rank of each top-level module or subpackage of camera_map.
RANKS: dict[str, int] = {
    **dict.fromkeys(["_version", "errors", "settings", "_io", "text", "_http", "_outdir"], 0),
    **dict.fromkeys(["names", "directions", "companies", "table", "layers",
                     "rejected"], 1),
    **dict.fromkeys(["sources", "geocode", "place", "merge", "join", "metrics", "claims"], 2),
    **dict.fromkeys(["render", "export", "request"], 3),
    **dict.fromkeys(["pipeline", "cli_options", "cli", "__init__", "__main__"], 4),
}


def _top(module: str) -> str:
    """``camera_map.sources.foi`` -> ``sources``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute camera_map module) for every import of the package in ``path``."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    # a module's relative imports resolve against its package (for __init__: itself)
    package = list(rel.parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                targets = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            else:
                targets = [node.module or ""]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        found += [(node.lineno, t) for t in targets if t.split(".")[0] == "camera_map"]
    return found


MODULES = sorted(p for p in PKG.rglob("*.py"))


def test_every_module_has_a_rank() -> None:
    tops = {_top(".".join(p.relative_to(PKG.parent).with_suffix("").parts)) for p in MODULES}
    assert tops <= set(RANKS), f"give these a rank in RANKS: {sorted(tops - set(RANKS))}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG.parent)))
def test_no_module_imports_from_a_stage_above_its_own(path: Path) -> None:
    own = _top(".".join(path.relative_to(PKG.parent).with_suffix("").parts))
    upward = [f"line {line}: {target}" for line, target in _imports(path)
              if target != "camera_map" and RANKS[_top(target)] > RANKS[own]]
    assert not upward, f"{path.name} ({own}, rank {RANKS[own]}) imports upward: {upward}"
