"""Gmail's API surface, read from Google's own discovery document instead of typed by hand.

google-api-python-client bundles `gmail.v1.json`; we locate it through the installed package,
load it once, and derive from it each method's HTTP verb, path template, upload endpoint and
parameter rules (required, enum, repeated, integer ranges, patterns). `build()` turns a
method id and its parameters (discovery's camelCase names) into a verb, a path under the base
URL and query pairs, refusing with `InvalidRequest` what Google would refuse, before any
network traffic. The path is expanded with `uritemplate`, the library googleapiclient uses.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import uritemplate

from gpanel.gmail.errors import InvalidRequest

_DOCUMENT = "discovery_cache/documents/gmail.v1.json"
_UINT_RANGES = {"uint32": 2**32 - 1, "uint64": 2**64 - 1, "int32": 2**31 - 1}


@dataclass(frozen=True)
class ApiMethod:
    id: str
    http_method: str
    path: str  # template relative to the base URL, e.g. "gmail/v1/users/{userId}/threads/{id}"
    parameters: Mapping[str, Mapping[str, Any]]
    upload_path: str | None  # the simple media-upload template, when the method takes media
    max_upload: int | None


@dataclass(frozen=True)
class BuiltRequest:
    method: ApiMethod
    http_method: str
    path: str  # absolute path, starting with "/"
    query: tuple[tuple[str, str], ...]


@functools.cache
def document() -> Mapping[str, Any]:
    """The discovery document, parsed once per process."""
    resource = importlib.resources.files("googleapiclient").joinpath(_DOCUMENT)
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return MappingProxyType(data)


@functools.cache
def _methods() -> Mapping[str, ApiMethod]:
    found: dict[str, ApiMethod] = {}

    def walk(resource: Mapping[str, Any]) -> None:
        for raw in resource.get("methods", {}).values():
            upload = raw.get("mediaUpload", {})
            simple = upload.get("protocols", {}).get("simple", {})
            found[raw["id"]] = ApiMethod(
                id=raw["id"],
                http_method=raw["httpMethod"],
                path=raw["path"],
                parameters=MappingProxyType(raw.get("parameters", {})),
                upload_path=simple.get("path"),
                max_upload=int(upload["maxSize"]) if "maxSize" in upload else None,
            )
        for child in resource.get("resources", {}).values():
            walk(child)

    walk(document())
    return MappingProxyType(found)


def method(method_id: str) -> ApiMethod:
    """The discovery description of `method_id` (e.g. "gmail.users.threads.get")."""
    try:
        return _methods()[method_id]
    except KeyError:
        raise InvalidRequest(f"Unknown Gmail method {method_id}") from None


def _wire_value(name: str, spec: Mapping[str, Any], value: object, method_id: str) -> str:
    """One parameter value as Google expects it on the wire, or `InvalidRequest`."""
    kind = spec.get("type", "string")
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidRequest(f"Parameter {name} must be true or false", method=method_id)
        return "true" if value else "false"
    if kind == "integer" or spec.get("format") in _UINT_RANGES:
        number = value
        if isinstance(value, str) and value.isdigit():
            number = int(value)
        if not isinstance(number, int) or isinstance(number, bool):
            raise InvalidRequest(f"Parameter {name} must be a whole number", method=method_id)
        low = int(
            spec.get("minimum", 0 if str(spec.get("format", "")).startswith("u") else -(2**63))
        )
        high = int(spec.get("maximum", _UINT_RANGES.get(str(spec.get("format")), 2**63)))
        if not low <= number <= high:
            raise InvalidRequest(f"Parameter {name} is out of range", method=method_id)
        return str(number)
    if not isinstance(value, str):
        raise InvalidRequest(f"Parameter {name} must be text", method=method_id)
    if "enum" in spec and value not in spec["enum"]:
        raise InvalidRequest(
            f"Parameter {name} must be one of {', '.join(spec['enum'])}", method=method_id
        )
    if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
        raise InvalidRequest(f"Parameter {name} has the wrong form", method=method_id)
    return value


def build(method_id: str, params: Mapping[str, object], *, upload: bool = False) -> BuiltRequest:
    """Validate `params` against the discovery document and lay out the request.

    `None` values are left out. Path parameters are percent-encoded into the path; the rest
    become query pairs (repeated ones once per value). `upload=True` uses the method's media
    upload path instead of its plain one.
    """
    api = method(method_id)
    globals_ = document().get("parameters", {})
    path_values: dict[str, Any] = {}
    query: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        spec = api.parameters.get(name) or globals_.get(name)
        if spec is None:
            raise InvalidRequest(f"Gmail has no parameter {name}", method=method_id)
        values: Sequence[object]
        if spec.get("repeated"):
            if isinstance(value, str | bytes) or not isinstance(value, Sequence):
                raise InvalidRequest(f"Parameter {name} takes a list", method=method_id)
            values = value
        else:
            values = [value]
        wire = [_wire_value(name, spec, v, method_id) for v in values]
        if spec.get("location") == "path":
            if not wire or not wire[0]:
                raise InvalidRequest(f"Parameter {name} must not be empty", method=method_id)
            path_values[name] = wire[0]
        else:
            query.extend((name, w) for w in wire)
    for name, spec in api.parameters.items():
        if (
            spec.get("required")
            and name not in path_values
            and not any(k == name for k, _ in query)
        ):
            raise InvalidRequest(f"Parameter {name} is required", method=method_id)
    template = api.path
    if upload:
        if api.upload_path is None:
            raise InvalidRequest("This Gmail method takes no upload", method=method_id)
        template = api.upload_path
    path = uritemplate.expand(template, path_values)
    return BuiltRequest(api, api.http_method, "/" + path.lstrip("/"), tuple(query))
