"""How the API answers with a signed JSON-lines document (a bank's snapshot or delta, the
sync manifest, a list for blocking): its media type, its OpenAPI description, and the
response with the signing key's id beside it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from alliance.web.state import app_state

NDJSON = "application/x-ndjson"


def signed_route(description: str) -> dict[str, Any]:
    """The route arguments for a signed JSON-lines document: no model, its content type."""
    return {
        "response_class": Response,
        "responses": {200: {"content": {NDJSON: {}}, "description": description}},
    }


def signed_document(request: Request, body: bytes, name: str, kind: str) -> Response:
    """``body`` as an attachment ``<name>.<kind>.jsonl``, with the key id it is signed by."""
    return Response(
        body,
        media_type=NDJSON,
        headers={
            "content-disposition": f'attachment; filename="{name}.{kind}.jsonl"',
            "x-alliance-key-id": app_state(request).signer.key_id,
        },
    )
