"""Statements of reasons (DSA Art. 17, 24(5)): built from a removal, checked by the
Transparency Database's rules, and the notice the user reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from alliance.errors import InvalidInput
from alliance.platforms.dsa.schemas import (
    BATCH_MAX,
    EEA_COUNTRIES,
    AutomatedDecision,
    ContentType,
    DecisionAccount,
    StatementInvalid,
    parse_batch,
    parse_statement,
)
from alliance.platforms.dsa.statements import Redress, Removal, statement_for, user_notice

REMOVAL = Removal(
    puid="case-000123",
    content_id="upload 8f2c",
    content_type=ContentType.IMAGE,
    uploaded_on=date(2026, 11, 30),
    decided_on=date(2026, 12, 1),
    bank="Example Hotline List",
    category="baseline",
    automated_decision=AutomatedDecision.PARTIALLY,
    assessed_by="Example Hotline NL",
)
REDRESS = Redress(complaint="https://platform.example.test/appeals (reference case-000123)")


def good(**changes: Any) -> dict[str, Any]:
    return {**statement_for(REMOVAL).to_api(), **changes}


def test_a_removal_makes_a_statement_in_the_databases_words() -> None:
    sent = statement_for(REMOVAL).to_api()
    assert sent["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert sent["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "2011/93/EU" in sent["illegal_content_legal_ground"]
    assert sent["category"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert sent["category_specification"] == ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"]
    assert sent["content_type"] == ["CONTENT_TYPE_IMAGE"]
    assert sent["territorial_scope"] == list(EEA_COUNTRIES) and "GR" in sent["territorial_scope"]
    assert sent["automated_detection"] == "Yes"
    assert sent["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert sent["source_type"] == "SOURCE_VOLUNTARY" and "source_identity" not in sent
    assert (sent["content_date"], sent["application_date"]) == ("2026-11-30", "2026-12-01")
    assert sent["puid"] == "case-000123"
    # The explanation names the list, its category and who assessed it; no media, no user.
    explanation = sent["illegal_content_explanation"]
    assert "Example Hotline List" in explanation and "baseline" in explanation
    assert "Example Hotline NL" in explanation
    assert "upload 8f2c" not in str(sent)  # the platform's own content id stays home


def test_a_trusted_flaggers_notice_is_its_source() -> None:
    flagged = replace(REMOVAL, notified_by="Example Hotline NL", trusted_flagger=True)
    sent = statement_for(flagged).to_api()
    assert sent["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert sent["source_identity"] == "Example Hotline NL"
    assert "trusted flagger" in sent["decision_facts"]
    plain = statement_for(replace(flagged, trusted_flagger=False)).to_api()
    assert plain["source_type"] == "SOURCE_ARTICLE_16"


def test_an_account_action_is_stated() -> None:
    sent = statement_for(replace(REMOVAL, account_action=DecisionAccount.TERMINATED)).to_api()
    assert sent["decision_account"] == "DECISION_ACCOUNT_TERMINATED"


def test_the_user_notice_carries_article_17s_elements() -> None:
    text = user_notice(REMOVAL, REDRESS, platform="Example Platform")
    assert "Article 17" in text and "case-000123" in text and "upload 8f2c" in text
    # (a) the restriction, its territorial scope and duration
    assert "we removed your image" in text and "in every EU and EEA country" in text
    assert "no end date" in text
    # (b) the facts, and that no notice led to it
    assert "matches known child sexual abuse material" in text
    assert "no one notified us" in text
    # (c) automated means, for detection and for the decision
    assert "detected by automated means" in text and "confirmed by a person" in text
    # (d) the legal ground and the explanation
    assert "2011/93/EU" in text and "Example Hotline List" in text
    # (f) redress: internal complaint, out-of-court settlement, court
    assert "internal complaint-handling system (Article 20)" in text
    assert "https://platform.example.test/appeals (reference case-000123)." in text  # a sentence
    assert "out-of-court dispute settlement body" in text and "Article 21" in text
    assert "Go to court" in text


def test_the_user_notice_names_a_notifier_and_a_narrower_scope() -> None:
    removal = replace(
        REMOVAL,
        notified_by="Example Hotline NL",
        trusted_flagger=True,
        territorial_scope=("NL", "BE"),
        automated_decision=AutomatedDecision.FULLY,
    )
    text = user_notice(removal, REDRESS, platform="Example Platform")
    assert "A notice from Example Hotline NL, a trusted flagger" in text
    assert "in NL, BE" in text
    assert "without a person reviewing it" in text


# Bad input: each names the statement and the field --------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"illegal_content_legal_ground": None}, "illegal_content_legal_ground", "is required"),
        ({"illegal_content_explanation": ""}, "illegal_content_explanation", "is required"),
        ({"territorial_scope": ["NL", "US"]}, "territorial_scope", "'US' is not an EU or EEA"),
        ({"territorial_scope": ["EL"]}, "territorial_scope", "not an EU or EEA"),
        ({"puid": "x" * 501}, "puid", "at most 500"),
        ({"puid": "case 1/2"}, "puid", "may hold only"),
        ({"decision_visibility": None}, "decision_visibility", "at least one restriction"),
        ({"category": "STATEMENT_CATEGORY_CSAM"}, "category", "category"),
        ({"content_type": []}, "content_type", "content_type"),
        ({"content_date": "30/11/2026"}, "content_date", "YYYY-MM-DD"),
        ({"application_date": "2019-12-31"}, "application_date", "2020-01-01"),
        ({"automated_detection": "yes"}, "automated_detection", "automated_detection"),
        ({"decision_facts": "x" * 5001}, "decision_facts", "5000"),
        ({"decision_facts": "   "}, "decision_facts", "is required"),
        ({"colour": "red"}, "colour", "Extra inputs"),
        (
            {"decision_ground_reference_url": "javascript:alert(1)"},
            "decision_ground_reference_url",
            "not a web address",
        ),
        (
            {"content_type": ["CONTENT_TYPE_OTHER"]},
            "content_type_other",
            "CONTENT_TYPE_OTHER",
        ),
    ],
)
def test_a_bad_statement_says_which_and_why(
    changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(StatementInvalid) as refused:
        parse_statement(good(**changes), index=7)
    assert refused.value.field == field
    assert refused.value.index == 7
    assert "statement 7" in refused.value.message and words in refused.value.message


def test_the_other_grounds_fields_are_dropped_as_the_database_drops_them() -> None:
    sent = parse_statement(good(incompatible_content_ground="ToS 4.2")).to_api()
    assert "incompatible_content_ground" not in sent


def test_a_terms_ground_needs_its_own_fields() -> None:
    terms = good(decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT")
    with pytest.raises(StatementInvalid) as refused:
        parse_statement(terms)
    assert refused.value.field == "incompatible_content_ground"
    fine = parse_statement(
        {**terms, "incompatible_content_ground": "ToS 4", "incompatible_content_explanation": "x"}
    ).to_api()
    assert "illegal_content_legal_ground" not in fine


def test_a_batch_holds_one_to_a_hundred_distinct_puids() -> None:
    with pytest.raises(InvalidInput, match="1 to 100 statements, not 0"):
        parse_batch([])
    many = [good(puid=f"case-{i}") for i in range(BATCH_MAX + 1)]
    with pytest.raises(InvalidInput, match="1 to 100 statements, not 101"):
        parse_batch(many)
    assert len(parse_batch(many[:BATCH_MAX])) == BATCH_MAX
    with pytest.raises(StatementInvalid, match="already used by statement 0") as twice:
        parse_batch([good(), good()])
    assert twice.value.field == "puid" and twice.value.index == 1
    with pytest.raises(InvalidInput, match="JSON list"):
        parse_batch({"statements": []})
