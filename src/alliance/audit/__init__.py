"""Tamper-evident audit log: every state change, chained by SHA-256."""

from alliance.audit.events import EventType
from alliance.audit.services import SYSTEM, AuditActor, SystemActor, record

__all__ = ["SYSTEM", "AuditActor", "EventType", "SystemActor", "record"]
