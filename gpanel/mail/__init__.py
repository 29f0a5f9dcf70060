"""Mail content: reading Gmail message resources and making their HTML safe to show.

Pure functions only (no I/O, no network, no database): `message.read_message` and
`headers.read_headers` read Gmail's resources, `sanitize.sanitize_html` and `frame` make HTML
safe in two independent layers, `render.render_body` ties them together for the thread view,
and `image_policy` holds the image proxy's rules. See docs/rendering.md.
"""
