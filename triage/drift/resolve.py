"""Which two environments ``triage diff-env A [B]`` compares.

Each of A and B is a folder, a file or a build id (a folder or file of that
name wins). With a build id alone: when the build holds ``env/`` folders for
both its own environment and its baseline's, those two; otherwise its baseline
build's environment against its own; a build without a baseline but with
exactly two ``env/`` folders compares them.
"""
from __future__ import annotations

from pathlib import Path

from triage.drift.model import EnvironmentNotFound
from triage.errors import UnknownBuildError
from triage.drift.sources import (Environment, available_builds, build_environment, build_metadata,
                                  env_folders, load_path, read_into)


def side(spec: str, data_dir: Path) -> Environment:
    """One side from a path or a build id. Raises EnvironmentNotFound naming the builds."""
    path = Path(spec)
    if path.exists():
        return load_path(path, spec)
    if (data_dir / "builds" / spec).is_dir():
        return build_environment(data_dir, spec)
    builds = available_builds(data_dir)
    raise EnvironmentNotFound(f"{spec!r} is neither a folder, a file nor a build id under "
                              f"{data_dir}/builds (builds: {', '.join(builds) or '(none)'})")


def build_pair(build_id: str, data_dir: Path) -> tuple[Environment, Environment]:
    """The two environments a lone build id stands for (see the module docstring)."""
    folder = data_dir / "builds" / build_id
    if not folder.is_dir():
        raise UnknownBuildError(build_id, str(data_dir), available_builds(data_dir))
    meta = build_metadata(folder)
    own, baseline = meta.get("env"), meta.get("baseline")
    folders = env_folders(data_dir, build_id)
    if baseline:
        baseline = str(baseline)
        base_folder = data_dir / "builds" / baseline
        if not base_folder.is_dir():
            raise EnvironmentNotFound(
                f"build {build_id} names baseline {baseline!r}, which is not under {data_dir}/builds "
                f"(builds: {', '.join(available_builds(data_dir))})")
        base_env = build_metadata(base_folder).get("env")
        if own and base_env and own != base_env and {own, base_env} <= set(folders):
            a = build_environment(data_dir, build_id, base_env)
            a.documents.pop("build.json", None)
            if (base_folder / "build.json").is_file():
                read_into(a, base_folder / "build.json", f"builds/{baseline}/build.json")
            a.roots.append(base_folder)
            return a, build_environment(data_dir, build_id, own)
        return build_environment(data_dir, baseline), build_environment(data_dir, build_id)
    if len(folders) == 2:
        mine = own if own in folders else folders[1]
        other = folders[0] if folders[1] == mine else folders[1]
        return build_environment(data_dir, build_id, other), build_environment(data_dir, build_id, mine)
    raise EnvironmentNotFound(
        f"build {build_id} names no baseline and has {len(folders)} env/ folder(s) "
        f"({', '.join(folders) or 'none'}); give both sides: triage diff-env A B")
