"""What every endpoint of the API promises, whichever router it lives in.

`MastheadApi` is django-ninja's API with one error shape, `{"error": "message"}`, for every
failure (validation, malformed JSON, throttling, unknown routes), and an OpenAPI document that
declares the failures each operation can really give: 400 (malformed body or headers) and 413
(body over the API's limit) everywhere, as the API middleware answers them before any view;
422 wherever there are parameters to validate; 429 wherever a throttle applies. New routers
get all of it by being added to the one API object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.throttling import BaseThrottle

COMMON = {
    400: "Malformed request (body or headers)",
    413: "Request body too large",
    422: "Invalid parameters or body",
    429: "Too many requests; see Retry-After",
}


class Error(Schema):
    error: str


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable line out of pydantic's error list: `where: what` for the first few."""
    parts = []
    for error in errors[:3]:
        loc = list(error.get("loc", ()))
        # ("body", "<parameter>", field...) or ("query" | "path", name): the field is what to show
        steps = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:]
        where = ".".join(str(step) for step in steps)
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more


class ContractSchema(OpenAPISchema):
    def responses(self, operation: Operation) -> dict[int, Any]:
        result = super().responses(operation)
        self.add_schema_definitions({"Error": Error.model_json_schema(mode="serialization")})
        error = {"$ref": "#/components/schemas/Error"}
        wanted = [400, 413]
        if operation.models:
            wanted.append(422)
        if operation.throttle_objects:
            wanted.append(429)
        for status in wanted:
            result.setdefault(
                status,
                {
                    "description": COMMON[status],
                    "content": {self.api.renderer.media_type: {"schema": error}},
                },
            )
        return result


class MastheadApi(NinjaAPI):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        # ninja's annotation asks handlers to accept the exception class too; they get instances.
        self.add_exception_handler(ValidationError, self._invalid)  # type: ignore[arg-type]
        self.add_exception_handler(HttpError, self._http_error)  # type: ignore[arg-type]
        self.add_exception_handler(Http404, self._not_found)  # type: ignore[arg-type]

    def get_openapi_schema(self, *, path_prefix=None, path_params=None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ContractSchema(self, path_prefix)

    def _invalid(self, request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return self.create_response(request, {"error": validation_message(exc.errors)}, status=422)

    def _http_error(self, request: HttpRequest, exc: HttpError) -> HttpResponse:
        return self.create_response(request, {"error": str(exc)}, status=exc.status_code)

    def _not_found(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        return self.create_response(request, {"error": "not found"}, status=404)


class BudgetThrottle(BaseThrottle):
    """A throttle backed by a shared limit: `check(request)` spends one unit and returns the
    seconds to wait (0: allowed). Shared by every worker, unlike ninja's cache throttles."""

    def __init__(self, check: Callable[[HttpRequest], float]):
        self.check = check
        self.local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self.local.wait = self.check(request)
        return not self.local.wait

    def wait(self) -> float | None:
        return getattr(self.local, "wait", None) or None
