"""Property tests: the join and the metrics neither lose nor invent cameras.

A small random layer (a grid of units with shared borders and shared corners, some of
them members of a city) and random camera-table rows: points inside units, outside the
layer, exactly on shared borders and on shared corners, duplicates, rows without a point
that name a unit, a city, an unknown place or nothing. Coordinates lie on a 1/8-degree
lattice, so a point on a border is exactly on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camera_map.companies import company_names
from camera_map.join import JoinResult, join_cameras
from camera_map.layers import Layer, _conform_units
from camera_map.metrics import Metrics, compute_metrics
from camera_map.table import cameras_from_records

STEP = 0.125  # exactly representable: points on the lattice are exactly on the borders
X0, Y0 = 20.0, 44.0
PROPERTIES = settings(max_examples=30, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@dataclass
class World:
    layer: Layer
    records: list[dict[str, object]]


@st.composite
def grid_layers(draw: st.DrawFn) -> Layer:
    """Units on a grid: column and row cuts on the lattice, ids in a shuffled order (the
    smallest id wins on a shared border, whatever the geometry), maybe a city of two."""
    xs = sorted(draw(st.sets(st.integers(1, 7), min_size=1, max_size=3)) | {0, 8})
    ys = sorted(draw(st.sets(st.integers(1, 7), min_size=0, max_size=2)) | {0, 8})
    cells = [(xs[i], ys[j], xs[i + 1], ys[j + 1])
             for i in range(len(xs) - 1) for j in range(len(ys) - 1)]
    ids = draw(st.permutations([f"{100 + k}" for k in range(len(cells))]))
    populations = draw(st.lists(st.one_of(st.none(), st.integers(1, 100_000)),
                                min_size=len(cells), max_size=len(cells)))
    city = draw(st.booleans()) and len(cells) >= 2
    members = sorted(ids[:2]) if city else []
    units = gpd.GeoDataFrame({
        "id": ids,
        "name": [f"Unit {i}" for i in ids],
        "group_id": pd.array(["900" if i in members else None for i in ids], dtype="string"),
        "group_name": pd.array(["City" if i in members else None for i in ids],
                               dtype="string"),
        "population": pd.array(populations, dtype="Int64"),
        "area_km2": [float((c[2] - c[0]) * (c[3] - c[1])) * 150.0 for c in cells],
    }, geometry=[shapely.box(X0 + a * STEP, Y0 + b * STEP, X0 + c * STEP, Y0 + d * STEP)
                 for a, b, c, d in cells], crs="EPSG:4326")
    groups = pd.DataFrame({"id": ["900"] if city else [], "name": ["City"] if city else [],
                           "name_cyr": [None] if city else [],
                           "population": pd.array([50_000] if city else [], dtype="Int64"),
                           "area_km2": [None] if city else [],
                           "members": [";".join(members)] if city else []})
    return Layer(name="grid", title="grid", units=_conform_units(units), groups=groups)


VENDORS = [None, "Dahua", "DAHUA TECHNOLOGY; Dahua", "Huawei; Хуавеј", "Hikvision"]
STATUSES = [None, "installed", "planned", "contracted", "testing", "removed", "unknown"]
SCOPES = [None, "public space", "premises (schools)"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    layer = draw(grid_layers())
    names = [*layer.units["name"], *layer.groups["name"], "Nowhere", None]
    # the lattice positions of the units' edges: points on a border, or on a corner
    bounds = shapely.bounds(layer.units.geometry.values)
    xs = sorted({round((x - X0) / STEP * 8) for x in [*bounds[:, 0], *bounds[:, 2]]})
    ys = sorted({round((y - Y0) / STEP * 8) for y in [*bounds[:, 1], *bounds[:, 3]]})
    point = st.tuples(
        st.one_of(st.sampled_from(xs), st.integers(0, 64), st.integers(-8, 72)),
        st.one_of(st.sampled_from(ys), st.integers(0, 64), st.integers(-8, 72)))
    rows = draw(st.lists(st.tuples(
        st.one_of(point, st.none()),  # None: a row without a point
        st.sampled_from(names),
        st.one_of(st.none(), st.integers(0, 500)),  # count of a row without a point
        st.sampled_from(["osm", "foi", "report"]),
        st.sampled_from(VENDORS), st.sampled_from([None, True, False]),
        st.sampled_from(STATUSES), st.sampled_from(SCOPES),
    ), min_size=0, max_size=25))
    duplicates = draw(st.lists(st.integers(0, 24), max_size=4))
    rows += [rows[i] for i in duplicates if i < len(rows)]  # the same camera twice
    records: list[dict[str, object]] = []
    for n, (xy, name, count, source, vendor, fr, status, scope) in enumerate(rows):
        rec: dict[str, object] = dict(
            source=source, source_ref=f"r.csv#row {n + 2}", manufacturer=vendor,
            facial_recognition=fr, status=status, scope=scope)
        if xy is not None:
            rec.update(longitude=X0 + xy[0] * STEP / 8, latitude=Y0 + xy[1] * STEP / 8)
            rec["municipality"] = name if n % 3 == 0 else None  # some points name a place
        else:
            rec.update(municipality=name, count=pd.NA if count is None else count)
        records.append(rec)
    return World(layer, records)


def run(world: World) -> tuple[gpd.GeoDataFrame, JoinResult, Metrics]:
    table = cameras_from_records(world.records)
    joined = join_cameras(table, world.layer)
    return table, joined, compute_metrics(joined.cameras, world.layer)


def covering_units(layer: Layer, geom: object) -> list[str]:
    return sorted(i for i, g in zip(layer.units["id"], layer.units.geometry, strict=True)
                  if g.covers(geom))


@PROPERTIES
@given(worlds())
def test_every_camera_ends_in_one_place_or_in_the_problems(world: World) -> None:
    table, joined, _ = run(world)
    out = joined.cameras
    assert len(out) == len(table)
    assert out["camera_id"].tolist() == table["camera_id"].tolist()  # none lost, none new
    lost = {p.row: p for p in joined.problems if p.code in ("outside", "nowhere",
                                                            "unknown-unit")}
    assert len(lost) == len([p for p in joined.problems
                             if p.code in ("outside", "nowhere", "unknown-unit")])
    places = {*world.layer.units["id"], *world.layer.groups["id"].astype(str)}
    for n, row in enumerate(out.itertuples(index=False)):
        assigned = not pd.isna(row.municipality_id)
        assert assigned != (n + 2 in lost), f"row {n + 2}: in a place and in the problems"
        if not assigned:
            continue
        assert row.municipality_id in places
        geom = row.geometry
        if geom is not None and not geom.is_empty:
            # a point goes to the unit that covers it, the smallest id on a shared border
            assert row.assigned_by == "point" and row.assigned_level == "unit"
            assert row.municipality_id == covering_units(world.layer, geom)[0]
        else:
            assert row.assigned_by == "name"
            assert world.layer.resolve(row.municipality).id == row.municipality_id
    for p in lost.values():
        rec = world.records[p.row - 2]  # type: ignore[operator]
        if p.code == "outside":
            assert not covering_units(world.layer, shapely.Point(rec["longitude"],
                                                                 rec["latitude"]))


@PROPERTIES
@given(worlds())
def test_figures_count_every_assigned_camera_once(world: World) -> None:
    _, joined, metrics = run(world)
    out = joined.cameras
    assigned = out[out["municipality_id"].notna()]
    figures = metrics.figures
    # each place's figures hold its located cameras (one each) and the counts its rows
    # give, neither more nor less; places without rows have no figure
    expected = {key: int((part["assigned_by"] == "point").sum())
                + int(part.loc[part["assigned_by"] == "name", "count"].fillna(0).sum())
                for key, part in assigned.groupby(["municipality_id", "assigned_level"])}
    got = {(str(k[0]), str(k[1])): int(part["value"].fillna(0).sum())
           for k, part in figures.groupby(["id", "level"])}
    assert got == expected
    # per unit, the located cameras add up to those in public space and not removed
    located = assigned[assigned["assigned_by"] == "point"]
    public = located[~located["scope"].fillna("").str.lower().str.startswith("premises")
                     & ~located["status"].eq("removed").fillna(False)]
    counted = public["municipality_id"].value_counts()
    for unit in metrics.units.itertuples(index=False):
        points = 0 if pd.isna(unit.cameras_points) else int(unit.cameras_points)
        assert points == counted.get(unit.id, 0)
    assert metrics.units["cameras_points"].fillna(0).sum() == len(public)


@PROPERTIES
@given(worlds())
def test_parts_never_exceed_the_whole_and_unknown_stays_unknown(world: World) -> None:
    _, joined, metrics = run(world)
    out = joined.cameras
    for level, table in (("unit", metrics.units), ("group", metrics.groups)):
        for place in table.itertuples(index=False):
            rows = out[(out["municipality_id"] == place.id)
                       & (out["assigned_level"] == level)]
            if level == "unit" and place.evidence == "group":
                rows = out[(out["municipality_id"] == place.group_id)
                           & (out["assigned_level"] == "group")]
            # face recognition and installed cameras are parts of the estimate
            if not pd.isna(place.cameras):
                for part in (place.facial_recognition_cameras, place.cameras_installed):
                    assert pd.isna(part) or part <= place.cameras, place
            if level == "unit" and not pd.isna(place.group_cameras):
                assert pd.isna(place.group_facial_recognition_cameras) or \
                    place.group_facial_recognition_cameras <= place.group_cameras
            # no vendor and no face recognition that no row states
            stated = {n for v in rows["manufacturer"].dropna() for n in company_names(v)}
            vendors = set() if pd.isna(place.vendors) else set(place.vendors.split("; "))
            assert vendors == stated
            fr = rows["facial_recognition"]
            expected = "yes" if fr.eq(True).any() else "no" if fr.notna().any() else None
            assert (None if pd.isna(place.facial_recognition) else
                    place.facial_recognition) == expected
            if expected is None:
                assert pd.isna(place.facial_recognition_cameras)
            if rows["status"].isna().all():
                assert pd.isna(place.cameras_installed)
            if rows.empty:
                assert pd.isna(place.cameras) and (level == "group"
                                                   or place.evidence == "none")
