"""The record panel: the threads shown on a contact, company or deal, live from Gmail.

`view.record_threads` builds the panel (`view.record_threads_parts` as it arrives, mailbox by
mailbox); `inputs` reads what it needs from gpanel's database, `fetch` reads one mailbox's share
from Gmail through `content_cache` (mail in process memory, bounded, validated by historyId) by
the plan `plan` chooses by quota cost (each row's newest message with the record, or the whole
thread), `rows` makes one row per conversation and redacts it, and `rules` decides per thread
what shows and which rule hid the rest; `gate` is the one gate every path that shows mail
passes (may this thread be shown, at what detail). `unlinks` stores what users say about
threads (unlink, private, block), ids only; `why` answers "Why isn't my email here?" with the
same rules.
"""
