"""Who may see whose mail, at what detail.

`policy` is the pure function every path calls (record access, the owner's audience and
detail bounded by the admin's rules, private threads); `rules` reads and writes the sharing
and feature rules as stored and hands them to `policy`.
"""
