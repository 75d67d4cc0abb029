"""Data is never code: template syntax in a register, an OSM tag or a title stays text.

The map, the town page and the printed map are built from files the test writes (a register
and an OSM file whose cells and tags hold Jinja syntax, including a payload that would run a
shell command), then read back as a browser shows them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from browserutil import open_page

import camera_map
from camera_map.render.static import render_png
from camera_map.render.town import render_town

SEVEN = "{{ 7*7 }}"
COMMENT = "Odluka {#12/2023}"
RAW = "{% raw %}"
MATH = r"$\foo$ 5$"


def payload(marker: Path) -> str:
    """Jinja text that would create ``marker`` if a template engine ever evaluated it."""
    return "{{ cycler.__init__.__globals__.os.popen(" + repr(
        "touch " + shlex.quote(str(marker))
    ) + ").read() }}"


def write_inputs(folder: Path, marker: Path) -> list[Path]:
    register = folder / "register.csv"
    rows = [
        "Opština;Adresa;lat;lon;Proizvođač;Napomena;Dokument",
        f"Osečina;Trg slobode;44.3731;19.6012;{SEVEN};{payload(marker)};{COMMENT}",
        f"Osečina;{RAW};44.3702;19.5950;Dahua;{RAW} {{#;{SEVEN}",
    ]
    register.write_text("\n".join(rows) + "\n", encoding="utf-8")

    def tag(k: str, v: str) -> str:
        v = v.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        return f'    <tag k="{k}" v="{v}"/>'

    osm = folder / "cameras.osm"
    osm.write_text(
        "\n".join([
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<osm version="0.6" generator="camera-map tests">',
            '  <node id="91" version="1" lat="44.3720" lon="19.5990">',
            tag("man_made", "surveillance"), tag("name", SEVEN), tag("operator", payload(marker)),
            tag("description", f"{RAW} {COMMENT}"), tag("manufacturer", "{% endraw %}"),
            "  </node>",
            "</osm>",
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return [register, osm]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    marker = folder / "MARKER"
    inputs = write_inputs(folder, marker)
    result = camera_map.build(
        inputs,
        out_dir=folder / "out",
        formats=["csv"],
        map_options={"title": f"Kamere {SEVEN} {COMMENT} {MATH} {payload(marker)}"},
    )
    render_town(result.metrics.units, result.cameras, "Osečina", folder / "out",
                attribution=[*result.attribution, SEVEN])
    return result, folder, marker


def test_template_text_is_written_literally_and_nothing_runs(hostile_build) -> None:  # type: ignore[no-untyped-def]
    _, folder, marker = hostile_build
    assert not marker.exists()
    page = (folder / "out" / "map.html").read_text(encoding="utf-8")
    town = (folder / "out" / "towns" / "osecina.html").read_text(encoding="utf-8")
    for text in (page, town):
        assert "{{ 7*7 }}" in text
        assert "{#12/2023}" in text
        assert "{% raw %}" in text
        assert "cycler.__init__" in text
    assert f"<title>Kamere {SEVEN} {COMMENT}" in page


def test_template_text_shows_literally_in_chromium(browser, hostile_build) -> None:  # type: ignore[no-untyped-def]
    _, folder, marker = hostile_build
    with open_page(browser, folder / "out" / "map.html", viewport=(1280, 900)) as visit:
        page = visit.page
        assert SEVEN in page.locator(".cm-title h1").inner_text()
        assert page.title().startswith(f"Kamere {SEVEN} {COMMENT} {MATH}")
        vendors = page.locator("select[name=vendor] option").all_inner_texts()
        assert SEVEN in vendors and "{% endraw %}" in vendors
        assert not re.search(r"\b49\b", page.locator(".cm-title").inner_text())
        assert visit.errors == [] and visit.external == []
    with open_page(browser, folder / "out" / "towns" / "osecina.html") as visit:
        text = visit.page.locator("body").inner_text()
        assert SEVEN in text and "49" not in text.replace("44.", "")
        assert visit.errors == [] and visit.external == []
    assert not marker.exists()


def test_printed_map_keeps_template_and_math_text_literal(tmp_path, hostile_build) -> None:  # type: ignore[no-untyped-def]
    result, _, marker = hostile_build
    title = f"{SEVEN} {COMMENT} {MATH}"
    svg = render_png(result.metrics.units, tmp_path / "map.svg", title=title,
                     attribution=[*result.attribution, MATH])
    text = svg.read_text(encoding="utf-8")
    assert "{{ 7*7 }} Odluka {#12/2023} $\\foo$ 5$" in text
    png = render_png(result.metrics.units, tmp_path / "map.png", title=title, attribution=[MATH])
    assert png.read_bytes().startswith(b"\x89PNG")
    assert not marker.exists()


def test_two_identical_builds_write_byte_identical_pages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from render_fixtures import ATTRIBUTION, load_cameras, load_units

    from camera_map.render import render_map

    pages = [
        render_map(load_units(), load_cameras(), tmp_path / f"map{i}.html", title="t",
                   attribution=ATTRIBUTION).read_bytes()
        for i in (1, 2)
    ]
    assert pages[0] == pages[1]
    towns = [
        render_town(load_units(), load_cameras(), "Osečina", tmp_path / str(i),
                    attribution=ATTRIBUTION)[0].read_bytes()
        for i in (1, 2)
    ]
    assert towns[0] == towns[1]


def test_two_builds_in_fresh_processes_write_the_same_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The default build and a town page, each run twice with another hash seed (so any
    order taken from a set or a dict of strings would show): map.html, map.png, the town
    page and the text outputs are byte-identical."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"build{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for args in (["build", "--out", str(out)], ["town", "Beograd", "--out", str(out)],
                     ["town", "Osečina", "--out", str(out)]):
            run = subprocess.run([sys.executable, "-m", "camera_map", *args], env=env,
                                 capture_output=True, text=True, timeout=600)
            assert run.returncode == 0, run.stderr
        outs.append(out)
    names = sorted(str(p.relative_to(outs[0])) for p in outs[0].rglob("*") if p.is_file()
                   and p.suffix in (".html", ".png", ".csv", ".geojson", ".txt", ".json",
                                    ".md"))
    assert {"map.html", "map.png", "towns/beograd.html", "towns/osecina.html"} <= set(names)
    differ = [n for n in names if (outs[0] / n).read_bytes() != (outs[1] / n).read_bytes()]
    assert differ == []
