"""Failed logins, each naming a new client address in X-Forwarded-For."""

from __future__ import annotations

import re

import httpx


async def failed_logins_from_new_addresses(client: httpx.AsyncClient, attempts: int) -> list[int]:
    """The statuses of ``attempts`` wrong passwords, each with X-Forwarded-For 203.0.113.n:
    a client that is no trusted proxy must still be counted at its own address."""
    statuses = []
    for n in range(attempts):
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token is not None, page.text
        response = await client.post(
            "/login",
            data={"username": f"nobody-{n}", "password": "wrong", "csrf_token": token[1]},
            headers={"x-forwarded-for": f"203.0.113.{n + 1}"},
        )
        statuses.append(response.status_code)
    return statuses
