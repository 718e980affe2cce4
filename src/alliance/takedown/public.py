"""The public report form's defences: a proof of work instead of a captcha, and a rate limit.

The server hands out a signed challenge; the browser finds a nonce such that
``SHA-256(challenge ":" nonce)`` starts with N zero bits (about 2^N hashes: a second or
two for a person, costly for a flood) and no outside captcha service sees the reporter.
A challenge is spent once. Client addresses are kept only as keyed hashes, to count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance.db.base import utcnow
from alliance.errors import Conflict, InvalidInput, RateLimited
from alliance.settings import Settings
from alliance.takedown import intake
from alliance.takedown.models import PublicSubmission, ReportSource
from alliance.takedown.schemas import PublicReportIn, ReportIn, ReportReceipt

CHALLENGE_SECONDS = 15 * 60


def _sign(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]


def issue_challenge(secret: str, bits: int, now: float | None = None) -> str:
    body = f"{int(now if now is not None else time.time())}.{secrets.token_hex(8)}.{bits}"
    return f"{body}.{_sign(secret, body)}"


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, bits: int) -> str:
    """Find a nonce (what the browser does; tests and scripts use this)."""
    counter = 0
    while True:
        nonce = str(counter)
        if leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) >= bits:
            return nonce
        counter += 1


def verify_challenge(
    secret: str, challenge: str, nonce: str, min_bits: int, now: float | None = None
) -> None:
    try:
        issued, _random, bits_text, signature = challenge.split(".")
        issued_at, bits = int(issued), int(bits_text)
    except ValueError:
        raise InvalidInput("the form's anti-abuse check is malformed; reload the page") from None
    body = challenge.rsplit(".", 1)[0]
    if not hmac.compare_digest(signature, _sign(secret, body)):
        raise InvalidInput("the form's anti-abuse check is not ours; reload the page")
    age = (now if now is not None else time.time()) - issued_at
    if age > CHALLENGE_SECONDS or age < -60:
        raise InvalidInput("the form expired; reload the page and submit again")
    if bits < min_bits:
        raise InvalidInput("the form's anti-abuse check is too weak; reload the page")
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < bits:
        raise InvalidInput("the form's anti-abuse check was not completed; try again")


def spend_challenge(
    session: Session,
    challenge: str,
    nonce: str,
    client_address: str,
    settings: Settings,
    secret: str,
    *,
    what: str = "reports",
) -> None:
    """Check a public form's proof of work and its address's hourly limit, and spend the
    challenge (in the caller's transaction): every public form of the platform (reports,
    appeals against the URL list) counts against the same limit per address."""
    verify_challenge(secret, challenge, nonce, settings.proof_of_work_bits)
    address_digest = _sign(secret, f"address:{client_address}")
    since = utcnow() - timedelta(hours=1)
    recent = session.execute(
        select(func.count(PublicSubmission.id)).where(
            PublicSubmission.address_digest == address_digest, PublicSubmission.at >= since
        )
    ).scalar_one()
    if recent >= settings.public_reports_per_hour:
        raise RateLimited(f"too many {what} from your address; try again later", 3600)
    try:
        with session.begin_nested():
            session.add(
                PublicSubmission(
                    challenge_digest=hashlib.sha256(challenge.encode()).hexdigest(),
                    address_digest=address_digest,
                )
            )
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"this form was already submitted; reload the page to send {what} again"
        ) from None


def submit_public_report(
    session: Session,
    data: PublicReportIn,
    client_address: str,
    settings: Settings,
    secret: str,
) -> ReportReceipt:
    spend_challenge(session, data.challenge, data.nonce, client_address, settings, secret)
    report = ReportIn(urls=[data.url], description=data.description, country_hint=data.country_hint)
    return intake.submit_reports(
        session,
        intake.PUBLIC,
        [report],
        source=ReportSource.public,
        reporter_contact=data.contact,
    )[0]
