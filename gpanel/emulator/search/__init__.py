"""Gmail's search language for the emulator: `query` parses `q` into a tree, `match` evaluates
the tree against one message (`Matcher`), as Gmail does: address operators by words, dates in
Pacific time, calendar months, label slugs (each module's docstring has the rules)."""

from gpanel.emulator.search.match import (
    PACIFIC,
    SEARCH_MODES,
    Matcher,
    Searchable,
    address_matches,
)
from gpanel.emulator.search.query import (
    ADDRESS_FIELDS,
    OPERATORS,
    And,
    Node,
    Not,
    Or,
    Term,
    Token,
    parse,
    tokenize,
)

__all__ = [
    "ADDRESS_FIELDS",
    "OPERATORS",
    "PACIFIC",
    "SEARCH_MODES",
    "And",
    "Matcher",
    "Node",
    "Not",
    "Or",
    "Searchable",
    "Term",
    "Token",
    "address_matches",
    "parse",
    "tokenize",
]
