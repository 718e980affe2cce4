"""An item's timeline in words: each event's details as a sentence fragment, not ``k=v``.

The details are what :mod:`alliance.takedown` recorded (ids already resolved to names by
:mod:`alliance.takedown.reading`); references become links, times read as the page's other
times (``when``), codes read as their labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from alliance.takedown.models import Classification, ReportSource
from alliance.web.labels import label

When = Callable[[datetime | None], str]

#: Keys shown by a phrase of their own, or not at all (ids replaced by names).
_HIDDEN = {"provider_id", "earlier_item_id", "message"}


def _time(value: Any, when: When) -> str:
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _enum_label(enum: type[Any], value: Any) -> str:
    try:
        return label(enum(value))
    except ValueError:
        return label(value)


def _hosting(details: Mapping[str, Any]) -> list[Markup | str]:
    where = []
    if details.get("ip_address"):
        where.append(f"at {details['ip_address']}")
    if details.get("country"):
        where.append(f"in {details['country']}")
    if details.get("asn"):
        where.append(f"(AS{details['asn']})")
    parts: list[Markup | str] = []
    if where:
        parts.append("hosted " + " ".join(where))
    if details.get("provider"):
        parts.append(f"provider {details['provider']}")
    return parts


def describe(details: Mapping[str, Any], when: When) -> Markup:
    """The details of one timeline event, in words (HTML-safe)."""
    parts: list[Markup | str] = []
    done: set[str] = set(_HIDDEN)

    def take(*keys: str) -> None:
        done.update(keys)

    if details.get("report"):
        source = details.get("source")
        text = Markup("report {}").format(
            _link(f"/reports/{details['report']}", str(details["report"]))
        )
        if source:
            text += Markup(" ({})").format(_enum_label(ReportSource, source).lower())
        parts.append(text)
        take("report", "source")
    if details.get("earlier_item"):
        parts.append(
            Markup("re-appearance of {}").format(
                _link(f"/items/{details['earlier_item']}", str(details["earlier_item"]))
            )
        )
        take("earlier_item")
    if any(details.get(k) for k in ("ip_address", "country", "asn", "provider")):
        parts.extend(_hosting(details))
    take("ip_address", "country", "asn", "provider")
    moved_from = details.get("from")
    if isinstance(moved_from, Mapping):
        before = _hosting(moved_from)
        if before:
            parts.append("before: " + ", ".join(str(b) for b in before))
    elif moved_from:
        parts.append(f"before: {moved_from}")
    take("from")
    if details.get("routed_to"):
        parts.append(f"to the queue of {details['routed_to']}")
    if details.get("lea"):
        parts.append(f"police: {details['lea']}")
    if details.get("window_ends_at"):
        parts.append(f"the police's window ends {_time(details['window_ends_at'], when)}")
    take("routed_to", "lea", "window_ends_at")
    if details.get("classification"):
        parts.append(_enum_label(Classification, details["classification"]))
    if details.get("bank"):
        count = details.get("count") or 0
        parts.append(f"{count} hash{'es' if count != 1 else ''} proposed to bank {details['bank']}")
        take("count")
    elif details.get("hashes"):
        count = details["hashes"]
        parts.append(f"{count} hash{'es' if count != 1 else ''}")
    take("classification", "bank", "hashes")
    if details.get("hold"):
        parts.append(
            Markup("hold {}").format(_link(f"/holds/{details['hold']}", str(details["hold"])))
        )
    take("hold")
    if details.get("until"):
        parts.append(f"until {_time(details['until'], when)}")
    if details.get("due_at"):
        parts.append(f"due {_time(details['due_at'], when)}")
    if details.get("waits_for"):
        parts.append(f"waits for {details['waits_for']}")
    if details.get("notice_due_at"):
        parts.append(f"notice due {_time(details['notice_due_at'], when)}")
    take("until", "due_at", "waits_for", "notice_due_at")
    if details.get("notice"):
        sequence = details.get("sequence")
        kind = "first notice" if sequence == 1 else f"notice {sequence}" if sequence else "notice"
        parts.append(f"{kind} {details['notice']}")
        take("notice", "sequence")
    elif details.get("sequence"):
        parts.append(f"notice {details['sequence']}")
        take("sequence")
    if details.get("channel"):
        parts.append(f"by {_channel(str(details['channel']))}")
    if details.get("recipient"):
        parts.append(f"to {details['recipient']}")
    take("channel", "recipient")
    if details.get("to"):
        recipients = details["to"]
        names = ", ".join(recipients) if isinstance(recipients, list) else str(recipients)
        parts.append(f"to {names}")
    if details.get("notices_sent"):
        parts.append(f"after {details['notices_sent']} notices")
    take("to", "notices_sent")
    if details.get("outcome"):
        outcome = label(details["outcome"]).lower()
        status = details.get("status")
        parts.append(f"{outcome} (HTTP {status})" if status else outcome)
    take("outcome", "status")
    if details.get("content"):
        parts.append(f"content {details['content']}")
    if details.get("final_url"):
        parts.append(f"ended at {details['final_url']}")
    take("content", "final_url")
    for key in ("detail", "reason", "error"):
        if details.get(key):
            parts.append(str(details[key]) if key != "error" else f"error: {details[key]}")
        take(key)
    if details.get("note"):
        parts.append(f"note: {details['note']}")
    take("note")
    for key, value in details.items():
        if key in done or value is None or value == "" or isinstance(value, (dict, list)):
            continue
        parts.append(f"{label(key).lower()}: {value}")
    return Markup("; ").join(escape(p) for p in parts)


def _channel(value: str) -> str:
    return {"email": "e-mail", "webhook": "webhook", "platform": "Alliance"}.get(value, value)


def actor_words(actor: str | None) -> str:
    """Who did it, as an audit label says (``user:jdoe``, ``api_key:case-tool``,
    ``system``), in words."""
    if not actor:
        return "—"
    kind, sep, name = actor.partition(":")
    if not sep:
        return {"system": "Alliance (automatic)", "public": "a member of the public"}.get(
            actor, actor
        )
    match kind:
        case "user":
            return name
        case "api_key":
            return f"{name} (API key)"
        case "operator":
            return f"{name} (server console)"
        case "system" | "worker":
            return "Alliance (automatic)"
    return actor
