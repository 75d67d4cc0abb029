"""Numbers and coordinates as clerks type them, and projected coordinates via pyproj.

Speaks the notations found in Serbian FOI registers: decimal commas (``44,123``), thousands
separators (``1.234.567,00 RSD``, ``1,234,567.00``, ``1 234 567``), degrees-minutes-seconds
(``44°12'30.5"N``, ``20 12 30 E``, ``44°12.5'``, ``N 44 12 30``, ``44°12'30" SGŠ``) and projected
easting/northing in a CRS such as EPSG:31277 (MGI / Balkans zone 7, the Serbian Gauss-Krüger
zone 7) or EPSG:32634 (WGS 84 / UTM zone 34N), transformed with pyproj (``always_xy``: x is
easting or longitude, y is northing or latitude).

Every parser raises :class:`ValueError` with a message that says what was expected, so a
caller can put it in a rejected-row reason unchanged.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import pyproj
from pyproj.exceptions import CRSError

from ..errors import InputError

Axis = Literal["lat", "lon"]

#: Projected CRSs a Serbian register is likely to use, with a readable name.
LIKELY_CRS: Final[dict[str, str]] = {
    "EPSG:31276": "MGI / Balkans zone 6, Serbian Gauss-Krüger west of 19°30'E",
    "EPSG:31277": "MGI / Balkans zone 7, Serbian Gauss-Krüger",
    "EPSG:31278": "MGI / Balkans zone 8, Serbian Gauss-Krüger east of 22°30'E",
    "EPSG:32634": "WGS 84 / UTM zone 34N",
    "EPSG:8682": "SRB_ETRS89 / UTM zone 34N",
}

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")  # ' as in Swiss 1'234 and NBSPs
_NUMBER_CORE = re.compile(r"^[+-]?[0-9][0-9.,]*$")
_UNIT_AROUND = re.compile(
    r"^\s*(?P<pre>[^\d+\-−.,]*?)\s*(?P<num>[+\-−]?\s*[\d][\d\s\u00a0\u202f.,']*)\s*(?P<post>.*?)\s*$"
)


def _group_ok(parts: list[str]) -> bool:
    """Thousands groups: first 1-3 digits, every further group exactly 3."""
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def _to_float(core: str, *, grouped_three: bool) -> float:
    """Interpret one digits-and-separators token; raise ValueError if ambiguous or broken.

    ``grouped_three``: a single separator followed by exactly three digits is a thousands
    separator (money and counts: ``150.000`` dinars), not a decimal point.
    """
    sign = -1.0 if core.startswith("-") else 1.0
    core = core.lstrip("+-")
    if core.endswith((".", ",")):  # "15.03." style trailing dot of Serbian ordinals/amounts
        core = core[:-1]
    if not core or not core[0].isdigit() or not core[-1].isdigit():
        raise ValueError("not a number")
    dots, commas = core.count("."), core.count(",")
    if dots and commas:
        dec = "." if core.rfind(".") > core.rfind(",") else ","
        thou = "," if dec == "." else "."
        if core.count(dec) != 1:
            raise ValueError("not a number")
        whole, frac = core.split(dec)
        if not _group_ok(whole.split(thou)):
            raise ValueError("not a number")
        return sign * float(whole.replace(thou, "") + "." + frac)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return sign * float(core)
    parts = core.split(sep)
    if len(parts) > 2:
        if not _group_ok(parts):
            raise ValueError("not a number")
        return sign * float("".join(parts))
    whole, frac = parts
    if grouped_three and len(frac) == 3 and _group_ok(parts):
        return sign * float(whole + frac)
    return sign * float(whole + "." + frac)


def split_number(value: object, *, grouped_three: bool = False) -> tuple[float, str]:
    """Return ``(number, unit text)`` from ``"1.234.567,00 RSD"`` → ``(1234567.0, "RSD")``.

    Decimal commas and thousands separators (``.``, ``,``, spaces) are understood; a single
    ``,`` is a decimal comma (the Serbian convention) unless ``grouped_three`` is set and
    it is followed by exactly three digits. Text before or after the number is returned as
    the unit. Raises :class:`ValueError` when there is no single number.
    """
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("not a number")
        return float(value), ""
    text = str(value).strip().replace("−", "-")
    m = _UNIT_AROUND.match(text)
    if not m:
        raise ValueError("not a number")
    core = _SPACES.sub("", m.group("num"))
    if not _NUMBER_CORE.match(core):
        raise ValueError("not a number")
    unit = " ".join(p for p in (m.group("pre").strip(), m.group("post").strip()) if p)
    if any(ch.isdigit() for ch in unit):
        raise ValueError("more than one number")
    return _to_float(core, grouped_three=grouped_three), unit


def parse_number(value: object, *, grouped_three: bool = False) -> float:
    """Return the number in ``value`` (no unit text allowed); see :func:`split_number`."""
    number, unit = split_number(value, grouped_three=grouped_three)
    if unit:
        raise ValueError(f"unexpected text {unit!r} beside the number")
    return number


# --- degrees -------------------------------------------------------------------------------

_HEMI_WORDS: Final[dict[str, str]] = {
    "n": "N", "s": "S", "e": "E", "w": "W", "o": "E",
    "sgs": "N", "sgš": "N", "сгш": "N", "igd": "E", "игд": "E",
    "jgs": "S", "јгш": "S", "zgd": "W", "згд": "W",
}  # fmt: skip
_HEMI_ALT: Final = "sgš|sgs|сгш|igd|игд|jgs|јгш|zgd|згд|[nsewo]"
_HEMI_RE = re.compile(rf"^(?P<h>{_HEMI_ALT})\b|(?P<t>{_HEMI_ALT})$")
_DMS_CHARS = str.maketrans({
    "º": "°", "˚": "°", "⁰": "°", "′": "'", "’": "'", "‘": "'", "´": "'", "`": "'",
    "″": '"', "”": '"', "“": '"', "−": "-",
})  # fmt: skip
_DMS_NUM = re.compile(r"\d+(?:[.,]\d+)?")
_DMS_REST = re.compile(r"^-?[\s°'\":]*$")
_AXIS_OF = {"N": "lat", "S": "lat", "E": "lon", "W": "lon"}

DEGREES_HINT: Final = "write decimal degrees like 44.123 or DMS like 44°07'23\"N"


def parse_degrees(value: object, *, axis: Axis) -> tuple[float, Axis | None]:
    """Parse one latitude or longitude in decimal degrees or DMS.

    Returns ``(degrees, axis named by a hemisphere letter or None)``; S and W give negative
    degrees. ``axis`` only names the value in error messages and bounds: a hemisphere
    letter of the other axis (``E`` in a latitude column) is returned for the caller to
    act on, not rejected here. Raises :class:`ValueError` with the reason.
    """
    name = "latitude" if axis == "lat" else "longitude"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), None
    raw = str(value).strip()
    text = raw.translate(_DMS_CHARS).lower().strip()
    hemi: str | None = None
    m = _HEMI_RE.search(text)
    if m:
        word = m.group("h") or m.group("t")
        hemi = _HEMI_WORDS[word]
        text = (text[: m.start()] + text[m.end() :]).strip()
    if any(ch in text for ch in "°'\":") or " " in text:
        found = _DMS_NUM.findall(text)
        if not 1 <= len(found) <= 3 or not _DMS_REST.match(_DMS_NUM.sub(" ", text)):
            raise ValueError(f"{name} {raw!r} is not a number: {DEGREES_HINT}")
        negative = text.startswith("-")
        nums = [float(n.replace(",", ".")) for n in found]
        deg, minutes, seconds = [*nums, 0.0, 0.0][:3]
        if minutes >= 60 or seconds >= 60 or (len(nums) == 3 and minutes != int(minutes)):
            raise ValueError(
                f"{name} {raw!r} has minutes or seconds of 60 or more: {DEGREES_HINT}"
            )
        result = deg + minutes / 60 + seconds / 3600
        result = -result if negative else result
    else:
        try:
            result = parse_number(text)
        except ValueError:
            raise ValueError(f"{name} {raw!r} is not a number: {DEGREES_HINT}") from None
    if hemi in ("S", "W"):
        result = -abs(result)
    return result, (_AXIS_OF[hemi] if hemi else None)  # type: ignore[return-value]


_PAIR_SPLIT = re.compile(r"(?<=[nsewNSEW])\s*[,;/]?\s*(?=\S)")


_NUM: Final = r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_WKT_POINT = re.compile(
    rf"^(?:SRID=\d+;)?\s*POINT\s*(?:ZM|Z|M)?\s*\(\s*(?P<x>{_NUM})[\s,]+(?P<y>{_NUM})"
    rf"(?:\s+{_NUM}){{0,2}}\s*\)$", re.IGNORECASE)
_GEO_URI = re.compile(rf"^geo:(?P<lat>{_NUM}),\s*(?P<lon>{_NUM})(?:,{_NUM})?(?:[;?].*)?$",
                      re.IGNORECASE)
#: Coordinates in map links: Google (``@lat,lon,17z``, ``!3dlat!4dlon``, ``q=lat,lon``,
#: ``ll=``, ``query=``, ``destination=``), OpenStreetMap (``#map=17/lat/lon``,
#: ``mlat=..&mlon=..``), and any ``lat=..&lon=..``.
_LINK_PATTERNS: Final = (
    re.compile(rf"!3d(?P<lat>{_NUM})!4d(?P<lon>{_NUM})"),
    re.compile(rf"[?&](?:q|ll|query|destination|center|sll|daddr)=(?:loc:)?"
               rf"(?P<lat>{_NUM})(?:,|%2C)\s*(?:\+)?(?P<lon>{_NUM})", re.IGNORECASE),
    re.compile(rf"@(?P<lat>{_NUM}),(?P<lon>{_NUM})"),
    re.compile(rf"[?&]m?lat=(?P<lat>{_NUM})&m?lon=(?P<lon>{_NUM})", re.IGNORECASE),
    re.compile(rf"#map=\d+(?:\.\d+)?/(?P<lat>{_NUM})/(?P<lon>{_NUM})"),
)


def parse_special_pair(text: str) -> tuple[float, float] | None:
    """``(lat, lon)`` from WKT ``POINT (lon lat)``, a ``geo:`` URI or a map link; else None.

    WKT gives x (longitude) first; the other notations give latitude first.
    """
    t = text.strip()
    m = _WKT_POINT.match(t)
    if m:
        return float(m["y"]), float(m["x"])
    m = _GEO_URI.match(t)
    if m:
        return float(m["lat"]), float(m["lon"])
    if re.match(r"^(?:https?://|www\.)", t, re.IGNORECASE):
        for pattern in _LINK_PATTERNS:
            m = pattern.search(t)
            if m:
                return float(m["lat"]), float(m["lon"])
    return None


def parse_pair(value: object) -> tuple[float, float]:
    """Parse one cell holding both coordinates → ``(lat, lon)``.

    Understood: ``"44.81, 20.46"``, ``"(41.92499, -87.6779)"``, ``"44,81; 20,46"``,
    ``"44°48'N 20°27'E"``, WKT ``"POINT (20.46 44.81)"`` (longitude first, as WKT is),
    ``"geo:44.81,20.46"`` and map links with coordinates (OpenStreetMap, Google Maps).
    Without hemisphere letters the order is latitude, longitude (as maps apps copy it).
    Raises :class:`ValueError`.
    """
    raw = str(value).strip()
    special = parse_special_pair(raw)
    if special is not None:
        return special
    text = raw.translate(_DMS_CHARS)
    hemis = re.findall(r"[NSEWnsew](?![a-zA-Z])", text)
    if len(hemis) == 2:
        m = re.match(r"^(.*?[NSEWnsew])(?![a-zA-Z])\s*[,;/]?\s*(.+)$", text)
        if m:
            a, axa = parse_degrees(m.group(1), axis="lat")
            b, axb = parse_degrees(m.group(2), axis="lon")
            if axa == "lon" and axb == "lat":
                return b, a
            return a, b
    nums = re.findall(r"-?\d+(?:[.,]\d+)?", text)
    rest = re.sub(r"-?\d+(?:[.,]\d+)?", "", text)
    if len(nums) == 2 and not re.search(r"[^\s,;/()]", rest):
        return parse_number(nums[0]), parse_number(nums[1])
    raise ValueError(
        f"coordinates {raw!r} are not a latitude, longitude pair: write them like "
        "44.123, 20.456 (latitude first), 44°07'23\"N 20°27'15\"E or POINT (20.456 44.123)"
    )


# --- projected coordinates -------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def crs_from_user(crs: str) -> pyproj.CRS:
    """Return the pyproj CRS for ``crs`` (``"EPSG:31277"``, ``"31277"``, a WKT or PROJ string).

    Raises :class:`~camera_map.errors.InputError` naming likely CRSs when pyproj does not
    know it.
    """
    text = str(crs).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return pyproj.CRS.from_user_input(text)
    except CRSError:
        likely = "; ".join(f"{k} ({v})" for k, v in LIKELY_CRS.items())
        raise InputError(
            f"--crs {crs!r} is not a coordinate reference system pyproj knows: "
            f"give an EPSG code such as {likely}"
        ) from None


@functools.lru_cache(maxsize=16)
def _to_wgs84(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs_from_user(crs), "EPSG:4326", always_xy=True)


def to_wgs84(x: float, y: float, crs: str) -> tuple[float, float]:
    """Transform easting/northing (or lon/lat) in ``crs`` to ``(longitude, latitude)`` EPSG:4326."""
    lon, lat = _to_wgs84(crs).transform(x, y, errcheck=False)
    return float(lon), float(lat)


def in_area_of_use(crs: str, lon: float, lat: float, *, margin: float = 0.5) -> bool:
    """Is ``(lon, lat)`` (degrees) within the CRS's area of use, ``margin`` degrees wide?"""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return False
    area = crs_from_user(crs).area_of_use
    if area is None:
        return -180 <= lon <= 180 and -90 <= lat <= 90
    w, s, e, n = area.bounds
    return w - margin <= lon <= e + margin and s - margin <= lat <= n + margin


def projected_to_wgs84(x: float, y: float, crs: str) -> tuple[float, float, bool]:
    """Transform a projected pair, swapping x and y if only the swapped pair makes sense.

    In the Gauss-Krüger convention of Serbian surveyors X is the northing and Y the
    easting, the reverse of GIS usage, so a column called "X" may hold either. Returns
    ``(longitude, latitude, swapped)``.
    """
    lon, lat = to_wgs84(x, y, crs)
    if in_area_of_use(crs, lon, lat):
        return lon, lat, False
    slon, slat = to_wgs84(y, x, crs)
    if in_area_of_use(crs, slon, slat):
        return slon, slat, True
    return lon, lat, False


def looks_like_degrees(a: float, b: float) -> bool:
    """Could ``a``, ``b`` be latitude and longitude (in either order)?"""
    return abs(a) <= 180 and abs(b) <= 180 and min(abs(a), abs(b)) <= 90


def likely_crs(x: float, y: float) -> list[str]:
    """Name the CRSs of :data:`LIKELY_CRS` whose area of use holds this easting/northing pair.

    Both orders are tried. Returns ``"EPSG:31277 (MGI / Balkans zone 7, ...)"`` strings,
    or every likely CRS when none fits.
    """
    hits: list[str] = []
    for code, label in LIKELY_CRS.items():
        for a, b in ((x, y), (y, x)):
            lon, lat = to_wgs84(a, b, code)
            if in_area_of_use(code, lon, lat, margin=0.0):
                hits.append(f"{code} ({label})")
                break
    return hits or [f"{k} ({v})" for k, v in LIKELY_CRS.items()]


# --- CRSs for the boundaries, and damaged coordinates -----------------------------------------


@functools.lru_cache(maxsize=8)
def crs_candidates(bounds: tuple[float, float, float, float]) -> tuple[tuple[str, str, float], ...]:
    """Projected CRSs whose area of use overlaps ``bounds`` (W, S, E, N degrees).

    From pyproj's EPSG database, deprecated ones left out. Returns
    ``(code, name, area of use in square degrees)`` tuples, the most local first.
    """
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    w, s, e, n = bounds
    infos = query_crs_info(auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS],
                           area_of_interest=AreaOfInterest(w, s, e, n), contains=False)
    out = []
    for info in infos:
        if info.deprecated or info.area_of_use is None:
            continue
        a = info.area_of_use
        size = max(a.east - a.west, 0.0) * max(a.north - a.south, 0.0)
        out.append((f"EPSG:{info.code}", info.name, size))
    return tuple(sorted(out, key=lambda t: (t[2], t[0])))


@dataclass(frozen=True)
class CrsTrial:
    """How one CRS places a sample of projected points."""

    code: str
    name: str
    inside: int  # points it places inside the boundaries
    tried: int
    swapped: bool  # x and y had to be read the other way round

    def __str__(self) -> str:
        order = ", reading x as the northing" if self.swapped else ""
        return f"{self.code} ({self.name}) places {self.inside} of {self.tried}{order}"


def crs_trials(points: Sequence[tuple[float, float]],
               bounds: tuple[float, float, float, float],
               inside: Callable[[float, float], bool], *, limit: int = 50) -> list[CrsTrial]:
    """Try every CRS of :func:`crs_candidates` on up to ``limit`` projected ``(x, y)`` points.

    ``inside(lon, lat)`` tells whether a point lies inside the boundaries. Returns the CRSs
    that place at least one point inside, best first (most points, then most local).
    """
    sample = list(points)[:limit]
    trials: list[CrsTrial] = []
    for code, name, _size in crs_candidates(bounds):
        try:
            tr = pyproj.Transformer.from_crs(code, "EPSG:4326", always_xy=True)
        except (pyproj.exceptions.ProjError, CRSError):
            continue
        best: CrsTrial | None = None
        for swapped in (False, True):
            n = 0
            for x, y in sample:
                a, b = (y, x) if swapped else (x, y)
                lon, lat = tr.transform(a, b, errcheck=False)
                if math.isfinite(lon) and math.isfinite(lat) and inside(lon, lat):
                    n += 1
            if n and (best is None or n > best.inside):
                best = CrsTrial(code, name, n, len(sample), swapped)
        if best is not None:
            trials.append(best)
    trials.sort(key=lambda t: -t.inside)  # stable: keeps the most local first on ties
    return trials


_DAMAGED = re.compile(r"^[+-]?\d{1,3}(?:[.,'\s\u00a0]\d{3})+$|^[+-]?\d{4,}$")


def damaged_digits(value: object) -> tuple[int, str] | None:
    """The sign and digits of a coordinate whose decimal point was lost, or None.

    A spreadsheet that reads ``46.1993881`` in a locale with ``.`` as the thousands
    separator writes ``461.993.881`` (the decimal point gone, trailing zeros dropped);
    so does a column of digits without any separator (``461993881``).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        text = str(int(value))
    elif isinstance(value, str):
        text = value.strip().replace("−", "-")
    else:
        return None
    if not _DAMAGED.match(text):
        return None
    sign = -1 if text.startswith("-") else 1
    digits = re.sub(r"\D", "", text)
    return (sign, digits) if len(digits) >= 4 else None


def decimal_placements(sign: int, digits: str, *, axis: Axis) -> list[float]:
    """Every value the digits can stand for with a decimal point put back (1-3 whole digits)."""
    top = 90.0 if axis == "lat" else 180.0
    out = []
    for whole in (1, 2, 3):
        if whole >= len(digits) or (whole > 1 and digits[0] == "0"):
            continue
        v = float(f"{digits[:whole]}.{digits[whole:]}")
        if v <= top:
            out.append(sign * v)
    return out
