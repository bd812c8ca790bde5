"""A failing build against its passing baseline: what is new or different.

``compare_builds`` runs the statistics of ``stats`` over both builds' events
and adds the environment drift of their ``env/`` folders (``triage.drift``);
``attach.annotate`` joins the findings to each failure's timeline so rules can
use them and the report can cite them.
"""
from __future__ import annotations

from triage.baseline import stats
from triage.baseline.attach import annotate
from triage.baseline.model import ENV_DRIFT, BaselineComparison, BaselineFinding
from triage.drift.model import EnvDiff
from triage.errors import TriageError
from triage.ingest.loader import LoadedBuild

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "Job", "CronJob", "Pod", "ReplicaSet")
MIN_DRIFT_SCORE = 0.5


def compare_builds(build: LoadedBuild, baseline: LoadedBuild, alpha: float = 0.01) -> BaselineComparison:
    """Findings of ``build`` against ``baseline``: templates, status shifts, upstream hosts,
    latency shifts (each with its test and p-value) and environment drift."""
    here, there, base_id = build.events, baseline.events, baseline.build_id
    comparison = BaselineComparison(baseline=base_id, alpha=alpha)
    comparison.findings += drift_findings(build, baseline, comparison.warnings)
    comparison.findings += stats.template_findings(here, there, base_id, alpha)
    comparison.findings += stats.status_findings(here, there, base_id, alpha)
    comparison.findings += stats.upstream_findings(here, there, base_id)
    comparison.findings += stats.latency_findings(here, there, base_id, alpha)
    return comparison


def drift_findings(build: LoadedBuild, baseline: LoadedBuild, warnings: list[str]) -> list[BaselineFinding]:
    """Unexpected environment differences likely to matter (score >= 0.5), one finding each."""
    from triage.drift import diff_environments

    data_dir = build.path.parent.parent
    own = str(build.metadata.get("baseline") or "") == baseline.build_id
    try:
        result = diff_environments(build.build_id, None, data_dir) if own else \
            diff_environments(baseline.build_id, build.build_id, data_dir)
    except TriageError as exc:
        warnings.append(f"environment drift not compared: {exc}")
        return []
    return [_finding(diff, result) for diff in result.unexpected if diff.score >= MIN_DRIFT_SCORE]


def _finding(diff, result: EnvDiff) -> BaselineFinding:
    kind, _, name = diff.object.partition("/")
    service = diff.object.rsplit("/", 1)[-1] if kind in WORKLOAD_KINDS else None
    return BaselineFinding(
        kind=ENV_DRIFT, key=f"{diff.object} {diff.path}".strip(), service=service,
        summary=f"{diff.object} {diff.path}: {diff.a} -> {diff.b} ({diff.kind.value}, score {diff.score:.2f}; "
                f"{result.a} vs {result.b})", drift_kind=diff.kind.value, score=diff.score)


__all__ = ["BaselineComparison", "BaselineFinding", "annotate", "compare_builds"]
