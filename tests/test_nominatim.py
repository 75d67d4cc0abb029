"""The Nominatim client against a real HTTP server on 127.0.0.1.

Spacing between requests is measured on the server's clock, from the time each request
arrived: the client records the end of a request (after its answer arrived, so after the
server's timestamp) and starts the next one ``min_delay`` later, so the server-side gap is
at least ``min_delay`` however slow the machine is. ``EPS`` only covers the two clocks
involved (the client's wall clock, the server's monotonic clock) drifting apart by NTP
slewing, at most 0.05 % of a second.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from httpserver import LocalServer, Reply

from camera_map import settings
from camera_map.errors import NetworkError
from camera_map.geocode.addresses import parse_address
from camera_map.geocode.nominatim import (
    NominatimClient,
    cache_key,
    precision_for,
    query_for,
)

ROOT = Path(__file__).resolve().parent.parent
EPS = 0.002


def result(lon: float = 19.6, lat: float = 44.37, cls: str = "place", typ: str = "house",
           name: str = "Karađorđeva 12, Osečina") -> str:
    return json.dumps([{"place_id": 1, "lat": str(lat), "lon": str(lon), "class": cls,
                        "type": typ, "display_name": name, "osm_type": "node",
                        "osm_id": 42, "place_rank": 30}])


def q_of(req: object) -> str:
    params = req.query  # type: ignore[attr-defined]
    if "q" in params:
        return params["q"][0]
    return "|".join(f"{k}={params[k][0]}" for k in ("street", "city") if k in params)


@pytest.fixture()
def fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Short back-off; the cache in a fresh folder.

    The per-try timeout is generous (30 s): on a loaded machine a short one can expire while
    the server is still answering, and turn one request into a retried pair.
    """
    monkeypatch.setattr(settings, "timeout", 30.0)
    monkeypatch.setattr(settings, "backoff", 0.01)
    monkeypatch.setattr(settings, "max_tries", 3)
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "use_cache", True)
    return tmp_path / "cache"


def test_request_carries_user_agent_country_and_format(http_server: LocalServer,
                                                       fast: Path) -> None:
    http_server.reply(200, result())
    with NominatimClient(http_server.url, min_delay=0) as client:
        ans = client.search({"street": "12 Karađorđeva", "city": "Osečina"})
    assert ans is not None
    assert (ans.lon, ans.lat, ans.precision) == (19.6, 44.37, "address")
    (req,) = http_server.requests
    assert req.path == "/search"
    assert req.headers["user-agent"] == settings.user_agent
    assert req.query["countrycodes"] == ["rs"]
    assert req.query["format"] == ["json"] and req.query["limit"] == ["1"]
    assert (req.query["street"], req.query["city"]) == (["12 Karađorđeva"], ["Osečina"])


def test_at_most_one_request_per_second(http_server: LocalServer, fast: Path) -> None:
    http_server.default = Reply(200, result().encode())
    with NominatimClient(http_server.url) as client:  # the default 1 s delay
        for street in ("Karađorđeva", "Kneza Miloša", "Đakovačka", "Vojvode Stepe"):
            client.search(street)
    starts = [r.time for r in http_server.requests]
    assert len(starts) == 4
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 1.0 - EPS, gaps


def test_the_limit_holds_across_clients_and_retries(http_server: LocalServer,
                                                    fast: Path) -> None:
    http_server.add(Reply(503), Reply(200, result().encode()), Reply(200, b"[]"))
    one = NominatimClient(http_server.url, min_delay=0.5)
    two = NominatimClient(http_server.url, min_delay=0.5)
    one.search("Karađorđeva")  # 503, then retried
    two.search("Kneza Miloša")
    starts = [r.time for r in http_server.requests]
    assert len(starts) == 3
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.5 - EPS


def test_second_run_makes_no_request(http_server: LocalServer, fast: Path) -> None:
    http_server.add(Reply(200, result().encode()), Reply(200, b"[]"))
    with NominatimClient(http_server.url, min_delay=0) as client:
        first = client.search("Karađorđeva 12, Osečina")
        assert client.search("Nepostojeća 1, Osečina") is None
    with NominatimClient(http_server.url, min_delay=0) as client:
        assert client.search("karađorđeva  12 ,Osečina") == first  # same normalised query
        assert client.search("Nepostojeća 1, Osečina") is None  # "no result" is cached too
        assert client.requests_made == 0
    assert len(http_server.requests) == 2


SCRIPT = textwrap.dedent("""
    import sys
    from camera_map import settings
    from camera_map.geocode.nominatim import NominatimClient
    settings.cache_dir = sys.argv[2]
    settings.timeout = 60
    client = NominatimClient(sys.argv[1], min_delay=0.1)
    for q in ["Karađorđeva 1", "Karađorđeva 2", "Karađorđeva 3", "Karađorđeva 4",
              "Karađorđeva 5"]:
        print(q, client.search(q), flush=True)
""")


def test_resume_after_kill_repeats_no_answered_query(http_server: LocalServer,
                                                     tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT, encoding="utf-8")
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the third request hangs, so the process is killed with it in flight
    http_server.add(Reply(200, result().encode()), Reply(200, b"[]"),
                    Reply(200, result().encode(), delay=30))
    proc = subprocess.Popen([sys.executable, str(script), http_server.url, str(cache)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(http_server.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first_run = [q_of(r) for r in http_server.requests]
    assert first_run == ["Karađorđeva 1", "Karađorđeva 2", "Karađorđeva 3"]

    http_server.default = Reply(200, b"[]")
    done = subprocess.run([sys.executable, str(script), http_server.url, str(cache)],
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    second_run = [q_of(r) for r in http_server.requests[3:]]
    # 1 and 2 were answered before the kill; 3 never was
    assert second_run == ["Karađorđeva 3", "Karađorđeva 4", "Karađorđeva 5"]
    assert done.stdout.count("\n") == 5

    third = subprocess.run([sys.executable, str(script), http_server.url, str(cache)],
                           env=env, capture_output=True, text=True, timeout=60, check=True)
    assert len(http_server.requests) == 6 and third.returncode == 0


CONCURRENT = textwrap.dedent("""
    import sys
    from camera_map import settings
    from camera_map.geocode.nominatim import NominatimClient
    settings.cache_dir = sys.argv[2]
    settings.use_cache = True
    settings.timeout = 60
    client = NominatimClient(sys.argv[1])  # the default: one request per second
    for n in range(3):
        client.search(f"{sys.argv[3]} {n}")
""")


def test_one_request_per_second_holds_across_processes(http_server: LocalServer,
                                                       tmp_path: Path) -> None:
    script = tmp_path / "nominatim_worker.py"  # not a stdlib name: the script dir is on sys.path
    script.write_text(CONCURRENT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    http_server.default = Reply(200, b"[]")
    procs = [subprocess.Popen([sys.executable, str(script), http_server.url,
                               str(tmp_path / "cache"), name], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("Karađorđeva", "Kneza Miloša")]
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr.decode()
    arrivals = sorted(http_server.requests, key=lambda r: r.time)
    assert sorted(q_of(r) for r in arrivals) == [
        "Karađorđeva 0", "Karađorđeva 1", "Karađorđeva 2",
        "Kneza Miloša 0", "Kneza Miloša 1", "Kneza Miloša 2"]
    gaps = [b.time - a.time for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 1.0 - EPS, gaps
    assert (tmp_path / "cache" / "throttle" / f"127.0.0.1_{http_server.url.rsplit(':', 1)[1]}"
            ".lock").is_file()


@pytest.mark.parametrize(("status", "reason"), [
    (429, "Too Many Requests"), (500, "Internal Server Error"), (502, "Bad Gateway"),
    (503, "Service Unavailable"), (504, "Gateway Timeout")])
def test_a_status_worth_retrying_that_persists_is_a_clear_error(
        http_server: LocalServer, fast: Path, status: int, reason: str) -> None:
    http_server.default = Reply(status)
    with NominatimClient(http_server.url, min_delay=0) as client, pytest.raises(
            NetworkError, match=rf"^Nominatim at {re.escape(http_server.url)}/search failed "
                                rf"after 3 tries; last failure: HTTP {status} {reason}\..*"
                                r"\(query 'Karađorđeva'\).*--nominatim-url.*"
                                r"Answers so far are cached; run again later to resume"):
        client.search("Karađorđeva")
    assert len(http_server.requests) == 3


def test_timeout_is_a_clear_error(http_server: LocalServer, fast: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "timeout", 0.5)
    http_server.default = Reply(action="hang", delay=60)  # the timeout ends every try
    with NominatimClient(http_server.url, min_delay=0) as client, pytest.raises(
            NetworkError, match=r"failed after 3 tries; last failure: no answer within the "
                                r"timeout.*settings\.timeout is 0\.5 s a try"):
        client.search("Karađorđeva")


@pytest.mark.parametrize("failures", [
    [Reply(429, headers={"Retry-After": "0"})],
    [Reply(action="reset"), Reply(200, result().encode(), action="truncate")],
    [Reply(200, b'{"error": "Internal error"}'), Reply(200, b"<html>busy")],
], ids=["429", "reset-truncated", "not-a-list"])
def test_failed_tries_are_retried_until_an_answer(http_server: LocalServer, fast: Path,
                                                  failures: list[Reply]) -> None:
    http_server.add(*failures, Reply(200, result().encode()))
    with NominatimClient(http_server.url, min_delay=0) as client:
        found = client.search("Karađorđeva")
    assert found is not None and found.osm == "node/42"
    assert len(http_server.requests) == len(failures) + 1
    assert [p.read_bytes() for p in fast.rglob("*.body")] == [result().encode()]


def test_forbidden_is_not_retried(http_server: LocalServer, fast: Path) -> None:
    http_server.default = Reply(403)
    with NominatimClient(http_server.url, min_delay=0) as client, pytest.raises(
            NetworkError, match=r"/search answered HTTP 403 Forbidden\. This is not worth "
                                r"retrying.*\(query 'Karađorđeva'\) A 403 usually means the "
                                r"User-Agent"):
        client.search("Karađorđeva")
    assert len(http_server.requests) == 1


def test_nothing_is_cached_after_a_failure(http_server: LocalServer, fast: Path) -> None:
    http_server.add(Reply(500), Reply(500), Reply(500), Reply(200, result().encode()))
    with NominatimClient(http_server.url, min_delay=0) as client:
        with pytest.raises(NetworkError):
            client.search("Karađorđeva")
        assert client.search("Karađorđeva") is not None


# --- pure functions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "precision"),
    [({"class": "place", "type": "house"}, "address"),
     ({"class": "building", "type": "yes"}, "address"),
     ({"class": "amenity", "type": "school"}, "address"),
     ({"class": "highway", "type": "residential"}, "street"),
     ({"class": "place", "type": "village"}, "settlement"),
     ({"class": "place", "type": "town"}, "settlement"),
     ({"class": "boundary", "type": "administrative"}, "municipality"),
     ({"class": "landuse", "type": "residential", "place_rank": 22}, "settlement"),
     ({"class": "natural", "type": "peak", "place_rank": 12}, "municipality")],
)
def test_precision_from_class_and_type(raw: dict, precision: str) -> None:
    assert precision_for(raw) == precision


def test_queries_for_parsed_addresses() -> None:
    assert query_for(parse_address("Kneza Miloša br. 5a", "Osečina")) == {
        "street": "5a Kneza Miloša", "city": "Osečina"}
    assert query_for(parse_address("Karađorđeva / Kneza Miloša, Valjevo")) == {
        "street": "Karađorđeva", "city": "Valjevo"}
    assert query_for(parse_address("OŠ Vuk Karadžić, Osečina")) == "OŠ Vuk Karadžić, Osečina"
    assert query_for(parse_address("Karađorđeva 12")) == "12 Karađorđeva"
    assert query_for(parse_address("")) is None


def test_cache_key_normalises_spacing_and_case_not_script() -> None:
    def k(q: str) -> str:
        return cache_key(q, url="http://x/", country_codes="rs")

    assert k("Karađorđeva  12, Osečina") == k("karađorđeva 12 osečina")
    assert k("Karađorđeva 12") != k("Karadjordjeva 12")
    assert k("x") != cache_key("x", url="http://y", country_codes="rs")
    assert k("x") != cache_key("x", url="http://x", country_codes="ba")


def test_waiting_for_another_process_turn_counts_against_the_deadline(
        http_server: LocalServer, fast: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    from camera_map import _http

    monkeypatch.setattr(settings, "deadline", 0.5)
    http_server.default = Reply(200, result().encode())
    host = http_server.url.split("://", 1)[1]
    path = _http.throttle_path(host)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as other:  # another process in the middle of its request
        fcntl.flock(other, fcntl.LOCK_EX)
        with NominatimClient(http_server.url) as client, pytest.raises(
                NetworkError, match=r"another process kept its turn to ask this server past "
                                    r"the deadline"):
            client.search("Karađorđeva")
    assert http_server.requests == []
