"""CRM records as the pages and the API see them.

`access` authorises and pages records for a viewer; `listing` reads the list pages' sorted,
numbered pages (name, company, owner, updated); `pages` gathers what the contact,
company, deal and search pages show; `conflicts` says what a create-conflict answer may tell
the person who caused it.
"""
