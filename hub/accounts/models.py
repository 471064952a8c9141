"""People, agencies, their roles in hubs and their memberships of hubs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, UTCDateTime, enum_column, money, utcnow
from hub.extensions import db

if TYPE_CHECKING:
    from hub.spaces.models import Hub


class OrganizationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    COUNTY = "county"
    STATE_AGENCY = "state_agency"
    UNIVERSITY = "university"
    REGIONAL_COUNCIL = "regional_council"
    PROJECT = "project"
    COMPANY = "company"
    OTHER = "other"


class Organization(Timestamps, db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(sa.String(40))
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind, "org_kind"))
    org_number: Mapped[str | None] = mapped_column(sa.String(9), unique=True)
    # Where the agency's own office is; people based elsewhere work "away" in a hub.
    home_office: Mapped[str | None] = mapped_column(sa.String(120))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))

    users: Mapped[list[User]] = relationship(back_populates="home_organization")
    memberships: Mapped[list[Membership]] = relationship(back_populates="organization")

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def __repr__(self) -> str:
        return f"<Organization {self.name!r}>"


class Language(enum.StrEnum):
    NB = "nb"
    NN = "nn"
    EN = "en"


class User(UserMixin, Timestamps, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.Index("uq_users_email_lower", sa.func.lower(sa.column("email")), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200))
    # None until the person accepts an invitation and chooses a password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    home_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    language: Mapped[Language] = mapped_column(
        enum_column(Language, "language"), default=Language.NB
    )
    is_system_admin: Mapped[bool] = mapped_column(default=False)
    # Whether hub members may see this person's name on busy places and in feeds.
    share_name: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The id an access-card system knows the person by (usage imports).
    card_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    # Set when the person deleted their account: the row stays, anonymized, because
    # statements, the audit log and imports point to it (hub.accounts.privacy).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    home_organization: Mapped[Organization] = relationship(back_populates="users")
    roles: Mapped[list[HubRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="HubRole.user_id"
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    # Projects (or other organizations) the person works for besides the home one;
    # bookings may be billed to them.
    project_organizations: Mapped[list[Organization]] = relationship(
        secondary="user_projects", order_by="Organization.name"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def project_organization_ids(self) -> list[int]:
        return [org.id for org in self.project_organizations]

    def __repr__(self) -> str:
        return f"<User {self.email!r}>"


user_projects = sa.Table(
    "user_projects",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Role(enum.StrEnum):
    MEMBER = "member"
    ADMIN = "admin"
    PARTNER_CONTACT = "partner_contact"


class HubRole(db.Model):
    """A person's role in one hub; a partner contact speaks for one organization."""

    __tablename__ = "hub_roles"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'partner_contact') = (organization_id IS NOT NULL)", name="contact_has_org"
        ),
        sa.Index(
            "uq_hub_roles_plain",
            "user_id",
            "hub_id",
            "role",
            unique=True,
            sqlite_where=sa.text("organization_id IS NULL"),
            postgresql_where=sa.text("organization_id IS NULL"),
        ),
        sa.UniqueConstraint("user_id", "hub_id", "role", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    hub: Mapped[Hub] = relationship()
    organization: Mapped[Organization | None] = relationship()


class MembershipKind(enum.StrEnum):
    PARTNER = "partner"
    PROJECT = "project"
    HOST = "host"
    GUEST = "guest"


class Membership(Timestamps, db.Model):
    """An organization's membership of a hub, with the terms of its letter of intent.

    ``ends_on`` is inclusive (the last day of the agreement) and may be open.
    Which terms apply depends on the kind; see ``hub.accounts.membership_rules``.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        sa.CheckConstraint(
            "coalesce(yearly_amount_ore, 0) >= 0 AND coalesce(cap_ore, 0) >= 0 "
            "AND coalesce(monthly_overhead_ore, 0) >= 0 AND coalesce(desk_day_rate_ore, 0) >= 0 "
            "AND coalesce(cell_day_rate_ore, 0) >= 0 AND coalesce(room_hour_rate_ore, 0) >= 0",
            name="amounts_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[MembershipKind] = mapped_column(enum_column(MembershipKind, "membership_kind"))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    agreement_reference: Mapped[str | None] = mapped_column(sa.String(200))
    # Financing terms (integer øre; Decimal for weights and areas).
    yearly_amount_ore: Mapped[int | None] = mapped_column(money())
    weight: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 4))
    carries_residual: Mapped[bool] = mapped_column(default=False)
    cap_ore: Mapped[int | None] = mapped_column(money())
    monthly_overhead_ore: Mapped[int | None] = mapped_column(money())
    desk_day_rate_ore: Mapped[int | None] = mapped_column(money())
    cell_day_rate_ore: Mapped[int | None] = mapped_column(money())
    room_hour_rate_ore: Mapped[int | None] = mapped_column(money())
    dedicated_area_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    hub: Mapped[Hub] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="api_tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
