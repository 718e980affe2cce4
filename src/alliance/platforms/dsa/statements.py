"""From a removal to its statement of reasons and to the notice the user reads.

A platform that removes an upload because it matched known child sexual abuse material
owes the uploader a statement of reasons (DSA Art. 17) and the Commission a copy without
personal data (Art. 24(5)). Both come from one :class:`Removal`, so they say the same:

- :func:`statement_for` — the Transparency Database's :class:`~.schemas.Statement`;
- :func:`user_notice` — the text for the user, with Art. 17(3)'s elements: (a) the
  restriction, its territorial scope and duration; (b) the facts and circumstances,
  including whether a notice or the platform's own initiative led to it; (c) the use of
  automated means, for detection and for the decision; (d) the legal ground and why the
  content is illegal on it; (f) redress: the platform's internal complaint-handling system
  (Art. 20), out-of-court dispute settlement (Art. 21) and the courts.

Neither text describes the media: for child sexual abuse material the hash list, its
category and the hotline or agency that assessed the listed item say why it is illegal,
and anything more would repeat the abuse. Neither carries personal data: no user name,
no account, no address, no hash value (a hash identifies the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from alliance.platforms.dsa.schemas import (
    EEA_COUNTRIES,
    AutomatedDecision,
    Category,
    ContentType,
    DecisionAccount,
    DecisionGround,
    DecisionVisibility,
    Keyword,
    SourceType,
    Statement,
    YesNo,
    parse_statement,
)

#: The legal ground of a CSAM removal anywhere in the EU: the offences that Directive
#: 2011/93/EU makes every member state punish, and the Member State's law that
#: transposes it. A platform may name its own national provision instead.
CSAM_LEGAL_GROUND = (
    "Directive 2011/93/EU on combating the sexual abuse and sexual exploitation of "
    "children and child pornography, Article 5 (offences concerning child pornography), "
    "as transposed into the criminal law of each EU and EEA Member State"
)

_VISIBILITY_WORDS = {
    DecisionVisibility.CONTENT_REMOVED: "removed",
    DecisionVisibility.CONTENT_DISABLED: "disabled access to",
}
_AUTOMATION_WORDS = {
    AutomatedDecision.FULLY: "The decision to remove it was taken by automated means, "
    "without a person reviewing it.",
    AutomatedDecision.PARTIALLY: "The decision was taken with the help of automated means "
    "and confirmed by a person.",
    AutomatedDecision.NOT_AUTOMATED: "The decision was taken by a person who reviewed the match.",
}


@dataclass(frozen=True)
class Redress:
    """Where the user can contest the decision (Art. 17(3)(f)); the platform's own words.

    ``complaint`` says how to use the internal complaint-handling system (a page, an
    address); ``out_of_court`` names the certified dispute settlement bodies the user may
    turn to, or where they are listed (the Commission publishes the list of bodies
    certified under Art. 21)."""

    complaint: str
    out_of_court: str = (
        "a certified out-of-court dispute settlement body of your choice (Article 21 of the "
        "Digital Services Act; the European Commission publishes the list of certified "
        "bodies)"
    )


@dataclass(frozen=True)
class Removal:
    """What a confirmed match and the platform's decision give.

    ``puid`` is the platform's unique identifier of this decision (the database answers a
    second statement with the same one 422): a stable id such as the review case or
    removal id, never the user's. ``content_id`` is the platform's own reference for the
    upload, shown to the user so they know which upload is meant; it does not go to the
    database. ``bank`` and ``category`` are the hash list that matched and the category
    its entry carries; ``assessed_by`` is who assessed the listed item (a hotline, an
    agency), when the list says. ``notified_by`` is set when a notice led to the removal
    (``trusted_flagger``: its sender is an Art. 22 trusted flagger), empty when the
    platform's own matching found it.
    """

    puid: str
    content_id: str
    content_type: ContentType
    uploaded_on: date
    decided_on: date
    bank: str
    category: str | None
    automated_decision: AutomatedDecision
    assessed_by: str | None = None
    notified_by: str | None = None
    trusted_flagger: bool = False
    removed: bool = True  # False: access disabled (e.g. kept for law enforcement)
    territorial_scope: tuple[str, ...] = EEA_COUNTRIES
    legal_ground: str = CSAM_LEGAL_GROUND
    account_action: DecisionAccount | None = None
    keywords: tuple[str, ...] = field(default=(Keyword.CHILD_SEXUAL_ABUSE_MATERIAL,))

    @property
    def visibility(self) -> DecisionVisibility:
        return (
            DecisionVisibility.CONTENT_REMOVED
            if self.removed
            else DecisionVisibility.CONTENT_DISABLED
        )

    @property
    def source_type(self) -> SourceType:
        if self.notified_by is None:
            return SourceType.VOLUNTARY
        return SourceType.TRUSTED_FLAGGER if self.trusted_flagger else SourceType.ARTICLE_16


def explanation(removal: Removal) -> str:
    """Why the content is illegal: the list, its category, who assessed it. Nothing about
    what the media show."""
    category = f", category {removal.category}" if removal.category else ""
    assessed = (
        f"; the listed item was assessed as child sexual abuse material by {removal.assessed_by}"
        if removal.assessed_by
        else ""
    )
    return (
        f"The content matched an entry of the hash list '{removal.bank}' of known child sexual "
        f"abuse material{category}{assessed}. Possessing and distributing such material is "
        f"a criminal offence in every EU and EEA Member State."
    )


def facts(removal: Removal) -> str:
    """The facts and circumstances (Art. 17(3)(b)), without personal data."""
    how = (
        f"following a notice by {removal.notified_by}"
        + (", a trusted flagger (Article 22 DSA)" if removal.trusted_flagger else "")
        if removal.notified_by
        else "on the platform's own initiative, by matching uploads against hash lists of "
        "known child sexual abuse material"
    )
    reviewed = {
        AutomatedDecision.FULLY: "The match was acted on automatically.",
        AutomatedDecision.PARTIALLY: "A person confirmed the match before the decision.",
        AutomatedDecision.NOT_AUTOMATED: "A person reviewed the match and decided.",
    }[removal.automated_decision]
    return (
        f"The {_content_word(removal.content_type)} uploaded on {removal.uploaded_on} was "
        f"detected by automated hash matching {how}. {explanation(removal)} {reviewed}"
    )


def statement_for(removal: Removal) -> Statement:
    """The statement of reasons for the Transparency Database, checked by its rules."""
    data: dict[str, object] = {
        "decision_visibility": [removal.visibility.value],
        "decision_ground": DecisionGround.ILLEGAL_CONTENT.value,
        "illegal_content_legal_ground": removal.legal_ground,
        "illegal_content_explanation": explanation(removal),
        "content_type": [removal.content_type.value],
        "category": Category.PROTECTION_OF_MINORS.value,
        "category_specification": list(removal.keywords),
        "territorial_scope": list(removal.territorial_scope),
        "content_date": removal.uploaded_on.isoformat(),
        "application_date": removal.decided_on.isoformat(),
        "decision_facts": facts(removal),
        "source_type": removal.source_type.value,
        "automated_detection": YesNo.YES.value,  # a hash match is automated detection
        "automated_decision": removal.automated_decision.value,
        "puid": removal.puid,
    }
    if removal.notified_by:
        # An organisation's name, never a person's (Art. 24(5): no personal data).
        data["source_identity"] = removal.notified_by
    if removal.account_action is not None:
        data["decision_account"] = removal.account_action.value
    return parse_statement(data)


def user_notice(removal: Removal, redress: Redress, *, platform: str) -> str:
    """The statement of reasons as the user reads it (Art. 17(3)), in plain words."""
    verb = _VISIBILITY_WORDS[removal.visibility]
    scope = (
        "in every EU and EEA country"
        if set(removal.territorial_scope) >= set(EEA_COUNTRIES)
        else f"in {', '.join(removal.territorial_scope)}"
    )
    account = {
        None: "",
        DecisionAccount.SUSPENDED: " Your account has also been suspended.",
        DecisionAccount.TERMINATED: " Your account has also been terminated.",
    }[removal.account_action]
    source = (
        f"A notice from {removal.notified_by}"
        + (
            ", a trusted flagger under Article 22 of the Digital Services Act,"
            if removal.trusted_flagger
            else ""
        )
        + " led us to it."
        if removal.notified_by
        else f"{platform} found it itself: no one notified us of it."
    )
    lines = [
        f"Statement of reasons from {platform} (Article 17 of the EU Digital Services Act, "
        "Regulation (EU) 2022/2065)",
        "",
        f"Reference: {removal.puid}",
        f"Your upload: {removal.content_id}, uploaded on {removal.uploaded_on}",
        "",
        "What we did",
        f"On {removal.decided_on} we {verb} your {_content_word(removal.content_type)}, "
        f"{scope}. The restriction has no end date.{account}",
        "",
        "Why: the facts",
        f"Our automated hash matching found that the {_content_word(removal.content_type)} "
        f"matches known child sexual abuse material. {source}",
        "",
        "Automated means",
        "The content was detected by automated means (hash matching). "
        + _AUTOMATION_WORDS[removal.automated_decision],
        "",
        "The legal ground",
        f"The content is illegal under {removal.legal_ground}. {explanation(removal)}",
        "",
        "How you can contest this decision",
        f"1. Complain to us through our internal complaint-handling system (Article 20): "
        f"{_sentence(redress.complaint)}",
        f"2. Refer the dispute to {redress.out_of_court}.",
        "3. Go to court: you may take the decision to a court under the law of your "
        "country, whether or not you use the two routes above.",
    ]
    return "\n".join(lines) + "\n"


def _content_word(content_type: ContentType) -> str:
    return {
        ContentType.IMAGE: "image",
        ContentType.VIDEO: "video",
        ContentType.SYNTHETIC_MEDIA: "synthetic media",
        ContentType.AUDIO: "audio",
        ContentType.TEXT: "text",
    }.get(content_type, "content")


def _sentence(text: str) -> str:
    """``text`` as a sentence: a platform's own words, given with or without its stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
