"""The error contract: Gomobile's documented body as an RFC 9457 problem document.

Body members: ``code, message, statusCode, error, fieldErrors, fieldDetails, timestamp, path``
plus the RFC 9457 ones (``type, title, status, detail, instance``). Media type
``application/problem+json``. Never a stack trace.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"

_ERROR_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "PAYMENT_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def error_name(status: int) -> str:
    return _ERROR_NAMES.get(status) or HTTPStatus(status).name


class ApiError(Exception):
    """An error the API reports as it is. ``code`` is a documented code or a named domain error."""

    status_code: int = 400
    default_code: str = "BAD_REQUEST"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        field_errors: dict[str, list[str]] | None = None,
        field_details: dict[str, list[dict[str, Any]]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.code = code or self.default_code
        self.field_errors = field_errors or {}
        self.field_details = field_details or {}
        self.headers = headers or {}


class ValidationFailed(ApiError):
    status_code = 400
    default_code = "VALIDATION_FAILED"

    def __init__(
        self,
        field_errors: dict[str, list[str]],
        field_details: dict[str, list[dict[str, Any]]] | None = None,
        message: str = "Validation failed",
    ) -> None:
        super().__init__(message, field_errors=field_errors, field_details=field_details)

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid", **params: Any) -> ValidationFailed:
        return cls({field: [message]}, {field: [{"code": code, "params": params}]})


class NotFound(ApiError):
    status_code = 404
    default_code = "NOT_FOUND"


class Unauthorized(ApiError):
    status_code = 401
    default_code = "UNAUTHORIZED"


class Conflict(ApiError):
    status_code = 409
    default_code = "CONFLICT"


def problem_body(
    *,
    status: int,
    code: str,
    message: str,
    path: str,
    field_errors: dict[str, list[str]] | None = None,
    field_details: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "about:blank" if code == error_name(status) else f"urn:callcast:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "instance": path,
        "code": code,
        "message": message,
        "statusCode": status,
        "error": error_name(status),
        "fieldErrors": field_errors or {},
        "fieldDetails": field_details or {},
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "path": path,
    }


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<f>[^`]+)`")
_MISSING = re.compile(r"Object missing required field `(?P<f>[^`]+)`")
_MIN_LEN = re.compile(r"length >= (?P<n>\d+)")
_MAX_LEN = re.compile(r"length <= (?P<n>\d+)")
_GE = re.compile(r"Expected `(int|float|number)` >= (?P<n>[-\d.]+)")
_LE = re.compile(r"Expected `(int|float|number)` <= (?P<n>[-\d.]+)")
_ENUM = re.compile(r"Invalid enum value")
_TYPE = re.compile(r"Expected `(?P<t>[^`]+)`, got `(?P<g>[^`]+)`")
_PATTERN = re.compile(r"matching regex")


def _field_path(path: str) -> str:
    # "$.graph.nodes[0].id" -> "graph.nodes[0].id"; "$" -> ""
    return path.lstrip(".")


def describe_decode_error(message: str) -> tuple[str, str, dict[str, Any], str]:
    """(field, code, params, human message) from a msgspec validation message."""
    text = message
    path = ""
    m = _AT.search(text)
    if m:
        path = _field_path(m.group("path"))
        text = text[: m.start()]
    for pattern, code in ((_UNKNOWN, "unknownField"), (_MISSING, "required")):
        mm = pattern.search(text)
        if mm:
            field = f"{path}.{mm.group('f')}" if path else mm.group("f")
            human = "property should not exist" if code == "unknownField" else "is required"
            return field, code, {}, f"{field} {human}"
    field = path or "body"
    for pattern, code, key in (
        (_MIN_LEN, "minLength", "min"),
        (_MAX_LEN, "maxLength", "max"),
        (_GE, "min", "min"),
        (_LE, "max", "max"),
    ):
        mm = pattern.search(text)
        if mm:
            n = mm.group("n")
            value: Any = float(n) if "." in n else int(n)
            return field, code, {key: value}, f"{field}: {text}"
    if _ENUM.search(text):
        return field, "isEnum", {}, f"{field}: {text}"
    if _PATTERN.search(text):
        return field, "matches", {}, f"{field}: {text}"
    mm = _TYPE.search(text)
    if mm:
        return field, "type", {"expected": mm.group("t")}, f"{field}: {text}"
    return field, "invalid", {}, f"{field}: {text}"


def validation_from_decode_error(message: str) -> ValidationFailed:
    field, code, params, human = describe_decode_error(message)
    return ValidationFailed({field: [human]}, {field: [{"code": code, "params": params}]})
