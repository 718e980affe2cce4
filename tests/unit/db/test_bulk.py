from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alliance.accounts.models import Jurisdiction, Organisation
from alliance.accounts.permissions import OrgKind
from alliance.db.bulk import among, batches, insert_rows


def test_a_sequence_is_sliced_into_batches_of_at_most_the_size() -> None:
    assert list(batches([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(batches("abcdef", 3)) == ["abc", "def"]  # slices keep the sequence's type
    assert list(batches([], 2)) == []


def test_any_iterable_is_read_lazily() -> None:
    seen: list[int] = []

    def values() -> Iterator[int]:
        for value in range(5):
            seen.append(value)
            yield value

    chunks = batches(values(), 2)
    assert next(chunks) == [0, 1] and seen == [0, 1]  # nothing read ahead
    assert list(chunks) == [[2, 3], [4]]


def test_an_empty_batch_size_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        next(batches([1], 0))


def test_rows_are_inserted_with_their_columns_types(session: Session) -> None:
    """On PostgreSQL by COPY: enums as text, UTC datetimes, NULLs."""
    created = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    insert_rows(
        session,
        Jurisdiction,
        [
            {"code": "QA", "name": "Test A", "alliance_member": True, "created_at": created},
            {"code": "QB", "name": "Test B", "alliance_member": False, "created_at": created},
        ],
    )
    rows = [
        {
            "slug": f"bulk-{n}",
            "name": f"Bulk {n}",
            "kind": OrgKind.law_enforcement if n % 2 else OrgKind.hotline,
            "country_code": "QA" if n % 2 else "QB",
            "active": n != 3,
            "created_at": created + timedelta(minutes=n),
        }
        for n in range(5)
    ]
    insert_rows(session, Organisation, rows)
    found = (
        session.execute(select(Organisation).where(Organisation.slug.like("bulk-%")))
        .scalars()
        .all()
    )
    assert sorted((o.slug, o.kind, o.country_code, o.active, o.created_at) for o in found) == [
        (r["slug"], r["kind"], r["country_code"], r["active"], r["created_at"]) for r in rows
    ]
    insert_rows(session, Organisation, [])  # nothing to do


def test_rows_without_a_defaulted_column_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="must give alliance_member, created_at"):
        insert_rows(session, Jurisdiction, [{"code": "QC", "name": "Test C"}])


def test_among_finds_the_values_on_every_database(session: Session) -> None:
    insert_rows(
        session,
        Jurisdiction,
        [
            {"code": c, "name": c, "alliance_member": True, "created_at": datetime.now(UTC)}
            for c in ("QD", "QE", "QF")
        ],
    )
    query = select(Jurisdiction.code).where(among(session, Jurisdiction.code, ["QD", "QF", "ZZ"]))
    assert sorted(session.execute(query).scalars()) == ["QD", "QF"]
