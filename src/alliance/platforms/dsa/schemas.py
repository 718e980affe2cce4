"""A statement of reasons as the EU's DSA Transparency Database takes it.

Article 24(5) of the Digital Services Act (Regulation (EU) 2022/2065) has every online
platform send the statement of reasons it gives a user under Article 17 to the
Commission's Transparency Database, without personal data. The field names and the
values of every vocabulary below are the database's own (its public source: the
``Statement`` model and the ``StatementStoreRequest`` rules of
``digital-services-act/transparency-database``), so a :class:`Statement` dumps to the JSON
that ``POST /api/v1/statement(s)`` takes.

The database's conditional rules are checked here, each failure naming the field:

- at least one of ``decision_visibility``, ``decision_monetary``, ``decision_provision``,
  ``decision_account``;
- ``..._OTHER`` values (visibility, monetary, content type) require their ``_other`` text;
- ``DECISION_GROUND_ILLEGAL_CONTENT`` requires ``illegal_content_legal_ground`` (≤ 500) and
  ``illegal_content_explanation`` (≤ 2,000); ``DECISION_GROUND_INCOMPATIBLE_CONTENT``
  requires ``incompatible_content_ground`` and ``incompatible_content_explanation``. The
  fields of the other ground are dropped, as the database drops them;
- ``source_identity`` is dropped for ``SOURCE_VOLUNTARY`` (there is no notifier);
- ``territorial_scope``: EU and EEA country codes as the database spells them (Greece
  ``GR``);
- ``application_date`` from 2020-01-01, ``content_date`` from 2000-01-01, every date up to
  2038-01-01, written ``YYYY-MM-DD``;
- ``puid`` (the platform's unique identifier of the decision): 1-500 characters of
  ``A-Z a-z 0-9 - _``, unique per platform (the database answers a second one 422).

A batch (``POST /api/v1/statements``) holds 1-100 statements with distinct puids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from alliance.errors import InvalidInput
from alliance.validation import web_address

BATCH_MAX = 100
PUID_MAX = 500
PUID_RE = re.compile(r"[a-zA-Z0-9_-]+")


class DecisionVisibility(StrEnum):
    CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
    CONTENT_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED"
    CONTENT_DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED"
    CONTENT_AGE_RESTRICTED = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"
    CONTENT_INTERACTION_RESTRICTED = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
    CONTENT_LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED"
    OTHER = "DECISION_VISIBILITY_OTHER"


class DecisionMonetary(StrEnum):
    SUSPENSION = "DECISION_MONETARY_SUSPENSION"
    TERMINATION = "DECISION_MONETARY_TERMINATION"
    OTHER = "DECISION_MONETARY_OTHER"


class DecisionProvision(StrEnum):
    PARTIAL_SUSPENSION = "DECISION_PROVISION_PARTIAL_SUSPENSION"
    TOTAL_SUSPENSION = "DECISION_PROVISION_TOTAL_SUSPENSION"
    PARTIAL_TERMINATION = "DECISION_PROVISION_PARTIAL_TERMINATION"
    TOTAL_TERMINATION = "DECISION_PROVISION_TOTAL_TERMINATION"


class DecisionAccount(StrEnum):
    SUSPENDED = "DECISION_ACCOUNT_SUSPENDED"
    TERMINATED = "DECISION_ACCOUNT_TERMINATED"


class AccountType(StrEnum):
    BUSINESS = "ACCOUNT_TYPE_BUSINESS"
    PRIVATE = "ACCOUNT_TYPE_PRIVATE"


class DecisionGround(StrEnum):
    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
    INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


class ContentType(StrEnum):
    APP = "CONTENT_TYPE_APP"
    AUDIO = "CONTENT_TYPE_AUDIO"
    IMAGE = "CONTENT_TYPE_IMAGE"
    PRODUCT = "CONTENT_TYPE_PRODUCT"
    SYNTHETIC_MEDIA = "CONTENT_TYPE_SYNTHETIC_MEDIA"
    TEXT = "CONTENT_TYPE_TEXT"
    VIDEO = "CONTENT_TYPE_VIDEO"
    OTHER = "CONTENT_TYPE_OTHER"


class Category(StrEnum):
    """``category`` and ``category_addition``. Child sexual abuse material is
    ``STATEMENT_CATEGORY_PROTECTION_OF_MINORS`` with the keyword
    :attr:`Keyword.CHILD_SEXUAL_ABUSE_MATERIAL`."""

    ANIMAL_WELFARE = "STATEMENT_CATEGORY_ANIMAL_WELFARE"
    CONSUMER_INFORMATION = "STATEMENT_CATEGORY_CONSUMER_INFORMATION"
    CYBER_VIOLENCE = "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    CYBER_VIOLENCE_AGAINST_WOMEN = "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN"
    DATA_PROTECTION_AND_PRIVACY_VIOLATIONS = (
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
    )
    ILLEGAL_OR_HARMFUL_SPEECH = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    INTELLECTUAL_PROPERTY_INFRINGEMENTS = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
    NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS = (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    )
    NOT_SPECIFIED_NOTICE = "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"
    OTHER_VIOLATION_TC = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    PROTECTION_OF_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    RISK_FOR_PUBLIC_SECURITY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    SCAMS_AND_FRAUD = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    SELF_HARM = "STATEMENT_CATEGORY_SELF_HARM"
    UNSAFE_AND_PROHIBITED_PRODUCTS = "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
    VIOLENCE = "STATEMENT_CATEGORY_VIOLENCE"


#: The database's keywords (``category_specification``), by their API names.
KEYWORDS: frozenset[str] = frozenset(
    f"KEYWORD_{name}"
    for name in """
    ADULT_SEXUAL_MATERIAL AGE_SPECIFIC_RESTRICTIONS AGE_SPECIFIC_RESTRICTIONS_MINORS
    ANIMAL_HARM BIOMETRIC_DATA_BREACH BULLYING_AGAINST_GIRLS CHILD_SEXUAL_ABUSE_MATERIAL
    CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE CONTENT_PROMOTING_EATING_DISORDERS COORDINATED_HARM
    COPYRIGHT_INFRINGEMENT CYBER_BULLYING_INTIMIDATION CYBER_HARASSMENT
    CYBER_HARASSMENT_AGAINST_WOMEN CYBER_INCITEMENT CYBER_STALKING
    CYBER_STALKING_AGAINST_WOMEN DATA_FALSIFICATION DEFAMATION DESIGN_INFRINGEMENT
    DISCRIMINATION FEMALE_GENDERED_DISINFORMATION GEOGRAPHIC_INDICATIONS_INFRINGEMENT
    GEOGRAPHICAL_REQUIREMENTS GOODS_SERVICES_NOT_PERMITTED GROOMING_SEXUAL_ENTICEMENT_MINORS
    HATE_SPEECH HIDDEN_ADVERTISEMENT HUMAN_EXPLOITATION HUMAN_TRAFFICKING ILLEGAL_ORGANIZATIONS
    IMPERSONATION_ACCOUNT_HIJACKING INAUTHENTIC_ACCOUNTS INAUTHENTIC_LISTINGS
    INAUTHENTIC_USER_REVIEWS INCITEMENT_AGAINST_WOMEN INCITEMENT_VIOLENCE_HATRED
    INSUFFICIENT_INFORMATION_ON_TRADERS LANGUAGE_REQUIREMENTS MISINFORMATION_DISINFORMATION
    MISLEADING_INFO_CONSUMER_RIGHTS MISLEADING_INFO_GOODS_SERVICES MISSING_PROCESSING_GROUND
    NON_CONSENSUAL_IMAGE_SHARING NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN
    NON_CONSENSUAL_MATERIAL_DEEPFAKE NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN
    NONCOMPLIANCE_PRICING NUDITY PATENT_INFRINGEMENT PHISHING PROHIBITED_PRODUCTS
    PYRAMID_SCHEMES RIGHT_TO_BE_FORGOTTEN RISK_ENVIRONMENTAL_DAMAGE RISK_PUBLIC_HEALTH
    SELF_MUTILATION STALKING SUICIDE TERRORIST_CONTENT TRADE_SECRET_INFRINGEMENT
    TRADEMARK_INFRINGEMENT TRAFFICKING_WOMEN_GIRLS UNLAWFUL_SALE_ANIMALS UNSAFE_CHALLENGES
    UNSAFE_PRODUCTS VIOLATION_EU_LAW VIOLATION_NATIONAL_LAW OTHER
    """.split()  # noqa: SIM905 - a vocabulary, one word each
)


class Keyword:
    """The keywords Alliance itself writes (any of :data:`KEYWORDS` is accepted)."""

    CHILD_SEXUAL_ABUSE_MATERIAL = "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"
    CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE = "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE"
    GROOMING_SEXUAL_ENTICEMENT_MINORS = "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"


class SourceType(StrEnum):
    ARTICLE_16 = "SOURCE_ARTICLE_16"  # a notice under Art. 16
    TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"  # a notice by an Art. 22 trusted flagger
    OTHER_NOTIFICATION = "SOURCE_TYPE_OTHER_NOTIFICATION"
    VOLUNTARY = "SOURCE_VOLUNTARY"  # the platform's own initiative (its own hash matching)


class YesNo(StrEnum):
    """``automated_detection`` and ``incompatible_content_illegal`` are plain words."""

    YES = "Yes"
    NO = "No"


class AutomatedDecision(StrEnum):
    FULLY = "AUTOMATED_DECISION_FULLY"
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"


#: ``territorial_scope``: the EU's 27 and the EEA's Iceland, Liechtenstein and Norway,
#: as the database spells them (ISO 3166-1: Greece is GR, not the EU's EL).
EEA_COUNTRIES: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip

#: ``content_language``: ISO 639-1 codes in capitals, the database's list.
LANGUAGES: frozenset[str] = frozenset(
    """AB AA AF AK SQ AM AR AN HY AS AV AE AY AZ BM BA EU BE BN BH BI BS BR BG MY CA KM CH CE
    NY ZH CU CV KW CO CR HR CS DA DV NL DZ EN EO ET EE FO FJ FI FR FF GD GL LG KA DE KI EL KL
    GN GU HT HA HE HZ HI HO HU IS IO IG ID IA IE IU IK GA IT JA JV KN KR KS KK RW KV KG KO KJ
    KU KY LO LA LV LB LI LN LT LU MK MG MS ML MT GV MI MR MH RO MN NA NV ND NG NE SE NO NB NN
    II OC OJ OR OM OS PI PA PS FA PL PT QU RM RN RU SM SG SA SC SR SN SD SI SK SL SO ST NR ES
    SU SW SS SV TL TY TG TA TT TE TH BO TI TO TS TN TR TK TW UG UK UR UZ VE VI VO WA CY FY WO
    XH YI YO ZA ZU""".split()  # noqa: SIM905 - the database's list, as it reads
)

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
LATEST_DATE = date(2038, 1, 1)


def _api_date(value: Any) -> Any:
    """``YYYY-MM-DD`` only: pydantic alone would also take a number of seconds."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


ApiDate = Annotated[date, BeforeValidator(_api_date)]
Short = Annotated[str, Field(max_length=500)]


def _country(value: Any) -> Any:
    if isinstance(value, str) and value.strip().upper() in EEA_COUNTRIES:
        return value.strip().upper()
    raise ValueError(
        f"{str(value)[:20]!r} is not an EU or EEA country code (one of {', '.join(EEA_COUNTRIES)})"
    )


def _language(value: Any) -> Any:
    if isinstance(value, str) and value.strip().upper() in LANGUAGES:
        return value.strip().upper()
    raise ValueError(f"{str(value)[:20]!r} is not an ISO 639-1 language code")


def _url(value: Any) -> Any:
    """Laravel's ``url`` rule, as far as a link to a law or terms needs: http(s), a host."""
    if isinstance(value, str):
        try:
            return web_address(value, field="decision_ground_reference_url")
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
    return value


def _keyword(value: Any) -> Any:
    if value in KEYWORDS:
        return value
    raise ValueError(f"{str(value)[:60]!r} is not a keyword of the Transparency Database")


class Statement(BaseModel):
    """One statement of reasons, in the Transparency Database's own words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision_visibility: list[DecisionVisibility] | None = None
    decision_visibility_other: Short | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_monetary_other: Short | None = None
    decision_provision: DecisionProvision | None = None
    decision_account: DecisionAccount | None = None
    account_type: AccountType | None = None
    end_date_visibility_restriction: ApiDate | None = None
    end_date_monetary_restriction: ApiDate | None = None
    end_date_service_restriction: ApiDate | None = None
    end_date_account_restriction: ApiDate | None = None

    decision_ground: DecisionGround
    decision_ground_reference_url: (
        Annotated[str, BeforeValidator(_url), Field(max_length=500)] | None
    ) = None
    illegal_content_legal_ground: Short | None = None
    illegal_content_explanation: Annotated[str, Field(max_length=2000)] | None = None
    incompatible_content_ground: Short | None = None
    incompatible_content_explanation: Annotated[str, Field(max_length=2000)] | None = None
    incompatible_content_illegal: YesNo | None = None

    content_type: Annotated[list[ContentType], Field(min_length=1)]
    content_type_other: Short | None = None
    category: Category
    category_addition: list[Category] | None = None
    category_specification: list[Annotated[str, BeforeValidator(_keyword)]] | None = None
    category_specification_other: Short | None = None
    territorial_scope: list[Annotated[str, BeforeValidator(_country)]] | None = None
    content_language: Annotated[str, BeforeValidator(_language)] | None = None
    content_date: ApiDate
    application_date: ApiDate
    content_id: dict[str, Annotated[str, Field(pattern=r"^[0-9]{13}$")]] | None = None

    decision_facts: Annotated[str, Field(min_length=1, max_length=5000)]
    source_type: SourceType
    source_identity: Short | None = None
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    puid: Annotated[str, Field(min_length=1, max_length=PUID_MAX)]

    @model_validator(mode="before")
    @classmethod
    def _drop_what_does_not_apply(cls, data: Any) -> Any:
        """The fields of another ground, an ``_other`` text without its ``OTHER`` value
        and a voluntary decision's source identity are dropped, as the database drops
        them: they are not errors there either."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        ground = data.get("decision_ground")
        if ground != DecisionGround.ILLEGAL_CONTENT:
            data.pop("illegal_content_legal_ground", None)
            data.pop("illegal_content_explanation", None)
        if ground != DecisionGround.INCOMPATIBLE_CONTENT:
            for name in ("ground", "explanation", "illegal"):
                data.pop(f"incompatible_content_{name}", None)
        if data.get("source_type") == SourceType.VOLUNTARY:
            data.pop("source_identity", None)
        for field, other in (
            ("decision_visibility", DecisionVisibility.OTHER),
            ("content_type", ContentType.OTHER),
        ):
            values = data.get(field)
            if not isinstance(values, list) or other not in values:
                data.pop(f"{field}_other", None)
        if data.get("decision_monetary") != DecisionMonetary.OTHER:
            data.pop("decision_monetary_other", None)
        return data

    @model_validator(mode="after")
    def _check_the_rules(self) -> Statement:
        if not self.decision_facts.strip():  # the database trims strings: blank is absent
            raise _rule("decision_facts", "is required")
        if not PUID_RE.fullmatch(self.puid):
            raise _rule("puid", "may hold only the letters A-Z, a-z, digits, '-' and '_'")
        if not (
            self.decision_visibility
            or self.decision_monetary
            or self.decision_provision
            or self.decision_account
        ):
            raise _rule(
                "decision_visibility",
                "at least one restriction is required: decision_visibility, "
                "decision_monetary, decision_provision or decision_account",
            )
        required: list[tuple[str, bool, str]] = [
            (
                "illegal_content_legal_ground",
                self.decision_ground is DecisionGround.ILLEGAL_CONTENT,
                "is required when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT",
            ),
            (
                "illegal_content_explanation",
                self.decision_ground is DecisionGround.ILLEGAL_CONTENT,
                "is required when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT",
            ),
            (
                "incompatible_content_ground",
                self.decision_ground is DecisionGround.INCOMPATIBLE_CONTENT,
                "is required when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            ),
            (
                "incompatible_content_explanation",
                self.decision_ground is DecisionGround.INCOMPATIBLE_CONTENT,
                "is required when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            ),
            (
                "decision_visibility_other",
                DecisionVisibility.OTHER in (self.decision_visibility or []),
                "is required when decision_visibility includes DECISION_VISIBILITY_OTHER",
            ),
            (
                "decision_monetary_other",
                self.decision_monetary is DecisionMonetary.OTHER,
                "is required when decision_monetary is DECISION_MONETARY_OTHER",
            ),
            (
                "content_type_other",
                ContentType.OTHER in self.content_type,
                "is required when content_type includes CONTENT_TYPE_OTHER",
            ),
        ]
        for field, applies, why in required:
            if applies and not (getattr(self, field) or "").strip():
                raise _rule(field, why)
        if self.application_date < date(2020, 1, 1) or self.application_date > LATEST_DATE:
            raise _rule("application_date", "must be between 2020-01-01 and 2038-01-01")
        if self.content_date < date(2000, 1, 1) or self.content_date > LATEST_DATE:
            raise _rule("content_date", "must be between 2000-01-01 and 2038-01-01")
        for field in (
            "end_date_visibility_restriction",
            "end_date_monetary_restriction",
            "end_date_service_restriction",
            "end_date_account_restriction",
        ):
            end = getattr(self, field)
            if end is not None and end > LATEST_DATE:
                raise _rule(field, "must be 2038-01-01 or earlier")
        if self.content_id is not None and set(self.content_id) - {"EAN-13"}:
            raise _rule("content_id", 'takes only "EAN-13" (a product\'s 13-digit code)')
        return self

    def to_api(self) -> dict[str, Any]:
        """The JSON object the database takes: dates as ``YYYY-MM-DD``, no empty fields."""
        return self.model_dump(mode="json", exclude_none=True)


class _RuleBroken(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _rule(field: str, message: str) -> _RuleBroken:
    return _RuleBroken(field, message)


class StatementInvalid(InvalidInput):
    """A statement the Transparency Database would refuse; ``field`` names the field,
    ``index`` and ``puid`` the statement (when known)."""

    code = "dsa_statement_invalid"

    def __init__(self, message: str, *, field: str, index: int | None, puid: str | None) -> None:
        super().__init__(message, field=field)
        self.index = index
        self.puid = puid


def parse_statement(data: Any, *, index: int | None = None) -> Statement:
    """``data`` (a JSON object) as a :class:`Statement`, or :class:`StatementInvalid` with
    the first fault: which statement (its index and puid) and which field."""
    puid = data.get("puid") if isinstance(data, Mapping) else None
    where = _where(index, puid if isinstance(puid, str) else None)
    if not isinstance(data, Mapping):
        raise StatementInvalid(
            f"{where}: a statement is a JSON object", field="statement", index=index, puid=None
        )
    try:
        return Statement.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, _RuleBroken):
            field, message = cause.field, str(cause)
        else:
            loc = [str(part) for part in first["loc"]]
            field = loc[0] if loc else "statement"
            message = f"{'.'.join(loc) or 'statement'}: {_plain(first)}"
        more = len(exc.errors()) - 1
        extra = f" (and {more} more)" if more > 0 else ""
        raise StatementInvalid(
            f"{where}: {message}{extra}",
            field=field,
            index=index,
            puid=puid if isinstance(puid, str) else None,
        ) from None


def parse_batch(items: Any) -> list[Statement]:
    """A batch for ``POST /api/v1/statements``: 1-100 valid statements, puids distinct."""
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise InvalidInput("statements: a batch is a JSON list of statements", field="statements")
    if not 1 <= len(items) <= BATCH_MAX:
        raise InvalidInput(
            f"statements: a batch holds 1 to {BATCH_MAX} statements, not {len(items)}",
            field="statements",
        )
    return parse_statements(items)


def parse_statements(items: Sequence[Any]) -> list[Statement]:
    """Any number of statements (the client splits them into batches), puids distinct."""
    statements = [parse_statement(item, index=i) for i, item in enumerate(items)]
    seen: dict[str, int] = {}
    for i, statement in enumerate(statements):
        if statement.puid in seen:
            raise StatementInvalid(
                f"{_where(i, statement.puid)}: puid is already used by statement "
                f"{seen[statement.puid]}; each decision has its own",
                field="puid",
                index=i,
                puid=statement.puid,
            )
        seen[statement.puid] = i
    return statements


def _where(index: int | None, puid: str | None) -> str:
    parts = []
    if index is not None:
        parts.append(f"statement {index}")
    if puid:
        parts.append(f"puid {puid[:60]!r}")
    return " ".join(parts) or "statement"


def _plain(error: Any) -> str:
    """pydantic's message, without its "Value error, " prefix."""
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")
