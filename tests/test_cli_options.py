"""The option groups shared by the commands: one definition, one parsed object."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from camera_map.cli import main
from camera_map.cli_options import InputOptions, MapOptions, input_options, page_options


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _options(command: str) -> set[str]:
    cmd = main.commands[command]
    return {opt for p in cmd.params if isinstance(p, click.Option) for opt in p.opts}


def test_town_accepts_every_input_option_of_build() -> None:
    build, town = _options("build"), _options("town")
    only_build = build - town
    # what build writes besides the town page (exports, the printed map), and the map
    # title (the page is titled by its town); every option about what is read and how is
    # shared, and so is the base map
    assert only_build == {"--png", "--format", "--title", "--print-size", "--print-format"}
    assert {"--boundaries", "--population", "--mapping", "--crs", "--sheet", "--municipality",
            "--document", "--extract", "--online", "--nominatim-url", "--overpass-url",
            "--lang", "--basemap"} <= town
    assert {"--sheet", "--crs", "--mapping", "--municipality", "--boundaries"} <= \
        _options("check")
    assert {"--extract", "--online", "--nominatim-url", "--boundaries"} <= _options("geocode")


def test_options_become_one_typed_object() -> None:
    seen: list[tuple[InputOptions, MapOptions]] = []

    @click.command()
    @input_options
    @page_options
    def cmd(inputs: InputOptions, map_opts: MapOptions) -> None:
        seen.append((inputs, map_opts))

    res = CliRunner().invoke(cmd, ["--cameras", "a.csv", "--cameras", "b.xlsx", "--crs",
                                   "EPSG:31277", "--municipality", "Ljig", "--no-merge",
                                   "--lang", "sr-Cyrl", "--tiles", "none", "-k", "7"])
    assert res.exit_code == 0, res.output
    inputs, map_opts = seen[0]
    assert inputs.cameras == (Path("a.csv"), Path("b.xlsx"))
    assert inputs.read_options()["crs"] == "EPSG:31277"
    assert inputs.read_options()["default_municipality"] == "Ljig"
    assert inputs.analyse_options()["merge"] is False
    assert map_opts.render_options(title=False) == {"lang": "sr-Cyrl", "self_contained": True,
                                                    "tiles": None, "k": 7}


def test_a_parameter_that_clashes_with_a_group_is_refused() -> None:
    with pytest.raises(TypeError, match=r"parameter\(s\) \['strict'\] clash"):
        @input_options
        def cmd(inputs: InputOptions, strict: bool) -> None:  # pragma: no cover
            pass


def test_town_refuses_bad_combinations_like_build() -> None:
    res = invoke("town", "Ljig", "--layer", "serbia", "--boundaries", "x.gpkg")
    assert res.exit_code == 2
    assert "use just one of --layer or --boundaries" in res.stderr
    res = invoke("town", "Ljig", "--population-field", "pop")
    assert res.exit_code == 2 and "go with --boundaries" in res.stderr


def test_town_with_own_boundaries_and_a_one_town_register(tmp_path: Path) -> None:
    towns = tmp_path / "towns.gpkg"
    gpd.GeoDataFrame({"code": ["A", "B"], "naziv": ["Alfa", "Beta"], "pop": [1000, 2000]},
                     geometry=[box(20, 44, 20.1, 44.1), box(20.1, 44, 20.2, 44.1)],
                     crs=4326).to_file(towns)
    reg = tmp_path / "reply.csv"
    reg.write_text("Broj kamera\n12\n", "utf-8")  # names no municipality and no document
    res = invoke("town", "Beta", "--cameras", str(reg), "--boundaries", str(towns),
                 "--id-field", "code", "--name-field", "naziv", "--population-field", "pop",
                 "--municipality", "Beta", "--document", "Reply 12/2026", "--out",
                 str(tmp_path / "o"))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Beta (B)")
    assert "Cameras:             12 cameras — status unknown, FOI reply\n" in res.stdout
    assert "Per 1,000 residents: 6.00\n" in res.stdout
    assert "Reply 12/2026" in (tmp_path / "o" / "towns" / "beta.html").read_text("utf-8")
