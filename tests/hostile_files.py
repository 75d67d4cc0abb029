"""Makers of hostile input files: bombs, stray quotes, mixed encodings, malformed OSM.

Shared by ``tests/test_hostile_readers.py`` (which makes each file in a temporary folder)
and ``benchmarks/hostile.py`` (which measures time and memory on the full-size bombs).
Every maker writes the file it is given and returns its path; sizes are parameters so that
the tests can stay small where the limit under test is lowered for them.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile
from pathlib import Path

HEADER = "R.br.,Opština,Adresa,Latitude,Longitude,Broj kamera"

_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def _zip(path: Path, members: list[tuple[str, bytes]], *, stored_first: bool = False) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i, (name, data) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(name, data, compress_type=kind)
    return path


def ods(path: Path, tables_xml: str) -> Path:
    """An ODS workbook whose ``content.xml`` body is ``tables_xml`` (``<table:table>``s)."""
    content = (_ODS_HEAD + tables_xml + _ODS_TAIL).encode("utf-8")
    return _zip(path, [
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", _ODS_MANIFEST.encode()),
        ("content.xml", content),
    ], stored_first=True)  # fmt: skip


def ods_cell(value: object) -> str:
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return ('<table:table-cell office:value-type="string">'
            f"<text:p>{value}</text:p></table:table-cell>")


def ods_rows(rows: list[list[object]]) -> str:
    return "".join("<table:table-row>" + "".join(ods_cell(v) for v in row) + "</table:table-row>"
                   for row in rows)


def ods_repeat_bomb(path: Path, *, columns: int = 16_384, rows: int = 1_000_000) -> Path:
    """The 893-byte kind of ODS: one filled cell repeated ``columns`` × ``rows`` times."""
    table = (
        '<table:table table:name="Bomba">'
        + ods_rows([["Opština", "Broj kamera"]])
        + f'<table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell table:number-columns-repeated="{columns}" '
        'office:value-type="string"><text:p>Osečina</text:p></table:table-cell>'
        "</table:table-row></table:table>"
    )
    return ods(path, table)


def ods_bad_number(path: Path, raw: str = "12,5abc") -> Path:
    """An ODS whose float cell carries an ``office:value`` that is not a number."""
    table = (
        '<table:table table:name="Registar">'
        + ods_rows([["Opština", "Broj kamera"], ["Osečina", 3]])
        + "<table:table-row>" + ods_cell("Valjevo")
        + f'<table:table-cell office:value-type="float" office:value="{raw}">'
        f"<text:p>{raw}</text:p></table:table-cell></table:table-row>"
        "</table:table>"
    )
    return ods(path, table)


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kamere"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def xlsx_merge(path: Path, rows: list[list[object]], ref: str) -> Path:
    """A register with a merged range ``ref`` written into the sheet's XML (openpyxl itself
    would create a cell object for every cell of a big range)."""
    xlsx(path, rows)
    with zipfile.ZipFile(path) as src:
        members = [(n, src.read(n)) for n in src.namelist()]
    merge = f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'.encode()
    members = [(n, d.replace(b"</sheetData>", b"</sheetData>" + merge, 1)
                if n == "xl/worksheets/sheet1.xml" else d) for n, d in members]
    return _zip(path, members)


def xlsx_far_cell(path: Path, *, value: object = None, ref: str = "XFD1048576") -> Path:
    """A small register with one more cell at ``ref``: empty but styled, or holding ``value``."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kamere"
    ws.append(["Opština", "Broj kamera"])
    ws.append(["Osečina", 100])
    ws.append(["Valjevo", 12])
    ws[ref].font = Font(bold=True)
    if value is not None:
        ws[ref] = value
    wb.save(path)
    return path


def zip_bomb_xlsx(path: Path, *, padding: int) -> Path:
    """An XLSX whose sheet XML declares (and holds) ``padding`` bytes of blank space."""
    import openpyxl

    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["Opština", "Broj kamera"])
    wb.save(buf)
    with zipfile.ZipFile(buf) as src:
        members = [(n, src.read(n)) for n in src.namelist()]
    sheet = "xl/worksheets/sheet1.xml"
    members = [(n, d.replace(b"<sheetData>", b"<sheetData>" + b" " * padding, 1)
                if n == sheet else d) for n, d in members]
    return _zip(path, members)


def csv_one_line(path: Path, *, size: int = 50_000_000) -> Path:
    """A text file of one line of ``size`` bytes (no newline at all)."""
    chunk = b"Osecina,ulica,44.1,19.6," * 1024
    with open(path, "wb") as fh:
        left = size
        while left > 0:
            fh.write(chunk[:left])
            left -= len(chunk)
    return path


def csv_letter_run(path: Path, *, letters: int = 40_000) -> Path:
    """A Windows-1250 register with one cell of ``letters`` ASCII letters (the quadratic case)."""
    text = f"{HEADER}\n1,Osečina,{'a' * letters},44.25,19.75,1\n"
    path.write_bytes(text.encode("cp1250"))
    return path


def csv_stray_quote(path: Path, *, rows: int = 100, at: int = 3) -> Path:
    """A register of ``rows`` data rows; data row ``at`` opens a quote it never closes."""
    lines = [HEADER]
    for i in range(1, rows + 1):
        street = f'"Trg slobode {i}' if i == at else f"Trg slobode {i}"
        lines.append(f"{i},Osečina,{street},44.2{i % 10},19.7{i % 10},1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def csv_mixed_encoding(path: Path, *, legacy_rows: tuple[int, ...] = (3, 5)) -> Path:
    """A UTF-8 register in which the data rows ``legacy_rows`` were pasted as Windows-1250."""
    out = [HEADER.encode("utf-8")]
    for i in range(1, 7):
        line = f"{i},Osečina,Čačanska {i},44.2{i},19.7{i},1"
        out.append(line.encode("cp1250" if i in legacy_rows else "utf-8"))
    path.write_bytes(b"\n".join(out) + b"\n")
    return path


def osm_xml(path: Path, nodes: list[dict[str, str]]) -> Path:
    """An OSM XML file of camera nodes; each dict gives ``id``, ``lat``, ``lon``."""
    body = "".join(
        f'<node id="{n["id"]}" version="1" lat="{n["lat"]}" lon="{n["lon"]}">'
        '<tag k="man_made" v="surveillance"/></node>' for n in nodes
    )
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">{body}</osm>\n',
                    encoding="utf-8")
    return path


def osm_compressed_bomb(path: Path, *, padding: int, kind: str = "bz2") -> Path:
    """An ``.osm.bz2``/``.osm.gz`` whose XML holds ``padding`` bytes of blank space."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">'
    block = b" " * (1 << 20)
    opener = bz2.open if kind == "bz2" else gzip.open
    with opener(path, "wb", compresslevel=9) as fh:
        fh.write(head)
        left = padding
        while left > 0:
            fh.write(block[:left])
            left -= len(block)
        fh.write(b"</osm>\n")
    return path


def overpass_json(path: Path, elements: list[object]) -> Path:
    path.write_text(json.dumps({"version": 0.6, "elements": elements}), encoding="utf-8")
    return path


def camera_node(i: int, lat: object = 44.25, lon: object = 19.75) -> dict[str, object]:
    return {"type": "node", "id": i, "lat": lat, "lon": lon,
            "tags": {"man_made": "surveillance"}}


def deep_json(path: Path, *, depth: int = 100_000) -> Path:
    path.write_text('{"elements": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    return path


def kmz_bomb(path: Path, *, padding: int) -> Path:
    """A KMZ whose doc.kml holds ``padding`` bytes of blank space around one placemark."""
    kml = (b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
           + b" " * padding + b"<Placemark><Point><coordinates>19.7,44.2</coordinates>"
           b"</Point></Placemark></Document></kml>")
    return _zip(path, [("doc.kml", kml)])


def deep_geojson(path: Path, *, depth: int = 100_000) -> Path:
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * depth + "]" * depth
                    + "}", encoding="utf-8")
    return path
