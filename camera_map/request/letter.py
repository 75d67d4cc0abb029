"""The request for access to information of public importance, as structured text.

Serbia's Law on Free Access to Information of Public Importance ("Official Gazette of the RS"
Nos. 120/2004, 54/2007, 104/2009, 36/2010 and 105/2021) lets anyone ask a public authority,
local self-government included (Article 3), for information it holds. A request names the
authority, the applicant's name and address and describes the information as precisely as
possible (Article 15); no reason has to be given. The authority answers without delay and at
the latest within 15 days of receiving it (up to 40 days for justified reasons, of which it
must tell the applicant at once); if it does not answer in time, refuses or rejects, the
applicant may complain to the Commissioner for Information of Public Importance and Personal
Data Protection. The letter asks for exactly what the register template
(:mod:`camera_map.request.template`) records, so the answer reads back unchanged.

:func:`letter_for` returns a :class:`Letter`; :meth:`Letter.text` is plain text to paste into
an e-mail and :mod:`camera_map.request.document` prints the same blocks as an ODT document.
Serbian Cyrillic is transliterated from the Latin text (:func:`camera_map.names.to_cyrillic`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ..names import to_cyrillic
from ..render.i18n import check_lang
from .authority import Authority

BLANK: Final = "_" * 32

# Kept in Latin inside Cyrillic text: placeholders, file names and formats.
_KEEP_LATIN: Final = re.compile(r"(\{[^}]*\}|\S+\.(?:xlsx|csv|odt|txt)\b|XLSX|ODS|CSV|ODT|"
                                r"camera-map)")

_LAW_EN: Final = ("Law on Free Access to Information of Public Importance (\"Official "
                  "Gazette of the RS\", Nos. 120/2004, 54/2007, 104/2009, 36/2010 and "
                  "105/2021)")
_COMMISSIONER_EN: Final = ("Commissioner for Information of Public Importance and Personal "
                           "Data Protection")

_TEXT: Final[dict[str, dict[str, str | list[str]]]] = {
    "en": {
        "recipient_address": "Address of the authority: " + BLANK,
        "subject": ("Subject: Request for access to information of public importance — "
                    "public-space surveillance cameras"),
        "intro": ("Under the {law}, and as its Article 15 provides, I ask the {authority} for "
                  "the following information on the surveillance cameras covering public "
                  "space (streets, squares, junctions, parks and other public places) in the "
                  "area under its responsibility:"),
        "items": [
            "the number of public-space surveillance cameras this authority has bought, the "
            "number it operates, and the number it has access to (including cameras of other "
            "authorities, public companies or private parties), as of the day this request "
            "is received;",
            "the location of each camera (address or geographic coordinates) and, where "
            "known, the date it was installed;",
            "the make and model of each camera and of the software that processes the "
            "recordings;",
            "whether the cameras or the software can recognise faces and can read vehicle "
            "licence plates, and whether these functions are used;",
            "the supplier, or the contractor that installed them;",
            "the public procurement and the contract: tender number, date the contract was "
            "signed and contract value, and a copy of the contract;",
            "who operates the video-surveillance system, and who receives, keeps and has "
            "access to the recordings;",
            "how long the recordings are kept;",
            "the legal basis for installing the cameras and processing the recordings (the "
            "regulation, decision or agreement, with its number and date);",
            "whether an assessment of the impact of the processing on the protection of "
            "personal data has been made, and a copy of it if so.",
        ],
        "form": ("Please send the information as copies of documents by e-mail or, if that "
                 "is not possible, by post to the address below. Please give the details of "
                 "individual cameras (points 2 to 5) as a table; a table form that may be "
                 "used for this is attached ({template}), though using it is not required."),
        "reason": "Under the Law, the reasons for requesting information need not be given.",
        "costs": ("If making and sending copies incurs costs, please tell me the amount in "
                  "advance. Inspecting the documents is free of charge."),
        "deadline": ("Under the Law, the authority must act on this request without delay "
                     "and at the latest within 15 days of receiving it. If, for justified "
                     "reasons, it cannot do so within that time, it must tell the applicant "
                     "at once; the time limit may then not exceed 40 days from receipt of "
                     "the request."),
        "complaint": ("If the authority does not answer in time, or refuses or rejects the "
                      "request, the applicant may lodge a complaint with the {commissioner}, "
                      "enclosing a copy of this request and proof that it was sent."),
        "sender": "Applicant",
        "fields": ["Name and surname (or name of the organisation)", "Address",
                   "E-mail or telephone (optional)", "Place and date", "Signature"],
        "attachment": "Attachment: table form for the cameras ({template})",
    },
    "sr-Latn": {
        "recipient_address": "Adresa organa: " + BLANK,
        "subject": ("Predmet: Zahtev za pristup informacijama od javnog značaja — kamere za "
                    "video-nadzor javnih površina"),
        "intro": ("Na osnovu {law}, u skladu sa članom 15. tog zakona, od organa vlasti "
                  "{authority} tražim sledeće informacije o kamerama za video-nadzor javnih "
                  "površina (ulica, trgova, raskrsnica, parkova i drugih javnih prostora) na "
                  "području u nadležnosti ovog organa:"),
        "items": [
            "broj kamera za video-nadzor javnih površina koje je ovaj organ nabavio, broj "
            "kamera kojima upravlja i broj kamera kojima ima pristup (uključujući kamere "
            "drugih organa, javnih preduzeća ili privatnih lica), sa stanjem na dan prijema "
            "ovog zahteva;",
            "lokaciju svake kamere (adresu ili geografske koordinate) i, ako je poznat, datum "
            "postavljanja;",
            "proizvođača i model svake kamere, kao i softvera kojim se obrađuju snimci;",
            "da li kamere ili softver imaju mogućnost prepoznavanja lica i mogućnost "
            "očitavanja registarskih tablica vozila, i da li se te mogućnosti koriste;",
            "naziv dobavljača, odnosno izvođača radova;",
            "podatke o javnoj nabavci i ugovoru: broj javne nabavke, datum zaključenja ugovora "
            "i ugovorenu vrednost, kao i kopiju ugovora;",
            "ko upravlja sistemom video-nadzora, ko prima i čuva snimke i ko ima pristup "
            "snimcima;",
            "koliko dugo se snimci čuvaju;",
            "pravni osnov za postavljanje kamera i obradu snimaka (propis, odluka ili "
            "sporazum, sa brojem i datumom);",
            "da li je izrađena procena uticaja obrade na zaštitu podataka o ličnosti, i njenu "
            "kopiju ako jeste.",
        ],
        "form": ("Tražene informacije molim da mi dostavite kao kopije dokumenata "
                 "elektronskom poštom, a ako to nije moguće, poštom na adresu navedenu ispod. "
                 "Podatke o pojedinačnim kamerama (tačke 2–5) molim da dostavite u obliku "
                 "tabele; uz zahtev prilažem obrazac tabele koji se za to može koristiti "
                 "({template}), ali njegovo korišćenje nije obavezno."),
        "reason": "Prema Zakonu, razlozi za traženje informacija ne moraju se navoditi.",
        "costs": ("Ako izrada i dostavljanje kopija stvaraju troškove, molim da me o njihovom "
                  "iznosu unapred obavestite. Uvid u dokumente je besplatan."),
        "deadline": ("Prema Zakonu, organ vlasti je dužan da po ovom zahtevu postupi bez "
                     "odlaganja, a najkasnije u roku od 15 dana od prijema zahteva. Ako iz "
                     "opravdanih razloga to ne može da učini u tom roku, dužan je da o tome "
                     "odmah obavesti tražioca; rok tada ne može biti duži od 40 dana od "
                     "prijema zahteva."),
        "complaint": ("Ako organ vlasti ne odgovori u roku, odbije ili odbaci zahtev, tražilac "
                      "može izjaviti žalbu {commissioner_dative}, uz kopiju ovog zahteva i "
                      "dokaz o njegovoj predaji."),
        "sender": "Tražilac informacije",
        "fields": ["Ime i prezime (ili naziv organizacije)", "Adresa",
                   "Elektronska pošta ili telefon (nije obavezno)", "Mesto i datum", "Potpis"],
        "attachment": "Prilog: obrazac tabele kamera ({template})",
    },
}

# Serbian forms needing a case the nominative tables above do not hold.
_LAW_GENITIVE: Final = ("Zakona o slobodnom pristupu informacijama od javnog značaja "
                        "(„Službeni glasnik RS“, br. 120/2004, 54/2007, 104/2009, 36/2010 i "
                        "105/2021)")
_COMMISSIONER_DATIVE: Final = ("Povereniku za informacije od javnog značaja i zaštitu podataka "
                               "o ličnosti")


@dataclass(frozen=True)
class Letter:
    """The blocks of one request, in one language, ready to print as text or a document."""

    lang: str
    authority: Authority
    recipient: list[str]
    subject: str
    intro: str
    items: list[str]
    paragraphs: list[str]
    sender: str
    fields: list[str]
    attachment: str

    def text(self) -> str:
        """The request as plain text (UTF-8, ``\\n`` line ends), to paste into an e-mail."""
        lines = [*self.recipient, "", self.subject, "", self.intro, ""]
        lines += [f"{i}. {item}" for i, item in enumerate(self.items, 1)]
        for para in self.paragraphs:
            lines += ["", para]
        lines += ["", self.sender]
        lines += [f"{label}: {BLANK}" for label in self.fields]
        lines += ["", self.attachment]
        return "\n".join(lines) + "\n"


def _cyrillic(text: str) -> str:
    parts = _KEEP_LATIN.split(text)
    return "".join(p if _KEEP_LATIN.fullmatch(p) else to_cyrillic(p) for p in parts)


def letter_for(authority: Authority, *, template: str) -> Letter:
    """Return the request to ``authority`` in the authority's language.

    ``template`` is the file name of the register template sent with the request.

    Names go into the letter in the script of its language; a city municipality's request
    goes to the authority that answers for it:

    >>> from camera_map.request.authority import authority_for
    >>> letter = letter_for(authority_for("Osečina", "sr-Cyrl"), template="cameras.xlsx")
    >>> letter.recipient[0], letter.attachment
    ('Општина Осечина', 'Прилог: образац табеле камера (cameras.xlsx)')
    >>> letter_for(authority_for("Medijana", "en"), template="cameras.xlsx").recipient[0]
    'City of Niš'
    """
    lang = check_lang(authority.lang)
    base = "en" if lang == "en" else "sr-Latn"
    table = _TEXT[base]
    law = _LAW_GENITIVE if base == "sr-Latn" else _LAW_EN
    commissioner = _COMMISSIONER_EN

    def fill(key: str) -> str:
        raw = table[key]
        assert isinstance(raw, str)
        out = raw.format(law=law, authority="{authority}", commissioner=commissioner,
                         commissioner_dative=_COMMISSIONER_DATIVE, template="{template}")
        out = _cyrillic(out) if lang == "sr-Cyrl" else out
        # names go in after transliteration: they are already in the script of the language
        return out.replace("{authority}", authority.title).replace("{template}", template)

    items = table["items"]
    assert isinstance(items, list)
    fields = table["fields"]
    assert isinstance(fields, list)
    conv = _cyrillic if lang == "sr-Cyrl" else (lambda s: s)
    recipient = [authority.title, fill("recipient_address")]
    return Letter(
        lang=lang, authority=authority, recipient=recipient, subject=fill("subject"),
        intro=fill("intro"), items=[conv(i) for i in items],
        paragraphs=[fill(k) for k in ("form", "reason", "costs", "deadline", "complaint")],
        sender=fill("sender"), fields=[conv(f) for f in fields],
        attachment=fill("attachment"),
    )
