"""Town pages and the terminal summary: finding a place by any spelling, saying what is unknown."""

from __future__ import annotations

import pytest
from render_fixtures import ATTRIBUTION, load_cameras, load_units

from camera_map.errors import UnknownPlaceError
from camera_map.render.town import find_unit, render_town, town_summary


@pytest.mark.parametrize(
    "spelling", ["Osečina", "Осечина", "osecina", "OSECINA", "Opština Osečina", "70001"]
)
def test_a_town_is_found_by_any_spelling(spelling: str) -> None:
    units = load_units()
    assert units["name"].iloc[find_unit(units, spelling)] == "Osečina"


def test_an_unknown_name_lists_the_closest_matches() -> None:
    with pytest.raises(
        UnknownPlaceError, match=r"no municipality called 'Valevo'; closest: Valjevo"
    ):
        find_unit(load_units(), "Valevo")


def test_a_city_of_several_units_names_its_members() -> None:
    with pytest.raises(
        UnknownPlaceError, match=r"'Београд' is a city made of 2 .*Stari Grad, Vračar"
    ):
        find_unit(load_units(), "Београд")


def test_town_page_and_summary_say_figures_rank_and_unknowns(out_dir) -> None:  # type: ignore[no-untyped-def]
    path, summary = render_town(
        load_units(), load_cameras(), "Uzice", out_dir, attribution=ATTRIBUTION
    )
    assert path == out_dir / "towns" / "uzice.html"
    assert summary.splitlines()[0] == "Užice (70004)"
    assert "Population:          unknown (no sourced census figure)" in summary
    assert "population unknown: no sourced census figure" in summary
    assert "Vendors:             Dahua; Hikvision" in summary
    assert "0 camera(s) drawn on the map" in summary  # its one point is settlement-level
    page = path.read_text(encoding="utf-8")
    assert "Ugovor o nabavci kamera 2020" in page and "population unknown" in page
    assert "Statistical Office of the Republic of Serbia" in page


def test_summary_of_a_town_without_evidence_does_not_say_zero() -> None:
    text = town_summary(load_units(), load_cameras(), "Љубовија", lang="sr-Latn")
    assert "nisu nađeni dokazi — nije nula" in text
    assert " 0 " not in text.splitlines()[1]


def test_group_member_shows_the_city_figure_and_rank(out_dir) -> None:  # type: ignore[no-untyped-def]
    _, summary = render_town(
        load_units(), load_cameras(), "Vracar", out_dir, attribution=ATTRIBUTION, lang="sr-Cyrl"
    )
    assert summary.splitlines()[0] == "Врачар (70006)"
    assert "2 од 3" in summary and "Београд" in summary


def test_data_cannot_inject_terminal_escapes(out_dir) -> None:  # type: ignore[no-untyped-def]
    units = load_units()
    units.loc[units["id"] == "70001", "vendors"] = "Dahua\x1b[2J\x1b]0;owned\x07"
    _, summary = render_town(units, None, "osecina", out_dir, attribution=[])
    assert "\x1b" not in summary and "\x07" not in summary
    page = (out_dir / "towns" / "osecina.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
