"""The Gmail discovery document that google-api-python-client ships, as the emulator's map.

Google's own client builds its requests from `gmail.v1.json`; the emulator reads the same file so
that it names every call the way Google does (`gmail.users.messages.get`), charges quota per
method id, recognises media-upload paths, and lets the contract test compare the emulator's
routes and responses with the document. The file is located through the installed
`googleapiclient` package, never through a hard-coded path, and is loaded on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

# Where googleapiclient keeps its static discovery documents, relative to the package.
_DOCUMENT_PACKAGE = "googleapiclient.discovery_cache.documents"
_DOCUMENT_NAME = "gmail.v1.json"
# The Calendar API's document (the emulator serves a subset of it; gpanel.emulator.calendar).
_CALENDAR_NAME = "calendar.v3.json"


@dataclass(frozen=True)
class Method:
    """One method of the discovery document, with the paths it is served at."""

    id: str  # "gmail.users.messages.get"
    http_method: str  # "GET"
    path: str  # "/gmail/v1/users/{userId}/messages/{id}"
    parameters: dict[str, Any] = field(hash=False, compare=False)
    scopes: tuple[str, ...] = ()
    request_schema: str | None = None  # a schema name such as "Message"
    response_schema: str | None = None
    # The simple/multipart upload path ("/upload/gmail/v1/...") when the method takes media.
    upload_path: str | None = None
    resumable_path: str | None = None
    max_upload_size: int | None = None

    @property
    def short_id(self) -> str:
        """The id without the API prefix, as Google's quota table names it: `users.labels.get`."""
        return self.id.removeprefix("gmail.")


@cache
def document() -> dict[str, Any]:
    """The parsed gmail.v1.json bundled with the installed google-api-python-client."""
    text = resources.files(_DOCUMENT_PACKAGE).joinpath(_DOCUMENT_NAME).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def calendar_document() -> dict[str, Any]:
    """The parsed calendar.v3.json bundled with the installed google-api-python-client."""
    text = resources.files(_DOCUMENT_PACKAGE).joinpath(_CALENDAR_NAME).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _walk(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = list(resource.get("methods", {}).values())
    for child in resource.get("resources", {}).values():
        found.extend(_walk(child))
    return found


@cache
def methods() -> tuple[Method, ...]:
    """Every method in the Gmail document, in document order."""
    return _methods_of(document())


@cache
def calendar_methods() -> tuple[Method, ...]:
    """Every method of the Calendar document; paths carry its servicePath (`/calendar/v3/`)."""
    return _methods_of(calendar_document())


def _methods_of(doc: dict[str, Any]) -> tuple[Method, ...]:
    # Gmail's paths already start with "gmail/v1/" (its servicePath is empty); Calendar's do not.
    service = doc.get("servicePath", "")
    out: list[Method] = []
    for raw in _walk(doc):
        protocols = raw.get("mediaUpload", {}).get("protocols", {})
        max_size = raw.get("mediaUpload", {}).get("maxSize")
        out.append(
            Method(
                id=raw["id"],
                http_method=raw["httpMethod"],
                path="/" + service + raw["path"],
                parameters=dict(raw.get("parameters", {})),
                scopes=tuple(raw.get("scopes", ())),
                request_schema=raw.get("request", {}).get("$ref"),
                response_schema=raw.get("response", {}).get("$ref"),
                upload_path=protocols.get("simple", {}).get("path"),
                resumable_path=protocols.get("resumable", {}).get("path"),
                max_upload_size=_size(max_size) if max_size else None,
            )
        )
    return tuple(out)


def _size(text: str) -> int:
    """Discovery sizes are plain byte counts ("36700160") or suffixed ("35MB")."""
    units = {"KB": 1024, "MB": 1024**2, "GB": 1024**3}
    for suffix, factor in units.items():
        if text.upper().endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def by_id(method_id: str) -> Method:
    for method in (*methods(), *calendar_methods()):
        if method.id == method_id:
            return method
    raise KeyError(method_id)


def global_parameters() -> dict[str, Any]:
    """Parameters every method accepts (`alt`, `fields`, `prettyPrint`, `uploadType`, ...)."""
    params: dict[str, Any] = document().get("parameters", {})
    return params


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = document().get("schemas", {})
    return found


def _template_regex(template: str) -> re.Pattern[str]:
    # A path parameter fills one segment; `{keyPairId}:disable` style suffixes stay literal.
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            pattern += f"(?P<{piece[1:-1]}>[^/]+?)"
        else:
            pattern += re.escape(piece)
    return re.compile(f"^{pattern}$")


@dataclass(frozen=True)
class _Route:
    method: Method
    http_method: str
    regex: re.Pattern[str]
    literal_segments: int
    upload: bool


@cache
def _routes() -> tuple[_Route, ...]:
    routes: list[_Route] = []
    for method in (*methods(), *calendar_methods()):
        for path, upload in ((method.path, False), (method.upload_path, True)):
            if path is None:
                continue
            literals = sum(1 for seg in path.split("/") if seg and "{" not in seg)
            routes.append(
                _Route(method, method.http_method, _template_regex(path), literals, upload)
            )
    # A literal segment beats a parameter (`messages/send` before `messages/{id}`), as in Google.
    routes.sort(key=lambda r: -r.literal_segments)
    return tuple(routes)


def match(http_method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The method id and path parameters for a request, or None if the document has no such call.

    Both the plain path (`/gmail/v1/users/me/messages/send`) and the media-upload path
    (`/upload/gmail/v1/users/me/messages/send`) resolve to the same method id.
    """
    found = match_method(http_method, path)
    if found is None:
        return None
    method, params, _ = found
    return method.id, params


def match_method(http_method: str, path: str) -> tuple[Method, dict[str, str], bool] | None:
    """Like `match`, but returns the `Method` and whether the upload path was used."""
    verb = http_method.upper()
    for route in _routes():
        if route.http_method != verb:
            continue
        m = route.regex.match(path)
        if m is not None:
            return route.method, m.groupdict(), route.upload
    return None
