"""A server-rendered API reference built from the OpenAPI document (no CDN, no script)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alliance.web.guards import page_public
from alliance.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


def _body_schema(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        ref = media.get("schema", {}).get("$ref")
        if ref:
            return str(ref).rsplit("/", 1)[-1]
    return None


@router.get("/api/v1/docs", dependencies=[page_public])
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            operations.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method,
                    "path": path,
                    "summary": operation.get("summary") or operation.get("description", ""),
                    "permission": operation.get("x-permission"),
                    "parameters": operation.get("parameters", []),
                    "body": _body_schema(operation),
                    "responses": operation.get("responses", {}),
                }
            )
    schemas = spec.get("components", {}).get("schemas", {})
    return render(
        request, "api_docs.html", {"spec": spec, "operations": operations, "schemas": schemas}
    )
