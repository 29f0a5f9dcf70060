"""Write one chunk of parsed CSV rows: look everything up in a few queries, then insert and
update in bulk. The caller wraps each chunk in a transaction, so a chunk lands whole or not.

Matching (so running a file twice never duplicates) is per kind: `companies` (which also
resolves the company a contact or deal row names), `contacts`, `deals`. An empty cell never
erases a stored value (`common.coalesce_update`). Problems found here (an address or domain
that belongs to another record) fail only that row.
"""

from gpanel.crm.csv.writers.companies import CompanyResolver, write_companies
from gpanel.crm.csv.writers.contacts import write_contacts
from gpanel.crm.csv.writers.deals import write_deals

__all__ = ["CompanyResolver", "write_companies", "write_contacts", "write_deals"]
