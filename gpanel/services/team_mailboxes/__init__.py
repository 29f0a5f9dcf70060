"""Team mailboxes (issue 14): a shared Gmail inbox (sales@, support@) with dispatchers,
assignment and statuses, read live from Gmail; gpanel keeps ids, statuses and times only.

The model (tables in gpanel/store/tables/team.py, revision 0012_team_mailboxes):

- **Connecting.** An admin connects the shared Gmail account through the same OAuth flow and
  consent page as a personal mailbox. The grant lands on an ordinary `mailboxes` row (token
  vault, quota budget, jobs and the gmail client work unchanged) owned by a *team account*: a
  `users` row with `team_account` true, role rep, no team, active. A team account can never sign
  in or hold a session or API token, and is never offered as a person (sharing choices, people
  pickers, assignees). A `team_mailboxes` row (1:1 with the mailbox) holds the options; it is
  given to one or more teams (`team_mailbox_teams`) and names its dispatchers
  (`team_mailbox_dispatchers`).
- **Who may see it.** Members are the active people whose team is one of the mailbox's teams,
  plus its dispatchers. Membership is read on every request, so a member who leaves the team
  loses access at once; their open threads return to unassigned (event `unassigned`, at the
  next read of the mailbox by anyone or the next background pass, `upkeep`, every minute) and
  the dispatchers get a bell notification. Every
  read of the mailbox's mail goes through the panel's gate (`services.panel.gate`), judged
  against the team account as the owner; on records its mail shows like any mailbox's, under
  the team account's own sharing setting, which connecting sets to "selected: the mailbox's
  teams".
- **Threads.** The team inbox lists the mailbox's INBOX threads live from Gmail, newest first.
  A thread seen for the first time gets a `team_threads` row (status unassigned, first_seen_at)
  and its dispatchers a "new mail" notification. Statuses: unassigned, assigned, in_progress,
  to_handle, closed; *overdue* is computed, never stored: a thread not closed whose oldest
  unanswered customer message (`waiting.clock_start`, from the live thread: a message from
  the shared address, sent from gpanel or from Gmail, answers those before it) is older than
  the mailbox's response time in working minutes (default 240 = 4 working hours, Mon-Fri 9-17
  in `Settings.org_timezone`). Each wait is announced once.
- **Rules.** Only dispatchers assign to others (and only to members); a member may take an
  unassigned thread when `members_may_take`. Every change is a compare-and-set on
  `team_threads.version`: of two concurrent assignments one wins, the other gets `Conflict`
  (HTTP 409) naming who holds the thread; nothing is lost (the loser's event is not written).
  Options: mark read in Gmail when assigned, archive in Gmail on close (users.threads.modify
  through the gmail client and its quota budget). "New" shows until the assignee opens the
  thread (`opened_at`, reset on each assignment).
- **Replies** go out through `services.sending` from the team mailbox (its address, or its
  verified send-as alias `send_as`), by the member who wrote them; an event `replied` with the
  member as actor records it and sets `first_response_at` once.
- **Notifications** (`team_notifications`, counted by the bell beside MailMagnet's): assigned
  to the new assignee, reassigned to the one it was taken from, overdue to the assignee (or
  the dispatchers when unassigned), new mail and returned threads to the dispatchers.
- **Forgetting.** Disconnecting deletes the mailbox row; every team table cascades from it.

Surface: `model` (the values and errors), `store` (reads and the compare-and-set writes),
`access` (who is a member or dispatcher; the gate for a team inbox), `hours` (working-hours
arithmetic, overdue), `inbox` (the live team inbox view and its bookkeeping), `actions`
(assign, take, status, open, reply bookkeeping, leavers), `connect` (connect, configure,
disconnect), `reply` (a thread opened and a reply from the shared address), `notices` (the
bell's team entries), `waiting` (when the response clock runs), `upkeep` (the background pass:
leavers, new and overdue threads without anyone looking). The team figures work adds its own
modules beside these.
"""
