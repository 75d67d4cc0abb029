"""Numbers, coordinates, encodings and field values as clerks type them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camera_map.sources import coords
from camera_map.sources.foi import parse_date, parse_facial_recognition, parse_status
from camera_map.sources.tabular import decode_bytes, sniff_delimiter


@pytest.mark.parametrize(("text", "grouped", "expected"), [
    ("44,123", False, 44.123),
    ("44.123", False, 44.123),
    ("-20,5", False, -20.5),
    ("1.234.567,00", False, 1234567.0),
    ("1,234,567.00", False, 1234567.0),
    ("1 234 567", False, 1234567.0),
    ("150.000", True, 150000.0),
    ("150,000", True, 150000.0),
    ("150,50", True, 150.5),
    ("7457291,66", False, 7457291.66),
])  # fmt: skip
def test_parse_number(text: str, grouped: bool, expected: float) -> None:
    assert coords.parse_number(text, grouped_three=grouped) == expected


def test_split_number_keeps_currency() -> None:
    assert coords.split_number("1.234.567,00 RSD") == (1234567.0, "RSD")
    assert coords.split_number("€ 1.500,50") == (1500.5, "€")
    for bad in ("abc", "1,2,3", "44.81.2", "", "12 i 13"):
        with pytest.raises(ValueError):
            coords.split_number(bad)


@pytest.mark.parametrize(("text", "axis", "expected"), [
    ("44°12'30.5\"N", "lat", 44 + 12 / 60 + 30.5 / 3600),
    ("20 12 30 E", "lon", 20 + 12 / 60 + 30 / 3600),
    ("44°12.5'", "lat", 44 + 12.5 / 60),
    ("N 44 12 30", "lat", 44 + 12 / 60 + 30 / 3600),
    ("44°12'30\" SGŠ", "lat", 44 + 12 / 60 + 30 / 3600),
    ("20°27′15″ IGD", "lon", 20 + 27 / 60 + 15 / 3600),
    ("44°12'30,5\"", "lat", 44 + 12 / 60 + 30.5 / 3600),
    ("33 50 10 S", "lat", -(33 + 50 / 60 + 10 / 3600)),
    ("44,5", "lat", 44.5),
])  # fmt: skip
def test_parse_degrees(text: str, axis: coords.Axis, expected: float) -> None:
    assert coords.parse_degrees(text, axis=axis)[0] == pytest.approx(expected, abs=1e-9)


def test_parse_degrees_errors_word_for_word() -> None:
    with pytest.raises(ValueError, match=re.escape(
        "latitude 'abc' is not a number: write decimal degrees like 44.123 or DMS like "
        "44°07'23\"N")):
        coords.parse_degrees("abc", axis="lat")
    with pytest.raises(ValueError, match=re.escape(
        "longitude '20 61 00' has minutes or seconds of 60 or more")):
        coords.parse_degrees("20 61 00", axis="lon")


def test_parse_pair() -> None:
    assert coords.parse_pair("44.81, 20.46") == (44.81, 20.46)
    assert coords.parse_pair("44,81; 20,46") == (44.81, 20.46)
    assert coords.parse_pair("20°27'E, 44°48'N") == (44.8, 20.45)
    with pytest.raises(ValueError, match="are not a latitude, longitude pair"):
        coords.parse_pair("kod pošte")


@given(st.floats(-89.999, 89.999), st.sampled_from(["°'\"", "   ", "°’”"]),
       st.booleans())
def test_dms_round_trip(value: float, marks: str, comma: bool) -> None:
    a = abs(value)
    d, rem = int(a), (a - int(a)) * 60
    m, s = int(rem), (rem - int(rem)) * 60
    sec = f"{s:.4f}".replace(".", "," if comma else ".")
    if sec.startswith("60"):
        return
    text = f"{d}{marks[0]}{m}{marks[1]}{sec}{marks[2]} {'S' if value < 0 else 'N'}"
    assert coords.parse_degrees(text, axis="lat")[0] == pytest.approx(value, abs=1e-6)


@given(st.floats(-1e7, 1e7, allow_nan=False).map(lambda v: round(v, 2)))
def test_decimal_comma_round_trip(value: float) -> None:
    whole, frac = f"{abs(value):,.2f}".split(".")
    serbian = ("-" if value < 0 else "") + whole.replace(",", ".") + "," + frac
    assert coords.parse_number(serbian) == pytest.approx(value)


# --- encodings ------------------------------------------------------------------------------

LATIN = "Opština;Adresa\nČačak;Kneza Miloša 5\nNiš;Đure Jakšića 2\nŠabac;Žička\n"
CYRILLIC = "Општина;Адреса\nЧачак;Кнеза Милоша 5\nНиш;Ђуре Јакшића 2\nШабац;Жичка\n"


@pytest.mark.parametrize(("text", "encoding"), [
    (LATIN, "cp1250"), (LATIN, "iso-8859-2"), (CYRILLIC, "cp1251"),
    ("Niš", "cp1250"), ("Niš", "iso-8859-2"), ("Ниш", "cp1251"), ("Čačak", "cp1250"),
    ("Чачак", "cp1251"), ("Ćuprija", "cp1250"), ("Ћуприја", "cp1251"), ("Žabalj", "iso-8859-2"),
    ("Ђурђево", "cp1251"), ("Đurđevo", "cp1250"),
])  # fmt: skip
def test_legacy_encodings_detected_even_in_short_texts(text: str, encoding: str) -> None:
    decoded, found = decode_bytes(text.encode(encoding), name="x.csv")
    assert decoded == text
    assert found == encoding


SYLLABLES = ["ča", "ći", "žu", "še", "đo", "Ša", "Ču", "Ža", "Ći", "Đu", "ko", "na", "vi",
             "lj", "nj", "re", "st", "ić", "ač", "až", "uš", "eđ"]
words = st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=4).map("".join)


@given(st.lists(words, min_size=1, max_size=8).map(" ".join).filter(
    lambda t: any(c in "ČĆŽŠĐčćžšđ" for c in t)), st.sampled_from(["cp1250", "iso-8859-2"]))
def test_latin_never_mistaken_for_cyrillic(text: str, encoding: str) -> None:
    decoded, found = decode_bytes(text.encode(encoding), name="x.csv")
    assert decoded == text and found in ("cp1250", "iso-8859-2")


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# A few short texts are also valid UTF-8 in cp1251 ("ГЂ" is 0xC3 0x80, UTF-8 "À"), and a
# plausible UTF-8 reading is kept by design (decode_bytes): those cannot be told apart.
@given(st.text(alphabet="абвгдђежзијклљмнњопрстћуфхцчџшАБВГЂЖЉЊЋЏШ ;,.0123", min_size=1,
               max_size=40).filter(lambda t: any(c.isalpha() for c in t)
                                   and _not_utf8(t.encode("cp1251"))))
def test_cyrillic_cp1251_always_detected(text: str) -> None:
    assert decode_bytes(text.encode("cp1251"), name="x.csv") == (text, "cp1251")


def test_delimiter_sniffing_skips_a_title_line() -> None:
    text = "Spisak kamera, stanje 2024\nOpština;Adresa;Broj kamera\nOsečina;Trg, kod pošte;3\n"
    assert sniff_delimiter(text) == ";"
    assert sniff_delimiter("a\tb\tc\n1\t2,5\t3\n") == "\t"
    assert sniff_delimiter("a|b\n1|2\n") == "|"


# --- field values ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("da", True), ("DA", True), ("Да", True), ("yes", True), ("x", True), ("FR", True),
    ("prepoznavanje lica", True), ("1", True), (1, True), (True, True), ("✓", True),
    ("ne", False), ("Не", False), ("no", False), ("0", False), ("nema", False),
    ("", None), ("-", None), ("nepoznato", None), (None, None),
])  # fmt: skip
def test_facial_recognition_words(text: object, expected: bool | None) -> None:
    assert parse_facial_recognition(text) is expected  # type: ignore[arg-type]


def test_facial_recognition_not_guessed_from_other_words() -> None:
    for text in ("DSS PRO", "možda", "Hikvision"):
        with pytest.raises(ValueError, match="is not understood: write da/ne"):
            parse_facial_recognition(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("instalirano", "installed"), ("Уграђено", "installed"), ("postavljena", "installed"),
    ("u funkciji", "installed"), ("ugovoreno", "contracted"), ("Уговорено", "contracted"),
    ("planirano", "planned"), ("u planu", "planned"), ("uklonjeno", "removed"),
    ("demontirana", "removed"), ("Installed", "installed"), ("nepoznato", "unknown"),
])  # fmt: skip
def test_status_words(text: str, expected: str) -> None:
    assert parse_status(text) == expected


def test_status_negations_and_nonsense_are_not_read_as_installed() -> None:
    for text in ("nije instalirano", "plavo"):
        with pytest.raises(ValueError, match="is not understood"):
            parse_status(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2021", "2021"), ("05.2021", "2021-05"), ("15.03.2021.", "2021-03-15"),
    ("2021-03-15", "2021-03-15"), ("15/03/2021", "2021-03-15"), ("2021. godine", "2021"),
    ("mart 2021", "2021-03"), ("15. марта 2021.", "2021-03-15"), ("March 2021", "2021-03"),
    (2021, "2021"), (2021.0, "2021"), ("2021-03-15 00:00:00", "2021-03-15"),
])  # fmt: skip
def test_dates(text: object, expected: str) -> None:
    assert parse_date(text) == expected  # type: ignore[arg-type]


def test_bad_dates() -> None:
    for text in ("31.02.2021", "uskoro", "13.13.2021"):
        with pytest.raises(ValueError, match=re.escape("is not a date: write it like 15.03.2021")):
            parse_date(text)


@settings(max_examples=50)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_serbian_dates_round_trip(day: object) -> None:
    assert parse_date(day.strftime("%d.%m.%Y.")) == day.isoformat()  # type: ignore[attr-defined]


def test_parse_pair_reads_combined_notations() -> None:
    assert coords.parse_pair("(41.92499, -87.6779)") == (41.92499, -87.6779)
    assert coords.parse_pair("41.92, -87.67") == (41.92, -87.67)
    assert coords.parse_pair("POINT (-87.6779 41.92499)") == (41.92499, -87.6779)
    assert coords.parse_pair("SRID=4326;POINT Z (20.46 44.81 120)") == (44.81, 20.46)
    assert coords.parse_pair("geo:44.81,20.46;u=35") == (44.81, 20.46)
    assert coords.parse_pair("https://www.openstreetmap.org/?mlat=44.81&mlon=20.46#map=18/44.81/"
                             "20.46") == (44.81, 20.46)
    assert coords.parse_pair("https://www.openstreetmap.org/#map=19/44.812/20.461") == (
        44.812, 20.461)
    assert coords.parse_pair("https://www.google.com/maps/place/Trg/@44.8125,20.4612,17z/"
                             "data=!3m1!4b1!8m2!3d44.8126!4d20.4613") == (44.8126, 20.4613)
    assert coords.parse_pair("https://maps.google.com/?q=44.81,20.46") == (44.81, 20.46)
    with pytest.raises(ValueError, match="POINT"):
        coords.parse_pair("https://example.org/kamere")


def test_damaged_coordinates_and_their_placements() -> None:
    assert coords.damaged_digits("461.993.881") == (1, "461993881")
    assert coords.damaged_digits("46.1993881") is None
    assert coords.damaged_digits("7457291.66") is None
    assert coords.decimal_placements(1, "461993881", axis="lat") == [4.61993881, 46.1993881]
    assert coords.decimal_placements(-1, "87677900", axis="lon") == [-8.76779, -87.6779]
