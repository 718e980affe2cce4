"""Storage: one SQLAlchemy declarative base, engines for SQLite and PostgreSQL, migrations."""

from alliance.db.base import Base, UTCDateTime, utcnow
from alliance.db.session import create_db_engine, make_session_factory, transaction

__all__ = [
    "Base",
    "UTCDateTime",
    "create_db_engine",
    "make_session_factory",
    "transaction",
    "utcnow",
]
