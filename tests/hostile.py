"""Run the real CLI (``sys.executable -m camera_map``) on files a test made, and check that
it ended the way a user must see it: an exit code and a message, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import camera_map

#: The tree under test (so a subprocess imports this checkout, not another install).
TREE = str(Path(camera_map.__file__).resolve().parent.parent)
#: Control characters no output and no message may contain (tab and line feed are fine).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = TREE + os.pathsep + e.get("PYTHONPATH", "")
    e["COLUMNS"] = "200"  # rich wraps nothing: messages are compared as whole lines
    e["NO_COLOR"] = "1"
    return e


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``camera-map ARGS`` in a new process; its stdout and stderr as text."""
    return subprocess.run([sys.executable, "-m", "camera_map", *map(str, args)], cwd=cwd,
                          env=env(), capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=600, check=False)


def ended_cleanly(res: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert exit ``code``, no traceback, no control character; return the error line."""
    assert res.returncode == code, (res.returncode, res.stdout[-2000:], res.stderr[-2000:])
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, res.stderr
    assert not CONTROL.search(res.stdout.replace("\r", "")), repr(res.stdout)
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    if code == 0:
        assert not errors, res.stderr
        return ""
    assert len(errors) == 1, res.stderr
    assert not CONTROL.search(errors[0]), repr(errors[0])
    return errors[0]
