"""The JSON API for CRM records.

`crm` serves /api/companies, /api/contacts, /api/deals, /api/users and /api/teams (list, get,
create, update, delete) and /api/openapi.json; `schemas` holds their pydantic models and
`security_doc` the document's account of who may call what (from `guard.scopes`).
"""
