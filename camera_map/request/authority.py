"""Which public authority a request goes to: a unit or city of a boundary layer, by name.

A name in Latin, Cyrillic or ASCII spelling, an official code or an alias ("Medijana" is part
of the City of Niš) resolves to the municipality, city or city municipality that answers for
the cameras there, named in the script of the request's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers import Layer, load_layer
from ..names import fold, to_cyrillic
from ..render.i18n import check_lang, place_name, unit_name

#: How each kind of unit is called, per language (nominative: used as a heading and an
#: address, so no declension is needed).
_KIND_TITLE: dict[str, dict[str, str]] = {
    "municipality": {"en": "Municipality of {name}", "sr-Latn": "Opština {name}"},
    "city": {"en": "City of {name}", "sr-Latn": "Grad {name}"},
    "city municipality": {"en": "City Municipality of {name}",
                          "sr-Latn": "Gradska opština {name}"},
}


@dataclass(frozen=True)
class Authority:
    """A local self-government body a request for information can be addressed to."""

    #: The unit's or city's id in the boundary layer.
    id: str
    #: ``"municipality"``, ``"city"`` or ``"city municipality"``.
    kind: str
    #: The bare name in the request's script ("Осечина").
    name: str
    #: The layer's Latin name (for file names and the register).
    name_latn: str
    #: The request's language (``"sr-Latn"``, ``"sr-Cyrl"``, ``"en"``).
    lang: str
    #: The title of the city a city municipality belongs to, if any.
    parent: str | None
    #: Why a name given led here (an alias), or None.
    note: str | None

    @property
    def title(self) -> str:
        """The body as addressed, in the request's script ("Општина Осечина")."""
        return _title(self.kind, self.name, self.lang)


def _title(kind: str, name: str, lang: str) -> str:
    forms = _KIND_TITLE.get(kind, _KIND_TITLE["municipality"])
    if lang == "sr-Cyrl":
        return to_cyrillic(forms["sr-Latn"].format(name="\x00")).replace("\x00", name)
    return forms[lang].format(name=name)


def authority_for(name: str, lang: str = "sr-Latn", *, layer: Layer | str | None = None
                  ) -> Authority:
    """Return the authority that ``name`` refers to, named in the script of ``lang``.

    Raises :class:`camera_map.errors.UnknownPlaceError` with the closest names when the layer
    has no such unit or city.
    """
    check_lang(lang)
    the_layer = layer if isinstance(layer, Layer) else load_layer(layer)
    match = the_layer.resolve(name)
    note = match.via[len("alias: "):] if match.via.startswith("alias: ") else None
    if note and fold(name) == fold(match.name):  # "Beograd" is also an alias of itself
        note = None
    if match.level == "group":
        row = the_layer.groups.loc[the_layer.groups["id"].astype(str) == match.id].iloc[0]
        kind = str(row.get("kind") or "city")
        shown = unit_name(row, lang)
        english = row.get("name_en")
        if lang == "en" and isinstance(english, str) and english:
            shown = english
        return Authority(id=match.id, kind=kind, name=shown, name_latn=str(row["name"]),
                         lang=lang, parent=None, note=note)
    units = the_layer.units
    row = units.loc[units["id"].astype(str) == match.id].iloc[0]
    kind = str(row["kind"]) if "kind" in units and isinstance(row["kind"], str) \
        else "municipality"
    shown = unit_name(row, lang)
    parent = None
    group = row.get("group_name")
    if isinstance(group, str) and group:
        parent = _title("city", place_name(group, lang), lang)
    return Authority(id=match.id, kind=kind, name=shown, name_latn=str(row["name"]),
                     lang=lang, parent=parent, note=note)
