"""Rejected input rows: one typed table that the readers fill, the pipeline carries and the
export stage writes (``rejected.csv`` and the ``rejected`` layer of the GeoPackage).

A row is rejected when it cannot become a record of the camera table (:mod:`camera_map.table`).
It never goes silently away: a :class:`RejectedRow` keeps where it was (file, sheet, row, and
the column and value at fault when the reader knows them), why, and every original cell as it
was read, so that a clerk can correct the register and read it again.

>>> rows = RejectedRows((RejectedRow("reply.csv", None, 4, "latitude 'abc' is not a number",
...                                  original={"Opština": "Osečina", "Lat": "abc"}),))
>>> rows.header()
['file', 'sheet', 'row', 'reason', 'Opština', 'Lat']
>>> rows.records()
[['reply.csv', '', 4, "latitude 'abc' is not a number", 'Osečina', 'abc']]
>>> str(rows[0].problem())
"reply.csv, row 4: latitude 'abc' is not a number"
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, overload

import pandas as pd

from .errors import Problem

#: The columns every rejected-rows report starts with.
PLACE_COLUMNS: Final = ("file", "sheet", "row", "reason")
#: The cell at fault, written after ``reason`` when a reader named one for some row.
CELL_COLUMNS: Final = ("column", "value")
#: Added to an original header that is also the name of a report column.
ORIGINAL_SUFFIX: Final = " (original)"


@dataclass(frozen=True)
class RejectedRow:
    """One input row that was not used, with the reason and its cells as read.

    ``row`` is 1-based, as a spreadsheet program shows it; ``sheet`` is None for a file
    without sheets (CSV). ``original`` maps each header of the row to its value as read
    (text stripped, dates as ISO text), in the order of the columns.
    """

    file: str
    sheet: str | None
    row: int
    reason: str
    column: str | None = None
    value: object = None
    original: Mapping[str, object] = field(default_factory=dict)

    def problem(self) -> Problem:
        """The row as a :class:`~camera_map.errors.Problem` (e.g. for ``--strict``)."""
        return Problem(self.reason, file=self.file, sheet=self.sheet or None, row=self.row,
                       column=self.column, value=self.value)


@dataclass(frozen=True)
class RejectedRows:
    """The rejected rows of one or more inputs, in the order they were found."""

    rows: tuple[RejectedRow, ...] = ()

    @classmethod
    def concat(cls, tables: Iterable[RejectedRows]) -> RejectedRows:
        """The rows of several tables, one table after the other."""
        return cls(tuple(r for t in tables for r in t.rows))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[RejectedRow]:
        return iter(self.rows)

    @overload
    def __getitem__(self, index: int) -> RejectedRow: ...
    @overload
    def __getitem__(self, index: slice) -> RejectedRows: ...

    def __getitem__(self, index: int | slice) -> RejectedRow | RejectedRows:
        if isinstance(index, slice):
            return RejectedRows(self.rows[index])
        return self.rows[index]

    def _fixed(self) -> tuple[str, ...]:
        """The report's own columns: ``column`` and ``value`` only when a reader gave them."""
        cell = any(r.column is not None or r.value is not None for r in self.rows)
        return (*PLACE_COLUMNS, *CELL_COLUMNS) if cell else PLACE_COLUMNS

    def _originals(self) -> list[str]:
        """Every original header, in order of first appearance over the rows."""
        return list(dict.fromkeys(h for r in self.rows for h in r.original))

    def header(self) -> list[str]:
        """The report's columns: :data:`PLACE_COLUMNS` (and :data:`CELL_COLUMNS`), then every
        original header; one that is also a report column gets :data:`ORIGINAL_SUFFIX`."""
        fixed = self._fixed()
        return [*fixed, *(h + ORIGINAL_SUFFIX if h in fixed else h for h in self._originals())]

    def records(self) -> list[list[object]]:
        """One list of values per row, in the order of :meth:`header`; None where a row has
        no such original column (the sheet of a file without sheets is "")."""
        fixed, originals = self._fixed(), self._originals()
        out = []
        for r in self.rows:
            own = {"file": r.file, "sheet": r.sheet or "", "row": r.row, "reason": r.reason,
                   "column": r.column, "value": r.value}
            out.append([*(own[c] for c in fixed), *(r.original.get(h) for h in originals)])
        return out

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the columns of :meth:`header` (``row`` as integers)."""
        frame = pd.DataFrame(self.records(), columns=self.header())
        return frame.astype({"row": "int64"}) if len(frame) else frame

    def text_frame(self) -> pd.DataFrame:
        """The rows for a GIS table: ``row`` as integers, every other cell as text or
        missing (None), never the text "nan" or "None"."""
        header, records = self.header(), self.records()
        columns: dict[str, pd.Series] = {}
        for i, name in enumerate(header):
            values = [rec[i] for rec in records]
            if name == "row":
                columns[name] = pd.Series(values, dtype="Int64")
            else:
                columns[name] = pd.Series([None if is_missing(v) else str(v) for v in values],
                                          dtype="string")
        return pd.DataFrame(columns, columns=header)


def is_missing(value: object) -> bool:
    """Whether a cell is empty: None, NaN or pandas' NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)
