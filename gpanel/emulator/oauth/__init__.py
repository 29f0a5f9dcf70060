"""The emulator's Google OAuth 2.0 / OpenID Connect server.

`routes` gathers its endpoints; `consent` is the authorization endpoint and consent page,
`token` the token, revocation, userinfo and tokeninfo endpoints; `server` holds the state they
share and mints tokens, `grants` what is remembered between requests, `keys` the id_token
signing key and its published forms, `scopes` the known scopes; `control` is the test-only
control API under `/_emulator/oauth/`.
"""
