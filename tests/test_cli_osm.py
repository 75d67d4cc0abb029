"""`camera-map build --osm-bbox/--osm-area` and `camera-map fetch` against a local Overpass."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from httpserver import LocalServer

from camera_map import settings
from camera_map.cli import main


@pytest.fixture()
def overpass(http_server: LocalServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> str:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "backoff", 0.01)
    monkeypatch.setattr(settings, "timeout", 30.0)  # never the end of a try under load
    http_server.reply(200, (data_dir / "osm" / "overpass_osecina.json").read_bytes(),
                      headers={"Content-Type": "application/json"})
    return f"{http_server.url}/api/interpreter"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_build_with_live_overpass_counts_osecina_cameras(overpass: str, tmp_path: Path,
                                                          http_server: LocalServer) -> None:
    res = invoke("build", "--cameras", "camera_map/data/layers/serbia/evidence/cameras",
                 "--osm-bbox",
                 "19.58,44.36,19.62,44.39", "--overpass-url", overpass,
                 "--out", str(tmp_path / "o"), "--format", "geojson")
    assert res.exit_code == 0, res.output
    assert len(http_server.requests) == 1
    assert "data=" in http_server.requests[0].body.decode()
    assert "Overpass: 19.58,44.36,19.62,44.39: answered now (" in res.output
    gj = json.loads((tmp_path / "o" / "municipalities.geojson").read_text("utf-8"))
    osecina = next(f["properties"] for f in gj["features"] if f["properties"]["id"] == "70882")
    assert osecina["osm_points"] >= 3 and osecina["documented"] == 100
    assert osecina["cameras"] == 100  # the documents' count stays the best estimate
    assert gj["attribution"][0].startswith("© OpenStreetMap contributors, ODbL 1.0")
    assert "© OpenStreetMap contributors" in (tmp_path / "o" / "map.html").read_text("utf-8")


def test_fetch_saves_a_file_that_build_reads_offline(overpass: str, tmp_path: Path,
                                                     http_server: LocalServer) -> None:
    saved = tmp_path / "osecina.json"
    res = invoke("fetch", "--bbox", "19.58,44.36,19.62,44.39", "--overpass-url", overpass,
                 "--out", str(saved))
    assert res.exit_code == 0, res.output
    assert "ODbL" in res.output and saved.exists()
    assert "Overpass: answered now (" in res.output
    res = invoke("fetch", "--bbox", "19.58,44.36,19.62,44.39", "--overpass-url", overpass,
                 "--out", str(saved))
    assert re.search(r"Overpass: from the cache: fetched \d{4}-\d\d-\d\d \d\d:\d\d "
                     r"UTC, \d+ s old\.", res.output), res.output
    res = invoke("build", "--cameras", str(saved), "--out", str(tmp_path / "o"),
                 "--format", "csv")
    assert res.exit_code == 0, res.output
    assert len(http_server.requests) == 1  # the second step made no request


def test_fetch_failure_exits_3_with_the_reason(http_server: LocalServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "backoff", 0.01)
    monkeypatch.setattr(settings, "max_tries", 2)
    http_server.default = None
    for _ in range(2):
        http_server.reply(504, "Gateway Timeout")
    res = invoke("fetch", "--bbox", "19.58,44.36,19.62,44.39", "--overpass-url",
                 f"{http_server.url}/api/interpreter", "--out", str(tmp_path / "x.json"))
    assert res.exit_code == 3
    assert "504" in res.stderr and not (tmp_path / "x.json").exists()


def test_bad_bbox_is_a_clear_error(tmp_path: Path) -> None:
    res = invoke("fetch", "--bbox", "19.6,44.4,19.5", "--out", str(tmp_path / "x.json"))
    assert res.exit_code == 1
    assert "W,S,E,N" in res.stderr


def test_server_text_is_printed_as_it_is_not_as_markup(http_server: LocalServer,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    http_server.reply(400, "Error: line 1: parse error: [/b] [bold red]unexpected[/] token")
    res = invoke("fetch", "--bbox", "19.58,44.36,19.62,44.39", "--overpass-url",
                 f"{http_server.url}/api/interpreter", "--out", str(tmp_path / "x.json"))
    assert res.exit_code == 3
    assert "answered HTTP 400 Bad Request: Error: line 1: parse error: [/b] [bold " \
           "red]unexpected[/] token" in " ".join(res.stderr.split())
    assert "Traceback" not in res.output
