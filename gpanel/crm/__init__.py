"""The CRM: companies, contacts and leads, deals, users and teams, kept in gpanel's store.

Query functions return immutable values (`models`); `addresses` gives a record's mail
addresses, `categories` a contact's label category, `search` the search box; `emails` and
`freemail` say how addresses compare; `seed` loads the demo organisation and `csv/` imports
other CRMs' exports.
"""
