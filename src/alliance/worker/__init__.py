"""`alliance worker`: performs due takedown actions durably.

Notices, re-notices, re-checks, hold expiry and escalation.
"""
