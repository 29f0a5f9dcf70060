"""Sending from the record, through the user's own Gmail, with nothing of the message kept.

- `compose`: the request as the API takes it, its validation (header injection, addresses,
  500 recipients, sizes) and the RFC 5322 message it becomes (reply headers, sanitised HTML).
- `merge`: template merge fields (`{{contact.first_name | there}}`) and the values of a record.
- `reply`: the message a reply, reply all or forward answers (through the panel's gate), its
  recipients, subject and threading headers, a forward's attachments.
- `recipients`: the addresses a record's compose form offers.
- `templates`: gpanel's own mail templates (personal or shared, folders, draft/published).
- `send`: one send: the sender's own mailbox and verified alias, the reply's thread, the
  idempotency key (only its hash and Gmail's ids are stored), no blind retry (the sent mail is
  checked by the Message-ID gpanel set), a 429 "Retry after" kept as a Gmail draft.
- `later`: send later and undo send: the message waits as a Gmail draft; gpanel keeps the draft
  id, the mailbox and the time, and a job sends the draft's latest version when due.
- `due`: what the due-job passes of `later` and `follow_ups` share (claim each due row, then
  handle it and count the outcomes; whether the owner's Gmail is withdrawn).
"""
