"""The request as an OpenDocument text (ODT) to print and sign, written with odfpy.

ODT opens in LibreOffice, Microsoft Word and Google Docs. The blocks are those of
:class:`camera_map.request.letter.Letter`; nothing from the letter is interpreted as markup.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from .._io import write_bytes_atomic
from .letter import BLANK, Letter


def write_odt(letter: Letter, path: str | os.PathLike[str]) -> Path:
    """Write ``letter`` to ``path`` as an ODT document (atomically) and return the path."""
    from odf.opendocument import OpenDocumentText
    from odf.style import FontFace, ParagraphProperties, Style, TextProperties
    from odf.text import List, ListItem, P

    doc = OpenDocumentText()
    doc.fontfacedecls.addElement(FontFace(name="Liberation Serif",
                                          fontfamily="'Liberation Serif'",
                                          fontfamilygeneric="roman", fontpitch="variable"))
    body = Style(name="Body", family="paragraph")
    body.addElement(TextProperties(fontname="Liberation Serif", fontsize="11pt"))
    body.addElement(ParagraphProperties(marginbottom="0.2cm", textalign="justify"))
    doc.styles.addElement(body)
    subject = Style(name="Subject", family="paragraph", parentstylename="Body")
    subject.addElement(TextProperties(fontweight="bold"))
    subject.addElement(ParagraphProperties(margintop="0.6cm", marginbottom="0.4cm",
                                           textalign="left"))
    doc.styles.addElement(subject)
    field = Style(name="Field", family="paragraph", parentstylename="Body")
    field.addElement(ParagraphProperties(margintop="0.3cm", textalign="left"))
    doc.styles.addElement(field)

    def para(text: str, style: Style = body) -> P:
        p = P(stylename=style)
        p.addText(text)  # text, never markup
        return p

    for line in letter.recipient:
        doc.text.addElement(para(line, field))
    doc.text.addElement(para(letter.subject, subject))
    doc.text.addElement(para(letter.intro))
    items = List()
    for i, item in enumerate(letter.items, 1):
        li = ListItem()
        li.addElement(para(f"{i}. {item}"))
        items.addElement(li)
    doc.text.addElement(items)
    for text in letter.paragraphs:
        doc.text.addElement(para(text))
    doc.text.addElement(para(letter.sender, subject))
    for label in letter.fields:
        doc.text.addElement(para(f"{label}: {BLANK}", field))
    doc.text.addElement(para(letter.attachment, field))
    buffer = io.BytesIO()
    doc.write(buffer)
    return write_bytes_atomic(path, buffer.getvalue())
