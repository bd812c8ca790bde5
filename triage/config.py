"""Where data and rules come from: flags, then environment, then ``triage.toml``.

``triage.toml`` is looked for in the working directory (or ``TRIAGE_CONFIG``)::

    [triage]
    data_dir = "path/to/data"      # holds builds/<id>/
    rules = ["rules", "my-rules"]  # rule files or folders

    [elasticsearch]                # read by triage.elastic.settings (see the README)
    hosts = ["https://es.example:9200"]
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "sample_data"


@dataclass
class Settings:
    data_dir: Path
    rules: list[Path] | None = None
    origin: dict[str, str] = field(default_factory=dict)


def config_path() -> Path | None:
    explicit = os.environ.get("TRIAGE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise ConfigError(f"TRIAGE_CONFIG names {path}, which does not exist")
        return path
    local = Path.cwd() / "triage.toml"
    return local if local.exists() else None


def read_config(path: Path | None) -> dict:
    """The ``[triage]`` table of the config file (``{}`` when there is none)."""
    return read_section(path, "triage")


def read_section(path: Path | None, name: str) -> dict:
    """The ``[name]`` table of the config file at ``path`` (``{}`` when absent).

    Raises ConfigError when the file cannot be read or ``[name]`` is not a table.
    """
    if path is None:
        return {}
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", file=str(path)) from None
    section = doc.get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"[{name}] must be a table", file=str(path))
    return section


def resolve(data_dir: Path | None = None, rules: list[Path] | None = None) -> Settings:
    """Settings from arguments, ``TRIAGE_DATA_DIR``/``TRIAGE_RULES`` and triage.toml."""
    path = config_path()
    section = read_config(path)
    base = path.parent if path else Path.cwd()
    origin = {}
    if data_dir is not None:
        chosen, origin["data_dir"] = Path(data_dir), "--data-dir"
    elif os.environ.get("TRIAGE_DATA_DIR"):
        chosen, origin["data_dir"] = Path(os.environ["TRIAGE_DATA_DIR"]), "TRIAGE_DATA_DIR"
    elif "data_dir" in section:
        chosen, origin["data_dir"] = base / str(section["data_dir"]), str(path)
    else:
        chosen = DEFAULT_DATA_DIR if DEFAULT_DATA_DIR.exists() else Path.cwd() / "sample_data"
        origin["data_dir"] = "default"
    rule_paths = rules
    if rule_paths is None and "rules" in section:
        entries = section["rules"] if isinstance(section["rules"], list) else [section["rules"]]
        rule_paths = [base / str(entry) for entry in entries]
    return Settings(data_dir=chosen, rules=rule_paths, origin=origin)
