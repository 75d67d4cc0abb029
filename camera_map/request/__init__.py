"""Requests for access to information of public importance, and the register to answer in.

``camera-map request NAME`` writes, for the municipality or city NAME:

- ``request-<slug>-<lang>.txt``: the request as plain text, to paste into an e-mail;
- ``request-<slug>-<lang>.odt``: the same as a document to print and sign;
- ``cameras-<slug>-<lang>.xlsx`` and ``.csv``: the register template sent with it, which
  ``camera-map build --cameras`` reads back with no options.

One module per job: :mod:`.authority` (whom to ask), :mod:`.letter` (what to ask, under
which law), :mod:`.document` (ODT), :mod:`.template` (the register), :mod:`.howto` (the short
"how to ask" shown where a unit has no data).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._io import write_text_atomic
from ..layers import Layer
from ..names import slug
from .authority import Authority, authority_for
from .document import write_odt
from .howto import how_to_ask
from .letter import Letter, letter_for
from .template import Template, template_for, write_csv_template, write_xlsx_template

__all__ = ["Authority", "Letter", "RequestFiles", "Template", "authority_for", "how_to_ask",
           "letter_for", "template_for", "write_request"]


@dataclass(frozen=True)
class RequestFiles:
    """What :func:`write_request` wrote, and for whom."""

    authority: Authority
    letter: Letter
    template: Template
    text: Path
    document: Path
    xlsx: Path
    csv: Path


def write_request(name: str, *, lang: str = "sr-Latn", out_dir: str | os.PathLike[str] = ".",
                  layer: Layer | str | None = None) -> RequestFiles:
    """Write the request to the authority called ``name`` and its register template.

    Parameters
    ----------
    name
        A municipality or city of the layer: Latin, Cyrillic or ASCII spelling, official
        code, or an alias the layer knows.
    lang
        ``sr-Latn``, ``sr-Cyrl`` or ``en``: the language of the letter and the template, and
        the script of the authority's name.
    out_dir
        Folder for the four files (created if missing).
    layer
        The boundary layer (default: the bundled Serbian one).

    Raises
    ------
    camera_map.errors.UnknownPlaceError
        ``name`` is not a unit or city of the layer; the message names the closest ones.
    """
    authority = authority_for(name, lang, layer=layer)
    out = Path(out_dir)
    stem = f"{slug(authority.name_latn)}-{lang}"
    xlsx = out / f"cameras-{stem}.xlsx"
    template = template_for(authority)
    letter = letter_for(authority, template=xlsx.name)
    text = write_text_atomic(out / f"request-{stem}.txt", letter.text())
    document = write_odt(letter, out / f"request-{stem}.odt")
    write_xlsx_template(template, xlsx)
    csv_path = write_csv_template(template, out / f"cameras-{stem}.csv")
    return RequestFiles(authority, letter, template, text, document, xlsx, csv_path)
