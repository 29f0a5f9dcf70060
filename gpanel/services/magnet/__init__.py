"""MailMagnet: new inbox mail from CRM people, turned into notifications.

`run` is the per-mailbox job (history since the cursor, senders matched to contacts and leads,
hits stored as ids, sender and time only); `events` is the in-process hub (and PostgreSQL
LISTEN) that tells open pages something changed; `notifications` is what people see: the
bell, the list, "opened" marks.
"""
