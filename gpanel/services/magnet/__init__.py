"""MailMagnet: new inbox mail from CRM people, turned into notifications.

`run` is the per-mailbox job (history since the cursor, senders matched to contacts and leads,
hits stored as ids, sender and time only); `hub` fans "this mailbox changed" out to the open
streams of this process and `events` carries that signal (PostgreSQL LISTEN/NOTIFY across
processes); `notifications` is what people see: the bell, the list, "opened" marks;
`record_news` is "1 new email" on an open record page.
"""
