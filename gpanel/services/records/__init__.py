"""CRM records as the pages and the API see them.

`access` authorises and pages records for a viewer; `pages` gathers what the contact,
company, deal and search pages show; `conflicts` says what a create-conflict answer may tell
the person who caused it.
"""
