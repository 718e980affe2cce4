"""The library's fixed vocabularies: kinds, audiences, tags and languages, with labels.

No database here: the web's labels and the import formats read these too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from alliance.errors import InvalidInput


class EntryKind(StrEnum):
    campaign = "campaign"
    practice = "practice"
    guidance = "guidance"
    training = "training"
    research = "research"


class EntryStatus(StrEnum):
    draft = "draft"
    published = "published"


class Audience(StrEnum):
    children = "children"
    parents = "parents"
    educators = "educators"
    community = "community"
    industry = "industry"
    law_enforcement = "law_enforcement"


class Tag(StrEnum):
    self_generated = "self_generated"
    sextortion = "sextortion"
    grooming = "grooming"
    ai_generated = "ai_generated"
    reporting = "reporting"
    online_safety = "online_safety"
    victim_support = "victim_support"
    prevention = "prevention"


KIND_LABELS: dict[EntryKind, str] = {
    EntryKind.campaign: "Campaign",
    EntryKind.practice: "Practice",
    EntryKind.guidance: "Guidance",
    EntryKind.training: "Training",
    EntryKind.research: "Research",
}
AUDIENCE_LABELS: dict[Audience, str] = {
    Audience.children: "Children",
    Audience.parents: "Parents",
    Audience.educators: "Educators",
    Audience.community: "Community",
    Audience.industry: "Industry",
    Audience.law_enforcement: "Law enforcement",
}
TAG_LABELS: dict[Tag, str] = {
    Tag.self_generated: "Self-generated imagery",
    Tag.sextortion: "Sextortion",
    Tag.grooming: "Grooming",
    Tag.ai_generated: "AI-generated material",
    Tag.reporting: "Reporting",
    Tag.online_safety: "Online safety",
    Tag.victim_support: "Victim support",
    Tag.prevention: "Prevention",
}

#: ISO 639-1 codes the library accepts, with their English names (the languages of the
#: member countries and a few more; a code missing here is refused, naming the field).
LANGUAGES: dict[str, str] = {
    "sq": "Albanian", "bg": "Bulgarian", "km": "Khmer", "hr": "Croatian", "cs": "Czech",
    "da": "Danish", "nl": "Dutch", "en": "English", "et": "Estonian", "fi": "Finnish",
    "fr": "French", "ka": "Georgian", "de": "German", "el": "Greek", "hu": "Hungarian",
    "ga": "Irish", "it": "Italian", "ja": "Japanese", "ko": "Korean", "lv": "Latvian",
    "lt": "Lithuanian", "lb": "Luxembourgish", "mt": "Maltese", "mi": "Maori",
    "ro": "Romanian", "sr": "Serbian", "sk": "Slovak", "sl": "Slovenian", "es": "Spanish",
    "sv": "Swedish", "pl": "Polish", "pt": "Portuguese", "no": "Norwegian", "tl": "Tagalog",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "cy": "Welsh",
    "ha": "Hausa", "yo": "Yoruba", "ig": "Igbo", "ar": "Arabic", "ru": "Russian",
    "zh": "Chinese", "hi": "Hindi", "sw": "Swahili", "tw": "Twi", "mk": "Macedonian",
    "bs": "Bosnian", "me": "Montenegrin",
}  # fmt: skip
_LANGUAGE_SHAPE = re.compile(r"[a-z]{2}")
E = TypeVar("E", bound=StrEnum)


def _each(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in values:
        for part in str(raw).split(","):
            value = part.strip()
            if value and value not in out:
                out.append(value)
    return out


def check_languages(values: Iterable[str], *, field: str = "languages") -> list[str]:
    """ISO 639-1 codes (lower case), each known, in order and without repeats."""
    out = []
    for value in _each(values):
        code = value.lower()
        if not _LANGUAGE_SHAPE.fullmatch(code):
            raise InvalidInput(f"{value!r} is not an ISO 639-1 language code", field=field)
        if code not in LANGUAGES:
            raise InvalidInput(f"{value!r} is not a language the library knows", field=field)
        out.append(code)
    return list(dict.fromkeys(out))


def _check(kind: type[E], values: Iterable[str], field: str, what: str) -> list[E]:
    out: list[E] = []
    allowed = {m.value: m for m in kind}
    for value in _each(values):
        member = allowed.get(value.lower().replace(" ", "_").replace("-", "_"))
        if member is None:
            raise InvalidInput(
                f"{value!r} is not {what}; choose from {', '.join(allowed)}", field=field
            )
        if member not in out:
            out.append(member)
    return out


def check_audiences(values: Iterable[str], *, field: str = "audiences") -> list[Audience]:
    return _check(Audience, values, field, "an audience")


def check_tags(values: Iterable[str], *, field: str = "tags") -> list[Tag]:
    return _check(Tag, values, field, "a library tag")


def check_kind(value: str, *, field: str = "kind") -> EntryKind:
    kinds = _check(EntryKind, [value], field, "a kind of entry")
    if len(kinds) != 1:
        raise InvalidInput("choose one kind of entry", field=field)
    return kinds[0]
