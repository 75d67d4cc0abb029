"""What keeps a million-camera table small: rows in camera_id order from the reader, columns
of missing values that share one Arrow array, a merge that copies nothing when nothing
merges, and checks that do not turn strings into Python objects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from camera_map.merge import merge_cameras
from camera_map.sources.osm import read_osm
from camera_map.table import clean_text_columns, repeats_values, validate_cameras
from camera_map.text import has_control_bytes


def _nodes(path: Path, ids: list[int]) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for i in ids:
        lines.append(f'<node id="{i}" version="1" timestamp="2020-01-02T03:04:05Z" '
                     f'lat="44.{i:04d}" lon="20.{i:04d}">'
                     '<tag k="man_made" v="surveillance"/></node>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _buffer(series: pd.Series) -> int:
    return int(pa.array(series.array).buffers()[1].address)


def test_osm_rows_come_in_camera_id_order_and_missing_columns_share_memory(
        tmp_path: Path) -> None:
    table = read_osm(_nodes(tmp_path / "c.osm", [9, 10, 2, 100, 11])).cameras
    assert list(table["camera_id"]) == sorted(f"osm-node-{i}" for i in (9, 10, 2, 100, 11))
    assert list(table["source_ref"]) == [c.replace("osm-node-", "node/")
                                         for c in table["camera_id"]]
    assert table["name"].isna().all() and table["operator"].isna().all()
    assert _buffer(table["name"]) == _buffer(table["operator"])  # one array, two columns
    # the table passes the checks unchanged, the shared columns included
    checked = clean_text_columns(validate_cameras(table))
    pd.testing.assert_frame_equal(checked, table)
    assert _buffer(checked["name"]) == _buffer(table["name"])


def test_a_merge_without_merges_shares_the_input_columns(tmp_path: Path) -> None:
    table = read_osm(_nodes(tmp_path / "c.osm", [3, 1, 2])).cameras
    result = merge_cameras(table)
    assert result.merges == 0
    for col in ("camera_id", "tags", "source_date"):
        assert _buffer(result.cameras[col]) == _buffer(table[col])
    assert result.cameras["merged_from"].isna().all()
    assert list(result.groups["merged_camera_id"]) == list(table["camera_id"])


@pytest.mark.parametrize(("values", "repeats"), [
    ([], False), (["a"], False), (["a", "b", "c"], False), (["b", "a", "c"], False),
    (["a", None, None], False), (["a", "b", "a"], True), (["a", "a"], True),
    (["c", None, "c"], True),
])
def test_repeated_values_are_found_in_any_order(values: list[str | None],
                                                repeats: bool) -> None:
    assert repeats_values(pd.Series(values, dtype="string")) is repeats
    assert repeats_values(pd.Series(values, dtype=object)) is repeats


def test_control_bytes_are_looked_for_only_in_the_values() -> None:
    values = pa.array(["ok", "b\x00d", "fine"])
    assert has_control_bytes(values)
    assert has_control_bytes(values.slice(1, 1))
    assert not has_control_bytes(values.slice(2))  # the NUL is outside the window
    assert not has_control_bytes(values.slice(0, 1))
    assert not has_control_bytes(pa.nulls(5, pa.large_string()))  # a buffer of zeros
    assert has_control_bytes(pa.array(["x" * (1 << 22) + "\u0085"], pa.large_string()))
    assert not has_control_bytes(pa.array(["é" * (1 << 21)], pa.large_string()))
