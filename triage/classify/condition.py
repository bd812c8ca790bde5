"""Sigma-style condition expressions over named selections.

Grammar: ``expr := term ('or' term)*``, ``term := factor ('and' factor)*``,
``factor := 'not' factor | '(' expr ')' | NAME | QUANT 'of' PATTERN`` where QUANT is
``1``/``any``/``all`` and PATTERN is a selection name, optionally ending in ``*``.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Callable, Union

_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z_][A-Za-z0-9_*.-]*|\d+)")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class And:
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class Of:
    quantifier: str  # "any" or "all"
    names: tuple[str, ...]


Node = Union[Name, Not, And, Or, Of]


def _tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConditionError(f"unexpected character {text[position]!r} at column {position + 1}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def parse_condition(text: str, selections: set[str]) -> Node:
    """Parse ``text``; every name must be one of ``selections``."""
    tokens = _tokenize(text)
    if not tokens:
        raise ConditionError("condition is empty")
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ConditionError("condition ends too early")
        position += 1
        return tokens[position - 1]

    def expr() -> Node:
        operands = [term()]
        while peek() == "or":
            take()
            operands.append(term())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def term() -> Node:
        operands = [factor()]
        while peek() == "and":
            take()
            operands.append(factor())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def factor() -> Node:
        token = take()
        if token == "not":
            return Not(factor())
        if token == "(":
            node = expr()
            if take() != ")":
                raise ConditionError("missing ')'")
            return node
        if token in ("1", "any", "all") and peek() == "of":
            take()
            pattern = take()
            names = tuple(sorted(n for n in selections if fnmatch.fnmatchcase(n, pattern)))
            if not names:
                raise ConditionError(f"'{pattern}' matches no selection")
            return Of("all" if token == "all" else "any", names)
        if token in ("and", "or", "of", ")"):
            raise ConditionError(f"unexpected '{token}'")
        if token not in selections:
            raise ConditionError(f"unknown selection '{token}' (known: {', '.join(sorted(selections))})")
        return Name(token)

    node = expr()
    if position != len(tokens):
        raise ConditionError(f"unexpected '{tokens[position]}' after the end of the condition")
    return node


def evaluate(node: Node, truth: Callable[[str], bool]) -> bool:
    if isinstance(node, Name):
        return truth(node.name)
    if isinstance(node, Not):
        return not evaluate(node.operand, truth)
    if isinstance(node, And):
        return all(evaluate(n, truth) for n in node.operands)
    if isinstance(node, Or):
        return any(evaluate(n, truth) for n in node.operands)
    results = (truth(name) for name in node.names)
    return all(results) if node.quantifier == "all" else any(results)


def positive_names(node: Node, negated: bool = False) -> set[str]:
    """Selections that count as evidence: those not under an odd number of 'not'."""
    if isinstance(node, Name):
        return set() if negated else {node.name}
    if isinstance(node, Not):
        return positive_names(node.operand, not negated)
    if isinstance(node, (And, Or)):
        return set().union(*(positive_names(n, negated) for n in node.operands))
    return set() if negated else set(node.names)
