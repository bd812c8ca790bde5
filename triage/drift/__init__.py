"""Environment drift: what differs between two environments, ranked by likely impact.

    from triage.drift import diff_environments
    result = diff_environments("1234")                 # a build against its baseline
    result = diff_environments("env/staging", "env/canary")
    for d in result.differences: print(d.kind.value, d.object, d.path, d.score)

Layout: ``sources`` reads folders, files and builds into documents;
``normalize`` and ``defaults`` make Kubernetes objects comparable; ``compare``
walks two trees; ``rank`` classifies and scores; ``expected`` applies
``.triage-expected-drift.yaml``; ``diff`` ties them; ``render`` writes
terminal, Markdown and JSON (CONTRACT §5); ``capture`` writes build.json.
"""
from __future__ import annotations

from pathlib import Path

from triage.drift import expected as expected_drift
from triage.drift.diff import compare
from triage.drift.model import (SCHEMA_ID, Change, Difference, DriftKind, EnvDiff, EnvironmentNotFound,
                                ManifestError)
from triage.drift.resolve import build_pair, side


def diff_environments(a: str, b: str | None = None, data_dir: Path | str | None = None,
                      expected_files: list[Path] | None = None) -> EnvDiff:
    """Compare two environments (folders, files or build ids), or a build with its baseline.

    Raises ManifestError (file:line of invalid YAML/JSON or of a bad expected-drift
    entry), EnvironmentNotFound / UnknownBuildError naming the builds that exist.
    """
    from triage.config import resolve

    root = resolve(Path(data_dir) if data_dir else None).data_dir
    env_a, env_b = build_pair(a, root) if b is None else (side(a, root), side(b, root))
    folders: list[Path] = []
    for env in (env_a, env_b):
        for folder in env.roots:
            folders += [folder, folder.parent] if folder.name and folder.parent.name == "env" else [folder]
    files = expected_drift.find_files(folders, expected_files)
    entries = [entry for path in files for entry in expected_drift.load(path)]
    result = compare(env_a, env_b, entries)
    result.expected_files = [str(path) for path in files]
    return result


__all__ = ["SCHEMA_ID", "Change", "Difference", "DriftKind", "EnvDiff", "EnvironmentNotFound",
           "ManifestError", "compare", "diff_environments"]
