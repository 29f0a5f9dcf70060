"""The authorization endpoint and its consent page: who signs in, and which scopes they grant.

`GET /o/oauth2/v2/auth` validates the request the way Google does (a bad client id or redirect
URI gets an error page, since redirecting there would be unsafe; any other fault is sent back
to the redirect URI as `error=...`), then either answers at once (`auto_consent`, or
`prompt=none` over an existing grant) or renders the consent page. The page carries the whole
validated request inside an itsdangerous-signed form token, bound to a cookie and usable once,
so the POST that approves it can trust nothing but that token and the user's choices.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from itsdangerous import BadSignature
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gpanel.emulator.accounts import Account
from gpanel.emulator.oauth.grants import CODE_TTL_SECONDS
from gpanel.emulator.oauth.scopes import describe, is_gmail, joined, normalise, unknown
from gpanel.emulator.oauth.server import OAuthServer

CSRF_COOKIE = "emu_consent"
CONSENT_PATH = "/o/oauth2/v2/consent"
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class _Redirectable(Exception):
    """An error that may safely be reported to the (already validated) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect(url: str, params: dict[str, str]) -> Response:
    return RedirectResponse(with_query(url, params), status_code=302)


def _error_page(server: OAuthServer, error: str, detail: str, status: int = 400) -> Response:
    html = server.templates.get_template("oauth_error.html").render(error=error, detail=detail)
    return HTMLResponse(html, status_code=status)


def _valid_redirect_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.fragment


def _parse(params: dict[str, str]) -> dict[str, Any]:
    """Validate the parameters Google's endpoint takes; raise `_Redirectable` on a fault."""
    if params.get("response_type") != "code":
        raise _Redirectable(
            "unsupported_response_type", f"Invalid response_type: {params.get('response_type')}"
        )
    scopes = normalise(params.get("scope", ""))
    if not scopes:
        raise _Redirectable("invalid_request", "Missing required parameter: scope")
    if bad := unknown(scopes):
        raise _Redirectable("invalid_scope", f"Some requested scopes were invalid: {bad}")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if method is not None and method not in ("S256", "plain"):
        raise _Redirectable("invalid_request", "Invalid code_challenge_method.")
    if method is not None and challenge is None:
        raise _Redirectable("invalid_request", "Missing code_challenge.")
    if challenge is not None and not _CHALLENGE.match(challenge):
        raise _Redirectable("invalid_request", "Invalid code_challenge.")
    access_type = params.get("access_type", "online")
    if access_type not in ("online", "offline"):
        raise _Redirectable("invalid_request", f"Invalid access_type: {access_type}")
    prompts = set(params.get("prompt", "").split())
    if prompts - {"none", "consent", "select_account"} or ("none" in prompts and len(prompts) > 1):
        raise _Redirectable("invalid_request", "Invalid prompt value.")
    return {
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "scopes": scopes,
        "state": params.get("state"),
        "code_challenge": challenge,
        "code_challenge_method": (method or "plain") if challenge else None,
        "offline": access_type == "offline",
        "consent": "consent" in prompts,
        "prompt_none": "none" in prompts,
        "include_granted_scopes": params.get("include_granted_scopes", "").lower() == "true",
        "login_hint": params.get("login_hint") or None,
        "nonce": params.get("nonce") or None,
    }


def _answer(server: OAuthServer, req: dict[str, Any], account: Account, granted: set[str]) -> str:
    code = server.new_code(req, account, frozenset(granted))
    params = {"code": code, "scope": joined(granted)}
    if req["state"] is not None:
        params["state"] = req["state"]
    return with_query(req["redirect_uri"], params)


def _denied(req: dict[str, Any]) -> Response:
    params = {"error": "access_denied"}
    if req["state"] is not None:
        params["state"] = req["state"]
    return _redirect(req["redirect_uri"], params)


def _hinted_account(server: OAuthServer, hint: str | None) -> Account | None:
    if hint:
        return server.accounts.get(hint)
    accounts = server.accounts.all()
    return accounts[0] if accounts else None


def _auto(server: OAuthServer, req: dict[str, Any]) -> Response:
    """Answer without a page: a planned answer if a test queued one, else approve all."""
    plan = server.plans.popleft() if server.plans else None
    if plan is not None and plan.deny:
        return _denied(req)
    account = _hinted_account(server, (plan.email if plan else None) or req["login_hint"])
    if account is None:
        # An unknown login_hint is refused rather than silently signing in someone else.
        return _denied(req)
    granted = set(req["scopes"])
    if plan is not None and plan.scopes is not None:
        granted = {s for s in granted if not is_gmail(s) or s in plan.scopes}
    return RedirectResponse(_answer(server, req, account, granted), status_code=302)


def _silent(server: OAuthServer, req: dict[str, Any]) -> Response:
    """`prompt=none`: succeed only over an existing grant that covers every scope."""
    account = _hinted_account(server, req["login_hint"])
    params: dict[str, str] = {}
    if account is None:
        params["error"] = "login_required"
    elif not set(req["scopes"]) <= server.store.granted_scopes(req["client_id"], account.email):
        params["error"] = "consent_required"
    else:
        return RedirectResponse(_answer(server, req, account, set(req["scopes"])), status_code=302)
    if req["state"] is not None:
        params["state"] = req["state"]
    return _redirect(req["redirect_uri"], params)


def authorize(server: OAuthServer) -> Any:
    async def endpoint(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        if not params.get("client_id"):
            return _error_page(server, "invalid_request", "Missing required parameter: client_id")
        if not _valid_redirect_uri(params.get("redirect_uri", "")):
            return _error_page(
                server,
                "redirect_uri_mismatch",
                "The redirect_uri must be an absolute http or https URL.",
            )
        try:
            req = _parse(params)
        except _Redirectable as exc:
            out = {"error": exc.error, "error_description": exc.description}
            if params.get("state") is not None:
                out["state"] = params["state"]
            return _redirect(params["redirect_uri"], out)
        if req["prompt_none"]:
            return _silent(server, req)
        # A queued answer (control API) is used for the next request even when the consent
        # page is on, so set-up code can connect mailboxes while people use the page.
        if server.config.auto_consent or server.plans:
            return _auto(server, req)
        return _consent_page(server, request, req)

    return endpoint


def _consent_page(server: OAuthServer, request: Request, req: dict[str, Any]) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    form_token = server.form_signer.dumps(
        {"req": req, "csrf": csrf, "jti": secrets.token_urlsafe(12)}
    )
    hint = (req["login_hint"] or "").lower()
    accounts = server.accounts.all()
    selected = next((a.email for a in accounts if a.email.lower() == hint), None)
    if selected is None and accounts:
        selected = accounts[0].email
    html = server.templates.get_template("consent.html").render(
        client_id=req["client_id"],
        redirect_host=urlsplit(req["redirect_uri"]).netloc,
        accounts=accounts,
        selected=selected,
        identity=[describe(s) for s in req["scopes"] if not is_gmail(s)],
        gmail=[(s, describe(s)) for s in req["scopes"] if is_gmail(s)],
        offline=req["offline"],
        form_token=form_token,
        action=CONSENT_PATH,
    )
    response = HTMLResponse(html, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=int(CODE_TTL_SECONDS),
        httponly=True,
        samesite="lax",
        path="/o/oauth2",
    )
    return response


def consent(server: OAuthServer) -> Any:
    used_forms: set[str] = set()

    async def endpoint(request: Request) -> Response:
        form = await request.form()
        try:
            payload = server.form_signer.loads(
                str(form.get("form_token", "")), max_age=int(CODE_TTL_SECONDS)
            )
        except BadSignature:
            return _error_page(server, "invalid_request", "This consent form is not valid.")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not secrets.compare_digest(cookie.encode(), str(payload["csrf"]).encode()):
            return _error_page(server, "invalid_request", "This consent form is not valid.")
        if payload["jti"] in used_forms:
            return _error_page(server, "invalid_request", "This consent form was already used.")
        used_forms.add(payload["jti"])
        req: dict[str, Any] = payload["req"]
        if form.get("decision") != "approve":
            return _denied(req)
        account = server.accounts.get(str(form.get("account", "")))
        if account is None:
            return _error_page(server, "invalid_request", "Choose one of the listed accounts.")
        ticked = {str(v) for v in form.getlist("scope")}
        granted = {s for s in req["scopes"] if not is_gmail(s) or s in ticked}
        return RedirectResponse(_answer(server, req, account, granted), status_code=302)

    return endpoint
