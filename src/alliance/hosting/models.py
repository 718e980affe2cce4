"""The hosting-provider directory: who runs an address space and where notices go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.accounts.models import Organisation
from alliance.db.base import Base, utcnow


class HostingProvider(Base):
    """A hosting provider, found from the ASN of the address a URL resolves to.

    The directory is shared alliance-wide and kept by the secretariat. A provider gets
    notices by e-mail to ``abuse_email`` or by POST to ``abuse_webhook_url``.
    """

    __tablename__ = "hosting_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))
    asns: Mapped[list[int]] = mapped_column(JSON, default=list)
    abuse_email: Mapped[str | None] = mapped_column(String(254))
    abuse_webhook_url: Mapped[str | None] = mapped_column(String(2000))
    # Several due notices for this provider go out as one message.
    batch_notices: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The member organisation this provider is, if it takes part in the alliance (an
    #: industry member): its notices count as notices to a participating company.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def member(self) -> str | None:
        """The slug of the member organisation this provider is, if any."""
        return self.organisation.slug if self.organisation is not None else None

    @property
    def has_contact(self) -> bool:
        return bool(self.abuse_email or self.abuse_webhook_url)
