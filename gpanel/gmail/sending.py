"""The size rules and upload body for sending a message through Gmail.

Gmail takes a message as JSON (`raw`, base64url) or, for large ones, on its media-upload
endpoint; googleapiclient's "multipart" upload is a `multipart/related` body of the JSON
metadata (e.g. `threadId`) and the `message/rfc822` bytes. The `email` package cannot carry
raw bytes as a `message/rfc822` part without re-parsing (and so rewriting) the message, so
the body is written here, with a boundary checked absent from the message.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from gpanel.gmail import discovery

SIMPLE_SEND_BYTES = 5 * 1024 * 1024  # Google advises simple requests up to 5 MB


def max_send_bytes() -> int:
    """Gmail's cap on a sent message: the discovery document's mediaUpload.maxSize (35 MB)."""
    limit = discovery.method("gmail.users.messages.send").max_upload
    return limit if limit is not None else 36_700_160


def related_upload(raw: bytes, metadata: dict[str, Any]) -> tuple[bytes, str]:
    """A `multipart/related` upload body (metadata JSON, then the message) and its type."""
    while True:
        boundary = "gpanel_" + secrets.token_hex(16)
        if boundary.encode() not in raw:
            break
    crlf = b"\r\n"
    marker = b"--" + boundary.encode()
    body = b"".join(
        [
            marker + crlf,
            b"Content-Type: application/json; charset=UTF-8" + crlf + crlf,
            json.dumps(metadata).encode() + crlf,
            marker + crlf,
            b"Content-Type: message/rfc822" + crlf + crlf,
            raw + crlf,
            marker + b"--" + crlf,
        ]
    )
    return body, f'multipart/related; boundary="{boundary}"'
