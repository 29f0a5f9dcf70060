"""Category labels: one background job per mailbox keeping Gmail labels in line with the CRM.

`run.run_labels` is the job; `state` owns its rows (`mailbox_jobs` columns, `label_archived`
ids), `crm` what it reads from the CRM, `gather` what it reads from Gmail, and `plan` the pure
decisions and the Gmail changes they need. `preview` (dry run), `explain` (why this label),
`undo` and `switch` (on/off, and who may) are what the pages call.
"""
