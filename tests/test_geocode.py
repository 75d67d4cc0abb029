"""The geocoding chain: gazetteer, then Nominatim, then the municipal layer."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from httpserver import LocalServer, Reply

from camera_map import settings
from camera_map.errors import ColumnError
from camera_map.geocode import geocode_cameras, geocode_file
from camera_map.table import cameras_from_records, validate_cameras


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "nominatim_min_delay", 0.0)  # these tests are not about rate
    monkeypatch.setattr(settings, "backoff", 0.01)
    monkeypatch.setattr(settings, "timeout", 30.0)  # never the end of a try under load
    return tmp_path / "cache"


@pytest.fixture()
def extract(data_dir: Path) -> Path:
    return data_dir / "geocode" / "osecina.osm"


@pytest.fixture()
def units(data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / "geocode" / "units.geojson")


def table(*rows: tuple[str | None, str | None]) -> gpd.GeoDataFrame:
    return cameras_from_records(
        {"source": "foi", "source_ref": f"reg.csv#row {i + 2}", "address": a, "municipality": m}
        for i, (a, m) in enumerate(rows))


def by_address(result: gpd.GeoDataFrame) -> dict[str, tuple[str, str]]:
    return {a: (p, g) for a, p, g in zip(result["address"], result["geocode_precision"],
                                         result["geocoder"], strict=True)}


def test_each_row_says_how_it_was_placed(extract: Path, units: gpd.GeoDataFrame) -> None:
    cams = table(("Karadjordjeva 12", "Osečina"),
                 ("угао Карађорђеве и Кнеза Милоша", "Осечина"),
                 ("Dakovacka", "Osecina"),
                 ("Nepostojeća 7, Osečina", None),
                 ("Nepostojeća 7", "Valjevo"),
                 ("Karađorđeva 12", "Valjevo"))
    res = geocode_cameras(cams, extract=extract, units=units)
    got = by_address(res.cameras)
    assert got == {
        "Karadjordjeva 12": ("address", "gazetteer"),
        "угао Карађорђеве и Кнеза Милоша": ("intersection", "gazetteer"),
        "Dakovacka": ("street", "gazetteer"),
        "Nepostojeća 7, Osečina": ("settlement", "gazetteer"),
        "Nepostojeća 7": ("municipality", "layer"),
        "Karađorđeva 12": ("address", "gazetteer"),
    }
    assert res.unplaced.empty
    pts = res.cameras.geometry
    assert pts.iloc[0].distance(pts.iloc[5]) > 0.2  # the two Karađorđeva 12 are in two towns
    assert units.geometry.iloc[1].contains(pts.iloc[4])  # the layer point lies in Valjevo
    validate_cameras(res.cameras)
    assert res.counts() == {"address": 2, "intersection": 1, "municipality": 1,
                            "settlement": 1, "street": 1, "unplaced": 0}


def test_rows_with_coordinates_are_exact_and_count_rows_are_left_alone(
        units: gpd.GeoDataFrame) -> None:
    cams = cameras_from_records([
        {"source": "osm", "source_ref": "node/1", "longitude": 19.6, "latitude": 44.37},
        {"source": "foi", "source_ref": "r#row 2", "count": 40, "municipality": "Osečina",
         "address": "cela opština"},
        {"source": "foi", "source_ref": "r#row 3", "geocode_precision": "address",
         "geocoder": "nominatim", "longitude": 19.6, "latitude": 44.37},
    ])
    res = geocode_cameras(cams, units=units)
    assert res.cameras["geocode_precision"].tolist() == ["exact", pd.NA, "address"]
    assert res.cameras["geocoder"].tolist() == ["source", pd.NA, "nominatim"]
    assert res.cameras.geometry.iloc[1] is None
    assert res.unplaced.empty


def test_unplaced_rows_say_what_to_fix(extract: Path, units: gpd.GeoDataFrame) -> None:
    cams = table(("Nepostojeća 7", "Osecna"), ("Nepostojeća 7", None), (None, "Osečina"),
                 ("kod pijace", None))
    res = geocode_cameras(cams, extract=extract, units=units)
    reasons = dict(zip(res.unplaced["source_ref"], res.unplaced["reason"], strict=True))
    assert list(res.unplaced.columns) == ["camera_id", "source_ref", "address", "municipality",
                                          "reason"]
    assert "municipality 'Osecna' is not in the layer (did you mean Osečina?)" in \
        reasons["reg.csv#row 2"]
    assert "no street named 'Nepostojeća'" in reasons["reg.csv#row 2"]
    assert "nominatim: not asked (offline; use --online)" in reasons["reg.csv#row 2"]
    assert "no municipality given" in reasons["reg.csv#row 3"]
    assert "no coordinates and no address" in reasons["reg.csv#row 4"]
    assert "landmark 'pijace' is not in the gazetteer" in reasons["reg.csv#row 5"]
    assert res.cameras.geometry.isna().all()


def test_a_city_of_several_municipalities_is_not_guessed(units: gpd.GeoDataFrame) -> None:
    units = units.assign(group_name=["Grad", "Grad"])
    res = geocode_cameras(table(("Nepostojeća 7", "Grad")), units=units)
    (reason,) = res.unplaced["reason"]
    assert "'Grad' covers 2 municipalities (Osečina, Valjevo, ...); name the one" in reason


def test_progress_is_reported(extract: Path) -> None:
    seen: list[tuple[int, int]] = []
    geocode_cameras(table(*[(f"Karađorđeva {i}", None) for i in range(10)]), extract=extract,
                    progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (10, 10) and all(t == 10 for _, t in seen)


def nominatim_hit(lon: float, lat: float) -> bytes:
    return json.dumps([{"lat": str(lat), "lon": str(lon), "class": "amenity", "type": "school",
                        "display_name": "OŠ Vuk Karadžić", "osm_type": "way",
                        "osm_id": 7}]).encode()


def test_online_nominatim_fills_what_the_gazetteer_cannot(
        http_server: LocalServer, extract: Path, units: gpd.GeoDataFrame) -> None:
    http_server.add(Reply(200, nominatim_hit(19.61, 44.38)),   # inside Osečina
                    Reply(200, nominatim_hit(21.0, 45.0)))      # far outside Valjevo
    cams = table(("OŠ Vuk Karadžić", "Osečina"), ("OŠ Desanka Maksimović", "Valjevo"),
                 ("Karađorđeva 12", "Osečina"))
    res = geocode_cameras(cams, extract=extract, units=units, online=True,
                          nominatim_url=http_server.url)
    assert by_address(res.cameras) == {
        "OŠ Vuk Karadžić": ("address", "nominatim"),
        "OŠ Desanka Maksimović": ("municipality", "layer"),
        "Karađorđeva 12": ("address", "gazetteer"),  # answered offline, never asked online
    }
    assert len(http_server.requests) == 2
    assert http_server.requests[0].query["q"] == ["OŠ Vuk Karadžić, Osečina"]
    # a second run asks nothing
    geocode_cameras(cams, extract=extract, units=units, online=True,
                    nominatim_url=http_server.url)
    assert len(http_server.requests) == 2


def test_failing_nominatim_degrades_to_the_municipality_with_one_warning(
        http_server: LocalServer, units: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(settings, "max_tries", 2)
    http_server.default = Reply(503)
    cams = table(("Karađorđeva 12", "Osečina"), ("Kneza Miloša 3", "Osečina"),
                 ("Vojvode Mišića 1", "Valjevo"))
    with caplog.at_level("WARNING"):
        res = geocode_cameras(cams, units=units, online=True, nominatim_url=http_server.url)
    assert set(by_address(res.cameras).values()) == {("municipality", "layer")}
    assert len(http_server.requests) == 2  # the two tries of the first address, then no more
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("Nominatim is not available, so addresses are placed "
                                  "without it (gazetteer, then municipality level): Nominatim "
                                  f"at {http_server.url}/search failed after 2 tries")
    assert "HTTP 503" in warnings[0]
    assert [p.message for p in res.problems] == warnings


def test_offline_nominatim_is_one_warning_not_a_traceback(
        units: gpd.GeoDataFrame, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nothing listens on: every connection is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with caplog.at_level("WARNING"):
        res = geocode_cameras(table(("Karađorđeva 12", "Osečina"), ("Kneza Miloša 3", "Osečina")),
                              units=units, online=True,
                              nominatim_url=f"http://127.0.0.1:{port}")
    assert set(by_address(res.cameras).values()) == {("municipality", "layer")}
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "Nominatim is not available" in warning
    assert "last failure: the connection was refused" in warning


@pytest.mark.parametrize(("lat", "lon", "what"), [
    ("abc", "19.6", "latitude 'abc'"), ("nan", "19.6", "latitude 'nan'"),
    ("91", "19.6", "latitude '91'"), ("44.37", "inf", "longitude 'inf'"),
    (None, "19.6", "latitude None"), ([1], "19.6", "latitude [1]"),
])
def test_an_answer_with_impossible_coordinates_is_rejected_with_a_problem(
        http_server: LocalServer, units: gpd.GeoDataFrame, lat: object, lon: object,
        what: str) -> None:
    http_server.reply(200, json.dumps([{"lat": lat, "lon": lon, "class": "place",
                                        "type": "house", "display_name": "x"}]))
    res = geocode_cameras(table(("Karađorđeva 12", "Osečina")), units=units, online=True,
                          nominatim_url=http_server.url)
    assert by_address(res.cameras) == {"Karađorđeva 12": ("municipality", "layer")}
    (problem,) = res.problems
    assert str(problem) == (f"Nominatim answered {what}, not a number in "
                            f"{'-90..90' if 'lat' in what else '-180..180'}; the answer was "
                            "not used (value 'Karađorđeva 12')")


def test_geocode_file_writes_coordinates_and_a_report(tmp_path: Path, extract: Path,
                                                      units: gpd.GeoDataFrame) -> None:
    src = tmp_path / "registar.csv"
    src.write_bytes("Adresa;Opština;Tip\nKarađorđeva 12;Osečina;dome\n"
                    "Nepostojeća 3;Nigde;fiksna\nugao Karađorđeve i Kneza Miloša;Osečina;\n"
                    .encode("cp1250"))
    out = tmp_path / "out" / "geocoded.csv"
    res = geocode_file(src, out, extract=extract, units=units)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["Adresa", "Opština", "Tip", "latitude", "longitude",
                             "geocode_precision", "geocoder"]
    assert (rows[0]["latitude"], rows[0]["longitude"]) == ("44.3700500", "19.6010000")
    assert [r["geocode_precision"] for r in rows] == ["address", "", "intersection"]
    assert rows[1]["latitude"] == ""
    assert res.report == tmp_path / "out" / "geocoded-unplaced.csv"
    report = pd.read_csv(res.report, dtype=str)
    assert list(report.columns) == ["row", "source_ref", "address", "municipality", "reason"]
    assert list(report["row"]) == ["3"]
    assert "municipality 'Nigde' is not in the layer" in report["reason"].iloc[0]
    assert not list(out.parent.glob(".*part"))  # nothing half-written left behind


def test_geocode_file_needs_an_address_column(tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_text("gde_je,grad\nKarađorđeva 1,Osečina\n", encoding="utf-8")
    with pytest.raises(ColumnError, match=r"r\.csv: no address column; found columns "
                                          r"\['gde_je', 'grad'\].*address_column="):
        geocode_file(src, tmp_path / "o.csv")
    res = geocode_file(src, tmp_path / "o.csv", address_column="gde_je")
    assert "no OSM extract given (use --extract)" in res.unplaced["reason"].iloc[0]


def test_geocode_file_reads_spreadsheets_with_the_foi_reader(tmp_path: Path, extract: Path,
                                                             units: gpd.GeoDataFrame) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kamere"
    for row in (["Adresa", "Opština", "Broj kamera"], ["Karađorđeva 12", "Osečina", 1],
                ["Nepostojeća 3", "Nigde", 1]):
        ws.append(row)
    src = tmp_path / "registar.xlsx"
    wb.save(src)
    res = geocode_file(src, tmp_path / "geo.csv", extract=extract, units=units)
    rows = list(csv.DictReader((tmp_path / "geo.csv").open(encoding="utf-8")))
    assert [(r["Adresa"], r["Broj kamera"], r["geocode_precision"]) for r in rows] == [
        ("Karađorđeva 12", "1", "address"), ("Nepostojeća 3", "1", "")]
    assert rows[0]["latitude"] == "44.3700500"
    report = pd.read_csv(res.report, dtype=str)
    assert "municipality 'Nigde' is not in the layer" in report["reason"].iloc[0]


def test_geocode_file_reads_as_build_does_windows_1251_and_kind_by_content(
        tmp_path: Path, extract: Path, units: gpd.GeoDataFrame) -> None:
    """One reader for every command: no mojibake, no format by suffix."""
    src = tmp_path / "регистар.txt"  # a suffix that says nothing
    src.write_bytes("Адреса;Општина;Напомена\nКарађорђева 12;Осечина;код поште\n"
                    .encode("cp1251"))
    geocode_file(src, tmp_path / "geo.csv", extract=extract, units=units)
    rows = list(csv.DictReader((tmp_path / "geo.csv").open(encoding="utf-8")))
    assert list(rows[0])[:3] == ["Адреса", "Општина", "Напомена"]
    assert (rows[0]["Напомена"], rows[0]["geocode_precision"]) == ("код поште", "address")
