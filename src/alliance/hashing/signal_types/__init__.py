"""The signal types, one module each; :mod:`alliance.hashing.signals` registers them.

A module here defines one or more :class:`~alliance.hashing.signal_type.SignalType`
objects; nothing outside it switches on the signal's name.
"""
