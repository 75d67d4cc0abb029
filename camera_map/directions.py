"""Camera viewing directions as OpenStreetMap mappers write them.

Reads the values of ``camera:direction`` (and its variants ``direction`` and
``surveillance:direction``) as documented on the OSM wiki and as found in the data:

* a number of degrees clockwise from true north: ``90``, ``90.5``, `` 90°``;
* a compass point: ``N``, ``NNE``, ``NE`` … ``NNW`` (any case), or a word such as
  ``north``, ``south-west``;
* a clockwise range ``a-b`` whose ends are numbers or compass points; it may wrap through
  north (``350-20`` covers 30°); ``0-359`` and ``0-360`` mean all round;
* a ``;`` separated list of any of these: ``45;135``.

Numbers below 0 or of 360 and more are taken modulo 360 and the result says so. Anything
else (``forward``, ``45,135``, ``tbd``) is kept as text and flagged: :func:`parse_direction`
never raises.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Final

__all__ = ["COMPASS", "DIRECTION_KEYS", "Direction", "direction_from_tags", "parse_direction"]

#: The 16 compass points and their bearings in degrees (multiples of 22.5).
COMPASS: Final[dict[str, float]] = {
    name: i * 22.5
    for i, name in enumerate(
        (
            "N",
            "NNE",
            "NE",
            "ENE",
            "E",
            "ESE",
            "SE",
            "SSE",
            "S",
            "SSW",
            "SW",
            "WSW",
            "W",
            "WNW",
            "NW",
            "NNW",
        )
    )
}

_WORDS: Final[dict[str, float]] = {
    "north": 0.0,
    "northeast": 45.0,
    "east": 90.0,
    "southeast": 135.0,
    "south": 180.0,
    "southwest": 225.0,
    "west": 270.0,
    "northwest": 315.0,
}

#: Tags read for the direction, in order of preference (the first one present is used).
DIRECTION_KEYS: Final = ("camera:direction", "direction", "surveillance:direction")

_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:°|º|deg|degrees?)?$", re.IGNORECASE)
_RANGE = re.compile(r"^(.+?)\s*[-–—]\s*(.+)$")
_MINUSES = str.maketrans({"−": "-", "‐": "-", "‒": "-"})


@dataclass(frozen=True)
class Direction:
    """One parsed direction value.

    Attributes
    ----------
    raw
        The text as found in the tag.
    ok
        Whether every part of the text was understood.
    canonical
        The value for the camera table's ``direction`` column: ``"90"``, ``"45;135"``,
        ``"350-20"`` (clockwise range) or ``"0-360"`` (all round); ``None`` when not ``ok``
        or when the text was empty.
    sectors
        For drawing cones: one ``(start, end)`` pair per part, in degrees clockwise from
        north in [0, 360). A single direction has ``start == end`` (draw a cone of the
        renderer's default width centred on it); a range is the clockwise sector from
        ``start`` to ``end`` and may wrap through 0; all round is ``(0.0, 360.0)``.
    all_round
        Whether the camera sees all round (``0-359``, ``0-360``).
    notes
        What was changed on the way (numbers taken modulo 360) or why the text could not
        be read; human-readable, for problem reports.
    """

    raw: str
    ok: bool
    canonical: str | None = None
    sectors: tuple[tuple[float, float], ...] = ()
    all_round: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def centres(self) -> tuple[float, ...]:
        """Centre bearing of every part (the middle of a range, clockwise), in degrees.

        >>> parse_direction("350-20;90").centres
        (5.0, 90.0)
        """
        out: list[float] = []
        for start, end in self.sectors:
            span = (end - start) % 360.0 if (start, end) != (0.0, 360.0) else 360.0
            out.append((start + span / 2.0) % 360.0)
        return tuple(out)


def _fmt(angle: float) -> str:
    """Format degrees with at most two decimals and no trailing zeros."""
    value = round(angle, 2)
    if value >= 360.0:
        value -= 360.0
    if value == 0:
        value = 0.0  # no "-0"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


def _single(token: str, notes: list[str]) -> float | None:
    """Read one number or compass point; ``None`` when it is neither."""
    text = token.strip()
    upper = text.upper()
    if upper in COMPASS:
        return COMPASS[upper]
    word = re.sub(r"[\s_-]+", "", text.lower())
    if word in _WORDS:
        return _WORDS[word]
    m = _NUMBER.match(text)
    if not m:
        return None
    value = float(m.group(1))
    if not math.isfinite(value):
        return None
    if value < 0 or value >= 360:
        wrapped = value % 360.0
        if wrapped >= 360.0:  # a tiny negative number rounds up to 360.0
            wrapped = 0.0
        if value != 360:  # 360 is a common way of writing north
            notes.append(f"{text!r} is outside 0–360 and was read as {_fmt(wrapped)} (modulo 360)")
        return wrapped
    return value


def _raw_number(token: str) -> float | None:
    m = _NUMBER.match(token.strip())
    return float(m.group(1)) if m else None


def _part(item: str, notes: list[str]) -> tuple[float, float, bool] | None:
    """Read one ``;`` item: ``(start, end, all_round)``, or ``None`` if unreadable."""
    value = _single(item, notes)
    if value is not None:
        return value, value, False
    m = _RANGE.match(item)
    if not m:
        return None
    left, right = m.group(1).strip(), m.group(2).strip()
    # "-90" alone is a number; a range needs something before its dash.
    if not left:
        return None
    lo_raw, hi_raw = _raw_number(left), _raw_number(right)
    if (
        lo_raw is not None
        and hi_raw is not None
        and 0 <= lo_raw <= 360
        and 0 <= hi_raw <= 360
        and abs(hi_raw - lo_raw) >= 359
    ):
        return 0.0, 360.0, True
    start, end = _single(left, notes), _single(right, notes)
    if start is None or end is None:
        return None
    return start, end, False  # start == end is read as that single direction


def parse_direction(text: object) -> Direction:
    """Parse an OSM direction value; never raises.

    Parameters
    ----------
    text
        The tag value (``None`` and non-strings are read as their ``str``).

    Returns
    -------
    Direction
        ``ok`` is true when every ``;`` part was understood; otherwise ``canonical`` is
        ``None`` and ``notes`` says which part failed. Empty text gives ``ok=False``
        with no canonical value.

    Examples
    --------
    >>> parse_direction("350-20").canonical
    '350-20'
    >>> parse_direction("NE; 200").canonical
    '45;200'
    >>> parse_direction("0-359").all_round
    True
    >>> parse_direction("400").canonical, parse_direction("400").notes
    ('40', ("'400' is outside 0–360 and was read as 40 (modulo 360)",))
    >>> bad = parse_direction("45,135")
    >>> bad.ok, bad.canonical, "separated by ';', not ','" in bad.notes[0]
    (False, None, True)
    """
    raw = "" if text is None else str(text)
    try:
        return _parse(raw)
    except Exception as exc:
        return Direction(raw=raw, ok=False, notes=(f"could not be read ({exc})",))


def _parse(raw: str) -> Direction:
    cleaned = raw.translate(_MINUSES).strip()
    if not cleaned:
        return Direction(raw=raw, ok=False, notes=("is empty",))
    items = [p.strip() for p in cleaned.split(";")]
    items = [p for p in items if p]
    if not items:
        return Direction(raw=raw, ok=False, notes=("has no value between the ';'",))
    notes: list[str] = []
    parts: list[tuple[float, float, bool]] = []
    for item in items:
        part = _part(item, notes)
        if part is None:
            hint = " (lists are separated by ';', not ',')" if "," in item else ""
            notes.append(
                f"{item!r} is not a bearing in degrees, a compass point (N, NNE, …) "
                f"or a clockwise range such as 350-20{hint}"
            )
            return Direction(raw=raw, ok=False, notes=tuple(notes))
        parts.append(part)
    if any(p[2] for p in parts):
        return Direction(
            raw=raw,
            ok=True,
            canonical="0-360",
            sectors=((0.0, 360.0),),
            all_round=True,
            notes=tuple(notes),
        )
    texts = [_fmt(a) if a == b else f"{_fmt(a)}-{_fmt(b)}" for a, b, _ in parts]
    return Direction(
        raw=raw,
        ok=True,
        canonical=";".join(texts),
        sectors=tuple((a, b) for a, b, _ in parts),
        notes=tuple(notes),
    )


def direction_from_tags(tags: dict[str, str]) -> tuple[str | None, Direction | None]:
    """Return the key used and its parsed direction, from the first of :data:`DIRECTION_KEYS`.

    ``(None, None)`` when none of the keys is present.

    >>> key, direction = direction_from_tags({"direction": "SW", "camera:direction": " "})
    >>> key, direction.canonical
    ('direction', '225')
    >>> direction_from_tags({"man_made": "surveillance"})
    (None, None)
    """
    for key in DIRECTION_KEYS:
        value = tags.get(key)
        if value is not None and value.strip():
            return key, parse_direction(value)
    return None, None
