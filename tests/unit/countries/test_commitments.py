"""Commitments per cycle and policy target: the workflow, every version kept, optimistic
locking, who may do what, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.accounts.policy import Principal
from alliance.audit.models import AuditEvent
from alliance.countries import commitments, register
from alliance.countries.models import CommitmentStatus
from alliance.countries.schemas import CommitmentIn, MemberCountryIn
from alliance.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests import factories

OPERATOR = factories.OPERATOR


def text(version: int, **sections: str) -> CommitmentIn:
    return CommitmentIn(version=version, **sections)


@pytest.fixture
def people(session: Session) -> dict[str, Principal]:
    for code in ("NL", "GB"):
        register.add_country(
            session, OPERATOR, MemberCountryIn(code=code, joined_on=date(2012, 12, 5))
        )
    nl_gov = factories.organisation(session, OrgKind.government, "NL")
    gb_gov = factories.organisation(session, OrgKind.government, "GB")
    nl_hotline = factories.organisation(session, OrgKind.hotline, "NL")
    secretariat = factories.organisation(session, OrgKind.secretariat, "NL")

    def p(org: object, role: Role) -> Principal:
        return factories.principal(factories.user(session, org, role))  # type: ignore[arg-type]

    return {
        "nl": p(nl_gov, Role.country_editor),
        "nl_viewer": p(nl_gov, Role.viewer),
        "gb": p(gb_gov, Role.country_editor),
        "hotline": p(nl_hotline, Role.analyst),
        "secretariat": p(secretariat, Role.secretariat_admin),
    }


def test_draft_submit_publish_and_every_version_kept(
    session: Session, people: dict[str, Principal]
) -> None:
    nl, sec = people["nl"], people["secretariat"]
    first = commitments.save(
        session, nl, "nl", 2026, 1, text(0, baseline="- hotline [[mnr2015.cap.12]]")
    )
    assert (first.status, first.version, first.target_id) == (
        CommitmentStatus.draft,
        1,
        "ga2012.target.1",
    )
    assert [(r.section, r.action, r.ref) for r in first.current.references] == [
        ("baseline", 1, "mnr2015.cap.12")
    ]
    commitments.save(session, nl, "NL", 2026, "ga2012.target.1", text(1, committed="- more"))
    # Same text again: no new version.
    same = commitments.save(session, nl, "NL", 2026, 1, text(2, committed="- more"))
    assert same.version == 2 and len(same.versions) == 2
    # Others read nothing until it is published.
    with pytest.raises(NotFound):
        commitments.get_commitment(session, people["gb"], "NL", 2026, 1)
    with pytest.raises(NotFound):
        commitments.get_commitment(session, None, "NL", 2026, 1)
    assert commitments.get_commitment(session, people["nl_viewer"], "NL", 2026, 1).version == 2
    commitments.submit(session, nl, "NL", 2026, 1, version=2)
    with pytest.raises(Conflict):  # submitted: the secretariat's turn
        commitments.save(session, nl, "NL", 2026, 1, text(2, committed="- again"))
    assert [c.target_id for c in commitments.list_submitted(session, sec)] == ["ga2012.target.1"]
    done = commitments.publish(session, sec, "NL", 2026, 1, version=2)
    assert (done.status, done.published_version) == (CommitmentStatus.published, 2)
    public = commitments.get_commitment(session, None, "NL", 2026, 1)
    assert commitments.visible_version(None, public).committed == "- more"
    # A new draft after publication: the public still reads version 2.
    commitments.save(session, nl, "NL", 2026, 1, text(2, committed="- more\n- and more"))
    again = commitments.get_commitment(session, None, "NL", 2026, 1)
    assert commitments.visible_version(None, again).number == 2
    assert commitments.visible_version(nl, again).number == 3
    out = commitments.commitment_out(people["gb"], again)
    assert (out.status, out.version, out.returned_reason) == ("published", 2, None)
    diff = commitments.diff_versions(again.version_numbered(2), again.current)
    committed = next(d for d in diff if d.section == "committed")
    assert [(line.kind, line.text) for line in committed.lines if line.kind != "hunk"] == [
        ("context", "- more"),
        ("added", "- and more"),
    ]
    kinds = [
        e.event_type
        for e in session.execute(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "commitment")
            .order_by(AuditEvent.seq)
        ).scalars()
    ]
    assert kinds == [
        "commitment:saved",
        "commitment:saved",
        "commitment:submitted",
        "commitment:published",
        "commitment:saved",
    ]


def test_a_stale_edit_is_a_conflict_and_writes_nothing(
    session: Session, people: dict[str, Principal]
) -> None:
    nl = people["nl"]
    commitments.save(session, nl, "NL", 2026, 2, text(0, baseline="one"))
    commitments.save(session, nl, "NL", 2026, 2, text(1, baseline="two"))
    with pytest.raises(Conflict) as caught:
        commitments.save(session, nl, "NL", 2026, 2, text(1, baseline="mine"))
    assert caught.value.field == "version" and "version 2" in caught.value.message
    with pytest.raises(Conflict):  # a second "first" edit
        commitments.save(session, nl, "NL", 2026, 2, text(0, baseline="also mine"))
    found = commitments.get_commitment(session, nl, "NL", 2026, 2)
    assert (found.version, found.current.baseline) == (2, "two")
    stale = commitments.diff_against({"baseline": "mine"}, found.current)
    assert [(x.kind, x.text) for x in stale[0].lines if x.kind != "hunk"] == [
        ("removed", "two"),
        ("added", "mine"),
    ]
    with pytest.raises(Conflict):
        commitments.submit(session, nl, "NL", 2026, 2, version=1)


def test_returned_with_a_reason(session: Session, people: dict[str, Principal]) -> None:
    nl, sec = people["nl"], people["secretariat"]
    commitments.save(session, nl, "NL", 2026, 3, text(0, committed="x"))
    commitments.submit(session, nl, "NL", 2026, 3)
    with pytest.raises(InvalidInput) as caught:
        commitments.return_to_draft(session, sec, "NL", 2026, 3, "  ")
    assert caught.value.field == "reason"
    back = commitments.return_to_draft(session, sec, "NL", 2026, 3, "Name the agency")
    assert (back.status, back.returned_reason) == (CommitmentStatus.draft, "Name the agency")
    with pytest.raises(Conflict):  # a draft is not published
        commitments.publish(session, sec, "NL", 2026, 3)
    commitments.submit(session, nl, "NL", 2026, 3)
    assert commitments.get_commitment(session, nl, "NL", 2026, 3).returned_reason == ""


@pytest.mark.parametrize("who", ["gb", "secretariat", "hotline", "nl_viewer"])
def test_only_the_countrys_own_editors_write(
    session: Session, people: dict[str, Principal], who: str
) -> None:
    with pytest.raises(PermissionDenied):
        commitments.save(session, people[who], "NL", 2026, 1, text(0, baseline="x"))
    commitments.save(session, people["nl"], "NL", 2026, 1, text(0, baseline="x"))
    with pytest.raises(PermissionDenied):
        commitments.submit(session, people[who], "NL", 2026, 1)


def test_only_the_secretariat_publishes(session: Session, people: dict[str, Principal]) -> None:
    commitments.save(session, people["nl"], "NL", 2026, 1, text(0, baseline="x"))
    commitments.submit(session, people["nl"], "NL", 2026, 1)
    for who in ("nl", "gb", "hotline"):
        with pytest.raises(PermissionDenied):
            commitments.publish(session, people[who], "NL", 2026, 1)
    with pytest.raises(NotFound):  # not published: not there for a hotline
        commitments.history(session, people["hotline"], "NL", 2026, 1)
    assert commitments.history(session, people["secretariat"], "NL", 2026, 1).version == 1


@pytest.mark.parametrize(
    ("code", "cycle", "target", "data", "error", "field"),
    [
        ("NL", 2026, 5, text(0), InvalidInput, "target"),
        ("NL", 1999, 1, text(0), InvalidInput, "cycle"),
        ("NL", 2026, 1, text(0, committed="- [[mnr2015.cap.99]]"), InvalidInput, "committed"),
        ("NL", 2026, 1, text(0, progress="- [[indicator:Not OK]]"), InvalidInput, "progress"),
        ("XX", 2026, 1, text(0), InvalidInput, "country"),
    ],
)
def test_bad_input_names_the_field(
    session: Session,
    people: dict[str, Principal],
    code: str,
    cycle: int,
    target: int,
    data: CommitmentIn,
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as caught:
        commitments.save(session, people["nl"], code, cycle, target, data)
    assert getattr(caught.value, "field", None) == field
    assert commitments.list_commitments(session, people["nl"]) == []


def test_cycle_view_shows_each_reader_its_version(
    session: Session, people: dict[str, Principal]
) -> None:
    nl, sec = people["nl"], people["secretariat"]
    commitments.save(session, nl, "NL", 2025, 4, text(0, baseline="published text"))
    commitments.submit(session, nl, "NL", 2025, 4)
    commitments.publish(session, sec, "NL", 2025, 4)
    commitments.save(session, nl, "NL", 2025, 1, text(0, baseline="draft text"))
    public = commitments.cycle_view(session, None, "NL", 2025)
    assert [v.number for v in public] == [1, 2, 3, 4]
    assert [v.shown.baseline if v.shown else None for v in public] == [
        None,
        None,
        None,
        "published text",
    ]
    own = commitments.cycle_view(session, nl, "NL", 2025)
    assert own[0].shown is not None and own[0].shown.baseline == "draft text"
    assert commitments.cycles_of(session, None, "NL") == [2025]
    with pytest.raises(NotFound):
        commitments.cycle_view(session, None, "FR", 2025)
