"""The CRM's errors, one small hierarchy the service layer maps to HTTP statuses.

    CrmError
     ├── RecordNotFound     the record (or one it points to by id) does not exist  -> 404
     └── InvalidRecord      field-level problems: {field: message}                  -> 422
          └── Conflict      a unique value (address, domain, external id) is taken -> 409

Messages name fields and values the user typed (addresses, domains, stage names); they never
carry mail content, which the CRM never sees. A conflict's message does not say which record
holds the value (that record may be one the writer may not open); `Conflict.holders` does, for
the service layer to add where the writer may see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpanel.crm.models import RecordType


class CrmError(Exception):
    """Base of the CRM's errors."""


class RecordNotFound(CrmError):
    def __init__(self, record_type: str, record_id: int | str) -> None:
        super().__init__(f"No {record_type} with id {record_id}.")
        self.record_type = record_type
        self.record_id = record_id


class InvalidRecord(CrmError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class Conflict(InvalidRecord):
    """A value that must be unique already belongs to another record: `holders` maps each
    field to that record's (type, id), which the message itself leaves out."""

    def __init__(
        self, fields: dict[str, str], holders: dict[str, tuple[RecordType, int]] | None = None
    ) -> None:
        super().__init__(fields)
        self.holders = holders or {}
