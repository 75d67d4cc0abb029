"""How to ask for the missing figures: the short text shown where a unit has no data.

Town pages, map popups and ``camera-map town`` show it for a unit no evidence speaks of,
so that "no data" leads somewhere: the command that writes the request, and what it asks.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass
from typing import Any, Final

from ..names import to_cyrillic
from ..render.i18n import check_lang

_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "heading": "How to ask",
        "asks": ("It asks for the number of public-space cameras, their locations, make and "
                 "model, face and licence-plate recognition, supplier and contract, operator, "
                 "how long recordings are kept, legal basis and impact assessment."),
        "lead": "No data is not zero: the authority can be asked.",
        "command": ("This command writes the request, in Serbian (add --lang en for an English "
                    "copy to read), and a table to answer in:"),
        "what": ("It asks, under the Law on Free Access to Information of Public Importance, "
                 "for the number of public-space cameras, their locations, make and model, "
                 "face and licence-plate recognition, supplier and contract, who operates "
                 "them and keeps the recordings, for how long, the legal basis and any "
                 "data-protection impact assessment. The authority must answer within 15 "
                 "days."),
    },
    "sr-Latn": {
        "heading": "Kako zatražiti podatke",
        "asks": ("Traži se broj kamera na javnim površinama, lokacije, proizvođač i model, "
                 "prepoznavanje lica i tablica, dobavljač i ugovor, ko upravlja kamerama, "
                 "koliko se čuvaju snimci, pravni osnov i procena uticaja."),
        "lead": "Nema podataka ne znači nula: podaci se mogu zatražiti od organa vlasti.",
        "command": "Ova komanda sastavlja zahtev i tabelu za odgovor:",
        "what": ("Po Zakonu o slobodnom pristupu informacijama od javnog značaja traži se broj "
                 "kamera na javnim površinama, njihove lokacije, proizvođač i model, "
                 "prepoznavanje lica i registarskih tablica, dobavljač i ugovor, ko upravlja "
                 "kamerama i čuva snimke, koliko dugo, pravni osnov i procena uticaja na "
                 "zaštitu podataka o ličnosti. Organ mora da odgovori u roku od 15 dana."),
    },
}


@dataclass(frozen=True)
class HowToAsk:
    """The parts of the text: a lead, the command (to show as code), what it asks.

    ``what`` is the full sentence (town pages, the terminal), ``asks`` the short one (map
    popups, of which a map has many).
    """

    heading: str
    lead: str
    intro: str
    command: str
    what: str
    asks: str

    def text(self) -> str:
        """The whole text as plain lines (the command indented on its own line)."""
        return f"{self.lead} {self.intro}\n    {self.command}\n{self.what}"


@functools.lru_cache(maxsize=4096)
def can_ask(name: str) -> bool:
    """Whether ``camera-map request`` knows the authority called ``name``.

    The request cites Serbian law and addresses units of the bundled Serbian layer: a place
    from the user's own boundaries elsewhere, or a town taken from OpenStreetMap
    (``town --online``), gets no "how to ask" that would send it to the wrong law.

    >>> can_ask("Осечина"), can_ask("Tuzla")
    (True, False)
    """
    from ..errors import InputError

    try:
        return _bundled_layer().match(name) is not None
    except InputError:  # ambiguous in the layer: the request would be refused too
        return False


@functools.lru_cache(maxsize=1)
def _bundled_layer() -> Any:
    """The bundled layer, loaded once: a map asks about each of its units (161 loads of
    the layer and its name index took 4 s of CPU time per build)."""
    from ..layers import load_layer

    return load_layer(None)


def _quoted(name: str) -> str:
    """``name`` as a POSIX shell word: bare, in double quotes if it has spaces, else quoted
    safely (``shlex.quote`` would quote every non-ASCII name, Cyrillic ones included)."""
    if re.fullmatch(r"[\w.-]+", name):
        return name
    if re.fullmatch(r"[\w .-]+", name):
        return f'"{name}"'
    return shlex.quote(name)


def how_to_ask(name: str, lang: str = "en") -> HowToAsk:
    """Return how to ask for the camera figures of the unit or city called ``name``.

    ``name`` goes into the command as given (it is quoted for a POSIX shell), so any
    spelling the layer knows works.

    >>> how_to_ask("Novi Sad", "sr-Cyrl").command
    'camera-map request "Novi Sad" --lang sr-Cyrl'
    >>> how_to_ask("Ljig").heading, how_to_ask("Ljig").command
    ('How to ask', 'camera-map request Ljig --lang sr-Latn')
    """
    check_lang(lang)
    table = _TEXT["en" if lang == "en" else "sr-Latn"]
    conv = to_cyrillic if lang == "sr-Cyrl" else (lambda s: s)
    # the authority reads Serbian: an English page still proposes the Serbian letter
    command = f"camera-map request {_quoted(name)} --lang {'sr-Latn' if lang == 'en' else lang}"
    return HowToAsk(conv(table["heading"]), conv(table["lead"]), conv(table["command"]),
                    command, conv(table["what"]), conv(table["asks"]))
