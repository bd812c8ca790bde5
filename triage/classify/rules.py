"""Heuristic rules: YAML files under ``rules/``, one rule family per file.

Loading checks every rule against the schema and collects every problem with
its ``file:line`` before raising one ``RuleError``, so a broken rule set is
fixed in one pass.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from triage.classify.condition import ConditionError, Node, parse_condition, positive_names
from triage.classify.matching import FieldMatcher, MatcherError, compile_matcher
from triage.errors import RuleError
from triage.model import Category

DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
ENTRY_POINT_GROUP = "triage.rules"
SCOPES = ("event", "test", "facts")
STATUSES = ("stable", "test", "experimental", "deprecated")
RULE_KEYS = {"id", "title", "status", "category", "description", "detection", "confidence",
             "explanation", "remediation", "references", "examples", "falsepositives", "tags",
             "author"}
REQUIRED = ("id", "title", "status", "category", "description", "detection", "confidence",
            "explanation")
TEST_FIELDS = {"name", "suite", "status", "message", "failure_type", "stack", "stdout", "stderr",
               "text", "attempts", "passed_on_retry", "duration_s"}


@dataclass
class Selection:
    name: str
    scope: str
    alternatives: list[list[FieldMatcher]]  # any alternative; every matcher in it


@dataclass
class Example:
    name: str
    test: dict[str, Any]
    events: list[dict[str, Any]]
    expect: str  # "match" or "no-match"
    line: int


@dataclass
class Rule:
    id: str
    title: str
    status: str
    category: Category
    description: str
    selections: dict[str, Selection]
    condition: Node
    condition_text: str
    confidence: float
    explanation: str
    remediation: str = ""
    references: list[str] = field(default_factory=list)
    falsepositives: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    cite: list[str] = field(default_factory=list)  # selections cited as evidence, not deciding
    file: str = ""
    line: int = 0
    family: str = ""

    @property
    def evidence_selections(self) -> set[str]:
        return positive_names(self.condition) | set(self.cite)


MAX_ALIASES = 100  # rules are untrusted: no billion-laughs expansion through aliases


class _LineLoader(yaml.SafeLoader):
    """Safe loader that remembers the line of every mapping (``__line__``) and
    refuses alias-heavy documents."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases_left = MAX_ALIASES

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self.aliases_left -= 1
            if self.aliases_left < 0:
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} YAML aliases", event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def rule_files(paths: list[Path] | None = None) -> list[Path]:
    """YAML files under the given paths, or the built-in rules plus plugins."""
    if paths is None:
        env = os.environ.get("TRIAGE_RULES")
        paths = [Path(p) for p in env.split(os.pathsep)] if env else [DEFAULT_RULES_DIR]
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            paths.append(Path(entry.load()))
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml")))
        elif path.exists():
            files.append(path)
        else:
            raise RuleError([f"{path}: no such rule file or folder"])
    return files


def load_rules(paths: list[Path] | None = None) -> list[Rule]:
    """Load and validate rules; raises RuleError listing every problem."""
    rules: list[Rule] = []
    problems: list[str] = []
    for path in rule_files(paths):
        rules.extend(_load_file(path, problems))
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            other = seen[rule.id]
            problems.append(f"{rule.file}:{rule.line}: duplicate rule id '{rule.id}' "
                            f"(first defined at {other.file}:{other.line})")
        seen[rule.id] = rule
    if problems:
        raise RuleError(problems)
    return rules


def _load_file(path: Path, problems: list[str]) -> list[Rule]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(f"{path}:{line}: invalid YAML: {getattr(exc, 'problem', exc)}")
        return []
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}:1: cannot read: {exc}")
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        problems.append(f"{path}:1: a rule file is a mapping with 'family' and a 'rules' list")
        return []
    family = str(doc.get("family", path.stem))
    rules = []
    for raw in doc["rules"]:
        if not isinstance(raw, dict):
            problems.append(f"{path}:{doc['__line__']}: each entry of 'rules' must be a mapping")
            continue
        rule = _build_rule(raw, path, family, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _build_rule(raw: dict[str, Any], path: Path, family: str, problems: list[str]) -> Rule | None:
    line = raw.get("__line__", 0)
    where = f"{path}:{line}"
    rule_id = str(raw.get("id", "?"))
    before = len(problems)
    for key in REQUIRED:
        if key not in raw:
            problems.append(f"{where}: rule '{rule_id}' lacks '{key}'")
    for key in raw:
        if key != "__line__" and key not in RULE_KEYS:
            problems.append(f"{where}: rule '{rule_id}' has unknown key '{key}' "
                            f"(known: {', '.join(sorted(RULE_KEYS))})")
    if len(problems) > before:
        return None
    if not rule_id.startswith(family + ".") and "." not in rule_id:
        problems.append(f"{where}: rule id '{rule_id}' should look like '{family}.<name>'")
    if raw["status"] not in STATUSES:
        problems.append(f"{where}: rule '{rule_id}' status must be one of {', '.join(STATUSES)}")
    try:
        category = Category(raw["category"])
    except ValueError:
        problems.append(f"{where}: rule '{rule_id}' category '{raw['category']}' is not one of "
                        f"{', '.join(c.value for c in Category)}")
        category = Category.UNKNOWN
    confidence = raw["confidence"]
    if not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
        problems.append(f"{where}: rule '{rule_id}' confidence must be a number in (0, 1]")
        confidence = 0.0
    selections, condition, condition_text = _build_detection(raw["detection"], rule_id, path, problems)
    cite = raw["detection"].get("cite", []) if isinstance(raw["detection"], dict) else []
    if not isinstance(cite, list) or any(name not in selections for name in cite):
        problems.append(f"{where}: rule '{rule_id}' detection.cite must list selection names")
        cite = []
    examples = [_build_example(e, rule_id, path, problems) for e in raw.get("examples") or []]
    if not examples:
        problems.append(f"{where}: rule '{rule_id}' has no examples (give at least one match "
                        f"and one no-match)")
    if len(problems) > before:
        return None
    return Rule(
        id=rule_id, title=str(raw["title"]), status=raw["status"], category=category,
        description=str(raw["description"]).strip(), selections=selections,
        condition=condition, condition_text=condition_text, confidence=float(confidence),
        explanation=str(raw["explanation"]).strip(), remediation=str(raw.get("remediation", "")).strip(),
        references=[str(r) for r in raw.get("references") or []],
        falsepositives=[str(r) for r in raw.get("falsepositives") or []],
        examples=[e for e in examples if e is not None], cite=list(cite), file=str(path),
        line=line, family=family,
    )


def _build_detection(raw: Any, rule_id: str, path: Path, problems: list[str]):
    line = raw.get("__line__", 0) if isinstance(raw, dict) else 0
    where = f"{path}:{line}"
    if not isinstance(raw, dict) or "condition" not in raw:
        problems.append(f"{where}: rule '{rule_id}' detection must be a mapping with a 'condition'")
        return {}, None, ""
    selections: dict[str, Selection] = {}
    for name, body in raw.items():
        if name in ("condition", "cite", "__line__"):
            continue
        selection = _build_selection(name, body, rule_id, path, line, problems)
        if selection is not None:
            selections[name] = selection
    text = str(raw["condition"])
    declared = {name for name in raw if name not in ("condition", "cite", "__line__")}
    try:
        condition = parse_condition(text, declared)
    except ConditionError as exc:
        problems.append(f"{where}: rule '{rule_id}' condition '{text}': {exc}")
        condition = None
    return selections, condition, text


def _build_selection(name: str, body: Any, rule_id: str, path: Path, parent_line: int,
                     problems: list[str]) -> Selection | None:
    bodies = body if isinstance(body, list) else [body]
    scope = None
    alternatives: list[list[FieldMatcher]] = []
    for item in bodies:
        if not isinstance(item, dict):
            problems.append(f"{path}:{parent_line}: rule '{rule_id}' selection '{name}' must be "
                            f"a mapping of field matchers (or a list of them)")
            return None
        where = f"{path}:{item.get('__line__', parent_line)}"
        item_scope = item.get("scope", "event")
        if item_scope not in SCOPES:
            problems.append(f"{where}: rule '{rule_id}' selection '{name}' scope must be one of "
                            f"{', '.join(SCOPES)}")
            return None
        if scope not in (None, item_scope):
            problems.append(f"{where}: rule '{rule_id}' selection '{name}' mixes scopes")
            return None
        scope = item_scope
        matchers = []
        fields = [key for key in item if key not in ("scope", "__line__")]
        for key, value in item.items():
            if key in ("scope", "__line__"):
                continue
            if scope == "test" and key.split("|")[0] not in TEST_FIELDS:
                problems.append(f"{where}: rule '{rule_id}' selection '{name}': unknown test field "
                                f"'{key.split('|')[0]}' (known: {', '.join(sorted(TEST_FIELDS))})")
                continue
            try:
                matchers.append(compile_matcher(key, value, rule_id))
            except MatcherError as exc:
                problems.append(f"{where}: rule '{rule_id}' selection '{name}': {exc}")
        if not fields:
            problems.append(f"{where}: rule '{rule_id}' selection '{name}' has no field matchers")
        if not matchers:
            return None
        alternatives.append(matchers)
    return Selection(name, scope or "event", alternatives)


def _build_example(raw: Any, rule_id: str, path: Path, problems: list[str]) -> Example | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: rule '{rule_id}' examples must be mappings")
        return None
    line = raw.get("__line__", 0)
    expect = raw.get("expect")
    if expect not in ("match", "no-match"):
        problems.append(f"{path}:{line}: rule '{rule_id}' example expect must be 'match' or 'no-match'")
        return None
    return Example(name=str(raw.get("name", f"line {line}")), test=_strip_lines(raw.get("test") or {}),
                   events=[_strip_lines(e) for e in raw.get("events") or []], expect=expect, line=line)


def _strip_lines(value: Any) -> Any:
    """The value without the loader's ``__line__`` bookkeeping, recursively."""
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value
