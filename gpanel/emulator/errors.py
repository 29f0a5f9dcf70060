"""Google's error bodies, exactly as the Gmail API and the OAuth endpoints send them.

Every refusal in the emulator is a `GoogleError` (API shape) or `OAuthError` (token-endpoint
shape); `install_handlers` turns them into responses so route code can simply raise.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# Canonical status names Google puts in `error.status`.
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleError(Exception):
    """A Gmail API error: `{"error": {"code", "message", "errors": [...], "status"}}`."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        domain: str = "global",
        status: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.status = status if status is not None else _STATUS.get(code)
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        item.update(self.extra)
        err: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        if self.status:
            err["status"] = self.status
        return {"error": err}

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.code, headers=self.headers)


# The shapes of docs/gmail-facts.md, "Error shapes", as constructors so nobody retypes them.
def user_rate_limit() -> GoogleError:
    return GoogleError(
        403, "User Rate Limit Exceeded", "userRateLimitExceeded", domain="usageLimits", status=""
    )


def too_many_concurrent() -> GoogleError:
    return GoogleError(
        429,
        "Too many concurrent requests for user",
        "rateLimitExceeded",
        status="RESOURCE_EXHAUSTED",
    )


def invalid_credentials() -> GoogleError:
    return GoogleError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential.",
        "authError",
        extra={"location": "Authorization", "locationType": "header"},
        status="UNAUTHENTICATED",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
    )


def insufficient_scopes() -> GoogleError:
    return GoogleError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        status="PERMISSION_DENIED",
    )


def not_found(what: str = "Requested entity was not found.") -> GoogleError:
    return GoogleError(404, what, "notFound", status="NOT_FOUND")


def bad_request(message: str, reason: str = "invalidArgument") -> GoogleError:
    return GoogleError(400, message, reason, status="INVALID_ARGUMENT")


def backend_error() -> GoogleError:
    return GoogleError(500, "Backend Error", "backendError", status="INTERNAL")


def unavailable() -> GoogleError:
    return GoogleError(
        503, "The service is currently unavailable.", "backendError", status="UNAVAILABLE"
    )


class OAuthError(Exception):
    """A token/revoke endpoint error: `{"error": "invalid_grant", "error_description": ...}`."""

    def __init__(self, error: str, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.code = code

    def response(self) -> Response:
        return JSONResponse(
            {"error": self.error, "error_description": self.description}, status_code=self.code
        )


def install_handlers(app: Starlette) -> None:
    async def on_google(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, GoogleError)
        return exc.response()

    async def on_oauth(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, OAuthError)
        return exc.response()

    app.add_exception_handler(GoogleError, on_google)
    app.add_exception_handler(OAuthError, on_oauth)
