"""Join and metrics on hand-made evidence with known answers, against the Serbian layer."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from camera_map.join import join_cameras, units_containing
from camera_map.layers import load_layer
from camera_map.metrics import compute_metrics
from camera_map.table import cameras_from_records

OSECINA, LJIG, BELGRADE = "70882", "70769", "71308"


@pytest.fixture(scope="module")
def layer():  # type: ignore[no-untyped-def]
    return load_layer("serbia")


def unit_geom(layer, uid: str):  # type: ignore[no-untyped-def]
    return layer.units.set_index("id").loc[uid].geometry


def shared_vertex(layer, a: str, b: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """A vertex both units' outlines have: a point exactly on their shared border."""
    ca = {tuple(c) for c in shapely.get_coordinates(unit_geom(layer, a))}
    cb = {tuple(c) for c in shapely.get_coordinates(unit_geom(layer, b))}
    common = sorted(ca & cb)
    assert common, f"{a} and {b} share no vertex"
    return common[len(common) // 2]


def run(layer, records):  # type: ignore[no-untyped-def]
    joined = join_cameras(cameras_from_records(records), layer)
    return joined, compute_metrics(joined.cameras, layer)


def test_points_go_to_the_unit_that_contains_them(layer) -> None:  # type: ignore[no-untyped-def]
    inside = unit_geom(layer, OSECINA).representative_point()
    recs = [dict(source="osm", source_ref=f"node/{i}", longitude=inside.x, latitude=inside.y)
            for i in range(3)]
    joined, metrics = run(layer, recs)
    assert joined.cameras["municipality_id"].tolist() == [OSECINA] * 3
    assert joined.cameras["assigned_by"].tolist() == ["point"] * 3
    row = metrics.unit(OSECINA)
    assert row["cameras"] == 3 and row["cameras_points"] == 3 and row["evidence"] == "unit"
    assert row["cameras_per_1000"] == pytest.approx(3 / 9951 * 1000)


def test_point_on_a_shared_border_counts_once(layer) -> None:  # type: ignore[no-untyped-def]
    from camera_map.layers import Layer

    neighbours = layer.units[layer.units.touches(unit_geom(layer, OSECINA))]["id"].tolist()
    other = neighbours[0]
    x, y = shared_vertex(layer, OSECINA, other)
    point = shapely.Point(x, y)
    assert unit_geom(layer, OSECINA).intersects(point)
    assert unit_geom(layer, other).intersects(point)
    joined, metrics = run(layer, [dict(source="osm", source_ref="node/1", longitude=x,
                                       latitude=y)])
    assert joined.cameras["municipality_id"].iloc[0] == min(OSECINA, other)
    assert metrics.units["cameras"].sum() == 1
    assert isinstance(layer, Layer)


def test_point_outside_every_unit_is_kept_but_counts_nowhere(layer) -> None:  # type: ignore[no-untyped-def]
    joined, metrics = run(layer, [dict(source="osm", source_ref="node/9", longitude=16.37,
                                       latitude=48.21)])  # Vienna
    assert joined.cameras["municipality_id"].isna().all()
    assert len(joined.unassigned) == 1
    assert "outside every unit" in str(joined.problems[0])
    assert (metrics.units["evidence"] == "none").all()


def test_units_containing_with_empty_and_missing_points(layer) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    inside = unit_geom(layer, LJIG).representative_point()
    pts = gpd.GeoSeries([None, shapely.Point(), inside], crs=4326)
    got = units_containing(pts, layer.units)
    assert got.isna().tolist() == [True, True, False] and got.iloc[2] == LJIG


@pytest.mark.parametrize("name", ["Osečina", "Осечина", "Osecina", "OSEČINA", "70882"])
def test_count_rows_match_latin_cyrillic_and_ascii_names(layer, name: str) -> None:  # type: ignore[no-untyped-def]
    joined, metrics = run(layer, [dict(source="foi", source_ref="a.csv#row 2", count=45,
                                       municipality=name)])
    assert joined.cameras["municipality_id"].iloc[0] == OSECINA
    row = metrics.unit(OSECINA)
    assert (row["cameras"], row["cameras_counted"], row["cameras_points"]) == (45, 45, 0)


def test_city_level_count_is_never_split(layer) -> None:  # type: ignore[no-untyped-def]
    joined, metrics = run(layer, [dict(source="foi", source_ref="r#row 2", count=8000,
                                       municipality="Београд", manufacturer="Huawei",
                                       facial_recognition=True)])
    assert joined.cameras["assigned_level"].iloc[0] == "group"
    members = metrics.units[metrics.units["group_id"] == BELGRADE]
    assert len(members) == 17
    assert members["cameras"].isna().all()  # nothing is attributed to a member unit
    assert (members["evidence"] == "group").all()
    assert (members["group_cameras"] == 8000).all()
    assert members["group_cameras_per_1000"].iloc[0] == pytest.approx(8000 / 1_681_405 * 1000)
    assert (members["group_facial_recognition_cameras"] == 8000).all()
    city = metrics.groups.set_index("id").loc[BELGRADE]
    assert city["cameras"] == 8000 and city["rank"] == 1
    assert metrics.units["cameras"].sum() == 0  # sum over units holds no city-level count


def test_unit_and_city_evidence_are_reported_side_by_side(layer) -> None:  # type: ignore[no-untyped-def]
    zemun = unit_geom(layer, "70157").representative_point()
    _, metrics = run(layer, [
        dict(source="foi", source_ref="r#row 2", count=8000, municipality="Belgrade"),
        dict(source="osm", source_ref="node/5", longitude=zemun.x, latitude=zemun.y),
    ])
    z = metrics.unit("70157")
    assert (z["evidence"], z["cameras"], z["group_cameras"]) == ("unit", 1, 8000)
    assert metrics.unit("70092")["evidence"] == "group"


def test_no_data_is_not_zero(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [dict(source="foi", source_ref="r#row 2", count=0,
                                  municipality="Ljig")])
    ljig, other = metrics.unit(LJIG), metrics.unit(OSECINA)
    assert (ljig["evidence"], ljig["cameras"], ljig["cameras_per_1000"]) == ("unit", 0, 0.0)
    assert other["evidence"] == "none"
    assert pd.isna(other["cameras"]) and pd.isna(other["cameras_per_1000"])
    assert pd.isna(other["rank"])


def test_per_km2_uses_an_equal_area_crs(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [dict(source="foi", source_ref="r#row 2", count=100,
                                  municipality="Osečina")])
    row = metrics.unit(OSECINA)
    area = layer.units.set_index("id").loc[[OSECINA]].to_crs("ESRI:54009").area.iloc[0] / 1e6
    assert row["cameras_per_km2"] == pytest.approx(100 / area, rel=0.002)
    assert row["area_km2"] == pytest.approx(322.7, abs=0.5)  # not square degrees (~0.036)


def test_rank_orders_by_cameras_per_1000_with_ties_sharing(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [
        dict(source="foi", source_ref="r#row 2", count=100, municipality="Osečina"),
        dict(source="foi", source_ref="r#row 3", count=1, municipality="Ljig"),
        dict(source="foi", source_ref="r#row 4", count=8000, municipality="Beograd"),
    ])
    assert metrics.unit(OSECINA)["rank"] == 1
    assert metrics.groups.set_index("id").at[BELGRADE, "rank"] == 2
    assert metrics.unit(LJIG)["rank"] == 3
    assert (metrics.units["ranked"] == 3).all()


def test_unknown_municipality_is_reported_with_close_matches(layer) -> None:  # type: ignore[no-untyped-def]
    joined, _ = run(layer, [dict(source="foi", source_ref="a.csv#row 7", count=3,
                                 municipality="Osecinna")])
    assert joined.cameras["municipality_id"].isna().all()
    assert "a.csv, row 7: municipality 'Osecinna' is not in layer 'serbia'; did you mean " \
           "Osečina" in str(joined.problems[0])


def test_face_recognition_unknown_stays_unknown(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [
        dict(source="foi", source_ref="r#row 2", count=10, municipality="Osečina"),
        dict(source="foi", source_ref="r#row 3", count=4, municipality="Ljig",
             facial_recognition=False),
    ])
    assert pd.isna(metrics.unit(OSECINA)["facial_recognition_cameras"])
    assert metrics.unit(LJIG)["facial_recognition_cameras"] == 0


def test_counts_and_points_in_one_unit_are_not_added(layer) -> None:  # type: ignore[no-untyped-def]
    inside = unit_geom(layer, OSECINA).representative_point()
    osm = [dict(source="osm", source_ref=f"node/{i}", longitude=inside.x, latitude=inside.y,
                geocode_precision="exact", source_date="2024-05-01T10:00:00Z")
           for i in range(14)]
    foi = [dict(source="foi", source_ref="reply.xlsx#List1!row 3", count=120,
                municipality="Osečina", source_date="2023-02-01")]
    _, metrics = run(layer, osm + foi)
    row = metrics.unit(OSECINA)
    assert row["cameras"] == 120  # the best estimate, not 134
    assert row["estimate_basis"] == "counts in documents (more than the located cameras)"
    assert (row["documented"], row["mapped"], row["evidence_gap"]) == (120, 14, 106)
    assert (row["foi_counted"], row["osm_points"], row["exact_share"]) == (120, 14, 1.0)
    assert row["newest_evidence"] == "2024-05-01"


def test_mapped_is_unknown_when_no_osm_was_read(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [dict(source="foi", source_ref="r#row 2", count=5,
                                  municipality="Osečina")])
    row = metrics.unit(OSECINA)
    assert row["documented"] == 5
    assert pd.isna(row["mapped"]) and pd.isna(row["evidence_gap"])


def test_point_in_another_unit_than_its_row_names_is_reported(layer) -> None:  # type: ignore[no-untyped-def]
    ljig = unit_geom(layer, LJIG).representative_point()
    zemun = unit_geom(layer, "70157").representative_point()
    joined, _ = run(layer, [
        dict(source="foi", source_ref="r.csv#row 2", longitude=ljig.x, latitude=ljig.y,
             municipality="Osečina"),
        dict(source="foi", source_ref="r.csv#row 3", longitude=zemun.x, latitude=zemun.y,
             municipality="Beograd"),  # Zemun is in the City of Belgrade: no problem
    ])
    assert joined.cameras["municipality_id"].tolist() == [LJIG, "70157"]
    assert [str(p) for p in joined.problems] == [
        "r.csv, row 2: the point lies in Ljig (70769) but the row names 'Osečina'; the point "
        "decides"]


def test_installed_and_total_are_reported_separately(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [
        dict(source="foi", source_ref="t.xlsx#A!row 2", count=30, municipality="Osečina",
             status="installed"),
        dict(source="foi", source_ref="t.xlsx#A!row 3", count=20, municipality="Osečina",
             status="contracted"),
    ])
    row = metrics.unit(OSECINA)
    # installed and contracted cameras stay apart: the estimate is the installed figure
    assert (row["cameras"], row["cameras_installed"], row["cameras_contracted"]) == (30, 30, 20)
    assert row["estimate_status"] == "installed"


def test_installed_is_unknown_when_no_source_gives_a_status(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [dict(source="foi", source_ref="r#row 2", count=12,
                                  municipality="Osečina")])
    row = metrics.unit(OSECINA)
    assert row["cameras"] == 12
    assert pd.isna(row["cameras_installed"])  # not 0: nobody said how many are installed
    assert pd.isna(row["estimate_status"])


def fig(ref: str, count: int | None, **kw):  # type: ignore[no-untyped-def]
    return dict(source="report", source_ref=f"news.csv#row {ref}", count=count,
                municipality="Beograd", **kw)


def test_several_figures_for_one_city_one_rule_picks_the_estimate(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [
        fig("2", 8000, status="contracted", as_of="2021", document="Plan"),
        fig("3", 1200, status="installed", as_of="2021-08-10", document="Count"),
        fig("4", 661, counts="locations", status="installed", as_of="2020", document="List"),
        fig("5", 5580, status="installed", as_of="2025-12-12", scope="premises (schools)",
            document="Schools"),
    ])
    city = metrics.group(BELGRADE)
    # not added up (8,000 + 1,200 + 661), and the schools never join the public count
    assert city["cameras"] == 1200 and city["estimate_as_of"] == "2021-08-10"
    assert (city["cameras_low"], city["cameras_high"]) == (661, 8000)
    assert (city["cameras_installed"], city["cameras_contracted"]) == (1200, 8000)
    assert city["premises_cameras"] == 5580
    assert city["premises"] == "5,580 in schools (2025-12-12)"
    figures = metrics.figures_of(BELGRADE)
    assert figures["value"].tolist() == [1200, 5580, 8000, 661]  # best, then newest first
    assert figures["best"].tolist() == [True, False, False, False]


def test_a_count_of_locations_is_a_lower_bound(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [dict(source="report", source_ref="n.csv#row 2", count=73,
                                  counts="locations", status="testing",
                                  municipality="Osečina")])
    row = metrics.unit(OSECINA)
    assert (row["cameras"], row["estimate_counts"], row["estimate_status"]) == (
        73, "locations", "testing")
    assert pd.isna(row["cameras_installed"]) and row["cameras_testing"] == 73


def test_cameras_named_without_a_number_are_evidence_not_zero(layer) -> None:  # type: ignore[no-untyped-def]
    _, metrics = run(layer, [dict(source="report", source_ref="n.csv#row 2", count=pd.NA,
                                  manufacturer="DAHUA TECHNOLOGY; Dahua",
                                  municipality="Osečina")])
    row = metrics.unit(OSECINA)
    assert row["evidence"] == "unit" and pd.isna(row["cameras"])
    assert row["unnumbered"] == 1 and row["estimate_basis"] == "cameras named without a number"
    assert row["vendors"] == "Dahua"
    assert pd.isna(row["rank"])


@pytest.mark.parametrize(("statuses", "expected"), [
    (["installed", "installed", "installed"], "installed"),
    (["installed", "planned", "installed"], None),  # mixed: no one status describes them
    (["installed", None, "installed"], None),  # one unknown: the whole is not "installed"
])
def test_located_cameras_carry_the_status_their_rows_share(layer, statuses, expected) -> None:  # type: ignore[no-untyped-def]
    inside = unit_geom(layer, OSECINA).representative_point()
    recs = [dict(source="foi", source_ref=f"r.csv#row {i + 2}", longitude=inside.x,
                 latitude=inside.y, status=st) for i, st in enumerate(statuses)]
    _, metrics = run(layer, recs)
    row = metrics.unit(OSECINA)
    assert row["cameras"] == 3
    assert (None if pd.isna(row["estimate_status"]) else row["estimate_status"]) == expected
    assert row["cameras_installed"] == statuses.count("installed")
