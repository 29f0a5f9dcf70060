"""What every request passes before a handler runs.

`security` is the middleware for security headers, CSRF and rate limits; `session` the
signed session cookie; `viewer` resolves the signed-in user behind a request; `scopes` is
which scope of a personal API token each `/api/` route needs, and the check.
"""
