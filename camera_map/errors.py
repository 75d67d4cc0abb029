"""The one small hierarchy of errors raised by camera-map.

Every error subclasses :class:`CameraMapError` and a builtin, so callers can catch either.
Messages say what was received, what was expected and how to fix it; errors about input
name the file and, where they apply, the sheet, row, column and value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_REF = re.compile(r"^(?P<file>.+?)#(?:(?P<sheet>.*)!)?row (?P<row>\d+)$")


class CameraMapError(Exception):
    """Base class of every error camera-map raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input, located as precisely as the input allows.

    Attributes
    ----------
    message
        What is wrong and how to fix it.
    file, sheet, row, column, value
        Where it is; ``row`` is the 1-based row number a spreadsheet program shows.
    code
        What kind of fact it reports (``"outside"``: a point outside every unit,
        ``"elsewhere"``: a point in another unit than its row names, ``"unknown-unit"``), so
        that a later stage does not report a fact an earlier one did.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    code: str | None = None

    @classmethod
    def at_ref(cls, message: str, ref: object, **fields: object) -> Problem:
        """A problem located by a camera-table ``source_ref`` (``file#sheet!row 17``).

        The reference is split into file, sheet and row, so that every problem of one row
        has the same location whichever stage found it; other references (``node/123``)
        stay whole.

        >>> problem = Problem.at_ref("not a number", "reply.xlsx#Kamere!row 17",
        ...                          column="broj kamera", value="x")
        >>> problem.file, problem.sheet, problem.row
        ('reply.xlsx', 'Kamere', 17)
        >>> print(problem)
        reply.xlsx#Kamere, row 17, column 'broj kamera': not a number (value 'x')
        >>> print(Problem.at_ref("no position", "node/123"))
        node/123: no position
        """
        text = "" if ref is None else str(ref)
        m = _REF.match(text)
        if m is None:
            return cls(message, file=text or None, **fields)  # type: ignore[arg-type]
        return cls(message, file=m["file"], sheet=m["sheet"], row=int(m["row"]),
                   **fields)  # type: ignore[arg-type]

    def key(self) -> tuple[object, ...]:
        """The fact and place a problem is about, to report each fact once."""
        return (self.code, self.file, self.sheet, self.row)

    def location(self) -> str:
        """Return ``file#sheet!row N, column C`` with whatever parts are known."""
        parts: list[str] = []
        where = self.file or ""
        if self.sheet:
            where += f"#{self.sheet}"
        if where:
            parts.append(where)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        raw = self.value.item() if hasattr(self.value, "item") else self.value  # numpy scalars
        value = f" (value {raw!r})" if raw is not None and raw != "" else ""
        return f"{loc}: {self.message}{value}" if loc else f"{self.message}{value}"


class InputError(CameraMapError, ValueError):
    """An input file or argument cannot be used as given.

    Carries every :class:`Problem` found, so that all of them can be reported at once.
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(message)

    def __str__(self) -> str:
        head = str(self.args[0]) if self.args else ""
        if not self.problems:
            return head
        shown = self.problems[:20]
        lines = [head, *(f"  - {p}" for p in shown)]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


class UnknownFormatError(InputError):
    """A file is not of any kind camera-map reads (or not of the kind it claims)."""


class LimitError(InputError):
    """An input declares more than a limit of :mod:`camera_map.settings` allows.

    Raised before anything big is materialised: too many rows, columns or cells, a cell or
    line too long, too much decompressed data, JSON nested too deep.
    """


class ColumnError(InputError, KeyError):
    """A column named by the user or required by a stage does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return InputError.__str__(self)


class CameraTableError(InputError):
    """Data handed between pipeline stages breaks the camera-table contract."""


class UnknownPlaceError(InputError, LookupError):
    """A municipality or place name matches nothing; the message lists close matches."""


class StrictError(InputError):
    """``--strict`` is set and input rows were rejected (the CLI exits with code 4)."""


class NetworkError(CameraMapError, OSError):
    """A remote service (Overpass, Nominatim) failed after every retry."""

    #: The HTTP status of an answer that refused the request (400, 404, …): asking again
    #: would not help. ``None`` when the service could not be reached or kept failing.
    status: int | None = None


class OutputError(CameraMapError, OSError):
    """The output folder cannot be written (not a folder, no permission, disk full)."""


class OutputBusyError(OutputError):
    """Another camera-map process is writing into the same output folder."""


@dataclass
class ProblemLog:
    """Collect problems from one input, then raise them together.

    >>> problems = ProblemLog()
    >>> problems.add("count is not a whole number", file="a.csv", row=3, value="1,5")
    >>> problems.add("address and coordinates are both empty", file="a.csv", row=7)
    >>> problems.raise_if_any("a.csv: rows cannot be read")
    Traceback (most recent call last):
    camera_map.errors.InputError: a.csv: rows cannot be read (2 problem(s))
      - a.csv, row 3: count is not a whole number (value '1,5')
      - a.csv, row 7: address and coordinates are both empty
    """

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, **where: object) -> None:
        """Record one problem; ``where`` takes the fields of :class:`Problem`."""
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, summary: str, error: type[InputError] = InputError) -> None:
        """Raise ``error`` with every collected problem, if there are any."""
        if self.problems:
            raise error(f"{summary} ({len(self.problems)} problem(s))", self.problems)
