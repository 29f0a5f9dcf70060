"""`gpanel import`: CRM exports (CSV) into the store.

`importer` drives an import; `read` turns bytes into typed rows, `columns` names the columns
understood (with other CRMs' aliases), `rows` carries parsed rows and findings, `writers`
writes one chunk in bulk, and `cli` is the terminal side (progress, report, exit status).
"""
