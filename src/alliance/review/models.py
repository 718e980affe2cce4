"""Review queue tables: cases, their matches, decisions, action rules and rule effects.

A platform in member mode opens a **case** for an upload whose hashes matched a bank: the
content is the platform's (its content id, and where its own storage keeps the file); the
matches say which bank, entry, category, verification, distance and variant. A second
match of the same content adds to the case while it is undecided: ``active_key`` holds the
content id until the case is decided (NULL after), and ``(organisation_id, active_key)``
is unique, so two uploads of the same content at once cannot open two cases (NULLs never
collide, on SQLite as on PostgreSQL).

The queue page lists undecided cases oldest first among 100,000 and more: the index
``(organisation_id, undecided, opened_at, id)`` serves both the order and the overdue
filter (``(organisation_id, status, opened_at, id)`` a single status's tab),
and ``review_case_counts`` keeps the number of cases per organisation and status, changed
in the transaction that changes a status, so the queue's tabs count without a scan.

The reports that follow a confirmed case keep, with the case, what they sent
(``cybertipline_report``, ``dsa_statement``, ``police_report``: the document as first built,
so that a retry sends the same one) and their progress (``cybertipline_progress``,
``dsa_progress``, ``police_progress``: the JSON the clients hand back after every step), so a
report resumes where it stopped; ``report_runs`` says which report is being sent right now
and since when (:mod:`alliance.review.reports`). ``dsa_user_notice`` is the statement of
reasons as the uploader reads it (DSA Art. 17), written with the statement sent to the
Transparency Database. A confirmed case whose reports are done is *closed* by a reviewer,
never automatically.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliance.db.base import Base, StrEnumType, utcnow


class CaseStatus(StrEnum):
    open = "open"
    awaiting_second_review = "awaiting_second_review"  # confirmed once; needs another reviewer
    escalated = "escalated"  # for a senior reviewer; still undecided
    confirmed = "confirmed"
    false_positive = "false_positive"
    # A confirmed case a reviewer closed: its reports are done, or not wanted. Read-only;
    # refused while a report has stopped mid-way (alliance.review.reports.close_case).
    closed = "closed"


#: Undecided: in the queue, counted for the SLA, and where a new match of the content goes.
ACTIVE = (CaseStatus.open, CaseStatus.awaiting_second_review, CaseStatus.escalated)


class DecisionKind(StrEnum):
    confirm = "confirm"
    false_positive = "false_positive"
    escalate = "escalate"


class RuleAction(StrEnum):
    remove = "remove"  # call the platform's removal hook at once
    queue = "queue"  # leave the case to a reviewer (recorded: the rule matched)
    report = "report"  # mark the case for the reports the law asks for


class EffectOutcome(StrEnum):
    removed = "removed"  # the removal hook accepted the call
    hook_failed = "hook_failed"  # the hook did not answer 2xx, or could not be reached
    no_hook = "no_hook"  # no removal hook configured: nothing removed
    queued = "queued"
    report_due = "report_due"


class ReportKind(StrEnum):
    """The reports that may follow a confirmed case (alliance.review.reports)."""

    cybertipline = "cybertipline"
    dsa = "dsa"
    police = "police"


class Stage(StrEnum):
    """Where one report of a case stands."""

    not_started = "not_started"
    under_way = "under_way"  # a run holds it now, or ended without a word (resumable)
    stopped = "stopped"  # a step failed for good: resume, or withdraw (CyberTipline)
    done = "done"  # filed, stored in the database, or received by the hub
    withdrawn = "withdrawn"  # an unfinished CyberTipline report retracted: may be sent anew


class FeedbackState(StrEnum):
    sent = "sent"  # recorded against the bank entry (the contributor sees it)
    pending = "pending"  # the bank is not in this database: to send to the hub
    refused = "refused"  # the hub has no such entry for this member (alliance.review.feedback)


class Case(Base):
    __tablename__ = "review_cases"
    __table_args__ = (
        UniqueConstraint("organisation_id", "active_key", name="uq_review_cases_active"),
        Index("ix_review_cases_queue", "organisation_id", "undecided", "opened_at", "id"),
        Index("ix_review_cases_status", "organisation_id", "status", "opened_at", "id"),
        Index("ix_review_cases_content", "organisation_id", "content_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    content_id: Mapped[str] = mapped_column(String(500))
    # Where the platform's own storage keeps the media: a path under the media root, or a
    # URL under an allow-listed prefix. Never the media themselves.
    media_path: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(Text)
    active_key: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus, 32))
    # status in ACTIVE, as a column of its own: the queue's default view (every undecided
    # case, oldest first) is then one range of an index, not three merged and sorted.
    undecided: Mapped[bool] = mapped_column(default=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee: Mapped[str | None] = mapped_column(String(200))
    # The nearest match's distance, and how many matches: shown in the queue without a join.
    best_distance: Mapped[int] = mapped_column(Integer)
    match_count: Mapped[int] = mapped_column(Integer, default=0)
    # The reports' progress, as alliance.platforms.cybertipline / .dsa and the hub's
    # industry reports hand it back, and the document each report sent (the first time).
    cybertipline_progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dsa_progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    police_progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cybertipline_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dsa_statement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    police_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The statement of reasons for the uploader (DSA Art. 17), kept with dsa_statement.
    dsa_user_notice: Mapped[str | None] = mapped_column(Text)
    # {kind: {"by", "since"}}: a report being sent right now (two clicks send it once).
    report_runs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))

    matches: Mapped[list[CaseMatch]] = relationship(
        back_populates="case", order_by="CaseMatch.id", lazy="selectin"
    )
    decisions: Mapped[list[CaseDecision]] = relationship(
        order_by="CaseDecision.id", lazy="selectin"
    )
    effects: Mapped[list[RuleEffect]] = relationship(order_by="RuleEffect.id", lazy="selectin")

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class CaseMatch(Base):
    """One bank entry the content matched, with the match's context as the matcher gave it."""

    __tablename__ = "review_case_matches"
    __table_args__ = (
        Index("ix_review_case_matches_bank", "bank", "case_id"),
        UniqueConstraint("case_id", "bank", "entry_id", name="uq_review_case_matches_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_cases.id"))
    bank: Mapped[str] = mapped_column(String(100))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    signal_type: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    verification: Mapped[str | None] = mapped_column(String(32))
    distance: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(64))
    form: Mapped[str | None] = mapped_column(String(64))
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
    feedback: Mapped[FeedbackState | None] = mapped_column(StrEnumType(FeedbackState, 16))

    case: Mapped[Case] = relationship(back_populates="matches")


class CaseDecision(Base):
    __tablename__ = "review_case_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_cases.id"), index=True)
    decision: Mapped[DecisionKind] = mapped_column(StrEnumType(DecisionKind, 16))
    reviewer: Mapped[str] = mapped_column(String(200))
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The status the decision gave the case (a first confirmation: awaiting second review).
    result: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus, 32))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionRule(Base):
    """On a match of ``bank`` (``*``: any bank) at ``max_distance`` or nearer, ``action``."""

    __tablename__ = "review_rules"
    __table_args__ = (Index("ix_review_rules_organisation", "organisation_id", "enabled"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    bank: Mapped[str] = mapped_column(String(100))
    max_distance: Mapped[int] = mapped_column(Integer)
    action: Mapped[RuleAction] = mapped_column(StrEnumType(RuleAction, 16))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class RuleEffect(Base):
    """What a rule did to a case, recorded on the case when it fired."""

    __tablename__ = "review_rule_effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_cases.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("review_rules.id"), index=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("review_case_matches.id"))
    action: Mapped[RuleAction] = mapped_column(StrEnumType(RuleAction, 16))
    outcome: Mapped[EffectOutcome] = mapped_column(StrEnumType(EffectOutcome, 16))
    detail: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseCount(Base):
    """How many cases an organisation has in each status, kept with every change."""

    __tablename__ = "review_case_counts"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    status: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus, 32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
