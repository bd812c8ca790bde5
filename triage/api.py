"""The library API that the CLI and the notebooks share.

    import triage
    build = triage.load_build("1234")            # test results, events DataFrame, metadata
    report = triage.analyze(build)               # correlate + classify -> Report
    print(triage.render(report, "markdown"))
    history = triage.api.flaky(builds="1200..1240")  # flakiness across builds -> FlakyReport

Notebook helpers (``triage.explore``, re-exported here): ``tests_frame``,
``request_events``, ``timeline_frame``, ``plot_timeline``, ``rules_from_yaml``,
``flaky_frame``, ``history``, ``builds_around``, ``last_passing_before``.

Nothing here prints or exits; errors are ``TriageError`` subclasses.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from triage import __version__
from triage.classify import classify_failure
from triage.classify.rules import Rule, load_rules
from triage.config import resolve
from triage.correlate import Correlation, correlate
from triage.errors import TriageError, UnknownBuildError, UsageError
from triage.explore import (builds_around, flaky_frame, history, last_passing_before,  # noqa: F401
                            plot_timeline, request_events, rules_from_yaml, tests_frame, timeline_frame)
from triage.flaky.result import FlakyReport
from triage.flaky.window import select_builds
from triage.history import DEFAULT_WINDOW_DAYS, past_failures
from triage.ingest.loader import LoadedBuild, ProgressCallback, load_build as _load_folder
from triage.model import BuildInfo, Report
from triage.redact import redact_value

if TYPE_CHECKING:  # the elasticsearch client is imported only when the ES source is used
    from triage.elastic.index import LoadSummary
    from triage.elastic.pull import PullProgress
    from triage.elastic.settings import EsSettings
    from triage.baseline.model import BaselineComparison
    from triage.drift.capture import CaptureOptions, Captured
    from triage.drift.model import EnvDiff
    from triage.learn.assess import Learned
    from triage.learn.labels import ConfirmedLabel
    from triage.learn.learn import LearnResult
    from triage.history import PastFailures


def list_builds(data_dir: Path | str | None = None) -> list[str]:
    """Build ids under ``<data_dir>/builds``, numerically sorted where numeric."""
    root = resolve(Path(data_dir) if data_dir else None).data_dir / "builds"
    if not root.is_dir():
        return []
    names = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(names, key=_build_order)


def _build_order(name: str) -> tuple[bool, int, str]:
    return (not name.isdigit(), int(name) if name.isdigit() else 0, name)


SOURCES = ("files", "es")


def load_build(build_id: str, data_dir: Path | str | None = None,
               progress: ProgressCallback | None = None, max_events: int | None = None,
               source: str = "files", *, es: "EsSettings | None" = None,
               pull_progress: "PullProgress | None" = None, allow_partial: bool = False) -> LoadedBuild:
    """Read one build: ``<data_dir>/builds/<build_id>`` (``source="files"``), or from
    Elasticsearch (``source="es"``; ``es`` defaults to ``[elasticsearch]`` in
    triage.toml plus ``TRIAGE_ES_*``).

    Files: ``progress`` is called with an ``IngestProgress`` before reading and as
    files are read; with ``max_events`` at most that many log events are kept (the
    sources cut are named in ``warnings``). Elasticsearch: ``pull_progress(received,
    expected)`` is called as documents arrive; ``allow_partial`` turns a short pull
    into report warnings.

    Raises UnknownBuildError (naming the available builds), NoTestReportError,
    UsageError for an unknown ``source``, EsSourceError (exit 3) for the cluster.
    """
    settings = resolve(Path(data_dir) if data_dir else None)
    if source == "es":
        from triage.elastic.settings import resolve_es
        from triage.elastic.source import load_build_es

        return load_build_es(str(build_id), es or resolve_es(), data_dir=settings.data_dir,
                             progress=pull_progress, allow_partial=allow_partial)
    if source != "files":
        raise UsageError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    folder = settings.data_dir / "builds" / str(build_id)
    if not folder.is_dir():
        raise UnknownBuildError(str(build_id), str(settings.data_dir), list_builds(settings.data_dir))
    return _load_folder(folder, str(build_id), progress=progress, max_events=max_events)


def analyze(build: LoadedBuild, rules: list[Rule] | None = None,
            correlation: Correlation | None = None, redact: bool = True,
            baseline: "BaselineComparison | None" = None, learned: "Learned | None" = None,
            history: "PastFailures | None" = None) -> Report:
    """Correlate and classify a loaded build into a Report.

    With ``redact`` (the default) every string in the report has tokens,
    cookies, keys and passwords replaced by ``[REDACTED:kind]``. With a
    ``baseline`` comparison, its findings are joined to the failures they touch
    (rules see them as ``baseline``/``drift`` fields and facts). With ``learned``
    (``triage.learn.Learned``: a trained model and/or confirmed labels), their
    opinions join the rules' and each failure's ``learned`` says what they were.
    With ``history`` (``triage.history.past_failures``), each failure's ``history``
    lists its look-alikes in earlier builds; it never changes a category.
    """
    rules = rules if rules is not None else load_rules(resolve().rules)
    correlation = correlation or correlate(build)
    warnings = list(build.warnings)
    if learned is not None:
        warnings.extend(learned.warnings)
    cited = [_annotate(item.timeline, baseline) for item in correlation.failures]
    failures = [classify_failure(item, rules, warnings=warnings, learned=learned)
                for item in correlation.failures]
    for failure, found in zip(failures, cited):
        failure.baseline = found
    if history is not None:
        warnings.extend(history.warnings)
        for failure in failures:
            failure.history = history.for_failure(failure)
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
    if baseline is not None:
        warnings.extend(baseline.warnings)
    report = Report(build=info, failures=failures, sources=build.sources, warnings=warnings,
                    tests_total=len(build.tests), generated_by=f"triage {__version__}", baseline=baseline)
    return redact_value(report) if redact else report


def run(build_id: str, data_dir: Path | str | None = None,
        rules_paths: list[Path] | None = None, redact: bool = True,
        baseline: str | None = None, progress: ProgressCallback | None = None,
        max_events: int | None = None, history_days: float | None = DEFAULT_WINDOW_DAYS,
        source: str = "files", *, es: "EsSettings | None" = None,
        pull_progress: "PullProgress | None" = None, allow_partial: bool = False) -> Report:
    """Load, correlate and classify one build: what ``triage run`` does.

    ``source``, ``es``, ``pull_progress`` and ``allow_partial`` are as for
    ``load_build``; a baseline comes from the same source.

    Each failure gets its look-alikes in the builds of the ``history_days`` before
    this one (``triage.history``; None or 0 leaves history out).

    The baseline is ``baseline`` or the one build.json names; an explicit one
    that does not exist raises UnknownBuildError (naming the builds), one named
    by build.json only becomes a warning.
    """
    from triage.learn.assess import Learned

    settings = resolve(Path(data_dir) if data_dir else None, rules_paths)
    build = load_build(build_id, settings.data_dir, progress, max_events, source, es=es,
                       pull_progress=pull_progress, allow_partial=allow_partial)
    learned = Learned.from_data_dir(settings.data_dir)
    past = past_failures(settings.data_dir, build.build_id, build.metadata, history_days) if history_days else None
    compared = compare_with_baseline(build, settings.data_dir, baseline, source, es=es, allow_partial=allow_partial)
    return analyze(build, load_rules(settings.rules), redact=redact, baseline=compared, learned=learned,
                   history=past)


def compare_with_baseline(build: LoadedBuild, data_dir: Path | str | None = None,
                          baseline: str | None = None, source: str = "files", *,
                          es: "EsSettings | None" = None,
                          allow_partial: bool = False) -> "BaselineComparison | None":
    """The build compared with ``baseline`` (or its build.json's), or None without one;
    the baseline is read from ``source`` like the build."""
    from triage.baseline import compare_builds
    chosen = baseline or build.metadata.get("baseline")
    if not chosen or str(chosen) == build.build_id:
        return None
    try:
        other = load_build(str(chosen), data_dir, source=source, es=es, allow_partial=allow_partial)
    except TriageError as exc:  # unknown build, no test report, a source that failed
        if baseline:
            raise
        build.warnings.append(f"baseline not compared: {exc}")
        return None
    return compare_builds(build, other)


def _annotate(timeline, baseline: "BaselineComparison | None") -> list:
    from triage.baseline import annotate

    return annotate(timeline, baseline) if baseline is not None else []


def diff_env(a: str, b: str | None = None, data_dir: Path | str | None = None,
             expected: list[Path] | None = None) -> "EnvDiff":
    """What ``triage diff-env A [B]`` does: two environments (folders, files or build
    ids), or one build against its baseline, compared and ranked (CONTRACT §5).

    Raises ManifestError (file:line), EnvironmentNotFound or UnknownBuildError.
    """
    from triage.drift import diff_environments

    return diff_environments(a, b, data_dir, expected)


def capture(options: "CaptureOptions", environ: dict[str, str] | None = None) -> "Captured":
    """What ``triage capture`` does: the release context as a build.json document."""
    from triage.drift.capture import capture as capture_context

    return capture_context(options, environ)


def flaky(data_dir: Path | str | None = None, builds: str | None = None, since: str | None = None,
          rules_paths: list[Path] | None = None, now: datetime | None = None,
          redact: bool = True, source: str = "files", *, es: "EsSettings | None" = None) -> FlakyReport:
    """Flakiness across builds: what ``triage flaky`` does.

    ``builds`` is a range such as ``"1200..1229"`` (either end may be open),
    ``since`` an age (``"14d"``, ``"36h"``, ``"2w"``, counted back from ``now``,
    default the current time) or an ISO date. ``source="files"`` reads the build
    folders of the data dir; ``source="es"`` reads the test-results and builds
    indices of Elasticsearch (``es`` defaults to ``[elasticsearch]`` in triage.toml
    plus ``TRIAGE_ES_*``) and computes the per-test figures with aggregations
    (``triage.elastic.aggregate``); log evidence is read from the data dir's
    folders where they exist. Builds whose report cannot be parsed are skipped and
    named in ``warnings``. Raises UsageError for a bad window, an empty selection,
    no builds or an unknown source; EsSourceError (exit 3) for the cluster.
    """
    settings = resolve(Path(data_dir) if data_dir else None, rules_paths)
    history_source, starts, store = None, None, None
    if source == "es":
        from triage.elastic.aggregate import EsHistory
        from triage.elastic.settings import resolve_es

        history_source = EsHistory(es or resolve_es())
        metas = history_source.build_metadata()
        available = sorted(metas, key=_build_order)
        starts = {build: meta.get("started_at") for build, meta in metas.items()}
        store = f"{history_source.settings.indices.builds} at {history_source.settings.product} {history_source.settings.host_label}"
        where = store
    elif source == "files":
        available = list_builds(settings.data_dir)
        where = f"{settings.data_dir}/builds; point --data-dir at a folder holding builds/<id>/"
    else:
        raise UsageError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    if not available:
        raise UsageError(f"no builds under {where}")
    chosen, warnings = select_builds(settings.data_dir, available, builds, since, now, starts=starts,
                                     where=store)
    from triage.flaky.analyze import analyze_history  # imports scikit-learn: only when asked

    report = analyze_history(settings.data_dir, chosen, load_rules(settings.rules),
                             window={"builds": builds, "since": since}, warnings=warnings,
                             source=history_source)
    return redact_value(report) if redact else report


def es_settings(**overrides: object) -> "EsSettings":
    """Elasticsearch settings: ``overrides`` (e.g. ``prefix="triage-notebook"``), then
    ``TRIAGE_ES_*``, then ``[elasticsearch]`` in triage.toml. Raises ConfigError."""
    from triage.elastic.settings import resolve_es

    return resolve_es(dict(overrides))


def es_load(build_ids: list[str] | None = None, data_dir: Path | str | None = None, *,
            es: "EsSettings | None" = None) -> "LoadSummary":
    """What ``triage es load`` does: index the given builds (default: all) of the data
    dir into ``es``' indices. Raises UnknownBuildError, EsSourceError (exit 3)."""
    from triage.elastic.index import load_builds

    folder = resolve(Path(data_dir) if data_dir else None).data_dir
    known = list_builds(folder)
    for name in build_ids or []:
        if name not in known:
            raise UnknownBuildError(name, str(folder), known)
    return load_builds(es or es_settings(), folder, list(build_ids or known))


def es_drop(es: "EsSettings") -> list[str]:
    """Delete the indices and index templates ``es_load`` wrote for ``es.prefix``;
    returns the indices named. Raises EsSourceError (exit 3)."""
    from triage.elastic.client import call, connect

    client = connect(es)
    names = list(es.index_names().values())
    call(es, ",".join(names), "deleting indices", client.indices.delete, index=",".join(names),
         ignore_unavailable=True, allow_no_indices=True)
    for template in (f"{es.prefix}-logs", f"{es.prefix}-tests", f"{es.prefix}-builds"):
        if client.indices.exists_index_template(name=template):
            call(es, template, "deleting index template", client.indices.delete_index_template,
                 name=template)
    return names


def label(build_id: str, test: str, category: str, *, suite: str | None = None, note: str = "",
          data_dir: Path | str | None = None, who: str | None = None) -> "ConfirmedLabel":
    """What ``triage label`` does: record that a failed test's root cause is ``category``.

    The build must exist and ``test`` must name one of its failed tests (``suite``
    picks one where names repeat); the label keeps the failure's signature and
    features so look-alike failures follow it. Raises LabelError (listing the
    valid categories or failed tests) or UnknownBuildError (listing the builds).
    """
    from triage.learn.labels import ConfirmedLabel, LabelError, append_label, check_category, current_user, now_iso

    settings = resolve(Path(data_dir) if data_dir else None)
    chosen = check_category(category)
    report = run(build_id, settings.data_dir)
    matches = [f for f in report.failures if f.test.name == test and (suite is None or f.test.suite == suite)]
    if len(matches) != 1:
        choices = "; ".join(f"{f.test.name!r} (suite {f.test.suite!r})" for f in report.failures)
        problem = (f"test {test!r}" + (f" in suite {suite!r}" if suite else "") +
                   (" is not a failed test of" if not matches else " names several failed tests in"))
        raise LabelError(f"{problem} build {build_id}; failed tests: {choices or '(none)'}"
                         + ("; add --suite to pick one" if matches else ""))
    failure = matches[0]
    confirmed = ConfirmedLabel(build=str(build_id), suite=failure.test.suite, test=failure.test.name,
                               category=chosen.value, note=note, who=who or current_user(), when=now_iso(),
                               signature=failure.signature, features=failure.learned.features)
    append_label(settings.data_dir, confirmed)
    return confirmed


def learn(data_dir: Path | str | None = None, builds: int = 40, seed: int = 7,
          mix: dict[str, float] | None = None) -> "LearnResult":
    """What ``triage learn`` does: retrain from generated builds and confirmed labels and
    keep the new model only if it beats the current one on the held-out set.

    Raises UsageError for a bad mix or too little data to learn from.
    """
    from triage.errors import UsageError
    from triage.learn.learn import learn as retrain

    settings = resolve(Path(data_dir) if data_dir else None)
    try:
        return retrain(settings.data_dir, builds, seed, mix)
    except ValueError as exc:
        raise UsageError(f"cannot learn: {exc}") from None
