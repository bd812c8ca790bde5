"""Where the two sides of a comparison come from: folders, files or build ids.

A folder is read file by file (formats recognised by content, as everywhere in
triage); a build id means ``<data-dir>/builds/<id>/env/<its env>/`` plus its
``build.json``. Each side becomes an ``Environment``: named documents ready to
be normalised and compared.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from triage.drift.model import EnvironmentNotFound, ManifestError
from triage.drift.normalize import object_key
from triage.errors import UnknownBuildError
from triage.ingest.base import SourceFile
from triage.ingest.loader import build_files, read_source, source_warnings
from triage.ingest.manifests import load_yaml_documents
from triage.model import SourceKind

# build.json keys that name one run rather than the environment it ran in.
RUN_IDENTITY_KEYS = frozenset({"build", "env", "baseline", "started_at", "finished_at", "trigger",
                               "changed_paths", "runner", "runner_ip", "captured_at", "captured_from",
                               "run_attempt", "ci_url", "deployed_at"})
_STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Document:
    """One comparable thing: a Kubernetes object, a .env file, the flags, build.json."""

    key: str            # "Deployment/shop/web-bff", "runner.env", "flags", "build.json"
    type: str           # k8s | dotenv | flags | build | file
    content: Any
    file: str           # where it was read, relative to the side's root
    object_kind: str = ""
    namespace: str | None = None


@dataclass
class Environment:
    """One side of a comparison."""

    label: str
    name: str | None
    documents: dict[str, Document] = field(default_factory=dict)
    roots: list[Path] = field(default_factory=list)  # where expected-drift files are looked for
    warnings: list[str] = field(default_factory=list)

    def add(self, doc: Document) -> None:
        if doc.key in self.documents and doc.type == "flags":
            before = self.documents[doc.key]
            clashes = sorted(name for name, value in doc.content.items()
                             if name in before.content and before.content[name] != value)
            if clashes:
                self.warnings.append(f"{self.label}: flag(s) {', '.join(clashes)} differ between "
                                     f"{before.file} and {doc.file}; {doc.file} is compared")
            doc = Document(doc.key, "flags", {**before.content, **doc.content}, f"{before.file}, {doc.file}")
        elif doc.key in self.documents:
            self.warnings.append(f"{self.label}: {doc.key} is defined twice ({self.documents[doc.key].file} "
                                 f"and {doc.file}); the second is compared")
        self.documents[doc.key] = doc


def load_path(path: Path, label: str | None = None, name: str | None = None) -> Environment:
    """An environment from a folder (every file in it) or from one file.

    Raises ManifestError (file:line) for invalid YAML/JSON, EnvironmentNotFound
    if ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise EnvironmentNotFound(f"{path} does not exist (give a folder, a file or a build id)")
    env = Environment(label=label or str(path), name=name)
    if path.is_dir():
        env.name = env.name or path.name
        env.roots.append(path)
        for file in build_files(path):
            read_into(env, file, file.relative_to(path).as_posix())
    else:
        env.roots.append(path.parent)
        read_into(env, path, path.name)
    return env


def read_into(env: Environment, path: Path, display: str) -> None:
    """Read one file into ``env``'s documents; unreadable structure raises ManifestError."""
    result = read_source(path, display)
    info = result.info
    if info.status == "ok" and info.kind in (SourceKind.MANIFEST, SourceKind.METADATA):
        env.warnings.extend(source_warnings(info))
        _add_parsed(env, info.format or "", result.document, display)
        return
    if info.status == "error" and info.kind in (SourceKind.MANIFEST, SourceKind.METADATA) \
            or info.status == "unsupported" and _structured(path):
        document = parse_located(path, display)  # raises with file:line when it is broken
        if info.status == "error":
            raise ManifestError(info.reason, file=display)
        env.add(Document(display, "file", document, display))
        return
    if info.status in ("empty",):
        env.warnings.append(f"{display}: empty file, nothing to compare")
        return
    what = f"recognised as {info.format}" if info.format else info.reason or info.status
    env.warnings.append(f"{display}: not an environment manifest ({what}); not compared")


def _structured(path: Path) -> bool:
    if path.name.lower().endswith(_STRUCTURED_SUFFIXES):
        return True
    head = SourceFile(path, path.name).read_bytes(256).lstrip()
    return head[:1] in (b"{", b"[")


def _add_parsed(env: Environment, fmt: str, document: Any, display: str) -> None:
    if fmt == "k8s-yaml":
        for obj in document:
            kind, namespace, name = object_key(obj)
            key = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
            env.add(Document(key, "k8s", obj, display, object_kind=kind, namespace=namespace))
    elif fmt == "dotenv":
        env.add(Document(display, "dotenv", document, display))
    elif fmt == "feature-flags":
        env.add(Document("flags", "flags", dict(document), display))
    elif fmt == "build-json":
        kept = {k: v for k, v in document.items() if k not in RUN_IDENTITY_KEYS}
        env.name = env.name or document.get("env")
        # Flags compare as one set whether build.json or a flags file carries them
        # (or both), so a flag is never reported twice.
        flags = kept.pop("flags") if isinstance(kept.get("flags"), dict) else None
        env.add(Document("build.json", "build", kept, display))
        if flags:
            env.add(Document("flags", "flags", dict(flags), f"{display} (flags)"))


def parse_located(path: Path, display: str) -> Any:
    """Parse a YAML or JSON file; on error raise ManifestError with the file, line and
    the parser's own message."""
    text = SourceFile(path, display).read_text()
    if text.lstrip()[:1] in ("{", "[") or path.name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=display,
                                line=exc.lineno) from None
    try:
        docs = load_yaml_documents(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ManifestError(f"invalid YAML: {message} (column {mark.column + 1 if mark else '?'})",
                            file=display, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"invalid YAML: {exc}", file=display) from None
    return docs[0] if len(docs) == 1 else docs


def build_environment(data_dir: Path, build_id: str, env_name: str | None = None) -> Environment:
    """``builds/<id>/``: its ``env/<env_name or its own env>/`` folder and its build.json.

    Raises UnknownBuildError naming the builds that exist, EnvironmentNotFound
    when the build has no such env folder.
    """
    folder = data_dir / "builds" / build_id
    if not folder.is_dir():
        raise UnknownBuildError(build_id, str(data_dir), available_builds(data_dir))
    meta = build_metadata(folder)
    name = env_name or meta.get("env")
    env_root = folder / "env"
    choices = sorted(p.name for p in env_root.iterdir() if p.is_dir()) if env_root.is_dir() else []
    if name is None and len(choices) == 1:
        name = choices[0]
    env = Environment(label=f"builds/{build_id}/env/{name}" if name in choices else f"builds/{build_id}",
                      name=name, roots=[folder, data_dir])
    if name in choices:
        loaded = load_path(env_root / name, env.label, name)
        env.documents, env.warnings = loaded.documents, loaded.warnings
        env.roots.insert(0, env_root / name)
    elif env_name is not None:
        raise EnvironmentNotFound(f"build {build_id} has no env/{env_name}/ folder; it has: "
                                  f"{', '.join(choices) or '(no env/ folder)'}")
    else:
        env.warnings.append(f"build {build_id} has no env/{name or '<env>'}/ folder; only its build.json "
                            f"is compared")
    if (folder / "build.json").is_file():
        read_into(env, folder / "build.json", f"builds/{build_id}/build.json")
    return env


def build_metadata(folder: Path) -> dict[str, Any]:
    path = folder / "build.json"
    if not path.is_file():
        return {}
    result = read_source(path, "build.json")
    if result.info.status != "ok" or not isinstance(result.document, dict):
        parse_located(path, str(path))
        raise ManifestError(result.info.reason or "not a build.json object", file=str(path))
    return result.document


def env_folders(data_dir: Path, build_id: str) -> list[str]:
    root = data_dir / "builds" / build_id / "env"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def available_builds(data_dir: Path) -> list[str]:
    root = data_dir / "builds"
    names = [p.name for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    return sorted(names, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))
