"""The financing model's tables: cost items, funding, the yearly model, statements."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, UTCDateTime, enum_column, money, utcnow
from hub.extensions import db
from hub.finance.allocation import Key, Model, SurplusPolicy, UseWeights

if TYPE_CHECKING:
    from hub.accounts.models import Organization
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


class Cadence(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class FinancingModel(Timestamps, db.Model):
    """A hub's financing model for one calendar year (it may change between years).

    The key splits the residual among the partners that carry it; a blend
    gives each base key a percentage. The cadence and issue day drive the
    statement job: statements for a period are issued on ``issue_day`` of the
    month after the period ends.
    """

    __tablename__ = "financing_models"
    __table_args__ = (
        sa.UniqueConstraint("hub_id", "year"),
        sa.CheckConstraint("issue_day BETWEEN 1 AND 28", name="issue_day_in_month"),
        sa.CheckConstraint(
            "blend_equal_pct >= 0 AND blend_weights_pct >= 0 AND blend_use_pct >= 0 "
            "AND blend_area_pct >= 0",
            name="blend_not_negative",
        ),
        sa.CheckConstraint(
            "desk_day_weight >= 0 AND cell_day_weight >= 0 AND room_hour_weight >= 0",
            name="use_weights_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    key: Mapped[Key] = mapped_column(enum_column(Key, "allocation_key"), default=Key.EQUAL)
    blend_equal_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    blend_weights_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    blend_use_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    blend_area_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    desk_day_weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3), default=Decimal(1))
    cell_day_weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3), default=Decimal("1.5"))
    room_hour_weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3), default=Decimal("0.25"))
    surplus_policy: Mapped[SurplusPolicy] = mapped_column(
        enum_column(SurplusPolicy, "surplus_policy"), default=SurplusPolicy.CARRY_FORWARD
    )
    cadence: Mapped[Cadence] = mapped_column(
        enum_column(Cadence, "cadence"), default=Cadence.YEARLY
    )
    issue_day: Mapped[int] = mapped_column(default=10)
    auto_issue: Mapped[bool] = mapped_column(default=False)
    statement_prefix: Mapped[str] = mapped_column(sa.String(20))

    def blend(self) -> tuple[tuple[Key, Decimal], ...]:
        return (
            (Key.EQUAL, self.blend_equal_pct),
            (Key.WEIGHTS, self.blend_weights_pct),
            (Key.USE, self.blend_use_pct),
            (Key.AREA, self.blend_area_pct),
        )

    def to_model(self) -> Model:
        """The plain model the allocation engine reads."""
        return Model(
            key=self.key,
            blend=self.blend() if self.key is Key.BLEND else (),
            use_weights=UseWeights(
                self.desk_day_weight, self.cell_day_weight, self.room_hour_weight
            ),
            surplus_policy=self.surplus_policy,
        )


class StatementKind(enum.StrEnum):
    STATEMENT = "statement"
    CREDIT_NOTE = "credit_note"


class StatementStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class Statement(Timestamps, db.Model):
    """One organization's share of a hub's cost for a period.

    A draft is recomputed until it is issued. Issuing numbers it
    (PREFIX-YEAR-NNNN, per hub and year of issue), freezes ``document`` (the
    lines with their explanations), stores the SHA-256 of that content and the
    PDF rendered once; after that nothing in the row changes except
    ``live_key``. ``live_key`` is set while a statement stands for its
    organization and period, so the database allows one at a time; a credit
    note clears it, and a new statement may follow.
    """

    __tablename__ = "statements"
    __table_args__ = (
        sa.UniqueConstraint("hub_id", "year", "sequence"),
        sa.CheckConstraint("period_last >= period_first", name="period_ordered"),
        sa.CheckConstraint(
            "status = 'draft' OR (number IS NOT NULL AND content_hash IS NOT NULL)",
            name="issued_is_numbered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="RESTRICT"), index=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[StatementKind] = mapped_column(
        enum_column(StatementKind, "statement_kind"), default=StatementKind.STATEMENT
    )
    status: Mapped[StatementStatus] = mapped_column(
        enum_column(StatementStatus, "statement_status"), default=StatementStatus.DRAFT
    )
    period_first: Mapped[date]
    period_last: Mapped[date]
    live_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    year: Mapped[int | None]
    sequence: Mapped[int | None]
    number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    # NO ACTION, not RESTRICT: still no statement with a credit note can go, but
    # SQLite checks it per statement, so emptying the table at once works.
    credits_id: Mapped[int | None] = mapped_column(sa.ForeignKey("statements.id"), unique=True)
    total_ore: Mapped[int] = mapped_column(money(), default=0)
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    hub: Mapped[Hub] = relationship()
    organization: Mapped[Organization] = relationship()
    credits: Mapped[Statement | None] = relationship(
        remote_side="Statement.id", foreign_keys=[credits_id], back_populates="credited_by"
    )
    credited_by: Mapped[Statement | None] = relationship(
        foreign_keys=[credits_id], back_populates="credits", uselist=False
    )
    deliveries: Mapped[list[StatementDelivery]] = relationship(
        back_populates="statement", order_by="StatementDelivery.id", cascade="all, delete-orphan"
    )

    @property
    def is_issued(self) -> bool:
        return self.status is StatementStatus.ISSUED

    @property
    def is_credited(self) -> bool:
        return self.credited_by is not None


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; an admin may retry


class StatementDelivery(Timestamps, db.Model):
    """One email of an issued statement to one partner contact.

    Unique per statement and address, so the job sends each at most once;
    a failed send keeps the row with its error and the time of the next try.
    """

    __tablename__ = "statement_deliveries"
    __table_args__ = (sa.UniqueConstraint("statement_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    statement: Mapped[Statement] = relationship(back_populates="deliveries")


class ClosedPeriod(db.Model):
    """A closed period of a hub's books: nothing dated in it may change."""

    __tablename__ = "closed_periods"
    __table_args__ = (
        sa.CheckConstraint("period_last >= period_first", name="period_ordered"),
        sa.UniqueConstraint("hub_id", "period_first", "period_last"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    period_first: Mapped[date]
    period_last: Mapped[date]
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
