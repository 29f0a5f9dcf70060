"""People, sessions and connected mailboxes: who signs in, and how gpanel holds their Gmail.

`sessions` decides who may sign in and keeps the server-side session rows; `google_oauth`
runs Google sign-in and Gmail consent (`Flow`, PKCE, id_token checks); `mailboxes` connects,
looks up and marks mailboxes; `vault` encrypts refresh tokens at rest and `tokens` is the
`TokenProvider` the Gmail client asks for access tokens (memory only); `disconnect` is the one
disconnect every path shares, and `parking` what it keeps (ids only) for a reconnect of the same
Google account; `api_tokens` issues and checks personal tokens for the JSON API; `redirects`
says where a browser may be sent back to (same-origin relative paths).
"""
