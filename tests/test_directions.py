"""Direction tags (camera:direction and variants) parsed to degrees, never a crash."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camera_map.directions import COMPASS, direction_from_tags, parse_direction


@pytest.mark.parametrize(
    ("text", "canonical", "sectors"),
    [
        ("90", "90", ((90.0, 90.0),)),
        ("90.5", "90.5", ((90.5, 90.5),)),
        (" 90°", "90", ((90.0, 90.0),)),
        ("90 deg", "90", ((90.0, 90.0),)),
        ("N", "0", ((0.0, 0.0),)),
        ("nne", "22.5", ((22.5, 22.5),)),
        ("NW", "315", ((315.0, 315.0),)),
        ("south-west", "225", ((225.0, 225.0),)),
        ("350-20", "350-20", ((350.0, 20.0),)),
        ("10 - 80", "10-80", ((10.0, 80.0),)),
        ("N-E", "0-90", ((0.0, 90.0),)),
        ("45;135", "45;135", ((45.0, 45.0), (135.0, 135.0))),
        ("NE; 200 ;300-330", "45;200;300-330", ((45.0, 45.0), (200.0, 200.0), (300.0, 330.0))),
        ("90;", "90", ((90.0, 90.0),)),
        ("0-359", "0-360", ((0.0, 360.0),)),
        ("0-360", "0-360", ((0.0, 360.0),)),
        ("360", "0", ((0.0, 0.0),)),
    ],
)
def test_directions_mappers_write(
    text: str, canonical: str, sectors: tuple[tuple[float, float], ...]
) -> None:
    d = parse_direction(text)
    assert d.ok and d.raw == text
    assert d.canonical == canonical
    assert d.sectors == sectors
    assert d.notes == ()


def test_all_round_is_flagged() -> None:
    assert parse_direction("0-359").all_round
    assert not parse_direction("350-20").all_round


def test_range_centre_is_clockwise_through_north() -> None:
    assert parse_direction("350-20").centres == (5.0,)
    assert parse_direction("90;180-270").centres == (90.0, 225.0)


@pytest.mark.parametrize(("text", "canonical"), [("-90", "270"), ("400", "40"), ("720", "0")])
def test_out_of_range_numbers_are_taken_modulo_360_and_say_so(text: str, canonical: str) -> None:
    d = parse_direction(text)
    assert d.ok and d.canonical == canonical
    assert d.notes == (f"{text!r} is outside 0–360 and was read as {canonical} (modulo 360)",)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("forward", r"'forward' is not a bearing in degrees, a compass point"),
        ("45,135", r"lists are separated by ';', not ','"),
        ("90;north-ish", r"'north-ish' is not a bearing"),
        ("", r"is empty"),
        (" ; ", r"has no value between the ';'"),
        ("nan", r"'nan' is not a bearing"),
    ],
)
def test_unreadable_text_is_kept_and_explained(text: str, why: str) -> None:
    d = parse_direction(text)
    assert not d.ok and d.canonical is None and d.sectors == ()
    assert d.raw == text
    assert any(re.search(why, n) for n in d.notes), d.notes


def test_direction_keys_in_order_of_preference() -> None:
    key, d = direction_from_tags({"direction": "10", "camera:direction": "20"})
    assert key == "camera:direction" and d is not None and d.canonical == "20"
    key, d = direction_from_tags({"surveillance:direction": "30", "direction": "40"})
    assert key == "direction" and d is not None and d.canonical == "40"
    key, d = direction_from_tags({"surveillance:direction": "W"})
    assert key == "surveillance:direction" and d is not None and d.canonical == "270"
    assert direction_from_tags({"man_made": "surveillance"}) == (None, None)


# ----------------------------------------------------------------------------- properties


@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    d = parse_direction(text)
    assert d.raw == text
    assert d.ok == (d.canonical is not None)
    for start, end in d.sectors:
        assert 0 <= start < 360 and (0 <= end < 360 or (start, end) == (0.0, 360.0))


@given(st.floats(min_value=0, max_value=360, exclude_max=True))
def test_any_number_in_range_round_trips(x: float) -> None:
    d = parse_direction(format(x, "f"))
    assert d.ok and len(d.sectors) == 1
    start, end = d.sectors[0]
    assert start == end
    gap = abs(start - x) % 360
    assert min(gap, 360 - gap) < 1e-5  # angular distance: "360.000000" is north
    again = parse_direction(d.canonical)
    assert again.canonical == d.canonical


@given(st.integers(0, 359))
def test_whole_degrees_round_trip_exactly(x: int) -> None:
    assert parse_direction(str(x)).canonical == str(x)


@given(st.integers(0, 359), st.integers(0, 359))
def test_ranges_round_trip(a: int, b: int) -> None:
    d = parse_direction(f"{a}-{b}")
    assert d.ok
    if a == b:
        assert d.canonical == str(a)
    elif abs(b - a) >= 359:  # 0-359, 1-360 ... all round
        assert d.canonical == "0-360" and d.all_round
    else:
        assert d.canonical == f"{a}-{b}" and d.sectors == ((float(a), float(b)),)
        assert parse_direction(d.canonical) == d


@given(st.lists(st.integers(0, 359), min_size=1, max_size=6))
def test_lists_round_trip(values: list[int]) -> None:
    text = ";".join(map(str, values))
    d = parse_direction(text)
    assert d.canonical == text and len(d.sectors) == len(values)


@given(st.sampled_from(sorted(COMPASS)), st.sampled_from([str.upper, str.lower, str.title]))
def test_compass_points_are_multiples_of_22_5(point: str, case: object) -> None:
    d = parse_direction(case(point))  # type: ignore[operator]
    assert d.ok
    start, end = d.sectors[0]
    assert start == end and start % 22.5 == 0
    assert start == 22.5 * list(COMPASS).index(point)
