"""Errors the matching engine raises, beside the code that raises them::

InvalidInput
├── InvalidRadius   a search radius outside what an exact index answers
└── InvalidIndex    a file that is not an index of ours, or of another version
"""

from __future__ import annotations

from alliance.errors import InvalidInput


class InvalidRadius(InvalidInput):
    code = "invalid_radius"


class InvalidIndex(InvalidInput):
    code = "invalid_index"
