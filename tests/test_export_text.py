"""The GeoJSON and CSV writers keep any text exactly (property-based), and write atomically."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from camera_map.export import write_csv, write_geojson
from camera_map.text import clean_text, neutralise_formula

texts = st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=20)


def frame(values: list[str | None]) -> gpd.GeoDataFrame:
    n = len(values)
    return gpd.GeoDataFrame({
        "name": pd.array(values, dtype="string"),
        "count": pd.array(range(n), dtype="Int64"),
        "share": pd.array([None if i % 3 == 0 else i / 7 for i in range(n)], dtype="Float64"),
        "flag": pd.array([None if i % 2 else bool(i % 4) for i in range(n)], dtype="boolean"),
    }, geometry=[Point(20 + i / 1e3, 44.123456789) if i % 5 else None for i in range(n)],
        crs=4326)


@settings(max_examples=60, deadline=None)
@given(texts)
def test_geojson_keeps_every_text_exactly(tmp_path_factory, values: list[str | None]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("gj") / "x.geojson"
    for drop in (False, True):
        write_geojson(frame(values), path, drop_nulls=drop)
        features = json.loads(path.read_text("utf-8"))["features"]
        # text exactly as it was, but for control characters (issue 11)
        assert [f["properties"].get("name") for f in features] == [
            None if v is None else clean_text(v) for v in values]
        assert [f["properties"].get("count") for f in features] == list(range(len(values)))
        first = next((f for f in features if f["geometry"]), None)
        if first:
            assert first["geometry"]["coordinates"][1] == 44.1234568  # 7 decimals


@settings(max_examples=60, deadline=None)
@given(texts)
def test_csv_keeps_every_text_exactly(tmp_path_factory, values: list[str | None]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    write_csv(frame(values), path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # exactly, but for control characters and a ' before what a spreadsheet runs (issue 11)
    assert [r["name"] for r in rows] == [neutralise_formula(clean_text(v or "")) for v in values]
    assert [r["flag"] for r in rows][:3] == ["false", "", "true"][:len(values)]


def test_csv_matches_the_csv_module_quoting(tmp_path: Path) -> None:
    values = ['plain', 'with, comma', 'with "quote"', "two\nlines", "Ћирилица", None]
    path = tmp_path / "x.csv"
    write_csv(pd.DataFrame({"name": pd.array(values, dtype="string")}), path)
    expected = tmp_path / "y.csv"
    with expected.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["name"])
        w.writerows([[v or ""] for v in values])
    assert path.read_bytes() == expected.read_bytes()


def test_csv_numbers_missing_infinite_and_negative_zero(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "n.csv"
    write_csv(pd.DataFrame({"a": [1.23456789, np.nan, np.inf, -0.0, 3.0],
                            "b": pd.array([1, None, 3, 4, 5], dtype="Int64")}), path)
    assert path.read_text("utf-8") == "a,b\n1.2346,1\n,\n,3\n0,4\n3,5\n"
