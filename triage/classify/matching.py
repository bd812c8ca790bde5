"""Field matchers: ``field|modifier: value`` as in Sigma.

Modifiers: none (equals; strings case-insensitive), ``contains``, ``startswith``,
``endswith``, ``re`` (regex search), ``gt``/``gte``/``lt``/``lte`` (numbers),
``exists`` (true/false), ``all`` (every listed value must match; default is any).

Regexes run on the ``regex`` engine with a per-match time limit, and on at most
``MAX_MATCH_CHARS`` of the value, so a pathological pattern or a 10 MB log line
cannot hang a run; a timeout counts as no match and is reported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import regex

try:  # the standard library's own regex parser, to inspect a pattern's shape
    import re._constants as _sre_constants
    import re._parser as _sre_parser
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parser  # type: ignore[no-redef]

_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT,
            getattr(_sre_constants, "POSSESSIVE_REPEAT", _sre_constants.MAX_REPEAT))

MODIFIERS = {"contains", "startswith", "endswith", "re", "gt", "gte", "lt", "lte", "exists", "all"}
REGEX_TIMEOUT_S = 0.05
MAX_TIMEOUTS = 3  # per matcher and run: then it is switched off, so a bad rule costs < 1 s
MAX_MATCH_CHARS = 20_000


class MatcherError(ValueError):
    pass


@dataclass
class Budget:
    """Collects regex timeouts so the run can report them with the rule id."""

    timeouts: list[str] = field(default_factory=list)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd
        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set)):
        return "\n".join(str(v) for v in value)
    return str(value)[:MAX_MATCH_CHARS]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass
class FieldMatcher:
    field: str
    modifiers: tuple[str, ...]
    values: tuple[Any, ...]
    predicate: Callable[[Any, Budget], bool]

    def matches(self, value: Any, budget: Budget) -> bool:
        return self.predicate(value, budget)


def compile_matcher(key: str, raw: Any, rule_id: str) -> FieldMatcher:
    """Compile ``key`` (``field|mod|mod``) and its value(s); raises MatcherError."""
    name, *mods = key.split("|")
    unknown = [m for m in mods if m not in MODIFIERS]
    if unknown:
        raise MatcherError(f"unknown modifier(s) {', '.join(unknown)} on '{key}' "
                           f"(known: {', '.join(sorted(MODIFIERS))})")
    values = tuple(raw) if isinstance(raw, list) else (raw,)
    if not values:
        raise MatcherError(f"'{key}' has an empty list of values")
    require_all = "all" in mods
    ops = [m for m in mods if m != "all"]
    if len(ops) > 1:
        raise MatcherError(f"'{key}' combines {ops}; use one of them")
    op = ops[0] if ops else "eq"
    single = _single(op, values, key, rule_id)
    combine = all if require_all else any

    def predicate(value: Any, budget: Budget) -> bool:
        if op == "exists":
            return single[0](value, budget)
        if _is_missing(value):
            return False
        return combine(check(value, budget) for check in single)

    return FieldMatcher(name, tuple(mods), values, predicate)


def _single(op: str, values: tuple[Any, ...], key: str, rule_id: str) -> list[Callable[[Any, Budget], bool]]:
    checks: list[Callable[[Any, Budget], bool]] = []
    for expected in values:
        if op == "exists":
            if not isinstance(expected, bool):
                raise MatcherError(f"'{key}' needs true or false")
            checks.append(lambda v, b, e=expected: (not _is_missing(v) and v != "") == e)
        elif op == "re":
            checks.append(_regex_check(str(expected), key, rule_id))
        elif op in ("contains", "startswith", "endswith"):
            needle = str(expected).lower()
            method = {"contains": str.__contains__, "startswith": str.startswith,
                      "endswith": str.endswith}[op]
            checks.append(lambda v, b, n=needle, m=method: m(_text(v).lower(), n))
        elif op in ("gt", "gte", "lt", "lte"):
            bound = _number(expected)
            if bound is None:
                raise MatcherError(f"'{key}' needs a number, got {expected!r}")
            compare = {"gt": float.__gt__, "gte": float.__ge__, "lt": float.__lt__, "lte": float.__le__}[op]
            checks.append(lambda v, b, x=bound, c=compare: (n := _number(v)) is not None and c(n, x))
        else:
            checks.append(_equals(expected))
    return checks


def _equals(expected: Any) -> Callable[[Any, Budget], bool]:
    if isinstance(expected, bool):
        return lambda v, b: bool(v) == expected if isinstance(v, (bool, int)) else str(v).lower() == str(expected).lower()
    if isinstance(expected, (int, float)):
        return lambda v, b: (n := _number(v)) is not None and n == float(expected)
    wanted = str(expected).lower()

    def check(value: Any, budget: Budget) -> bool:
        if isinstance(value, (list, tuple, set)):
            return any(str(item).lower() == wanted for item in value)
        return str(value).lower() == wanted
    return check


def _regex_check(pattern: str, key: str, rule_id: str) -> Callable[[Any, Budget], bool]:
    """A time-bounded regex search; after ``MAX_TIMEOUTS`` timeouts it stops trying.

    Raises MatcherError for an invalid pattern or one that nests unbounded
    quantifiers (``(a+)+``), the classic catastrophic-backtracking shape.
    """
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise MatcherError(f"'{key}': invalid regular expression {pattern!r}: {exc}") from None
    if nests_unbounded_repeats(pattern):
        raise MatcherError(f"'{key}': regular expression {pattern!r} nests an unbounded repeat inside "
                           f"another, which can backtrack catastrophically; repeat once "
                           f"(e.g. 'a+' rather than '(a+)+')")
    timeouts = 0

    def check(value: Any, budget: Budget) -> bool:
        nonlocal timeouts
        if timeouts >= MAX_TIMEOUTS:
            return False
        try:
            return compiled.search(_text(value), timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            timeouts += 1
            budget.timeouts.append(f"rule {rule_id}: regex on '{key}' exceeded "
                                   f"{REGEX_TIMEOUT_S * 1000:.0f} ms and was treated as no match")
            if timeouts == MAX_TIMEOUTS:
                budget.timeouts.append(f"rule {rule_id}: regex on '{key}' timed out {MAX_TIMEOUTS} "
                                       f"times; switched off for the rest of the run")
            return False
    return check


def nests_unbounded_repeats(pattern: str) -> bool:
    """Whether an unboundedly repeated part holds another unbounded repeat
    (``(a+)+``, ``(\\w+\\s?)*``). False when the standard parser cannot read
    the pattern (regex-module-only syntax): the time bound still holds then."""
    try:
        tree = _sre_parser.parse(pattern)
    except Exception:  # noqa: BLE001
        return False
    return _nests(tree, inside_unbounded=False)


def _nests(items, inside_unbounded: bool) -> bool:
    for op, arg in items:
        if op in _REPEATS:
            unbounded = arg[1] == _sre_constants.MAXREPEAT
            if (unbounded and inside_unbounded) or _nests(arg[2], inside_unbounded or unbounded):
                return True
        elif op is _sre_constants.SUBPATTERN and _nests(arg[-1], inside_unbounded):
            return True
        elif op is _sre_constants.BRANCH and any(_nests(b, inside_unbounded) for b in arg[1]):
            return True
    return False
