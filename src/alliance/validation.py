"""Validating fields from a form or the command line with the API's own schemas."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from alliance.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], **fields: Any) -> Model:
    """``model`` built from ``fields``; problems become one readable InvalidInput."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'input'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(problems) from None
