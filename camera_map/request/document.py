"""The request as an OpenDocument text (ODT, ODF 1.2) to print and sign.

ODT opens in LibreOffice, Microsoft Word and Google Docs. The file is a ZIP of a few XML
parts written here with the standard library (``mimetype`` first and stored, then the
manifest, the styles and the content), so the request needs no ODF library and the same
letter gives the same bytes. The blocks are those of
:class:`camera_map.request.letter.Letter`; every text is XML-escaped, so nothing from the
letter is interpreted as markup.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from .._io import write_bytes_atomic
from .._version import __version__
from ..text import clean_text
from .letter import BLANK, Letter

_MIMETYPE: Final = "application/vnd.oasis.opendocument.text"
_NS: Final = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}
_XMLNS: Final = " ".join(f"xmlns:{prefix}={quoteattr(uri)}" for prefix, uri in _NS.items())
_HEAD: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'

_MANIFEST: Final = _HEAD + (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
    f' manifest:media-type="{_MIMETYPE}"/>'
    + "".join(f'<manifest:file-entry manifest:full-path="{part}" manifest:media-type="text/xml"/>'
              for part in ("content.xml", "styles.xml", "meta.xml"))
    + "</manifest:manifest>")

#: Paragraph styles: Body (justified 11 pt serif), Subject (bold, spaced), Field (left).
_STYLES: Final = _HEAD + (
    f'<office:document-styles {_XMLNS} office:version="1.2">'
    '<office:font-face-decls><style:font-face style:name="Liberation Serif"'
    " svg:font-family=\"'Liberation Serif'\" style:font-family-generic=\"roman\""
    ' style:font-pitch="variable"/></office:font-face-decls>'
    "<office:styles>"
    '<style:style style:name="Body" style:family="paragraph">'
    '<style:paragraph-properties fo:margin-bottom="0.2cm" fo:text-align="justify"/>'
    '<style:text-properties style:font-name="Liberation Serif" fo:font-size="11pt"/>'
    "</style:style>"
    '<style:style style:name="Subject" style:family="paragraph" style:parent-style-name="Body">'
    '<style:paragraph-properties fo:margin-top="0.6cm" fo:margin-bottom="0.4cm"'
    ' fo:text-align="left"/><style:text-properties fo:font-weight="bold"/></style:style>'
    '<style:style style:name="Field" style:family="paragraph" style:parent-style-name="Body">'
    '<style:paragraph-properties fo:margin-top="0.3cm" fo:text-align="left"/></style:style>'
    "</office:styles></office:document-styles>")

_META: Final = _HEAD + (
    f'<office:document-meta {_XMLNS} office:version="1.2"><office:meta>'
    f"<meta:generator>camera-map/{escape(__version__)}</meta:generator>"
    "</office:meta></office:document-meta>")


def _para(text: str, style: str = "Body") -> str:
    """One paragraph; the text is escaped (text, never markup) and stripped of controls."""
    return f'<text:p text:style-name="{style}">{escape(clean_text(text))}</text:p>'


def _blocks(letter: Letter) -> Iterator[str]:
    """The letter's paragraphs in order: recipient, subject, intro, the numbered questions,
    the other paragraphs, the sender and the fields to fill in, the attachment."""
    for line in letter.recipient:
        yield _para(line, "Field")
    yield _para(letter.subject, "Subject")
    yield _para(letter.intro)
    yield "<text:list>"
    for i, item in enumerate(letter.items, 1):
        yield f"<text:list-item>{_para(f'{i}. {item}')}</text:list-item>"
    yield "</text:list>"
    for text in letter.paragraphs:
        yield _para(text)
    yield _para(letter.sender, "Subject")
    for label in letter.fields:
        yield _para(f"{label}: {BLANK}", "Field")
    yield _para(letter.attachment, "Field")


def _content(letter: Letter) -> str:
    return (_HEAD + f'<office:document-content {_XMLNS} office:version="1.2">'
            "<office:body><office:text>" + "".join(_blocks(letter))
            + "</office:text></office:body></office:document-content>")


def write_odt(letter: Letter, path: str | os.PathLike[str]) -> Path:
    """Write ``letter`` to ``path`` as an ODT document (atomically) and return the path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as odt:
        # ODF: "mimetype" first, stored, so that the file's kind shows at a fixed offset;
        # fixed timestamps, so that the same letter gives the same bytes
        parts = [("mimetype", _MIMETYPE, zipfile.ZIP_STORED),
                 ("META-INF/manifest.xml", _MANIFEST, zipfile.ZIP_DEFLATED),
                 ("styles.xml", _STYLES, zipfile.ZIP_DEFLATED),
                 ("meta.xml", _META, zipfile.ZIP_DEFLATED),
                 ("content.xml", _content(letter), zipfile.ZIP_DEFLATED)]
        for name, text, compression in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            odt.writestr(info, text.encode("utf-8"))
    return write_bytes_atomic(path, buffer.getvalue())
