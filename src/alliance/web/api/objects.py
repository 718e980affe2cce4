"""The records a path names, looked up before a request's validation errors are told.

FastAPI validates a request's body and query before the route runs, so a bad body sent to
another agency's series used to answer 422 where the same request to one's own would go on
to 404. The 422 handler asks here first: when the caller is authenticated and a path
parameter names a record the caller may not see (or that does not exist), the answer is
that record's 404, whatever else is wrong with the request.

Only records whose existence is private are listed: organisations and providers are a
public directory to every member, and numeric ids that fail to parse reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from alliance.accounts.permissions import Permission
from alliance.accounts.policy import Principal
from alliance.banks import services as banks
from alliance.errors import AllianceError, NotFound
from alliance.takedown import access as items
from alliance.takedown import holds, intake
from alliance.victims import access, identification, referrals, triage

Lookup = Callable[[Session, Principal, str], object]

#: Path parameter name → the service call that finds it for a principal (or NotFound).
LOOKUPS: dict[str, Lookup] = {
    "name": banks.get_bank,
    "reference": items.get_item,
    "report": intake.get_report,
    "hold": holds.get_hold,
    "code": lambda s, p, code: access.get_series(s, p, code, Permission.SERIES_READ),
    "victim": identification.get_victim,
    "referral": referrals.get_referral,
    "seizure": triage.get_seizure,
}


def hidden_object(
    session: Session, principal: Principal, path_params: Mapping[str, str]
) -> NotFound | None:
    """The NotFound of the first record in ``path_params`` that ``principal`` may not see.

    Run in a transaction the caller rolls back (a lookup may audit a read)."""
    for name, value in path_params.items():
        lookup = LOOKUPS.get(name)
        if lookup is None:
            continue
        try:
            lookup(session, principal, value)
        except NotFound as exc:
            return exc
        except AllianceError:
            continue  # e.g. a permission the route's guard did not need: no conclusion
    return None
