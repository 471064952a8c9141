"""Cost items and funding: the inputs of the financing model (DESIGN.md section 6)."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, enum_column, money
from hub.extensions import db

if TYPE_CHECKING:
    from hub.spaces.models import Hub


class CostCategory(enum.StrEnum):
    RENT = "rent"
    OPERATIONS = "operations"
    FIT_OUT = "fit_out"
    SERVICES = "services"
    OTHER = "other"


class CostItem(Timestamps, db.Model):
    """An amount spent over an inclusive date range, prorated by day to a period.

    Fit-out is entered with ``amortize_months``; its range then covers those
    months, so straight-line amortization is the same daily proration.
    """

    __tablename__ = "cost_items"
    __table_args__ = (
        sa.CheckConstraint("amount_ore >= 0", name="amount_not_negative"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.CheckConstraint(
            "amortize_months IS NULL OR amortize_months > 0", name="amortize_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    category: Mapped[CostCategory] = mapped_column(enum_column(CostCategory, "cost_category"))
    description: Mapped[str] = mapped_column(sa.String(200))
    amount_ore: Mapped[int] = mapped_column(money())
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    amortize_months: Mapped[int | None]

    hub: Mapped[Hub] = relationship(back_populates="cost_items")


class FundingKind(enum.StrEnum):
    GRANT = "grant"
    LANDLORD_DISCOUNT = "landlord_discount"
    OTHER = "other"


class Funding(Timestamps, db.Model):
    """Grants and discounts that reduce what partners pay in their date range."""

    __tablename__ = "funding_items"
    __table_args__ = (
        sa.CheckConstraint("amount_ore >= 0", name="amount_not_negative"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FundingKind] = mapped_column(enum_column(FundingKind, "funding_kind"))
    source: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    amount_ore: Mapped[int] = mapped_column(money())
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    hub: Mapped[Hub] = relationship(back_populates="funding")
