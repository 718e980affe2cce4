"""The app, called in-process, on the test database of each back end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alliance.accounts.models import Organisation
from alliance.accounts.permissions import ROLES_BY_KIND, OrgKind, Role
from alliance.settings import load_settings
from alliance.web import create_app
from tests import factories
from tests.support.member import member_server

SECRET = "test-secret-key-for-csrf-signing"


@pytest.fixture
def app(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> FastAPI:
    # Figures computed on every visit: tests change records between requests.
    settings = load_settings(
        data_dir=tmp_path, secret_key=SECRET, max_body_bytes=64 * 1024, report_cache_seconds=0
    )
    return create_app(settings, engine=engine, sessions=sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def csrf_from(client: TestClient) -> str:
    """Load the login page (which sets the CSRF cookie) and read the token from it."""
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert match, "login page has no CSRF token"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = factories.PASSWORD) -> str:
    """Log in through the form; return the CSRF token valid after login."""
    token = csrf_from(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_from_page(client, "/dashboard")


def csrf_from_page(client: TestClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', page.text)
    assert match, f"{path} has no CSRF token ({page.status_code})"
    return match.group(1)


@dataclass
class World:
    """One organisation per kind, and a user and an API key for every role it may have."""

    orgs: dict[OrgKind, Organisation] = field(default_factory=dict)
    usernames: dict[Role, str] = field(default_factory=dict)
    keys: dict[Role, str] = field(default_factory=dict)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    built = World()
    with sessions.begin() as session:
        for kind in OrgKind:
            country = {"secretariat": "BE", "industry": "US"}.get(kind.value, "NL")
            built.orgs[kind] = factories.organisation(
                session, kind, country, slug=f"w-{kind.value.replace('_', '-')}"
            )
        for role in Role:
            kind = next(
                k
                for k in OrgKind
                if role in ROLES_BY_KIND[k] and (role is not Role.viewer or k is OrgKind.industry)
            )
            user = factories.user(session, built.orgs[kind], role, username=f"w-{role.value}")
            built.usernames[role] = user.username
            _, token = factories.api_key(session, built.orgs[kind], role)
            built.keys[role] = token
    return built


@pytest.fixture
def member_app(
    client: TestClient, world: World, sessions: sessionmaker[Session], tmp_path: Path
) -> Iterator[FastAPI]:
    """Member mode's app (``alliance serve --member``) for the world's industry
    organisation, its bank synced from the hub (``client``): tests.support.member."""
    with member_server(
        client,
        sessions,
        tmp_path,
        analyst_key=world.keys[Role.analyst],
        member_key=world.keys[Role.reviewer],
        secret=SECRET,
    ) as server:
        yield server.app
