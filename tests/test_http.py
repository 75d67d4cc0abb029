"""The machine-wide throttle of the HTTP layer, judged by its own decisions.

Each turn starts when :func:`camera_map._http.polite_turn` lets it and ends when the block
exits; the throttle records that end in its lock file. Start and end are read on the same
clock the throttle uses (``time.time()``), so the rule "a turn starts ``min_interval``
after the previous one ended" is checked exactly, with no tolerance and whatever the load:
a slow machine only makes the gaps longer. (The Nominatim tests check the same rule on a
real server's arrival times.)
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from camera_map import _http, settings

ROOT = Path(__file__).resolve().parent.parent
HOST = "throttle.test:80"


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    return tmp_path / "cache"


def _recorded_end() -> float:
    return float(_http.throttle_path(HOST).read_text("ascii"))


def test_each_turn_starts_min_interval_after_the_previous_one_ended() -> None:
    turns: list[tuple[float, float]] = []
    for _ in range(4):
        with _http.polite_turn(HOST, 0.2):
            start = time.time()
        turns.append((start, _recorded_end()))
    for (_, end), (start, _) in itertools.pairwise(turns):
        assert start - end >= 0.2, turns
    assert all(start <= end for start, end in turns)


def test_a_failed_request_ends_its_turn_too() -> None:
    with pytest.raises(OSError), _http.polite_turn(HOST, 0.2):
        raise OSError("connection reset")
    ended = _recorded_end()
    with _http.polite_turn(HOST, 0.2):
        assert time.time() - ended >= 0.2


def test_no_interval_takes_no_turn() -> None:
    with _http.polite_turn(HOST, 0):
        pass
    assert not _http.throttle_path(HOST).exists()


TURNS = textwrap.dedent("""
    import json, sys, time
    from camera_map import _http, settings
    settings.cache_dir = sys.argv[1]
    for _ in range(3):
        with _http.polite_turn(sys.argv[2], 0.2):
            start = time.time()
            time.sleep(0.01)  # the request
        print(json.dumps([start, _http._LAST_END[sys.argv[2]]]), flush=True)
""")


def test_turns_of_several_processes_never_overlap_and_keep_the_interval(
        tmp_path: Path, cache: Path) -> None:
    script = tmp_path / "turns.py"
    script.write_text(TURNS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, str(script), str(cache), HOST], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    turns: list[tuple[float, float]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        turns.extend(tuple(json.loads(line)) for line in out.splitlines())
    turns.sort()
    assert len(turns) == 9
    for (_, end), (start, _) in itertools.pairwise(turns):
        assert start - end >= 0.2, turns
