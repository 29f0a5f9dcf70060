"""What gpanel does, one subpackage per concept; web, jobs and the CLI call these.

`context.AppContext` is what every service receives; `accounts/`, `sharing/`, `records/`,
`panel/`, `threads/`, `labels/`, `magnet/`, `sending/`, `calendar/` and `ops/` each own one
concept.
"""
