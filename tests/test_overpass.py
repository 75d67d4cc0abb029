"""The Overpass client against a real HTTP server on 127.0.0.1: retries, cache, errors."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from httpserver import LocalServer, Reply

from camera_map import _http, settings
from camera_map.errors import InputError, NetworkError, UnknownPlaceError
from camera_map.sources.osm import read_osm, sniff_osm
from camera_map.sources.overpass import (
    cameras_from_overpass,
    fetch_overpass,
    overpass_answer,
    overpass_query,
    parse_bbox,
    read_overpass,
    save_overpass,
)

BBOX = "19.58,44.36,19.62,44.39"


@pytest.fixture()
def answer(data_dir: Path) -> bytes:
    return (data_dir / "osm" / "overpass_osecina.json").read_bytes()


@pytest.fixture()
def fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[float]:
    """Small back-off, a private cache; returns the pauses the client took.

    The per-try timeout is generous (30 s): on a loaded machine a short one can expire while
    the server is still answering, and turn one request into a retried pair. The tests about
    timeouts set a short one, against a server that holds the request far longer (60 s), so
    that the client's timeout, not the server, ends each try however slow the machine is.
    """
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "use_cache", True)
    monkeypatch.setattr(settings, "timeout", 30.0)
    monkeypatch.setattr(settings, "backoff", 0.01)
    monkeypatch.setattr(settings, "max_tries", 4)
    pauses: list[float] = []
    real_sleep = _http.time.sleep

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(_http.time, "sleep", sleep)
    return pauses


def _endpoint(server: LocalServer) -> str:
    return f"{server.url}/api/interpreter"


# ----------------------------------------------------------------------------- query


def test_bbox_query_selects_every_surveillance_object_with_centre_and_meta() -> None:
    q = overpass_query(bbox=BBOX)
    assert q == (
        "[out:json][timeout:180];\n"
        'nwr["man_made"="surveillance"](44.36,19.58,44.39,19.62);\n'
        "out center meta;\n"
    )


def test_area_query_matches_latin_and_cyrillic_names_and_counts_areas() -> None:
    q = overpass_query(area="Osečina")
    assert 'area["name"~"^((Општина|Opština|' in q
    assert '(Osečina|Осечина)$",i];' in q
    assert 'area["name:sr-Latn"~' in q
    assert ".searchArea out count;" in q
    assert 'nwr["man_made"="surveillance"](area.searchArea);\nout center meta;' in q


def test_area_query_escapes_quotes_and_regex_characters() -> None:
    q = overpass_query(area='St. "X" (old)')
    assert r"St\\. \"X\" \\(old\\)" in q


def test_area_by_osm_id() -> None:
    assert "area(id:3602088990)->.searchArea;" in overpass_query(area="relation/2088990")
    assert "area(id:2400000042)->.searchArea;" in overpass_query(area="way/42")


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("19.6,44.3,19.7", r"has 3 value\(s\); expected W,S,E,N in degrees"),
        ("a,b,c,d", r"is not four numbers"),
        ("19.7,44.3,19.6,44.4", r"west must be less than east"),
        ("44.3,19.6,44.4,190", r"outside longitude -180..180"),
    ],
)
def test_bad_bbox_says_what_was_expected(bbox: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_bbox(bbox)


def test_exactly_one_of_area_and_bbox() -> None:
    with pytest.raises(InputError, match="either an area name or a bounding box"):
        overpass_query()
    with pytest.raises(InputError, match="either an area name or a bounding box"):
        overpass_query(area="Osečina", bbox=BBOX)


# ----------------------------------------------------------------------------- client


def test_fetch_posts_the_query_with_a_user_agent(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    http_server.reply(200, answer, headers={"Content-Type": "application/json"})
    result = fetch_overpass(area="Osečina", url=_endpoint(http_server))
    assert [el["id"] for el in result["elements"]] == [0, 1001, 1002, 2001, 3001, 2002]
    (req,) = http_server.requests
    assert req.method == "POST" and req.path == "/api/interpreter"
    assert req.params["data"] == [overpass_query(area="Osečina")]
    assert req.headers["user-agent"] == settings.user_agent
    assert req.headers["user-agent"].startswith("camera-map/")


def test_an_answer_is_parsed_once_whether_fresh_or_cached(
    http_server: LocalServer, fast: list[float], answer: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the check before caching parses the answer; the reader gets that object, and the
    # cameras are read from it without parsing the body again
    parsed: list[int] = []
    real_loads = json.loads

    def loads(text: str | bytes, **kw: object) -> object:
        if len(text) == len(answer.decode("utf-8")):
            parsed.append(1)
        return real_loads(text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(json, "loads", loads)
    http_server.reply(200, answer)
    fresh = read_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(parsed) == 1
    cached = read_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(parsed) == 2 and len(http_server.requests) == 1
    assert len(fresh.cameras) == len(cached.cameras) == 4


def test_second_identical_fetch_is_answered_from_the_cache(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    http_server.reply(200, answer)
    first = fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    second = fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert first == second
    assert len(http_server.requests) == 1
    assert list((settings.cache_dir / "http").rglob("*.body"))
    # a different query is a different request
    http_server.reply(200, answer)
    fetch_overpass(bbox="19.5,44.3,19.7,44.4", url=_endpoint(http_server))
    assert len(http_server.requests) == 2


def test_429_with_retry_after_then_504_then_success(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    http_server.add(
        Reply(429, b"rate limited", headers={"Retry-After": "0"}),
        Reply(504, b"<html><body><p>Gateway Timeout</p></body></html>"),
        Reply(200, answer),
    )
    cams = cameras_from_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(http_server.requests) == 3
    assert fast == [0.0, 0.02]  # Retry-After: 0, then the doubled back-off
    assert list(cams["source_ref"]) == ["node/1001", "node/1002", "relation/3001", "way/2001"]


def test_a_hang_past_the_timeout_is_retried(
    http_server: LocalServer, fast: list[float], answer: bytes,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(settings, "timeout", 1.0)
    http_server.add(Reply(action="hang", delay=60))
    # every later try is answered: a loaded machine may let a 1 s try expire once more
    http_server.default = Reply(200, answer)
    with caplog.at_level("INFO", logger="camera_map._http"):
        result = fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(result["elements"]) == 6
    assert len(http_server.requests) >= 2
    assert "try 1 of 4 failed (no answer within the timeout); trying again" in caplog.text


def test_a_reset_connection_is_retried(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    http_server.add(Reply(action="reset"), Reply(200, answer))
    fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(http_server.requests) == 2


def test_a_truncated_body_is_retried_and_not_cached(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    http_server.add(Reply(200, answer, action="truncate"), Reply(200, answer))
    result = fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert result == json.loads(answer)
    assert len(http_server.requests) == 2


def test_broken_json_every_time_ends_in_a_clear_error(
    http_server: LocalServer, fast: list[float]
) -> None:
    http_server.default = Reply(200, b'{"version": 0.6, "elements": [{"type": "node", ')
    url = _endpoint(http_server)
    with pytest.raises(NetworkError) as info:
        fetch_overpass(bbox=BBOX, url=url)
    message = str(info.value)
    assert message.startswith(f"Overpass API at {url} failed after 4 tries; last failure: ")
    assert "the answer could not be used: not valid JSON" in message
    assert "a result saved with `camera-map fetch --out FILE.json` can be reused" in message
    assert len(http_server.requests) == 4
    assert fast == [0.01, 0.02, 0.04]
    assert not list(Path(settings.cache_dir).rglob("*.body"))  # nothing broken was cached


def test_504_every_time_names_url_tries_and_last_failure(
    http_server: LocalServer, fast: list[float]
) -> None:
    http_server.default = Reply(504, b"<html><p>Gateway Timeout</p></html>")
    url = _endpoint(http_server)
    with pytest.raises(
        NetworkError,
        match=rf"Overpass API at {url} failed after 4 tries; last failure: HTTP 504 "
        r"Gateway Timeout: Gateway Timeout\. Try again later, allow more time "
        r"\(settings\.timeout is 30 s a try, settings\.deadline 300 s in all; --timeout, "
        r"CAMERA_MAP_TIMEOUT, CAMERA_MAP_DEADLINE\), or use another endpoint\.",
    ):
        fetch_overpass(bbox=BBOX, url=url)
    assert len(http_server.requests) == 4


def test_timeouts_every_time_end_in_a_clear_error(
    http_server: LocalServer, fast: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_tries", 2)
    monkeypatch.setattr(settings, "timeout", 0.2)
    http_server.default = Reply(action="hang", delay=60)
    with pytest.raises(NetworkError, match="failed after 2 tries; last failure: no answer within"):
        fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(http_server.requests) == 2


def test_a_bad_query_is_not_retried(http_server: LocalServer, fast: list[float]) -> None:
    http_server.reply(
        400, "<html><body><p><strong>Error</strong>: line 2: parse error</p></body></html>"
    )
    with pytest.raises(NetworkError, match=r"answered HTTP 400 Bad Request: Error : line 2: parse"):
        fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(http_server.requests) == 1


def test_an_overpass_runtime_error_is_retried(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    partial = {"elements": [], "remark": 'runtime error: Query timed out in "query" at line 3'}
    http_server.add(Reply(200, json.dumps(partial).encode()), Reply(200, answer))
    fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(http_server.requests) == 2


def test_an_area_that_matches_nothing_is_an_unknown_place(
    http_server: LocalServer, fast: list[float]
) -> None:
    none = {"elements": [{"type": "count", "id": 0, "tags": {"areas": "0", "total": "0"}}]}
    http_server.reply(200, json.dumps(none))
    with pytest.raises(UnknownPlaceError, match=r"no OpenStreetMap area is named 'Osecinaa'"):
        fetch_overpass(area="Osecinaa", url=_endpoint(http_server))


def test_an_osm_id_without_an_overpass_area_is_an_unknown_place(
    http_server: LocalServer, fast: list[float]
) -> None:
    none = {"elements": [{"type": "count", "id": 0, "tags": {"areas": "0", "total": "0"}}]}
    http_server.reply(200, json.dumps(none))
    with pytest.raises(UnknownPlaceError, match=r"Overpass has no area for OpenStreetMap "
                       r"relation/42: its area index may lag"):
        fetch_overpass(area="relation/42", url=_endpoint(http_server))
    assert ".searchArea out count;" in http_server.requests[0].params["data"][0]


def test_endpoint_comes_from_settings(
    http_server: LocalServer, fast: list[float], answer: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "overpass_url", _endpoint(http_server))
    http_server.reply(200, answer)
    result = read_overpass(bbox=BBOX)
    assert len(result.cameras) == 4
    assert "way/2002: has no position" in result.messages()[0]


def test_saved_answer_reads_back_offline(
    http_server: LocalServer, fast: list[float], answer: bytes, tmp_path: Path
) -> None:
    http_server.reply(200, answer)
    result = fetch_overpass(area="Osečina", url=_endpoint(http_server))
    path = save_overpass(result, tmp_path / "out" / "osecina.json")
    assert sniff_osm(path) == "overpass-json"
    assert json.loads(path.read_text("utf-8")) == result
    cams = read_osm(path).cameras
    assert list(cams["camera_id"]) == [
        "osm-node-1001", "osm-node-1002", "osm-relation-3001", "osm-way-2001",
    ]  # fmt: skip
    assert not list(path.parent.glob("*.part"))


# ------------------------------------------------------------- hostile answers, cache age


def _cameras_answer(*elements: object) -> bytes:
    return json.dumps({"version": 0.6, "elements": list(elements)}).encode()


def _camera(ident: object, **extra: object) -> dict[str, object]:
    return {"type": "node", "id": ident, "lat": 44.37, "lon": 19.6,
            "tags": {"man_made": "surveillance"}, **extra}


def test_malformed_elements_are_reported_and_skipped_and_a_rerun_asks_nothing(
    http_server: LocalServer, fast: list[float]
) -> None:
    http_server.reply(200, _cameras_answer(
        _camera(1), _camera("abc"), _camera(3, tags=["man_made", "surveillance"]),
        _camera(4, version="x"), _camera(5, tags={"man_made": {"nested": 1}}), _camera(6),
    ))  # fmt: skip
    for _ in range(2):
        result = read_overpass(bbox=BBOX, url=_endpoint(http_server))
        assert list(result.cameras["source_ref"]) == ["node/1", "node/6"]
        messages = result.messages()
        assert len(messages) == 4, messages
        assert "element 2 (node): id 'abc' is not a whole number; skipped" in messages[0]
        assert 'element 3 (node): "tags" is list, not an object' in messages[1]
        assert "element 4 (node): version 'x' is not a whole number" in messages[2]
        assert '"tags" holds a value that is not text' in messages[3]
    assert len(http_server.requests) == 1  # the answer itself was sound, and cached


@pytest.mark.parametrize(
    "body",
    [b'{"version": 0.6, "elem', b'{"elements": {"a": 1}}', b"[" * 100_000 + b"]" * 100_000,
     b"\xff\xfe not text"],
)
def test_an_unusable_answer_is_never_cached(
    http_server: LocalServer, fast: list[float], answer: bytes, body: bytes
) -> None:
    http_server.add(Reply(200, body), Reply(200, answer))
    assert len(fetch_overpass(bbox=BBOX, url=_endpoint(http_server))["elements"]) == 6
    assert len(http_server.requests) == 2
    bodies = [p.read_bytes() for p in (settings.cache_dir / "http").rglob("*.body")]
    assert bodies == [answer]


def test_an_unusable_answer_already_in_the_cache_is_asked_again(
    http_server: LocalServer, fast: list[float], answer: bytes
) -> None:
    url = _endpoint(http_server)
    key = _http.cache_key(url, method="POST", data={"data": overpass_query(bbox=BBOX)})
    poisoned = _http.cache_path(key)
    poisoned.parent.mkdir(parents=True)
    poisoned.write_bytes(b'{"elements": [{"type": "node", ')  # left by an older version
    http_server.reply(200, answer)
    assert len(fetch_overpass(bbox=BBOX, url=url)["elements"]) == 6
    assert len(http_server.requests) == 1
    assert poisoned.read_bytes() == answer


def _age_cache_entries(days: float) -> None:
    for meta in (settings.cache_dir / "http").rglob("*.json"):
        record = json.loads(meta.read_text("utf-8"))
        when = datetime.now(UTC) - timedelta(days=days)
        record["fetched"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        meta.write_text(json.dumps(record), "utf-8")


def test_cached_answers_carry_their_date_and_expire_after_max_age(
    http_server: LocalServer, fast: list[float], answer: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _endpoint(http_server)
    http_server.default = Reply(200, answer)
    first = overpass_answer(bbox=BBOX, url=url)
    assert not first.response.from_cache
    assert first.provenance().startswith("answered now (")
    again = overpass_answer(bbox=BBOX, url=url)
    assert again.response.from_cache and again.response.fetched == first.response.fetched
    assert len(http_server.requests) == 1

    _age_cache_entries(days=2)
    assert settings.overpass_max_age == 86400  # the default: one day
    monkeypatch.setattr(settings, "overpass_max_age", None)  # any age
    old = overpass_answer(bbox=BBOX, url=url)
    assert old.response.from_cache and len(http_server.requests) == 1
    assert re.fullmatch(r"from the cache: fetched \d{4}-\d\d-\d\d \d\d:\d\d UTC, 2 days old",
                        old.provenance())
    monkeypatch.setattr(settings, "overpass_max_age", 86400)
    fresh = overpass_answer(bbox=BBOX, url=url)
    assert not fresh.response.from_cache and len(http_server.requests) == 2


def test_an_expired_answer_stands_in_when_the_server_keeps_failing(
    http_server: LocalServer, fast: list[float], answer: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """HTTP's stale-if-error: offline or with the server down, a cached answer older than
    the allowed age beats no answer, and every report of it says how old it is."""
    url = _endpoint(http_server)
    http_server.reply(200, answer)
    first = overpass_answer(bbox=BBOX, url=url)
    _age_cache_entries(days=2)
    http_server.default = Reply(504, b"<html><body>Gateway Timeout</body></html>")
    with caplog.at_level(logging.WARNING, logger="camera_map"):
        stale = overpass_answer(bbox=BBOX, url=url)
    assert len(http_server.requests) == 1 + settings.max_tries  # it did ask again
    assert stale.response.from_cache and stale.data == first.data
    assert re.fullmatch(r"from the cache: fetched .* UTC, 2 days old", stale.provenance())
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "failed after 4 tries" in warned[0]
    assert "Using the cached answer instead, from the cache: fetched" in warned[0]
    assert warned[0].endswith("2 days old.")

    # an answer refusing the request says the request is wrong: no stand-in
    http_server.default = Reply(400, b"Error: line 1: parse error")
    with pytest.raises(NetworkError, match=r"answered HTTP 400.*not worth retrying"):
        overpass_answer(bbox=BBOX, url=url)
    # and with nothing cached the failure is the failure
    http_server.default = Reply(504, b"Gateway Timeout")
    with pytest.raises(NetworkError, match="failed after 4 tries"):
        overpass_answer(bbox="19.5,44.3,19.7,44.4", url=url)


def test_the_deadline_bounds_a_server_that_never_answers(
    http_server: LocalServer, fast: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "timeout", 0.3)
    monkeypatch.setattr(settings, "deadline", 1.0)
    monkeypatch.setattr(settings, "max_tries", 50)
    http_server.default = Reply(action="hang", delay=60)
    with pytest.raises(NetworkError, match=r"failed after \d+ tries \((the deadline of 1 s "
                       r"passed|the next try would start after the deadline of 1 s).*last "
                       r"failure: no answer within the timeout"):
        fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    # each try waits at most 0.3 s, so no more than 1.0 / 0.3 + 1 tries fit in the deadline
    assert 1 <= len(http_server.requests) <= 4


def test_a_retry_after_beyond_the_deadline_gives_up_at_once(
    http_server: LocalServer, fast: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "deadline", 60.0)
    http_server.default = Reply(429, b"slow down", headers={"Retry-After": "120"})
    with pytest.raises(NetworkError, match=r"failed after 1 try \(the next try would start "
                       r"after the deadline of 60 s \(a pause of 120 s was due\)\)"):
        fetch_overpass(bbox=BBOX, url=_endpoint(http_server))
    assert len(http_server.requests) == 1 and fast == []


@pytest.mark.parametrize(
    ("environment", "printed"),
    [({"CAMERA_MAP_TIMEOUT": "30s", "CAMERA_MAP_DEADLINE": "2m", "CAMERA_MAP_MAX_AGE": "12h"},
      "30.0 120.0 43200.0"),
     ({"CAMERA_MAP_MAX_AGE": "none"}, "180.0 300.0 None"),
     ({"CAMERA_MAP_TIMEOUT": "soon"}, "180.0 300.0 86400.0")],
)
def test_timeouts_and_cache_age_from_the_environment(environment: dict[str, str],
                                                     printed: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMERA_MAP_")}
    env.update(environment, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    done = subprocess.run(
        [sys.executable, "-c", "from camera_map import settings as s; "
         "print(s.timeout, s.deadline, s.overpass_max_age)"],
        env=env, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == printed.split()
    if "soon" in environment.values():
        assert "CAMERA_MAP_TIMEOUT='soon': 'soon' is not a duration" in done.stderr
