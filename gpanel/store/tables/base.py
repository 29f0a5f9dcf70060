"""What every table shares: the one `MetaData`, its constraint naming, and column sizes."""

from __future__ import annotations

from sqlalchemy import MetaData

# Deterministic constraint names, so migrations can refer to them on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# RFC 5321 caps a path at 256 octets; 320 is the usual generous bound for local@domain.
EMAIL_LEN = 320
NAME_LEN = 200
EXTERNAL_ID_LEN = 200
