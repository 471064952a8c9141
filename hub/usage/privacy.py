"""What a partner may see of other agencies: no group smaller than the minimum size.

Pure. Hiding a small agency's row is not enough when the hub's totals are shown
too: the totals minus the visible rows would give the hidden row back. So small
groups are merged into one "other agencies" row, that row is topped up with the
next smallest agencies until it is large enough (secondary suppression), and if
all other agencies together are still too few, the totals are withheld as well.

After the retention period a person can no longer be told apart from another,
so anonymized person-days count as no people: old periods are shown to partners
only as their own figures. That errs on the side of privacy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Group(Generic[Row]):
    key: int
    people: int
    row: Row


@dataclass(frozen=True, slots=True)
class PartnerView(Generic[Row]):
    own: list[Group[Row]]
    visible: list[Group[Row]]  # other agencies large enough to show by name
    merged: list[Group[Row]]  # shown only as one combined row
    merged_people: int
    merged_visible: bool  # the combined row may be shown
    totals_visible: bool  # the hub's totals may be shown


def partner_view(groups: list[Group[Row]], own_keys: set[int], min_size: int) -> PartnerView[Row]:
    """Split groups into what a partner contact for ``own_keys`` may see."""
    own = [g for g in groups if g.key in own_keys]
    others = sorted((g for g in groups if g.key not in own_keys), key=lambda g: (g.people, g.key))
    merged = [g for g in others if g.people < min_size]
    visible = [g for g in others if g.people >= min_size]
    merged_people = sum(g.people for g in merged)
    while merged and merged_people < min_size and visible:
        smallest = visible.pop(0)
        merged.append(smallest)
        merged_people += smallest.people
    merged_visible = not merged or merged_people >= min_size
    # When the hidden rows are too few even together, the totals would reveal them.
    totals_visible = merged_visible
    return PartnerView(
        own=own,
        visible=sorted(visible, key=lambda g: g.key),
        merged=merged,
        merged_people=merged_people,
        merged_visible=merged_visible,
        totals_visible=totals_visible,
    )
