"""Understanding Serbian address text: streets, house numbers, intersections, places.

FOI registers describe a camera's location in free text: "Karađorđeva 12", "Kneza Miloša
br. 5a, Osečina", "ugao Karađorđeve i Kneza Miloša", "raskrsnica Bul. oslobođenja - Vojvode
Stepe", "угао Карађорђеве и Кнеза Милоша", "OŠ Vuk Karadžić, Osečina". :func:`parse_address`
turns such text into an :class:`AddressQuery`; :func:`street_key` and
:func:`street_key_loose` give the comparison keys under which street names are matched
(script, diacritics, case, punctuation and the abbreviations ``ul.``/``bul.`` do not matter).

Everything here is pure: no files, no network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..names import fold, to_latin

__all__ = [
    "AddressQuery",
    "housenumber_key",
    "nominative_guess",
    "parse_address",
    "place_key",
    "street_key",
    "street_key_loose",
]


@dataclass(frozen=True)
class AddressQuery:
    """A location description taken apart.

    Attributes
    ----------
    text
        The text as given.
    kind
        ``"address"`` (street and house number), ``"intersection"`` (two streets),
        ``"street"`` (one street, no number), ``"landmark"`` (a school, market, ... that
        no street names), ``"place"`` (only a settlement) or ``"empty"``.
    streets
        Street names as written (Latin script, abbreviations expanded, "ulica" dropped):
        none, one, or two for an intersection.
    housenumber
        The house number as written ("12", "5a", "15-17"); ``None`` for none or "bb".
    place
        A settlement named after a comma ("..., Osečina"); ``None`` if none.
    municipality
        The municipality given with the row (not parsed from the text), if any.
    landmark
        A named landmark ("OŠ Vuk Karadžić", "pijaca") the text refers to, if any.
    guessed_split
        True when an intersection was read from a bare " i " / " - " with no word such as
        "ugao" or "raskrsnica": the whole text might be one street name ("Braće i sestara
        ..."), which a geocoder should try when the intersection is not found.
    """

    text: str
    kind: str
    streets: tuple[str, ...] = ()
    housenumber: str | None = None
    place: str | None = None
    municipality: str | None = None
    landmark: str | None = None
    guessed_split: bool = False

    @property
    def whole(self) -> str:
        """The streets joined back as one name (see ``guessed_split``)."""
        return " i ".join(self.streets)


# Abbreviations in street names, after folding (lower case, ASCII, no punctuation).
_ABBREVIATIONS: dict[str, str] = {
    "bul": "bulevar", "bulev": "bulevar", "blvd": "bulevar", "bulevard": "bulevar",
    "vojv": "vojvode", "kr": "kralja", "kn": "kneza", "knez": "kneza", "sv": "svetog",
    "dr": "doktora", "dr.": "doktora", "mar": "marsala", "nar": "narodnog",
}  # fmt: skip
# Words that name the kind of way and are dropped from keys.
_DROP_WORDS = frozenset({"ul", "ulica", "ulici", "ulicom", "str", "street"})

# Phrases (folded) that announce an intersection.
_INTERSECTION_LEAD = re.compile(
    r"^(?:(?:kod|na|u|blizu|pored)\s+)?(?:raskrsnic[aieu]|raskrsce|ukrstanj[ea]|ugao|uglu|"
    r"kruzn[io]m?\s+tok[u]?)\b(?:\s+(?:ulica|ulice|ul\.?))?\s*(?:izmedju\s+)?",
    re.IGNORECASE,
)
_LANDMARK_LEAD = re.compile(
    r"^(?:kod|pored|ispred|iza|blizu|preko puta|na ulazu u|ulaz u)\s+", re.IGNORECASE
)
_LANDMARK_WORDS = re.compile(
    r"^(?:o\.?\s?s\.?|os|osnovn[ae] skol[ae]|srednj[ae] skol[ae]|skol[ae]|gimnazij[ae]|"
    r"vrtic[a]?|predskolska|dom zdravlja|doma zdravlja|bolnic[ae]|ambulant[ae]|pijac[ae]|"
    r"zelen[ae] pijac[ae]|autobusk[ae] stanic[ae]|zeleznick[ae] stanic[ae]|stanic[ae]|"
    r"crkv[ae]|hram[a]?|park[a]?|stadion[a]?|sportsk[ae] hal[ae]|hal[ae] sportova|"
    r"zgrad[ae] opstine|opstin[ae]|policijsk[ae] stanic[ae]|pu|mup|post[ae]|groblj[ea]|"
    r"most[a]?|trzn[io] centar|tc|benzinsk[ae] pump[ae]|kruzni tok|kruznog toka)\b",
    re.IGNORECASE,
)
# Separators between two street names. "/" only when not between digits ("12/3").
_SEP_EXPLICIT = re.compile(r"\s*(?:(?<!\d)/(?!\d)|\s[x×&]\s)\s*", re.IGNORECASE)
_SEP_GUESS = re.compile(r"\s+(?:i|и|[-–—])\s+", re.IGNORECASE)
_SEP_AFTER_LEAD = re.compile(
    r"\s*(?:(?<!\d)/(?!\d)|\s[x×&]\s|\s+(?:i|и|sa|s|[-–—])\s+)\s*", re.IGNORECASE
)

_NUMBER = r"\d+(?:\s?[a-zA-Z](?![a-zA-Z]))?(?:\s?[-/]\s?\d+(?:\s?[a-zA-Z](?![a-zA-Z]))?)?"
_HN_TAIL = re.compile(
    rf"(?:\s+|,\s*|^)(?:(?:br|broj|no|nr)\.?\s*|#\s*)?(?P<hn>{_NUMBER})\.?\s*$", re.IGNORECASE
)
_BB_TAIL = re.compile(r"(?:\s+|,\s*)(?:br\.?\s*)?b\.?\s?b\.?\s*$", re.IGNORECASE)
_HN_ONLY = re.compile(rf"^(?:(?:br|broj|no|nr)\.?\s*|#\s*)?(?P<hn>{_NUMBER})\.?$", re.IGNORECASE)
_BB_ONLY = re.compile(r"^(?:br\.?\s*)?b\.?\s?b\.?$", re.IGNORECASE)
_POSTCODE = re.compile(r"^\d{5}\s+")
_PLACE_LEAD = re.compile(
    r"^(?:grad|opstina|opština|opcina|selo|naselje|mesto|mz|mesna zajednica|g\.?o\.?|"
    r"gradska opstina|gradska opština)\s+",
    re.IGNORECASE,
)
_MUNICIPALITY_PART = re.compile(r"^(?:opstina|opština|opcina|go|g\.o\.|gradska opština)\s+",
                                re.IGNORECASE)
_COUNTRY = frozenset({"srbija", "serbia", "republika srbija", "rs"})
_PARENS = re.compile(r"\(([^)]*)\)")
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("„", '"').replace("“", '"').replace("”", '"')
    return _SPACES.sub(" ", text).strip(" \t,;.\"'")


def _tidy_street(name: str) -> str:
    """Strip quotes, a leading "ulica"/"ul." and trailing punctuation from a street name."""
    name = name.strip(" ,;\"'")
    name = re.sub(r"^(?:u ulici|ulica|ul\.|ul|u)\s+", "", name, flags=re.IGNORECASE)
    name = _BB_TAIL.sub("", name)
    return name.strip(" ,;.\"'")


def _split_number(part: str) -> tuple[str, str | None]:
    """Split "Karađorđeva 12" into ("Karađorđeva", "12"); "bb" gives no number."""
    if _BB_TAIL.search(part):
        return _BB_TAIL.sub("", part).strip(), None
    m = _HN_TAIL.search(part)
    if m and m.start() > 0:
        head = part[: m.start()].strip()
        # "27. marta" or a name that is only a number ("1. maja") is not a house number
        if head and not re.fullmatch(r"\d+\.?", head):
            return head, m.group("hn").replace(" ", "")
    return part, None


@lru_cache(maxsize=65536)
def street_key(name: str) -> str:
    """Return the matching key of a street name.

    Cyrillic and Latin, diacritics, case, punctuation and the usual abbreviations do not
    matter; "ulica"/"ul." is dropped. ``đ`` counts as ``dj`` (see :func:`street_key_loose`).

    >>> street_key("Bul. oslobođenja") == street_key("Булевар ослобођења")
    True
    """
    words = _folded(name).split()
    out = [_ABBREVIATIONS.get(w, w) for w in words if w not in _DROP_WORDS]
    return " ".join(out or words)


@lru_cache(maxsize=65536)
def street_key_loose(name: str) -> str:
    """Like :func:`street_key` but ``dj`` equals ``d`` ("Dakovacka" for "Đakovačka")."""
    return street_key(name).replace("dj", "d")


_OBLIQUE = re.compile(r"(?:ov|ev|sk|ck|in)(e|oj|u|om)$")


@lru_cache(maxsize=65536)
def nominative_guess(key: str) -> str:
    """Turn a declined street key back to the nominative, where the ending says how.

    Registers write "ugao Karađorđeve i ..." or "u Đakovačkoj" for the streets whose
    names (OSM, signs) are "Karađorđeva" and "Đakovačka": feminine adjectives ending in
    -ova, -eva, -ska, -čka, -ina lose their ``a``. The key's *first* such word is
    changed; everything else is left alone (returns ``key`` unchanged if nothing applies).

    >>> nominative_guess(street_key("Karađorđeve"))
    'karadjordjeva'
    """
    words = key.split()
    for i, w in enumerate(words):
        m = _OBLIQUE.search(w)
        if m and len(w) > 4:
            words[i] = w[: m.start(1)] + "a"
            return " ".join(words)
    return key


@lru_cache(maxsize=65536)
def place_key(name: str) -> str:
    """Return the matching key of a settlement or municipality name."""
    return fold(_PLACE_LEAD.sub("", name.strip()))


def housenumber_key(number: str) -> str:
    """Return the matching key of a house number: "12 A" → "12a", "15 - 17" → "15-17"."""
    return re.sub(r"\s+", "", _latin(number)).lower().rstrip(".")


_ASCII_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _latin(text: str) -> str:
    """``to_latin``, skipping the per-character work when there is no Cyrillic."""
    return to_latin(text) if _CYRILLIC.search(text) else text


def _folded(text: str) -> str:
    """``fold(text, drop_unit_words=False)``, with a fast path for plain ASCII text."""
    if text.isascii():
        return " ".join(_ASCII_NON_ALNUM.sub(" ", text.lower()).split())
    return fold(text, drop_unit_words=False)


def _strip_lead(pattern: re.Pattern[str], text: str, folded: str) -> tuple[str, bool]:
    """Remove a leading phrase matched on the folded view, keeping the original spelling."""
    m = pattern.match(folded)
    if not m:
        return text, False
    n_words = len(m.group(0).split())
    rest = text.split(maxsplit=n_words)
    return (rest[n_words] if len(rest) > n_words else ""), True


@lru_cache(maxsize=65536)
def parse_address(text: str, municipality: str | None = None) -> AddressQuery:
    """Parse a Serbian location description into an :class:`AddressQuery`.

    Parameters
    ----------
    text
        The location as written in a register, in Cyrillic or Latin script.
    municipality
        The municipality given in another column of the same row, if any.

    Examples
    --------
    >>> q = parse_address("Kneza Miloša br. 5a, Osečina")
    >>> q.kind, q.streets, q.housenumber, q.place
    ('address', ('Kneza Miloša',), '5a', 'Osečina')
    >>> parse_address("угао Карађорђеве и Кнеза Милоша").streets
    ('Karađorđeve', 'Kneza Miloša')
    """
    s = _clean(_latin(text or ""))
    s, note = _without_note(s)
    parts = [p.strip() for p in re.split(r"\s*[,;]\s*", s) if p.strip()]
    if not parts:  # nothing, or only a note in brackets: no location to look up
        return AddressQuery(text, "empty", municipality=municipality)
    housenumber, place, muni = _trailing_parts(parts[1:], municipality)
    head = _Head(text, parts[0], _folded(parts[0]), place, muni)
    return (_announced_intersection(head) or _landmark(head)
            or _bare_intersection(head, note) or _street(head, housenumber, note))


@dataclass(frozen=True)
class _Head:
    """The first part of an address (before any comma), folded, with what the other parts
    and the row said."""

    raw: str
    text: str
    folded: str
    place: str | None
    muni: str | None


def _without_note(s: str) -> tuple[str, str | None]:
    """The text without a note in brackets, and the note: "(kod pijace)" adds a hint,
    never the location itself."""
    m = _PARENS.search(s)
    if not m:
        return s, None
    return _clean(_PARENS.sub(" ", s)), m.group(1).strip() or None


def _trailing_parts(rest: list[str], municipality: str | None
                    ) -> tuple[str | None, str | None, str | None]:
    """The house number, settlement and municipality named by the parts after the first
    comma (a postcode and the country are dropped); the row's municipality wins."""
    housenumber: str | None = None
    place: str | None = None
    muni = municipality
    for part in rest:
        hn = _HN_ONLY.match(part)
        if hn:
            housenumber = housenumber or hn.group("hn").replace(" ", "")
            continue
        if _BB_ONLY.match(part):
            continue
        part = _POSTCODE.sub("", part)
        if _folded(part) in _COUNTRY:
            continue
        if _MUNICIPALITY_PART.match(part) and muni is None:
            muni = _MUNICIPALITY_PART.sub("", part).strip() or None
            continue
        if place is None:
            place = _PLACE_LEAD.sub("", part).strip() or None
    return housenumber, place, muni


def _announced_intersection(head: _Head) -> AddressQuery | None:
    """An intersection announced by a word: "ugao A i B", "kod raskrsnice A - B" (or a
    landmark such as "kružni tok kod ..." when no second street follows)."""
    body, announced = _strip_lead(_INTERSECTION_LEAD, head.text, head.folded)
    if not announced:
        return None
    pieces = [p for p in _SEP_AFTER_LEAD.split(body, maxsplit=1) if p.strip()]
    if len(pieces) == 2:
        streets = tuple(_tidy_street(_split_number(p)[0]) for p in pieces)
        return AddressQuery(head.raw, "intersection", streets, None, head.place, head.muni)
    lm = body.strip() or head.text
    return AddressQuery(head.raw, "landmark", (), None, head.place, head.muni,
                        landmark=_tidy_street(lm))


def _landmark(head: _Head) -> AddressQuery | None:
    """A landmark: after "kod", "pored", … ("kod pijace"), or a school, market, … by name."""
    body, near_word = _strip_lead(_LANDMARK_LEAD, head.text, head.folded)
    if near_word:  # "kod raskrsnice ..." was handled before; "kod pijace" is a landmark
        return AddressQuery(head.raw, "landmark", (), None, head.place, head.muni,
                            landmark=body.strip())
    if _LANDMARK_WORDS.match(head.folded):
        return AddressQuery(head.raw, "landmark", (), None, head.place, head.muni,
                            landmark=head.text.strip())
    return None


def _bare_intersection(head: _Head, note: str | None) -> AddressQuery | None:
    """Two streets joined by "/", " x ", " & " or, guessed, by " i " or " - "."""
    pieces = [p for p in _SEP_EXPLICIT.split(head.text, maxsplit=1) if p.strip()]
    guessed = False
    if len(pieces) < 2:
        pieces = [p for p in _SEP_GUESS.split(head.text, maxsplit=1) if p.strip()]
        guessed = len(pieces) == 2
    if len(pieces) != 2:
        return None
    streets = tuple(_tidy_street(_split_number(p)[0]) for p in pieces)
    if not all(streets):
        return None
    return AddressQuery(head.raw, "intersection", streets, None, head.place, head.muni,
                        landmark=note, guessed_split=guessed)


def _street(head: _Head, housenumber: str | None, note: str | None) -> AddressQuery:
    """A street with or without a house number; only a place, or nothing, without one."""
    street, number = _split_number(head.text)
    street = _tidy_street(street)
    housenumber = number or housenumber
    if not street:
        return AddressQuery(head.raw, "place" if head.place else "empty", (), housenumber,
                            head.place, head.muni)
    kind = "address" if housenumber else "street"
    return AddressQuery(head.raw, kind, (street,), housenumber, head.place, head.muni,
                        landmark=note)
