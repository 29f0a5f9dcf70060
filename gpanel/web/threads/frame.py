"""What the message frame loads: the links a thread page puts in it, and the image proxy route.

The frame is sandboxed to an opaque origin, so its requests carry no cookie: `cid:` images
(`.../attachments/{message}/p{part}?inline=1&t=<token>`) and remote images through the proxy
(`GET /img?u=<url>&s=<token>`) carry a frame token instead (`services.threads.frame_binding`),
bound to the viewer's session and to the record, mailbox, thread and message it was rendered
for. `frame_links` makes them; `inline_viewer` and `proxy_image` check them: the token's age
and signature, that its session is still live (a sign-out ends every link made in it), that a
request carrying a session cookie carries that same session and one without comes from the
client the page was rendered for (`frame_binding.same_client`), then the thread gate again
(`authorize_thread`), at full detail, for a message of that thread. The proxy also fetches
only a URL that the message's own body holds, and never one on gpanel's own host (a proxy
link planted in mail). Any failure is 403 and nothing is fetched.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gpanel.mail.render import body_source
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.sharing.policy import Detail
from gpanel.services.threads import gate as threads
from gpanel.services.threads.frame_binding import (
    INLINE,
    FrameBinding,
    FrameSigner,
    client_ref,
    live_viewer,
    same_client,
    same_session,
    session_ref,
)
from gpanel.services.threads.image_proxy import CACHE_SECONDS, PROXY_PATH, ImageRefused
from gpanel.services.threads.view import Links, body_templates
from gpanel.web.guard.viewer import ctx_of

REFUSED = "This image link was not made by gpanel for this session and message, or it expired."


def _signer(request: Request) -> FrameSigner:
    return FrameSigner(ctx_of(request).settings.secret_key.get_secret_value())


def _session_id(request: Request) -> str | None:
    value = getattr(request.state, "session_id", None)
    return value if isinstance(value, str) and value else None


def _client(request: Request) -> str:
    address = request.client.host if request.client else None
    return client_ref(address, request.headers.get("user-agent"))


def _bound_here(request: Request, binding: FrameBinding) -> bool:
    """The token was made for this request's session (a request with a session cookie) or,
    for the cookie-less frame, for this very client."""
    session_id = _session_id(request)
    if session_id is not None:
        return same_session(binding, session_id)
    return same_client(binding, _client(request))


def frame_links(request: Request, grant: threads.ThreadGrant, base: str) -> Links:
    """The URL builders for one rendering of `grant`'s thread, for this request's session."""
    ctx = ctx_of(request)
    origin = ctx.settings.base_url.rstrip("/")
    frames = _signer(request)
    ref = session_ref(_session_id(request))
    client = _client(request)

    def bound(message_id: str, target: str) -> FrameBinding:
        return FrameBinding(
            grant.viewer.id,
            ref,
            grant.record_type,
            grant.record_id,
            grant.mailbox.id,
            grant.thread.id,
            message_id,
            target,
            client,
        )

    def attachment(message_id: str, part_id: str, inline: bool) -> str:
        url = f"{origin}{base}/attachments/{message_id}/p{part_id}"
        if not inline:
            return url
        token = frames.dumps(INLINE, bound(message_id, part_id))
        return f"{url}?{urlencode({'inline': '1', 't': token})}"

    def image(message_id: str, remote: str) -> str:
        signature = ctx.image_signer.signature(remote, bound(message_id, ""))
        return f"{origin}{PROXY_PATH}?{urlencode({'u': remote, 's': signature})}"

    return Links(origin, (PROXY_PATH, "/records/"), attachment, image)


async def inline_viewer(request: Request, key: list[object], not_found: str) -> CurrentUser:
    """For a `cid:` image in the frame: the viewer named by a live token for this very part
    (`key` is [record type, record id, mailbox id, thread id, message id, part id])."""
    binding = _signer(request).loads(INLINE, request.query_params.get("t", ""))
    if (
        binding is None
        or [
            binding.record_type,
            binding.record_id,
            binding.mailbox_id,
            binding.thread_id,
            binding.message_id,
            binding.target,
        ]
        != key
    ):
        raise HTTPException(404, not_found)
    if not _bound_here(request, binding):
        raise HTTPException(404, not_found)
    viewer = await live_viewer(ctx_of(request).engine, binding)
    if viewer is None:
        raise HTTPException(404, not_found)
    return viewer


async def _checked_image(request: Request, url: str) -> None:
    """Raise 403 unless the token binds `url` to a live session whose viewer may, right now,
    see the full message it names, and that message's body holds `url` as an image."""
    ctx = ctx_of(request)
    own_host = urlsplit(ctx.settings.base_url).hostname
    if own_host and urlsplit(url).hostname == own_host:
        # gpanel's own URLs (a proxy link planted in mail, say) are never fetched by the proxy.
        raise HTTPException(403, REFUSED)
    binding = ctx.image_signer.check(url, request.query_params.get("s", ""))
    if binding is None or not _bound_here(request, binding):
        raise HTTPException(403, REFUSED)
    viewer = await live_viewer(ctx.engine, binding)
    if viewer is None:
        raise HTTPException(403, REFUSED)
    try:
        grant = await threads.authorize_thread(
            ctx,
            viewer,
            binding.record_type,
            binding.record_id,
            binding.mailbox_id,
            binding.thread_id,
        )
    except (threads.ThreadNotFound, threads.ThreadUnavailable):
        raise HTTPException(403, REFUSED) from None
    message = next((m for m in grant.thread.messages if m.id == binding.message_id), None)
    if grant.detail is not Detail.FULL or message is None or body_source(message) is None:
        raise HTTPException(403, REFUSED)
    templates = await body_templates(
        ctx.bodies, grant.mailbox.id, grant.thread.history_id, [message]
    )
    template = templates.get(message.id)
    if template is None or url not in template.remote_images:
        raise HTTPException(403, REFUSED)


async def proxy_image(request: Request) -> Response:
    url = request.query_params.get("u", "")
    await _checked_image(request, url)
    try:
        image = await ctx_of(request).image_proxy.fetch(url)
    except ImageRefused as exc:
        raise HTTPException(exc.status, f"The image was not loaded: {exc.reason}.") from None
    return Response(
        image.data,
        media_type=image.content_type,
        headers={
            "Cache-Control": f"private, max-age={CACHE_SECONDS}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Content-Disposition": "inline",
        },
    )


routes: list[BaseRoute] = [Route(PROXY_PATH, proxy_image, name="image_proxy")]
