"""Running gpanel: job bookkeeping, the shared quota budget, diagnostics and set-up.

`job_state` owns `mailbox_jobs` (switches, cursors, who is due) for both schedulers, and
`scheduling` is where services meet the scheduler running in this process (typed);
`shared_budget` is the Gmail quota budget kept in PostgreSQL for many processes;
`diagnostics` and `doctor` check a mailbox for the page and the command line; `demo_setup`
connects demo and test mailboxes through the real connect flow.
"""
