"""`gpanel import`: CRM exports (CSV) into the store.

`importer` drives an import; `read` turns bytes into rows and `parse` one row's cells into a
typed row, `columns` names the columns understood (with other CRMs' aliases), `rows` carries
parsed rows and findings, `writers/` writes one chunk in bulk, and `cli` is the terminal side
(progress, report, exit status).
"""
