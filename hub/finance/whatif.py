"""What-if: the same period under two to four candidate models, side by side.

Pure: allocations in, rows out. The first candidate is the reference the
others are compared with (on the page it is the hub's current model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.finance.allocation import Allocation

MIN_CANDIDATES, MAX_CANDIDATES = 2, 4


@dataclass(frozen=True, slots=True)
class Row:
    organization_id: int | None
    name: str
    amounts: tuple[int, ...]  # øre, one per candidate

    @property
    def differences(self) -> tuple[int, ...]:
        """Each candidate's amount minus the first's (the first is always 0)."""
        return tuple(a - self.amounts[0] for a in self.amounts)


@dataclass(frozen=True, slots=True)
class Comparison:
    names: tuple[str, ...]
    rows: list[Row]
    totals: tuple[int, ...]
    kept: tuple[int, ...]  # surplus the hub keeps under each candidate
    uncovered: tuple[int, ...]  # what no one carries under each candidate


def compare(candidates: Sequence[tuple[str, Allocation]]) -> Comparison:
    """Every organization that pays under any candidate, with its amount under each."""
    if not MIN_CANDIDATES <= len(candidates) <= MAX_CANDIDATES:
        raise ValueError("compare two to four candidates")
    names: dict[int, str] = {}
    amounts: dict[int, list[int]] = {}
    for index, (_name, result) in enumerate(candidates):
        for share in result.shares:
            names[share.organization_id] = share.name
            row = amounts.setdefault(share.organization_id, [0] * len(candidates))
            row[index] = share.amount_ore
    rows = sorted(
        (Row(org, names[org], tuple(values)) for org, values in amounts.items()),
        key=lambda r: (r.name.casefold(), r.organization_id),
    )
    return Comparison(
        names=tuple(name for name, _result in candidates),
        rows=rows,
        totals=tuple(result.charged_ore for _name, result in candidates),
        kept=tuple(result.kept_surplus_ore for _name, result in candidates),
        uncovered=tuple(result.uncovered_ore for _name, result in candidates),
    )
