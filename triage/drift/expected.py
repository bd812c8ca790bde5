"""``.triage-expected-drift.yaml``: differences a team means to have.

Looked for, and all found files used, in this order: files given with
``--expected``; each side's environment folder and its parent (``env/``);
for a build id, the build folder and the data dir; the working directory.
Format::

    # .triage-expected-drift.yaml
    expected:
      - object: "Deployment/shop/*"      # glob on the object (optional)
        path: "spec.replicas"            # glob on the path (optional)
        kind: replicas                   # one of CONTRACT §5's kinds (optional)
        a: "2"                           # glob on A's / B's shown value (optional)
        b: "1"
        reason: canary runs one replica  # shown with the difference (required)

An entry matches a difference when every field it gives matches; the first
matching entry marks it ``expected`` and supplies the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from triage.drift.model import Difference, DriftKind, ManifestError
from triage.ingest.manifests import _SafeLoader

FILE_NAME = ".triage-expected-drift.yaml"
FIELDS = ("object", "path", "kind", "a", "b", "reason")


@dataclass(frozen=True)
class ExpectedDrift:
    reason: str
    file: str
    line: int
    object: str | None = None
    path: str | None = None
    kind: str | None = None
    a: str | None = None
    b: str | None = None

    def matches(self, diff: Difference) -> bool:
        checks = ((self.object, diff.object), (self.path, diff.path), (self.a, diff.a), (self.b, diff.b))
        if self.kind is not None and self.kind != diff.kind.value:
            return False
        return all(pattern is None or fnmatchcase(value or "", pattern) for pattern, value in checks)


def find_files(folders: list[Path], explicit: list[Path] | None = None) -> list[Path]:
    """Expected-drift files: ``explicit`` ones first, then one per folder that has one."""
    found: list[Path] = []
    for path in list(explicit or []) + [folder / FILE_NAME for folder in folders] + [Path.cwd() / FILE_NAME]:
        if path.is_file() and path.resolve() not in [p.resolve() for p in found]:
            found.append(path)
        elif explicit and path in explicit:
            raise ManifestError("expected-drift file not found", file=str(path))
    return found


def load(path: Path) -> list[ExpectedDrift]:
    """The entries of one file. Raises ManifestError naming the file and line of every problem."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ManifestError(f"invalid YAML: {exc.problem}", file=str(path),
                            line=mark.line + 1 if mark else None) from None
    if root is None:
        return []
    entries = _entries_node(root, path)
    problems: list[str] = []
    found: list[ExpectedDrift] = []
    for node in entries.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            problems.append(f"{path}:{line}: an entry is a mapping with {', '.join(FIELDS)}")
            continue
        values = {}
        for key, value in node.value:
            if key.value not in FIELDS:
                problems.append(f"{path}:{key.start_mark.line + 1}: unknown field {key.value!r} "
                                f"(fields: {', '.join(FIELDS)})")
            elif not isinstance(value, yaml.ScalarNode):
                problems.append(f"{path}:{value.start_mark.line + 1}: {key.value} must be a single value")
            else:
                values[key.value] = str(value.value)
        if "kind" in values and values["kind"] not in {k.value for k in DriftKind}:
            problems.append(f"{path}:{line}: unknown kind {values['kind']!r} "
                            f"(kinds: {', '.join(k.value for k in DriftKind)})")
        if not values.get("reason"):
            problems.append(f"{path}:{line}: every entry needs a reason")
        if not problems:
            found.append(ExpectedDrift(file=str(path), line=line, **values))
    if problems:
        raise ManifestError(f"{len(problems)} problem(s) in the expected-drift file:\n" + "\n".join(problems))
    return found


def _entries_node(root: yaml.Node, path: Path) -> yaml.SequenceNode:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "expected" and isinstance(value, yaml.SequenceNode):
                return value
    raise ManifestError("expected a top-level 'expected:' list", file=str(path), line=root.start_mark.line + 1)


def apply(differences: list[Difference], entries: list[ExpectedDrift]) -> None:
    """Mark each difference some entry matches as expected, with that entry's reason."""
    for diff in differences:
        for entry in entries:
            if entry.matches(diff):
                diff.expected = True
                diff.reason = f"expected: {entry.reason} ({Path(entry.file).name}:{entry.line})"
                break
