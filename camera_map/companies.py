"""Vendor and supplier names, normalised through an alias table in data.

Registers and reports spell the same company many ways: "DAHUA TECHNOLOGY; Dahua",
"Huawei; Хуавеј", "Macchina Security d.o.o.". :func:`company_names` splits a cell into
names and maps each to one display name using ``camera_map/data/companies.csv`` (columns
``alias``, ``name``, ``note``), compared after :func:`camera_map.names.fold` (script,
diacritics and case do not matter) and without legal suffixes (d.o.o., Co., Ltd, Inc., ...).
A name the table does not know is kept as written, without its legal suffix.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from typing import Final

from .names import fold

#: Legal-form and filler words dropped from the end of a company name before comparing.
_SUFFIXES: Final = frozenset({
    "doo", "d o o", "ad", "a d", "co", "company", "ltd", "limited", "inc", "llc", "gmbh",
    "corp", "corporation", "plc", "sa", "srl", "ag", "bv", "technology", "technologies",
    "tech", "group", "holding", "international", "co ltd", "pr",
})  # fmt: skip
_SPLIT: Final = re.compile(r"\s*[;/|]\s*|\s*,\s*(?=[^\s])(?![^()]*\))")
_COMMA_LEGAL: Final = re.compile(r",\s*(?=(ltd|inc|llc|limited|co)\b\.?)", re.IGNORECASE)
_LEGAL_TAIL: Final = re.compile(
    r"[\s,]+(d\.?\s?o\.?\s?o\.?|a\.?\s?d\.?|co\.?,?\s*ltd\.?|co\.?|ltd\.?|inc\.?|llc|gmbh|"
    r"corp\.?|corporation|plc|s\.?a\.?|s\.?r\.?l\.?|ag)\s*$",
    re.IGNORECASE,
)


def company_key(text: str) -> str:
    """Comparison key of a company name: folded, legal suffixes dropped.

    >>> company_key("DAHUA TECHNOLOGY CO., LTD"), company_key("Хуавеј д.о.о.")
    ('dahua', 'huavej')
    """
    words = fold(text, drop_unit_words=False).split()
    while len(words) > 1:
        # the longest suffix first: "d.o.o." folds to the three words "d o o"
        size = next((n for n in (3, 2, 1) if " ".join(words[-n:]) in _SUFFIXES), 0)
        if not size:
            break
        words = words[:-size]
    return " ".join(words)


@functools.cache
def _aliases() -> dict[str, str]:
    raw = resources.files("camera_map").joinpath("data", "companies.csv").read_text("utf-8")
    out: dict[str, str] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(raw)), start=2):
        key = company_key(row["alias"])
        if out.get(key, row["name"]) != row["name"]:
            raise ValueError(f"companies.csv row {n}: {row['alias']!r} means both "
                             f"{out[key]!r} and {row['name']!r}")
        out[key] = row["name"]
    return out


def company_name(text: str) -> str | None:
    """The display name of one company ("DAHUA TECHNOLOGY CO., LTD" → "Dahua").

    A company the alias table does not know keeps its name, without the legal form; a
    text with no letter or digit names none:

    >>> company_name("DAHUA TECHNOLOGY CO., LTD"), company_name("Novi Sistem d.o.o.")
    ('Dahua', 'Novi Sistem')
    >>> company_name(" - ") is None
    True
    """
    text = " ".join(text.split())
    if not fold(text, drop_unit_words=False):
        return None
    key = company_key(text)
    known = _aliases().get(key)
    if known:
        return known
    stripped = text
    while True:
        shorter = _LEGAL_TAIL.sub("", stripped)
        if shorter == stripped or not shorter.strip():
            break
        stripped = shorter
    return stripped.strip(" ,")


def company_names(cell: object) -> list[str]:
    """Distinct display names of the companies a cell lists, in order of first mention.

    >>> company_names("DAHUA TECHNOLOGY; Dahua")
    ['Dahua']
    >>> company_names("Huawei; Хуавеј")
    ['Huawei']
    """
    if cell is None or not isinstance(cell, str):
        return []
    out: list[str] = []
    # "Co., Ltd" and "d.o.o., Beograd" are one company, not two: keep legal tails attached
    cell = _COMMA_LEGAL.sub(" ", cell)
    for part in _SPLIT.split(cell):
        name = company_name(part) if part else None
        if name and name not in out:
            out.append(name)
    return out
