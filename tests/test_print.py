"""The printed map: any size (pixels or paper at a DPI), PNG/SVG/PDF, top units named,
one-column legend, camera sources in the credits."""

from __future__ import annotations

import pytest
from PIL import Image
from render_fixtures import ATTRIBUTION, load_cameras, load_units

import camera_map
from camera_map.errors import InputError
from camera_map.render.static import camera_credit, print_figure, print_size, render_png


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2400x1600", (2400, 1600, 200)),
        ("2400×1600@300", (2400, 1600, 300)),
        ("1200x900@150dpi", (1200, 900, 150)),
        ("A4@300", (2480, 3508, 300)),
        ("A4-landscape@300", (3508, 2480, 300)),
        ("a3 landscape @ 100", (1654, 1169, 100)),
        ("A4", (1654, 2339, 200)),
    ],
)
def test_print_sizes_in_pixels_or_paper(text: str, expected: tuple[int, int, int]) -> None:
    assert print_size(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("big", r"not understood.*A4@300"),
        ("B7@300", r"not understood"),
        ("100x100", r"200–10,000 pixels"),
        ("20000x1000", r"200–10,000 pixels"),
        ("A4@5000", r"outside 50–1200"),
    ],
)
def test_bad_print_sizes_say_what_works(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        print_size(text)


def test_landscape_print_has_one_column_legend_beside_labelled_map(tmp_path) -> None:  # type: ignore[no-untyped-def]
    units = load_units()
    credit = camera_credit(load_cameras())
    assert credit is not None and credit.startswith("Cameras: ")
    assert "OpenStreetMap (" in credit and "FOI reply (" in credit
    assert "osecina-tender.pdf" in credit  # the documents, not only the kinds
    fig = print_figure(units, title="Kamere", attribution=ATTRIBUTION, size=(2400, 1600),
                       camera_sources=credit)
    (legend,) = fig.legends
    assert legend._ncols == 1
    ax = fig.axes[0]
    map_right = ax.get_position().x1
    assert legend.get_window_extent().x0 / fig.bbox.width >= map_right  # beside, not on it
    named = {t.get_text() for t in ax.texts}
    # units with a figure, highest first; a city of several units is named once
    assert {"Osečina", "Valjevo", "Beograd"} <= named
    assert "Stari Grad" not in named and "Vračar" not in named
    assert "Ljubovija" not in named  # no data: not a top unit
    credits = " ".join(t.get_text() for t in fig.texts)
    assert "Cameras: " in credits and "Population: Statistical Office" in credits


def test_portrait_print_puts_the_legend_under_the_map(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fig = print_figure(load_units(), title="t", attribution=ATTRIBUTION, size=(1240, 1754),
                       dpi=150)
    (legend,) = fig.legends
    assert legend._ncols == 1
    top = legend.get_window_extent().y1 / fig.bbox.height
    assert top <= fig.axes[0].get_position().y0 + 1e-6


def test_png_svg_pdf_are_written_at_the_size_asked_and_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    units = load_units()
    png = render_png(units, tmp_path / "map.png", title="Kamere", attribution=ATTRIBUTION,
                     size=(2400, 1600))
    with Image.open(png) as img:
        assert img.size == (2400, 1600)
    svg = render_png(units, tmp_path / "map.svg", title="Kamere", attribution=ATTRIBUTION)
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "Osečina" in text  # text stays text
    pdfs = [render_png(units, tmp_path / f"m{i}.pdf", title="Kamere",
                       attribution=ATTRIBUTION).read_bytes() for i in (1, 2)]
    assert pdfs[0].startswith(b"%PDF") and pdfs[0] == pdfs[1]
    with pytest.raises(InputError, match=r"must end in \.png, \.svg, \.pdf"):
        render_png(units, tmp_path / "map.jpg", title="t", attribution=[])


def test_build_writes_every_print_format_at_a_paper_size(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = camera_map.build(out_dir=tmp_path, formats=[], print_size="A5-landscape@100",
                              print_formats=["png", "svg", "pdf"])
    for fmt in ("png", "svg", "pdf"):
        assert result.outputs[f"map.{fmt}"].stat().st_size > 1000
    with Image.open(result.outputs["map.png"]) as img:
        assert img.size == (827, 583)
    svg = result.outputs["map.svg"].read_text(encoding="utf-8")
    assert "Cameras: " in svg and "Osečina" in svg
    with pytest.raises(InputError, match="unknown print format"):
        camera_map.build(out_dir=tmp_path / "x", formats=[], print_formats=["tiff"])
    assert not (tmp_path / "x").exists()
