"""Text that leaves camera-map: no control characters, no spreadsheet formulas.

Input files come from strangers, so anything camera-map writes or prints passes through here:

- :func:`clean_text` removes control characters (NUL, ESC, the C1 range, DEL) from text
  written to files; tab and line breaks are data and stay (JSON and CSV quote them).
- :func:`terminal_text` also removes carriage returns and bidirectional overrides, so that
  nothing printed can move the cursor, recolour the terminal or reorder what is shown.
- :func:`neutralise_formula` applies the OWASP rule for CSV injection: a *text* cell that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``,
  so that Excel and LibreOffice show it instead of running it. Text that is a plain number
  (``-20.46``, ``+3``, ``-1e5``) and a lone ``-`` are left alone: a spreadsheet reads them
  as a number or as text, never as a formula. Numeric columns are never touched, so pandas
  and QGIS read numbers as numbers; a text cell that was neutralised reads back with its
  ``'`` (GeoJSON, GeoPackage and FlatGeobuf keep text exactly as it was, without controls).

>>> neutralise_formula('=HYPERLINK("http://x","y")')
'\\'=HYPERLINK("http://x","y")'
>>> neutralise_formula("-20.4612"), neutralise_formula("-1+2")
('-20.4612', "'-1+2")
>>> clean_text("Ose\\x00čina\\x1b[31m")
'Osečina[31m'
"""

from __future__ import annotations

import re
from typing import Any, Final

#: Control characters removed from text written to files (tab, LF and CR are kept).
CONTROL_RE: Final = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
#: Also removed from text printed to a terminal: CR and bidirectional overrides/isolates.
TERMINAL_CONTROL_RE: Final = "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]"
#: First characters that make a spreadsheet cell a formula (OWASP, CSV injection).
FORMULA_START: Final = "=+-@\t\r"
#: Text a spreadsheet reads as a plain number (never a formula), e.g. "-20.46", "+1e5"
#: (the whole text; ASCII digits).
PLAIN_NUMBER_RE: Final = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"

_control = re.compile(CONTROL_RE)
_terminal = re.compile(TERMINAL_CONTROL_RE)
_number = re.compile(PLAIN_NUMBER_RE, re.ASCII)


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and line breaks kept)."""
    return _control.sub("", text)


def has_control_bytes(arr: Any) -> bool:
    """Whether a pyarrow string array holds a control character of :data:`CONTROL_RE`,
    found in its UTF-8 bytes with numpy (a regex over every value costs 4x as much): a C0
    byte other than tab/LF/CR, DEL, or a C1 character (0xC2 0x80-0x9F). Only the bytes
    of the array's values are read (a column of missing values may sit on a buffer of
    zeros)."""
    import numpy as np
    import pyarrow as pa

    buffers = arr.buffers() if len(arr) else [None, None, None]
    if buffers[1] is None or buffers[2] is None:
        return False
    wide = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)
    window = offsets[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[int(window[0]):int(window[-1])]
    block = 1 << 22  # a few MB of temporaries at a time, not 4x the column's text
    for start in range(0, len(data), block):
        part = data[start:start + block + 1]  # one byte more: a C1 pair across the border
        low = (part < 0x20) & (part != 0x09) & (part != 0x0A) & (part != 0x0D)
        if bool(low.any()) or bool((part == 0x7F).any()):
            return True
        lead = np.flatnonzero(part[:-1] == 0xC2)
        if bool(((part[lead + 1] >= 0x80) & (part[lead + 1] <= 0x9F)).any()):
            return True
    return False


def terminal_text(text: str) -> str:
    """``text`` safe to print: no escape sequences, carriage returns or bidi overrides.

    The escape character goes, so what followed it is shown as plain text:

    >>> terminal_text("Ljig\\r\\x1b[2J\\u202egnp.exe")
    'Ljig[2Jgnp.exe'
    """
    return _terminal.sub("", text)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula: it starts with one of
    :data:`FORMULA_START`, is more than that one character (a lone ``-`` is a common
    "none" in registers) and is not a plain number.

    >>> is_formula("=1+2"), is_formula("@SUM(A1)"), is_formula("-"), is_formula("-3.5e2")
    (True, True, False, False)
    """
    return len(text) > 1 and text[0] in FORMULA_START and not _number.fullmatch(text)


def neutralise_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would run it as a formula."""
    return "'" + text if is_formula(text) else text


def safe_cell(value: object) -> object:
    """A value for a CSV or XLSX cell: text cleaned and neutralised, anything else as is.

    >>> safe_cell("+381 11\\x00"), safe_cell(-3), safe_cell(None)
    ("'+381 11", -3, None)
    """
    if isinstance(value, str):
        return neutralise_formula(clean_text(value))
    return value
