"""The library API that the CLI and the notebooks share.

    import triage
    build = triage.load_build("1234")            # test results, events DataFrame, metadata
    report = triage.analyze(build)               # correlate + classify -> Report
    print(triage.render(report, "markdown"))

Nothing here prints or exits; errors are ``TriageError`` subclasses.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from triage import __version__
from triage.classify import classify_failure
from triage.classify.rules import Rule, load_rules
from triage.config import resolve
from triage.correlate import Correlation, correlate
from triage.errors import UnknownBuildError, UsageError
from triage.ingest.loader import LoadedBuild, load_build as _load_folder
from triage.model import BuildInfo, Report
from triage.redact import redact_value

if TYPE_CHECKING:  # the elasticsearch client is imported only when the ES source is used
    from triage.elastic.pull import PullProgress
    from triage.elastic.settings import EsSettings


def list_builds(data_dir: Path | str | None = None) -> list[str]:
    """Build ids under ``<data_dir>/builds``, numerically sorted where numeric."""
    root = resolve(Path(data_dir) if data_dir else None).data_dir / "builds"
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(names, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))


SOURCES = ("files", "es")


def load_build(build_id: str, data_dir: Path | str | None = None, source: str = "files", *,
               es: "EsSettings | None" = None, progress: "PullProgress | None" = None,
               allow_partial: bool = False) -> LoadedBuild:
    """Read one build: ``<data_dir>/builds/<build_id>`` (``source="files"``), or from
    Elasticsearch (``source="es"``; ``es`` defaults to ``[elasticsearch]`` in
    triage.toml plus ``TRIAGE_ES_*``; ``progress(received, expected)`` is called as
    documents arrive; ``allow_partial`` turns a short pull into report warnings).

    Raises UnknownBuildError (naming the available builds), NoTestReportError,
    UsageError for an unknown ``source``, EsSourceError (exit 3) for the cluster.
    """
    settings = resolve(Path(data_dir) if data_dir else None)
    if source == "es":
        from triage.elastic.settings import resolve_es
        from triage.elastic.source import load_build_es

        return load_build_es(str(build_id), es or resolve_es(), data_dir=settings.data_dir,
                             progress=progress, allow_partial=allow_partial)
    if source != "files":
        raise UsageError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    folder = settings.data_dir / "builds" / str(build_id)
    if not folder.is_dir():
        raise UnknownBuildError(str(build_id), str(settings.data_dir), list_builds(settings.data_dir))
    return _load_folder(folder, str(build_id))


def analyze(build: LoadedBuild, rules: list[Rule] | None = None,
            correlation: Correlation | None = None, redact: bool = True) -> Report:
    """Correlate and classify a loaded build into a Report.

    With ``redact`` (the default) every string in the report has tokens,
    cookies, keys and passwords replaced by ``[REDACTED:kind]``.
    """
    rules = rules if rules is not None else load_rules(resolve().rules)
    correlation = correlation or correlate(build)
    warnings = list(build.warnings)
    failures = [classify_failure(item, rules, warnings=warnings) for item in correlation.failures]
    for source in build.sources:
        offset = correlation.offsets.get(source.path)
        if offset is not None:
            source.clock_offset_s = offset.offset_s
            source.clock_offset_confidence = offset.confidence
            if offset.offset_s:
                warnings.append(f"{source.path}: clock is {offset.offset_s:+.3f} s off "
                                f"(median over {offset.shared_ids} shared request ids, "
                                f"confidence {offset.confidence:.2f}); corrected")
    meta = build.metadata
    info = BuildInfo(id=str(meta.get("build") or build.build_id), env=meta.get("env"),
                     baseline=meta.get("baseline"), metadata=meta)
    if correlation.runner_ip_origin == "inferred":
        warnings.append(f"runner IP not in build.json; inferred {correlation.runner_ip} "
                        f"from requests linked by id or tag")
    report = Report(build=info, failures=failures, sources=build.sources, warnings=warnings,
                    tests_total=len(build.tests), generated_by=f"triage {__version__}")
    return redact_value(report) if redact else report


def run(build_id: str, data_dir: Path | str | None = None,
        rules_paths: list[Path] | None = None, redact: bool = True, source: str = "files", *,
        es: "EsSettings | None" = None, progress: "PullProgress | None" = None,
        allow_partial: bool = False) -> Report:
    """Load, correlate and classify one build: what ``triage run`` does.

    ``source``, ``es``, ``progress`` and ``allow_partial`` are as for ``load_build``.
    """
    settings = resolve(Path(data_dir) if data_dir else None, rules_paths)
    build = load_build(build_id, settings.data_dir, source, es=es, progress=progress,
                       allow_partial=allow_partial)
    return analyze(build, load_rules(settings.rules), redact=redact)
