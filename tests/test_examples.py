"""Every command in examples/README.md runs and succeeds (documentation that stays true)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def commands() -> list[str]:
    text = (ROOT / "examples" / "README.md").read_text("utf-8")
    return [line for block in BLOCK.findall(text) for line in block.splitlines()
            if line.startswith("camera-map ")]


def test_the_walkthrough_has_commands() -> None:
    assert len(commands()) == 6


@pytest.mark.parametrize("command", commands())
def test_example_command_succeeds(command: str, tmp_path: Path) -> None:
    args = [a.replace("output/", f"{tmp_path}/") for a in shlex.split(command)]
    res = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()
