"""The demo's mail: deterministic mailboxes for the demo cast, built as raw MIME.

`mailboxes` builds one mailbox per rep; `story` says who writes to whom and when, `scenes`
the threads in order, `text` what the mail says, and `parts` the MIME building blocks.
"""
