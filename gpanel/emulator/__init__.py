"""The Google emulator: a standalone fake of the Gmail and Calendar API subsets and Google OAuth
that gpanel uses.

`app.create_emulator` assembles it; `control` is the test and demo control API. Layers, top
down: `gmail_api/`, `calendar/`, `oauth/`, `wire/` and `demo_mail/` serve and feed it;
`state`, `search/`, `labels` and `mime/` model the mailboxes; `accounts`, `config`, `errors`
and `discovery` are the ground everything stands on. It imports nothing of gpanel but
`gpanel.demo`.
"""
