"""Gmail's search language (`q`) parsed into a tree: tokens, then `And`/`Or`/`Not`/`Term`.

A tokenizer splits the query into words, quoted phrases, parentheses, braces, `-` and `OR`;
a recursive-descent parser builds the nodes:

    query  := clause*                      (juxtaposition is AND)
    clause := unary ("OR" unary)*
    unary  := "-" unary | "(" query ")" | "{" unary* "}" | term
    term   := OPERATOR ":" (word | "phrase" | "(" query ")" | "{" ... "}") | "phrase" | word

An operator applied to a group (`from:(a OR b)`, `subject:{x y}`) applies to every word in it.
An unknown `word:value` is a plain word, as Gmail has it. Parsing never raises: stray brackets
are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "deliveredto"})
OPERATORS = ADDRESS_FIELDS | {
    "subject",
    "label",
    "in",
    "is",
    "has",
    "after",
    "before",
    "older",
    "newer",
    "newer_than",
    "older_than",
    "filename",
    "category",
    "larger",
    "smaller",
    "rfc822msgid",
}


# --- tokens ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # "word", "phrase", "op", "(", ")", "{", "}", "-", "or"
    text: str = ""
    field: str = ""  # for "op": the operator name (its value follows as text or next token)


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "(){}":
            tokens.append(Token(ch))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(Token("phrase", query[i + 1 : end]))
            i = end + 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace():
            tokens.append(Token("-"))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '(){}"':
                j += 1
            word = query[i:j]
            i = j
            name, colon, value = word.partition(":")
            if word in ("OR", "|"):
                tokens.append(Token("or"))
            elif word == "AND":
                continue
            elif colon and name.lower() in OPERATORS:
                tokens.append(Token("op", value, name.lower()))
            else:
                tokens.append(Token("word", word))
    return tokens


# --- tree -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    field: str | None  # None: a bare word or phrase
    value: str


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Term | Not | And | Or


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def query(self, field: str | None, closer: str | None) -> Node:
        nodes: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == closer:
                break
            if token.kind in (")", "}", "or"):
                self.pos += 1  # stray: Gmail ignores it too
                continue
            nodes.append(self.clause(field))
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def clause(self, field: str | None) -> Node:
        nodes = [self.unary(field)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.pos += 1
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "}"):
                break
            nodes.append(self.unary(field))
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def unary(self, field: str | None) -> Node:
        token = self.take()
        if token.kind == "-":
            if self.peek() is None:
                return Term(field, "-")
            return Not(self.unary(field))
        if token.kind == "(":
            node = self.query(field, ")")
            self._close(")")
            return node
        if token.kind == "{":
            nodes: list[Node] = []
            while (nxt := self.peek()) is not None and nxt.kind != "}":
                if nxt.kind in (")", "or"):
                    self.pos += 1
                    continue
                nodes.append(self.unary(field))
            self._close("}")
            return Or(tuple(nodes))
        if token.kind == "op":
            if token.text:
                return Term(token.field, token.text)
            nxt = self.peek()
            if nxt is not None and nxt.kind in ("(", "{", "phrase"):
                return self.unary(token.field)
            return Term(None, token.field + ":")
        return Term(field, token.text)

    def _close(self, closer: str) -> None:
        token = self.peek()
        if token is not None and token.kind == closer:
            self.pos += 1


def parse(query: str) -> Node:
    """The query as a tree; an empty query is an empty And, which matches everything."""
    return _Parser(tokenize(query)).query(None, None)
