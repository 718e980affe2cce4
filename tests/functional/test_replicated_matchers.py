"""Two matcher replicas (`alliance matcher serve`) behind a load balancer, under load, while
the platform's bank changes and each replica syncs and swaps on its own schedule, and one
replica is killed and restarted: no request fails and no answer is wrong.

Wrong means, for the banks' sequence the answer says it was given at: a hash banked from
the start not found, a hash never banked found, a hash added at or before that sequence
not found, or one removed at or before it found. The load balancer is the client's: round
robin, and the other replica when one does not answer (what any balancer does on a
refused connection).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from alliance.accounts.permissions import OrgKind, Role
from alliance.db import create_db_engine, make_session_factory
from alliance.db.migrate import upgrade
from alliance.db.session import transaction
from alliance.web.matcher import key_digest
from tests import factories
from tests.factories import flip_bits, pdq_hex
from tests.support.server import free_port, live_serve

BANK = "replicated"
CALLER_KEY = "alm_test-caller-key"
KILL_AFTER = 5.0
AFTER_RESTART = 8.0


@dataclass
class Hub:
    url: str
    analyst: str
    reviewer: str


@pytest.fixture
def hub(fresh_db_url: str, tmp_path: Path) -> Iterator[Hub]:
    engine = create_db_engine(fresh_db_url)
    try:
        upgrade(engine)
        with transaction(make_session_factory(engine)) as session:
            hotline = factories.organisation(session, OrgKind.hotline, "NL")
            platform = factories.organisation(session, OrgKind.industry, "NL")
            factories.bank(session, owner=hotline, name=BANK)
            _, analyst = factories.api_key(session, hotline, Role.analyst)
            _, reviewer = factories.api_key(session, platform, Role.reviewer)
    finally:
        engine.dispose()
    env = {
        **os.environ,
        "ALLIANCE_DATABASE_URL": fresh_db_url,
        "ALLIANCE_DATA_DIR": str(tmp_path / "hub"),
        "ALLIANCE_MODE": "development",
        "ALLIANCE_SERVE_WORKER": "false",
    }
    with live_serve(env, tmp_path / "hub.log") as url:
        yield Hub(url, analyst, reviewer)


class Matcher:
    """One replica process on a fixed port and store, which can be killed and restarted."""

    def __init__(self, hub: Hub, folder: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = folder / f"{name}-banks"
        self.log = folder / f"{name}.log"
        self.env = {**os.environ, "ALLIANCE_DATA_DIR": str(folder / name)}
        self.command = [
            sys.executable, "-m", "alliance", "matcher", "serve",
            "--store", str(self.store), "--server", hub.url, "--key", hub.reviewer,
            "--every", "0.4", "--jitter", "0.5", "--port", str(self.port),
            "--key-sha256", key_digest(CALLER_KEY),
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"matcher did not start: {self.log.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Ledger:
    """What the bank held, by sequence: what every answer is checked against."""

    stable: list[str]
    never: list[str]
    added: dict[str, int] = field(default_factory=dict)  # value -> sequence it was added at
    removed: dict[str, int] = field(default_factory=dict)  # value -> sequence it went at
    lock: threading.Lock = field(default_factory=threading.Lock)


def _add(hub: Hub, values: list[str]) -> tuple[int, list[int]]:
    answer = httpx.post(
        f"{hub.url}/api/v1/banks/{BANK}/entries",
        headers={"Authorization": f"Bearer {hub.analyst}"},
        json={"entries": [{"signal_type": "pdq", "signal": v} for v in values]},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return int(body["sequence"]), [e["id"] for e in body["entries"]]


def _remove(hub: Hub, ids: list[int]) -> int:
    answer = httpx.post(
        f"{hub.url}/api/v1/banks/{BANK}/entries/remove",
        headers={"Authorization": f"Bearer {hub.analyst}"},
        json={"ids": ids},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    bank = httpx.get(
        f"{hub.url}/api/v1/banks/{BANK}",
        headers={"Authorization": f"Bearer {hub.analyst}"},
        timeout=30,
    ).json()
    return int(bank["sequence"])


def _wrong(ledger: Ledger, asked: list[str], answer: dict[str, object]) -> list[str]:
    """What is wrong in one answer (nothing: an empty list)."""
    at = answer["banks"]
    assert isinstance(at, dict)
    sequence = int(at.get(BANK, 0))
    results = answer["results"]
    assert isinstance(results, list)
    problems = []
    with ledger.lock:
        added, removed = dict(ledger.added), dict(ledger.removed)
    for value, result in zip(asked, results, strict=True):
        found = bool(result["matches"])
        if value in removed and removed[value] <= sequence:
            expected: bool | None = False
        elif value in ledger.stable or (value in added and added[value] <= sequence):
            expected = True
        elif value in ledger.never:
            expected = False
        else:
            expected = None  # added after the answer's sequence: either is right
        if expected is not None and found != expected:
            problems.append(f"{value[:12]}… at sequence {sequence}: found={found}")
    return problems


def test_two_replicas_answer_right_through_syncs_swaps_and_a_kill(hub: Hub, tmp_path: Path) -> None:
    stable = [pdq_hex(n) for n in range(40)]
    sequence, stable_ids = _add(hub, stable)
    ledger = Ledger(stable=stable[:30], never=[pdq_hex(n) for n in range(1000, 1040)])
    matchers = [Matcher(hub, tmp_path, "a"), Matcher(hub, tmp_path, "b")]
    outcomes: list[tuple[str, int | None, list[str]]] = []
    stop = threading.Event()
    try:
        for matcher in matchers:
            matcher.start()

        def client(number: int) -> None:
            turn = itertools.count(number)
            headers = {"Authorization": f"Bearer {CALLER_KEY}"}
            with httpx.Client(timeout=10, headers=headers) as http:
                while not stop.is_set():
                    with ledger.lock:
                        pool = [*ledger.stable, *ledger.never, *ledger.added, *ledger.removed]
                    asked = [pool[(next(turn) * 7 + k) % len(pool)] for k in range(8)]
                    body = {
                        "signals": [
                            {"signal_type": "pdq", "signal": flip_bits(v, 3)} for v in asked
                        ]
                    }
                    first = next(turn) % 2
                    for attempt in (first, 1 - first):  # the balancer: the other on failure
                        url = matchers[attempt].url
                        try:
                            answer = http.post(f"{url}/api/v1/match", json=body)
                        except httpx.TransportError:
                            continue
                        wrong = (
                            []
                            if answer.status_code != 200
                            else _wrong(ledger, asked, answer.json())
                        )
                        outcomes.append((url, answer.status_code, wrong))
                        break
                    else:
                        outcomes.append(("none", None, ["no replica answered"]))

        clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in clients:
            thread.start()
        # Changes all along; the kill after KILL_AFTER seconds, then AFTER_RESTART seconds
        # more once the killed replica answers again.
        until = time.monotonic() + KILL_AFTER + 600
        kill_at = time.monotonic() + KILL_AFTER
        batch = 0
        killed = False
        while time.monotonic() < until:
            batch += 1
            values = [pdq_hex(5000 + batch * 10 + k) for k in range(3)]
            sequence, _ = _add(hub, values)
            with ledger.lock:
                ledger.added.update(dict.fromkeys(values, sequence))
            if batch % 3 == 0 and len(stable_ids) > 30:
                gone, gone_id = stable.pop(), stable_ids.pop()
                sequence = _remove(hub, [gone_id])
                with ledger.lock:
                    ledger.removed[gone] = sequence
            if not killed and time.monotonic() > kill_at:
                matchers[0].kill()  # whatever it was doing, a sync or a swap among it
                killed = True
                time.sleep(0.3)
                matchers[0].start()  # on the store its disk holds
                until = time.monotonic() + AFTER_RESTART
            time.sleep(0.25)
        stop.set()
        for thread in clients:
            thread.join(30)
        statuses = [
            httpx.get(
                f"{m.url}/api/v1/status", headers={"Authorization": f"Bearer {CALLER_KEY}"}
            ).json()
            for m in matchers
        ]
    finally:
        stop.set()
        for matcher in matchers:
            matcher.stop()

    failed = [o for o in outcomes if o[1] != 200]
    wrong = [w for o in outcomes for w in o[2]]
    assert not failed, failed[:5]
    assert not wrong, wrong[:5]
    assert len(outcomes) > 100
    assert {url for url, _, _ in outcomes} == {m.url for m in matchers}
    # Each synced and swapped again and again (the killed one since its restart).
    logs = "\n".join(m.log.read_text()[-3000:] for m in matchers)
    assert all(s["syncs"] >= 3 and s["failed_syncs"] == 0 for s in statuses), (statuses, logs)
    assert ledger.removed and len(ledger.added) >= 9
    # At the end both replicas hold the bank's last state.
    assert {s["banks"][BANK] for s in statuses} <= {sequence, sequence - 1, sequence - 2}
