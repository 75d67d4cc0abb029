"""The static picture: size, legend colours, hatched no-data, errors."""

from __future__ import annotations

import pytest
from PIL import Image
from render_fixtures import ATTRIBUTION, load_units

from camera_map.errors import InputError
from camera_map.render import classify
from camera_map.render.static import render_png


def test_png_is_print_sized_and_shows_every_class(tmp_path) -> None:  # type: ignore[no-untyped-def]
    units = load_units()
    path = render_png(
        units, tmp_path / "map.png", title="Kamere", attribution=ATTRIBUTION, data_date="2024-05-01"
    )
    with Image.open(path) as img:
        assert img.size == (1600, 1600)
        colours = {c for _, c in img.convert("RGB").getcolors(1_000_000) or []}
    for hex_colour in classify(units, "cameras_per_1000").colors:
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, hex_colour
    assert (0xE0, 0xE0, 0xE0) in colours  # the hatched "no data" fill
    assert (0xBD, 0xBD, 0xBD) in colours  # evidence but no computable figure (Užice)


def test_png_is_written_atomically_and_refuses_bad_options(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="unknown metric 'per_capita'"):
        render_png(
            load_units(), tmp_path / "map.png", title="t", attribution=[], metric="per_capita"
        )
    assert list(tmp_path.iterdir()) == []


def test_the_print_projection_is_the_utm_zone_geopandas_estimates() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from camera_map.render.static import utm_crs

    for lon in (-177.3, -70.1, -3.2, 0.4, 13.0, 20.9, 101.5, 179.2):
        for lat in (-45.0, -0.5, 0.5, 44.8, 70.0):
            frame = gpd.GeoDataFrame(geometry=[box(lon - 0.5, lat - 0.2, lon + 0.5, lat + 0.2)],
                                     crs="EPSG:4326")
            assert utm_crs(frame) == f"EPSG:{frame.estimate_utm_crs().to_epsg()}", (lon, lat)
