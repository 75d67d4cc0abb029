"""The bundled evidence as a reader sees it: town pages, the city page, popups and the print.

Every figure carries what it is (status, date, kind of source, "at least" for locations) and
links to its document; several figures for one place are never added.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import camera_map
from camera_map.companies import company_names
from camera_map.render import unit_popup_html
from camera_map.render.town import render_town

EURONEWS = ("https://www.euronews.com/2021/08/10/are-smart-surveillance-cameras-protecting-"
            "citizens-in-belgrade-or-are-they-tracking-them")


@pytest.fixture(scope="module")
def default():  # type: ignore[no-untyped-def]
    return camera_map.analyse()


def test_city_page_lists_every_figure_with_date_status_kind_and_link(default, tmp_path: Path
                                                                       ) -> None:  # type: ignore[no-untyped-def]
    path, summary = render_town(default.metrics.units, default.cameras, "Beograd", tmp_path,
                                attribution=default.attribution)
    assert path == tmp_path / "towns" / "beograd.html"
    assert summary.splitlines()[0] == "Beograd (71308)"
    assert "Cameras:             1,200 cameras — installed, as of 2021-08-10, press/NGO report" \
        in summary
    assert "661 – 8,000 (4 figures; the estimate picks one, they are not added)" in summary
    assert "Population:          1,681,405" in summary  # the city's own, not a member's
    assert ("capable of face recognition (1,200 of the cameras counted); software reported off"
            in summary)
    page = path.read_text("utf-8")
    rows = re.findall(r"<tr(?: class=\"cm-best\")?><td>([^<]*)</td><td>([^<]*)</td>"
                      r"<td>([^<]*)</td><td>([^<]*)</td>", page)
    assert rows[0] == ("2021-08-10", "1,200 cameras", "installed", "press/NGO report")
    assert ("2020", "at least 661 cameras (661 locations)", "installed",
            "press/NGO report") in rows
    assert ("2021", "8,000 cameras", "contracted", "press/NGO report") in rows
    assert len(rows) == 6  # four public-space figures and two on premises
    assert f'<a href="{EURONEWS}"' in page
    assert "premises (schools)" in page and "Savski Venac" in page


def test_member_and_city_say_the_same_about_face_recognition(default, tmp_path: Path
                                                             ) -> None:  # type: ignore[no-untyped-def]
    _, summary = render_town(default.metrics.units, default.cameras, "Zemun", tmp_path,
                             attribution=default.attribution)
    assert "capable of face recognition (1,200 of the cameras counted); software reported " \
           "off" in summary
    assert "face recognition unknown" not in summary
    assert "Cameras (Beograd):" in summary


def test_a_place_named_without_a_number_and_what_to_ask(default, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, summary = render_town(default.metrics.units, default.cameras, "Becej", tmp_path,
                             attribution=default.attribution)
    assert "Cameras:             cameras named without a number (not zero)" in summary
    assert "Vendors:             Dahua" in summary
    assert "how many cameras: the sources name cameras without a number — ask for the " \
           "number and locations (FOI request)" in summary
    assert "whether that software is switched on" in summary


def test_planned_and_testing_figures_say_installed_is_unknown(default, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, summary = render_town(default.metrics.units, default.cameras, "Zrenjanin", tmp_path,
                             attribution=default.attribution)
    assert "at least 160 cameras (160 locations) — planned, as of 2023-06-05" in summary
    assert "Per 1,000 residents: at least 1.51" in summary
    assert "how many cameras are installed: the figures are planned" in summary


def test_popup_cites_each_figure_by_its_document(default) -> None:  # type: ignore[no-untyped-def]
    units = default.metrics.units
    row = units[units["name"] == "Kraljevo"].iloc[0]
    popup = unit_popup_html(row, "en")
    assert ("<b>113 cameras</b> — installed, as of 2023, press/NGO report: <a href=\""
            "https://narcisijorgovan.rs/sta-je-sporno-oko-postavljanja-kamera-za-videonadzor/\"")\
        in popup
    assert "113 cameras at 26 locations bought by the city" in popup
    sr = unit_popup_html(row, "sr-Latn")
    assert "113 kamera</b> — instalirano, stanje 2023, izveštaj medija/organizacije" in sr


@pytest.mark.parametrize(("cell", "names"), [
    ("DAHUA TECHNOLOGY; Dahua", ["Dahua"]),
    ("Huawei; Хуавеј", ["Huawei"]),
    ("Zhejiang Dahua Technology Co., Ltd.", ["Dahua"]),
    ("Macchina Security d.o.o.", ["Macchina Security"]),
    ("Hikvision, Dahua", ["Hikvision", "Dahua"]),
    ("Nepoznat Proizvođač d.o.o.", ["Nepoznat Proizvođač"]),
])
def test_vendor_and_supplier_names_are_normalised(cell: str, names: list[str]) -> None:
    assert company_names(cell) == names


def test_a_register_adds_to_the_bundled_evidence_and_keeps_its_kind(tmp_path: Path) -> None:
    reg = tmp_path / "odgovor.csv"
    reg.write_text("Opština,Broj kamera,Status,Proizvođač,Dobavljač,Vrsta izvora,Stanje na dan\n"
                   "Ljig,12,instalirano,DAHUA TECHNOLOGY,Macchina Security d.o.o.,tender,"
                   "03.2024\n", "utf-8")
    both = camera_map.analyse([reg], bundled_evidence=True)
    ljig = both.metrics.unit("Ljig")
    assert (ljig["cameras"], ljig["cameras_installed"], ljig["estimate_as_of"]) == (
        12, 12, "2024-03")
    assert (ljig["vendors"], ljig["suppliers"], ljig["sources"]) == (
        "Dahua", "Macchina Security", "tender")
    assert both.metrics.unit("Kraljevo")["cameras"] == 113
    assert len(both.context) == 2


def test_default_map_carries_the_national_context_with_its_documents(tmp_path: Path) -> None:
    res = camera_map.build(out_dir=tmp_path, formats=[], png=False)
    page = res.outputs["map.html"].read_text("utf-8")
    assert "42 local governments bought cameras under contracts that all went to one " \
           "supplier, Macchina Security" in page
    assert "More than 4,000 cameras in 60 cities and municipalities" in page
    assert "https://becejskidani.co.rs/jos-uvek-ne-radi-video-nadzor/" in page
    # every document the evidence cites is linked from the page
    for doc in res.metrics.figures["document"]:
        url = doc.rsplit(" — ", 1)[1]
        assert url in page, url


def test_print_credit_counts_figures_not_cameras(default) -> None:  # type: ignore[no-untyped-def]
    from camera_map.render.static import camera_credit

    credit = camera_credit(default.cameras, "en")
    # 13 figures, never the 19,480 their numbers would add up to
    assert credit is not None and credit.startswith("Cameras: press/NGO report (13 figures; ")
    assert "19,480" not in credit
