"""Regenerate the binary FOI fixtures (XLSX, ODS, Windows-125x CSV, Gauss-Krüger CSV).

Run from the repository root: ``python tests/data/foi/make_fixtures.py``. Everything here
is made up for the tests (street names, values, documents); no real personal data. The
text of each fixture is in this script, so a reviewer can read what the binary files hold.

The hand-made test units are two adjacent squares: "Osečina" (lon 19.5–20.0, lat 44.0–44.5)
and "Valjevo" (lon 20.0–20.5, lat 44.0–44.5); the points below fall in them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --- Windows-1251, Cyrillic, comma-delimited: counts, addresses, a blank and a total row ------
CYRILLIC_ROWS = [
    ["Р.бр.", "Општина", "Адреса", "Број камера", "Произвођач", "Препознавање лица", "Статус",
     "Датум"],
    ["1", "Осечина", "", "12", "Dahua", "да", "уграђено", "15.03.2021."],
    ["2", "Ваљево", "Карађорђева 5", "", "Huawei", "не", "уговорено", "05.2022"],
    ["3", "", "", "", "", "", "", ""],
    ["4", "Ваљево", "", "30", "Хуавеј", "", "планирано", "2023"],
    ["", "Укупно", "", "42", "", "", "", ""],
]

# --- Windows-1250, Serbian Latin, semicolons and decimal commas (as Serbian Excel writes) --------
LATIN_ROWS = [
    ["Opština", "Lokacija", "Geografska širina", "Geografska dužina", "Proizvođač", "Model",
     "Prepoznavanje lica", "Dobavljač", "Vrednost ugovora", "Datum postavljanja", "Napomena",
     "Interna šifra"],
    ["Osečina", "Trg slobode", "44,25", "19,75", "Dahua", "DH-SD49425XB", "DA", "Alfa d.o.o.",
     "1.234.567,00 RSD", "15.03.2021", "raskrsnica", "OS-001"],
    ["Valjevo", "Glavna ulica 1", "44,3", "20,25", "Huawei", "M2141", "ne", "", "", "2022",
     "", "VA-001"],
    ["Osečina", "Školska 2", "abc", "19,8", "Dahua", "", "", "", "", "", "", "OS-002"],
    ["Valjevo", "Pijaca", "20,3", "44,2", "", "", "možda", "", "", "", "zamenjene koordinate",
     "VA-002"],
    ["Osečina", "Put bb", "44°15'00\"N", "19°45'00\"E", "", "", "", "", "", "", "DMS", "OS-003"],
]

# --- Gauss-Krüger zone 7 (EPSG:31277): Serbian surveyors' Y = easting, X = northing ------------
GK_POINTS = [  # (lon, lat) in WGS84, known
    ("Osečina", "Trg slobode", 19.75, 44.25),
    ("Valjevo", "Glavna ulica 1", 20.25, 44.3),
    ("Valjevo", "Pijaca", 20.4, 44.1),
]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def gauss_kruger_rows() -> list[list[str]]:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:31277", always_xy=True)
    rows = [["Opština", "Adresa", "Y", "X"]]
    for muni, addr, lon, lat in GK_POINTS:
        e, n = t.transform(lon, lat)
        rows.append([muni, addr, f"{e:.2f}", f"{n:.2f}"])
    return rows


def write_xlsx(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kamere"
    ws.append(["Spisak kamera – odgovor na zahtev 123/2024 (izmišljeni podaci)"])
    ws.merge_cells("A1:F1")
    ws.append(["Opština", "Adresa", "Koordinate", None, "Proizvođač", "Datum"])
    ws.merge_cells("C2:D2")
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("E2:E3")
    ws.merge_cells("F2:F3")
    ws.append([None, None, "Širina", "Dužina", None, None])
    ws.append(["Osečina", "Trg slobode", 44.25, 19.75, "Dahua", dt.datetime(2021, 3, 15)])
    ws.append(["Valjevo", "Glavna ulica 1", "44,3", "20,25", "Huawei", 2022])
    ws.append([None] * 6)
    ws.append(["Valjevo", "Nepoznata", None, None, None, None])
    counts = wb.create_sheet("Po opštinama")
    counts.append(["Broj kamera po opštinama"])
    counts.append([])
    counts.append(["Opština", "Broj kamera", "Vrednost ugovora"])
    counts.append(["Osečina", 25, 1500000])
    counts.append(["Valjevo", "1.200", "150.000 din"])
    notes = wb.create_sheet("Napomene")
    notes.append(["Podaci su dostavljeni na osnovu Zakona o slobodnom pristupu."])
    wb.save(path)


def write_ods(path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Registar")

    def row(*cells: object, span_first: int = 0) -> TableRow:
        tr = TableRow()
        for i, value in enumerate(cells):
            if value is None:
                tr.addElement(TableCell())
                continue
            if isinstance(value, float | int):
                cell = TableCell(valuetype="float", value=str(value))
            else:
                cell = TableCell(valuetype="string")
            if i == 0 and span_first:
                cell.setAttribute("numbercolumnsspanned", str(span_first))
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
            if i == 0 and span_first:
                for _ in range(span_first - 1):
                    tr.addElement(CoveredTableCell())
                break
        return tr

    table.addElement(row("Registar video nadzora (izmišljeni podaci)", span_first=5))
    table.addElement(row("Opština", "Lokacija", "Lat", "Lon", "Status"))
    table.addElement(row("Osečina", "Trg slobode", "44°15'N", "19°45'E", "instalirano"))
    table.addElement(row("Valjevo", "Glavna ulica 1", 44.3, 20.25, "u planu"))
    table.addElement(row("Valjevo", None, None, None, "ugovoreno"))
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def main() -> None:
    write_csv(HERE / "cyrillic_cp1251.csv", CYRILLIC_ROWS, encoding="cp1251", delimiter=",")
    write_csv(HERE / "latin_cp1250.csv", LATIN_ROWS, encoding="cp1250", delimiter=";")
    write_csv(HERE / "gauss_kruger.csv", gauss_kruger_rows(), encoding="utf-8", delimiter=";")
    write_xlsx(HERE / "two_sheets.xlsx")
    write_ods(HERE / "register.ods")
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "image.csv").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


if __name__ == "__main__":
    main()
