"""The legal matrix: "sufficient" derived by the framework's rule, scores range-checked
from the framework data, every review kept, who may record and see, the gap report, the
item page's hint, and import all or nothing with the bad row named."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.accounts.permissions import OrgKind, Role
from alliance.audit.events import EventType
from alliance.audit.models import AuditEvent
from alliance.countries import register
from alliance.countries.schemas import MemberCountryIn
from alliance.errors import InvalidInput, NotFound, PermissionDenied
from alliance.legal import exchange, gaps, hints, matrix
from alliance.legal.models import CriterionStatus, LegalReview
from alliance.legal.schemas import ReviewIn
from alliance.takedown.models import ContentType
from tests import factories

OPERATOR = factories.OPERATOR
CRIT = [f"icmec2018.crit.{n}" for n in range(1, 6)]
SCORES = ["oosi2019.ind.4.4.1", "oosi2019.ind.4.4.2", "oosi2019.ind.4.4.3"]


def review_in(country: str = "NL", **overrides: Any) -> ReviewIn:
    fields: dict[str, Any] = {
        "country": country,
        "reviewed_on": date(2024, 1, 10),
        "reviewed_by": "Alliance legal desk",
        "criteria": {
            c: {"status": "met", "statute": f"Penal Code art. {n}"} for n, c in enumerate(CRIT)
        },
        "scores": dict(zip(SCORES, [3, 4, 1], strict=True)),
        "non_photographic": "covered",
        "ai_generated": "not_covered",
        "provider_reporting": "covered",
        "sources": [
            {"citation": "Penal Code", "url": "https://example.test/code", "dated": "2023-05-01"}
        ],
    }
    fields.update(overrides)
    return ReviewIn.model_validate(fields)


def members(session: Session, *codes: str) -> None:
    for code in codes:
        register.add_country(
            session, OPERATOR, MemberCountryIn(code=code, joined_on=date(2012, 12, 5))
        )


def test_scheme_comes_from_the_framework_data() -> None:
    plan = matrix.scheme()
    assert [c.id for c in plan.criteria] == CRIT
    assert plan.required == tuple(CRIT[:4])
    assert [(i.id, i.scale.max) for i in plan.scored if i.scale] == list(
        zip(SCORES, [3, 4, 1], strict=True)
    )
    assert (plan.total_min, plan.total_max) == (0, 8)


def test_sufficient_is_criteria_one_to_four_met() -> None:
    rule = matrix.scheme().required
    met = dict.fromkeys(CRIT, CriterionStatus.met)
    assert matrix.is_sufficient(met, rule)
    assert matrix.is_sufficient({**met, CRIT[4]: CriterionStatus.not_met}, rule)
    assert not matrix.is_sufficient({**met, CRIT[2]: CriterionStatus.partly}, rule)
    assert not matrix.is_sufficient({**met, CRIT[0]: CriterionStatus.not_met}, rule)


def test_record_derives_and_audits_and_keeps_history(session: Session) -> None:
    members(session, "NL")
    first = matrix.record_review(
        session,
        OPERATOR,
        review_in(criteria={**review_in().model_dump()["criteria"], CRIT[3]: {"status": "partly"}}),
    )
    assert (first.sufficient, first.score_total) == (False, 8)
    second = matrix.record_review(session, OPERATOR, review_in(reviewed_on=date(2025, 1, 1)))
    assert second.sufficient
    assert [r.id for r in matrix.history(session, OPERATOR, "nl")] == [second.id, first.id]
    events = (
        session.execute(
            select(AuditEvent).where(AuditEvent.event_type == str(EventType.LEGAL_REVIEW_RECORDED))
        )
        .scalars()
        .all()
    )
    assert [e.subject_id for e in events] == [str(first.id), str(second.id)]
    out = matrix.review_out(second)
    assert out.score_max == 8 and out.scores[1].max == 4 and out.sources[0].url


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"scores": {SCORES[0]: 4, SCORES[1]: 4, SCORES[2]: 1}}, "scores", "0–3, not 4"),
        ({"scores": {SCORES[0]: 3, SCORES[1]: 5, SCORES[2]: 1}}, "scores", "0–4, not 5"),
        ({"scores": {SCORES[0]: 3, SCORES[1]: 4, SCORES[2]: 2}}, "scores", "0–1, not 2"),
        ({"scores": {SCORES[0]: -1, SCORES[1]: 4, SCORES[2]: 1}}, "scores", "not -1"),
        ({"scores": {SCORES[0]: 1}}, "scores", "missing"),
        ({"scores": {"oosi2019.ind.9": 1}}, "scores", "unknown score"),
        ({"criteria": {CRIT[0]: {"status": "met"}}}, "criteria", "missing"),
        ({"criteria": {"icmec2018.crit.9": {"status": "met"}}}, "criteria", "unknown criterion"),
        ({"country": "XX"}, "country", ""),
        ({"country": "FR"}, "country", "not a member"),
    ],
)
def test_bad_reviews_are_refused_naming_the_field(
    session: Session, overrides: dict[str, Any], field: str, words: str
) -> None:
    members(session, "NL")
    with pytest.raises(InvalidInput) as caught:
        matrix.record_review(session, OPERATOR, review_in(**overrides))
    assert (caught.value.field or "").startswith(field)
    assert words in str(caught.value)
    assert session.scalar(select(func.count()).select_from(LegalReview)) == 0


def test_urls_must_be_http() -> None:
    with pytest.raises(ValueError, match="String should match pattern"):
        review_in(sources=[{"citation": "x", "url": "javascript:alert(1)"}])


def test_editors_record_their_own_country_unpublished_only(session: Session) -> None:
    members(session, "NL", "GB")
    nl_gov = factories.organisation(session, OrgKind.government, "NL")
    editor = factories.principal(factories.user(session, nl_gov, Role.country_editor))
    viewer = factories.principal(factories.user(session, role=Role.viewer))
    own = matrix.record_review(session, editor, review_in())
    assert not own.published
    with pytest.raises(PermissionDenied):
        matrix.record_review(session, editor, review_in("GB"))
    with pytest.raises(PermissionDenied):
        matrix.record_review(session, editor, review_in(published=True))
    with pytest.raises(PermissionDenied):
        matrix.publish_review(session, editor, own.id)
    with pytest.raises(PermissionDenied):
        matrix.record_review(session, viewer, review_in())
    # Unpublished: the editor and the secretariat see it; other members and the public not.
    assert matrix.history(session, editor, "NL") == [own]
    assert matrix.history(session, viewer, "NL") == []
    assert matrix.history(session, None, "NL") == []
    with pytest.raises(NotFound):
        matrix.get_review(session, None, own.id)
    matrix.publish_review(session, OPERATOR, own.id)
    assert matrix.history(session, None, "NL") == [own]
    assert matrix.get_review(session, viewer, own.id) is own


def test_gap_report_counts_and_change_since_previous(session: Session) -> None:
    members(session, "NL", "GB", "DE", "FR")
    base = review_in().model_dump()["criteria"]
    matrix.record_review(
        session,
        OPERATOR,
        review_in(
            criteria={**base, CRIT[3]: {"status": "not_met"}, CRIT[4]: {"status": "partly"}},
            scores=dict(zip(SCORES, [1, 2, 0], strict=True)),
            published=True,
        ),
    )
    matrix.record_review(
        session,
        OPERATOR,
        review_in(
            reviewed_on=date(2025, 3, 1),
            criteria={**base, CRIT[4]: {"status": "not_met"}},
            scores=dict(zip(SCORES, [2, 4, 0], strict=True)),
            published=True,
        ),
    )
    matrix.record_review(
        session,
        OPERATOR,
        review_in(
            "GB",
            criteria={**base, CRIT[4]: {"status": "not_met"}, CRIT[1]: {"status": "partly"}},
            published=True,
        ),
    )
    matrix.record_review(session, OPERATOR, review_in("DE"))  # unpublished
    public = gaps.gap_report(session, None)
    assert (public.members, public.reviewed, public.sufficient) == (4, 2, 1)
    assert public.not_reviewed == ["DE", "FR"]
    assert public.criterion_missing_counts[CRIT[4]] == 2
    assert public.most_often_missing == [CRIT[4]]
    assert public.score_distribution[6] == 1 and public.score_distribution[8] == 1
    assert sum(public.score_distribution.values()) == 2
    nl = next(g for g in public.countries if g.country == "NL")
    assert nl.sufficient and nl.sufficient_before is False
    assert nl.score_change == 3
    assert nl.criteria_gained == [CRIT[3]] and nl.criteria_lost == []
    assert nl.points_missing == {SCORES[0]: 1, SCORES[2]: 1}
    gb = next(g for g in public.countries if g.country == "GB")
    assert gb.previous_reviewed_on is None and gb.score_change is None
    assert gb.criteria_missing == {
        CRIT[1]: CriterionStatus.partly,
        CRIT[4]: CriterionStatus.not_met,
    }
    assert gaps.gap_report(session, OPERATOR).reviewed == 3


def test_hint_for_the_item_page(session: Session) -> None:
    members(session, "NL")
    assert hints.coverage_hint(session, "NL", ContentType.ai_generated) is None  # no review
    matrix.record_review(session, OPERATOR, review_in(published=True, demo=True))
    hint = hints.coverage_hint(session, "NL", "ai_generated")
    assert hint is not None
    assert hint.startswith("Not covered by Netherlands")
    assert "2024-01-10" in hint and "not a legal decision" in hint and "demo data" in hint
    assert hints.coverage_hint(session, "NL", ContentType.non_photographic) is None  # covered
    assert hints.coverage_hint(session, "NL", ContentType.image) is None
    assert hints.coverage_hint(session, None, ContentType.ai_generated) is None


def _csv_with(session: Session, n: int) -> str:
    members(session, "NL", "GB")
    for k in range(n):
        matrix.record_review(
            session,
            OPERATOR,
            review_in("NL" if k % 2 else "GB", reviewed_on=date(2020, 1, 1 + k % 28)),
        )
    return exchange.export_matrix(session, OPERATOR, "csv")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_round_trips(session: Session, fmt: str) -> None:
    members(session, "NL")
    matrix.record_review(session, OPERATOR, review_in(notes="line one\nline two, with comma"))
    text = exchange.export_matrix(session, OPERATOR, fmt)
    result = exchange.import_matrix(session, OPERATOR, text, fmt)
    assert (result.rows, result.countries) == (1, ["NL"])
    a, b = matrix.history(session, OPERATOR, "NL")
    assert exchange.review_record(a) == exchange.review_record(b)
    kinds = session.execute(select(AuditEvent.event_type).order_by(AuditEvent.seq)).scalars().all()
    assert kinds[-1] == str(EventType.LEGAL_MATRIX_IMPORTED)


def test_import_with_one_bad_row_among_thousands_writes_nothing(session: Session) -> None:
    text = _csv_with(session, 4)
    rows = list(csv.DictReader(io.StringIO(text)))
    many = [rows[n % len(rows)] for n in range(2000)]
    bad = dict(many[1500])
    bad[SCORES[1]] = "7"
    many[1500] = bad
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(many)
    before = session.scalar(select(func.count()).select_from(LegalReview))
    with pytest.raises(InvalidInput) as caught:
        exchange.import_matrix(session, OPERATOR, out.getvalue(), "csv")
    assert str(caught.value).startswith("line 1502: ")  # header is line 1
    assert "0–4, not 7" in str(caught.value)
    assert session.scalar(select(func.count()).select_from(LegalReview)) == before


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda r: r.update(country="ZZ"), "review 2: "),
        (
            lambda r: r["sources"].append({"citation": "x", "url": "ftp://example.test"}),
            "review 2: sources",
        ),
        (lambda r: r.update(non_photographic="maybe"), "review 2: non_photographic"),
        (lambda r: r["criteria"].pop(CRIT[0]), "review 2: every criterion"),
    ],
)
def test_json_import_names_the_review(session: Session, mutate: Any, words: str) -> None:
    members(session, "NL")
    matrix.record_review(session, OPERATOR, review_in())
    doc = json.loads(exchange.export_matrix(session, OPERATOR, "json"))
    second = json.loads(json.dumps(doc["reviews"][0]))
    mutate(second)
    doc["reviews"].append(second)
    with pytest.raises(InvalidInput) as caught:
        exchange.import_matrix(session, OPERATOR, json.dumps(doc), "json")
    assert str(caught.value).startswith(words)
    assert session.scalar(select(func.count()).select_from(LegalReview)) == 1


def test_import_refuses_other_files(session: Session) -> None:
    with pytest.raises(InvalidInput, match=r"not an alliance\.legal_matrix"):
        exchange.import_matrix(session, OPERATOR, '{"format": "x"}', "json")
    with pytest.raises(InvalidInput, match="line 1: missing column"):
        exchange.import_matrix(session, OPERATOR, "a,b\n1,2\n", "csv")
    with pytest.raises(InvalidInput, match="unknown format"):
        exchange.import_matrix(session, OPERATOR, "", "xml")
