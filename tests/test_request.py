"""camera-map request: the letter in three languages, the ODT, and the register round trip."""

from __future__ import annotations

import csv
import re
import shlex
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from camera_map.cli import main
from camera_map.request import write_request
from camera_map.request.template import COLUMNS, headers
from camera_map.sources.foi import match_header, read_register

OSECINA = "70882"

# (authority as addressed, the law as the first paragraph names it, the Commissioner,
#  the deadline)
EXPECTED = {
    "sr-Latn": ("Opština Osečina",
                "Zakona o slobodnom pristupu informacijama od javnog značaja („Službeni "
                "glasnik RS“, br. 120/2004, 54/2007, 104/2009, 36/2010 i 105/2021)",
                "Povereniku za informacije od javnog značaja i zaštitu podataka o ličnosti",
                "najkasnije u roku od 15 dana od prijema zahteva"),
    "sr-Cyrl": ("Општина Осечина",
                "Закона о слободном приступу информацијама од јавног значаја („Службени "
                "гласник РС“, бр. 120/2004, 54/2007, 104/2009, 36/2010 и 105/2021)",
                "Поверенику за информације од јавног значаја и заштиту података о личности",
                "најкасније у року од 15 дана од пријема захтева"),
    "en": ("Municipality of Osečina",
           "Law on Free Access to Information of Public Importance (\"Official Gazette of "
           "the RS\", Nos. 120/2004, 54/2007, 104/2009, 36/2010 and 105/2021)",
           "Commissioner for Information of Public Importance and Personal Data Protection",
           "at the latest within 15 days of receiving it"),
}


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def odt_text(path: Path) -> str:
    from odf import teletype
    from odf.opendocument import load
    from odf.text import P

    return "\n".join(teletype.extractText(p) for p in load(str(path)).getElementsByType(P))


@pytest.mark.parametrize("lang", ["sr-Latn", "sr-Cyrl", "en"])
def test_request_names_the_authority_and_the_law(tmp_path: Path, lang: str) -> None:
    res = invoke("request", "Осечина", "--lang", lang, "--out", str(tmp_path))
    assert res.exit_code == 0, res.stderr
    authority, law, commissioner, deadline = EXPECTED[lang]
    assert res.stdout.startswith(f"Request to {authority} ({OSECINA}), {lang}:")
    text = (tmp_path / f"request-osecina-{lang}.txt").read_text("utf-8")
    assert text.startswith(f"{authority}\n")
    assert law in text and commissioner in text and deadline in text
    assert "40" in text and "15" in text
    # every question of the register, numbered
    assert re.findall(r"^(\d+)\. ", text, re.M) == [str(i) for i in range(1, 11)]
    # the document says the same, paragraph for paragraph
    document = odt_text(tmp_path / f"request-osecina-{lang}.odt")
    for paragraph in text.split("\n\n"):
        for line in paragraph.splitlines():
            assert line in document
    assert f"cameras-osecina-{lang}.xlsx" in text  # the template is attached by name
    assert (tmp_path / f"cameras-osecina-{lang}.csv").exists()


def test_cyrillic_request_has_no_latin_words_but_file_names(tmp_path: Path) -> None:
    files = write_request("Osečina", lang="sr-Cyrl", out_dir=tmp_path)
    text = files.text.read_text("utf-8").replace(files.xlsx.name, "")
    assert re.findall(r"[A-Za-zčćžšđČĆŽŠĐ]+", text) == []


def test_unknown_name_gets_the_closest_names(tmp_path: Path) -> None:
    res = invoke("request", "Osecinna", "--out", str(tmp_path))
    assert res.exit_code == 1
    assert "did you mean Osečina" in res.stderr
    assert not list(tmp_path.iterdir())


def test_a_city_municipality_is_told_about_its_city(tmp_path: Path) -> None:
    res = invoke("request", "Zemun", "--lang", "sr-Cyrl", "--out", str(tmp_path))
    assert res.exit_code == 0
    assert "Градска општина Земун is part of Град Београд" in res.stdout
    res = invoke("request", "Medijana", "--out", str(tmp_path))  # an alias: the City of Niš
    assert res.stdout.startswith("Request to Grad Niš (70858), sr-Latn:")
    assert "a city municipality of Niš" in res.stdout


@pytest.mark.parametrize("lang", ["sr-Latn", "sr-Cyrl", "en"])
def test_template_headers_are_ones_the_reader_knows(lang: str) -> None:
    for column, header in zip(COLUMNS, headers(lang), strict=True):
        assert match_header(header) == column.target, header


ROWS = [
    # address, latitude, longitude, count, status, type, manufacturer, model, FR, document
    (None, "44,3712", "19,6005", 1, "instalirano", "kamera", "Dahua", "IPC-HFW5442T", "da",
     None),
    (None, 44.36905, 19.60312, 1, "installed", "ALPR", "Hikvision", None, "ne", "JN 5/2022"),
    ("Karađorđeva 1", None, None, 1, None, None, None, None, None, None),
]


def _filled(template_headers: list[str]) -> list[list[object]]:
    index = {c.target: i for i, c in enumerate(COLUMNS)}
    out = []
    for n, (address, lat, lon, count, status, kind, make, model, fr, doc) in enumerate(ROWS, 1):
        row: list[object] = [None] * len(template_headers)
        for target, value in (("ordinal", n), ("address", address), ("latitude", lat),
                              ("longitude", lon), ("count", count), ("status", status),
                              ("surveillance_type", kind), ("manufacturer", make),
                              ("model", model), ("facial_recognition", fr), ("document", doc)):
            row[index[target]] = value
        out.append(row)
    return out


@pytest.mark.parametrize(("lang", "kind"), [("sr-Cyrl", "xlsx"), ("sr-Latn", "csv"),
                                            ("en", "xlsx")])
def test_filled_template_builds_to_exactly_its_cameras(tmp_path: Path, lang: str,
                                                       kind: str) -> None:
    files = write_request("Osečina", lang=lang, out_dir=tmp_path / "req")
    filled = tmp_path / f"filled.{kind}"
    rows = _filled(files.template.headers)
    if kind == "xlsx":
        wb = openpyxl.load_workbook(files.xlsx)
        for row in rows:
            wb.worksheets[0].append(row)
        wb.save(filled)
    else:
        with files.csv.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(
                ["" if v is None else str(v) for v in row] for row in rows)
        filled.write_bytes(files.csv.read_bytes())
    res = invoke("build", "--cameras", str(filled), "--out", str(tmp_path / "out"),
                 "--format", "csv", "--no-png")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Read 1 input(s): 3 rows/objects, 3 accepted, 0 rejected")
    cams = pd.read_csv(tmp_path / "out" / "cameras.csv", dtype=str, keep_default_na=False)
    assert len(cams) == 3
    assert set(cams["municipality_id"]) == {OSECINA}
    by_make = dict(zip(cams["manufacturer"], cams["facial_recognition"], strict=True))
    assert by_make == {"Dahua": "true", "Hikvision": "false", "": ""}
    docs = dict(zip(cams["manufacturer"], cams["document"], strict=True))
    assert docs["Hikvision"] == "JN 5/2022"
    assert docs["Dahua"] == docs[""] == files.template.document
    assert set(cams.loc[cams["manufacturer"] == "Hikvision", "surveillance_type"]) == {"ALPR"}
    units = pd.read_csv(tmp_path / "out" / "municipalities.csv", dtype=str)
    assert units.set_index("id").loc[OSECINA, "cameras"] == "3"
    assert pd.to_numeric(units["cameras"]).sum() == 3
    assert (tmp_path / "out" / "problems.csv").read_text("utf-8").strip() == "where,message,value"


def test_labelled_lines_above_the_header_name_municipality_and_document(tmp_path: Path
                                                                        ) -> None:
    reg = tmp_path / "reply.csv"
    reg.write_text("Opština Ljig - spisak kamera\nOpština: Ljig\nDokument: Odgovor 12/2026\n"
                   "adresa,broj kamera,opština,dokument\nKarađorđeva 1,1,,\n"
                   "Trg 2,1,Mionica,Ugovor 3\n", "utf-8")
    cams = read_register(reg).cameras
    assert list(cams["municipality"]) == ["Ljig", "Mionica"]
    assert list(cams["document"]) == ["Odgovor 12/2026", "Ugovor 3"]
    # an ordinary title line says nothing about the rows
    reg.write_text("Opština Ljig - spisak kamera\nadresa,broj kamera\nKarađorđeva 1,1\n",
                   "utf-8")
    assert read_register(reg).cameras["municipality"].isna().all()


def test_units_with_no_data_say_how_to_ask(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from render_fixtures import load_units

    from camera_map.render import unit_popup_html
    from camera_map.render.town import render_town

    units = load_units()
    rows = {str(r["name"]): r for _, r in units.iterrows()}
    popup = unit_popup_html(rows["Ljubovija"], "sr-Cyrl")
    assert "<code>camera-map request Љубовија --lang sr-Cyrl</code>" in popup
    assert "препознавање лица и таблица" in popup  # what the request asks for
    for name in ("Osečina", "Stari Grad"):  # own figure, city-level figure: nothing to ask
        assert "camera-map request" not in unit_popup_html(rows[name], "en")
    path, summary = render_town(units, None, "Ljubovija", tmp_path, attribution=[],
                                lang="en")
    assert "    camera-map request Ljubovija --lang sr-Latn\n" in summary + "\n"
    assert "add --lang en for an English copy" in summary
    assert "within 15 days" in summary
    page = path.read_text("utf-8")
    assert "<h2>How to ask</h2>" in page
    assert "<code>camera-map request Ljubovija --lang sr-Latn</code>" in page
    _, summary = render_town(units, None, "Osečina", tmp_path, attribution=[], lang="en")
    assert "camera-map request" not in summary


def test_the_command_shown_runs_for_names_with_spaces(tmp_path: Path) -> None:
    from camera_map.request import how_to_ask

    command = how_to_ask("Bajina Bašta", "sr-Latn").command
    assert command == 'camera-map request "Bajina Bašta" --lang sr-Latn'
    args = [*shlex.split(command)[1:], "--out", str(tmp_path)]
    res = invoke(*args)
    assert res.exit_code == 0 and res.stdout.startswith("Request to Opština Bajina Bašta")


def test_places_the_request_does_not_know_get_no_how_to_ask(tmp_path: Path) -> None:
    import geopandas as gpd

    from camera_map.render.town import render_town

    sys.path.insert(0, str(Path(__file__).parent))
    from render_fixtures import load_units

    units = load_units()
    # a town elsewhere (own boundaries, or taken from OpenStreetMap): Serbian law does not
    # apply and the request command would not know it
    units.loc[units["name"] == "Ljubovija", ["id", "name", "name_cyr"]] = \
        ["relation/2564", "Tuzla", "Тузла"]
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=units.crs)
    _, summary = render_town(units, None, "Tuzla", tmp_path, attribution=[], lang="en")
    assert "no evidence found" in summary and "camera-map request" not in summary


def test_the_document_needs_no_odf_library(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """odfpy is a test dependency only (it has no wheel): `camera-map request` on a plain
    install writes the ODT itself, and odfpy reads it back here as an independent check."""
    monkeypatch.setitem(sys.modules, "odf", None)  # any import of odf.* now fails
    files = write_request("Osečina", lang="sr-Cyrl", out_dir=tmp_path)
    monkeypatch.undo()
    document = odt_text(files.document)
    assert document.splitlines()[:2] == files.letter.recipient
    assert files.letter.subject in document and files.letter.items[0] in document


def test_the_document_is_text_never_markup_and_the_same_bytes_each_time(tmp_path: Path) -> None:
    from camera_map.request.authority import authority_for
    from camera_map.request.document import write_odt
    from camera_map.request.letter import letter_for

    letter = letter_for(authority_for("Osečina", "en"), template="<b>a&amp;b</b>\x1b.xlsx")
    first = write_odt(letter, tmp_path / "first.odt").read_bytes()
    assert write_odt(letter, tmp_path / "second.odt").read_bytes() == first
    assert first.startswith(b"PK") and first[30:38] == b"mimetype"  # ODF: stored, first
    assert "(<b>a&amp;b</b>.xlsx)" in odt_text(tmp_path / "first.odt")
