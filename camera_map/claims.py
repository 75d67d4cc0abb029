"""Check reported figures against the data ("one camera per 100 inhabitants").

A claims file (CSV) lists figures that reporting attributes to a municipality, with the
source that says so; :func:`check_claims` recomputes each from the build's metrics and
says whether the data reproduce it within the stated tolerance, naming the population
source and year used. Columns: ``municipality``, ``metric`` (a metrics column such as
``residents_per_camera``, ``cameras_per_1000``, ``cameras``), ``value``, ``tolerance``
(relative, e.g. ``0.1`` = ±10 %), ``claim`` (the words reported), ``source``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import ColumnError, InputError, ProblemLog
from .layers import Layer
from .metrics import Metrics

CLAIM_COLUMNS = ("municipality", "metric", "value", "tolerance", "claim", "source")
CONTEXT_COLUMNS = ("figure", "counts", "as_of", "source kind", "statement", "statement_sr",
                   "document")


@dataclass(frozen=True)
class ContextFact:
    """A figure about the country that belongs to no unit (shown in the intro and summary).

    "42 local governments, one supplier": a fact about many places the source does not
    name, so it can be assigned to none of them.
    """

    figure: int | None
    counts: str
    as_of: str
    source: str
    statement: str
    statement_sr: str
    document: str

    def text(self, lang: str = "en") -> str:
        """The statement in ``lang`` (Serbian Cyrillic transliterated from Latin)."""
        if lang == "en" or not self.statement_sr:
            return self.statement
        from .names import to_cyrillic

        return to_cyrillic(self.statement_sr) if lang == "sr-Cyrl" else self.statement_sr


def _csv_rows(path: Path, columns: tuple[str, ...], what: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a UTF-8 CSV with their line numbers (the header is line 1), after
    checking that it has every column of ``columns``."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ColumnError(f"{path.name}: {what} file lacks column(s) {missing}; expected "
                              f"{', '.join(columns)}")
        return list(enumerate(reader, start=2))


def load_context(path: str | Path) -> list[ContextFact]:
    """Read a national-context CSV (UTF-8; columns :data:`CONTEXT_COLUMNS`)."""
    p = Path(path)
    facts, log = [], ProblemLog()
    for n, row in _csv_rows(p, CONTEXT_COLUMNS, "context"):
        figure = (row["figure"] or "").strip()
        if figure and not figure.isdigit():
            log.add("figure must be a whole number or empty", file=p.name, row=n,
                    column="figure", value=figure)
            continue
        if not (row["statement"] or "").strip():
            log.add("statement is empty", file=p.name, row=n, column="statement")
            continue
        facts.append(ContextFact(int(figure) if figure else None, row["counts"].strip(),
                                 row["as_of"].strip(), row["source kind"].strip(),
                                 row["statement"].strip(),
                                 (row["statement_sr"] or "").strip(),
                                 row["document"].strip()))
    log.raise_if_any(f"{p.name}: the national context is not usable")
    return facts


@dataclass(frozen=True)
class Claim:
    """A figure reported for a municipality."""

    municipality: str
    metric: str
    value: float
    tolerance: float
    claim: str
    source: str


@dataclass(frozen=True)
class ClaimCheck:
    """A claim and what the data say."""

    claim: Claim
    name: str
    actual: float | None
    ok: bool
    text: str


def load_claims(path: str | Path) -> list[Claim]:
    """Read a claims CSV (UTF-8); every bad cell is reported at once."""
    p = Path(path)
    claims, log = [], ProblemLog()
    for n, row in _csv_rows(p, CLAIM_COLUMNS, "claims"):
        try:
            value, tol = float(row["value"]), float(row["tolerance"] or 0)
        except ValueError:
            log.add("value and tolerance must be numbers", file=p.name, row=n,
                    value=f"{row['value']} / {row['tolerance']}")
            continue
        claims.append(Claim(row["municipality"], row["metric"], value, tol, row["claim"],
                            row["source"]))
    log.raise_if_any(f"{p.name}: claims are not usable")
    return claims


def check_claims(claims: list[Claim], metrics: Metrics, layer: Layer) -> list[ClaimCheck]:
    """Recompute every claim from ``metrics``; unknown metrics or places raise InputError."""
    checks = []
    year = f"{layer.census.source or 'population'}"
    for c in claims:
        match = layer.resolve(c.municipality)
        table = metrics.groups if match.level == "group" else metrics.units
        if c.metric not in table.columns:
            raise InputError(f"claim metric {c.metric!r} is not a figure camera-map computes "
                             f"(try residents_per_camera, cameras_per_1000, cameras)")
        row = table.loc[table["id"].astype(str) == match.id].iloc[0]
        actual = None if pd.isna(row[c.metric]) else float(row[c.metric])
        ok = actual is not None and abs(actual - c.value) <= c.tolerance * abs(c.value)
        pop = row["population"]
        pop_text = "unknown population" if pd.isna(pop) else f"{int(pop):,} residents ({year})"
        cams = row["cameras"]
        cam_text = "no data" if pd.isna(cams) else f"{int(cams):,} cameras"
        got = ("no figure" if actual is None
               else f"{actual:,.0f}" if float(actual).is_integer() else f"{actual:,.1f}")
        verdict = "reproduced" if ok else "NOT reproduced"
        checks.append(ClaimCheck(c, match.name, actual, ok, (
            f"{match.name}: reported \"{c.claim}\" ({c.source}); the data give {c.metric} = "
            f"{got} ({cam_text}, {pop_text}) — {verdict} within ±{c.tolerance:.0%}")))
    return checks
