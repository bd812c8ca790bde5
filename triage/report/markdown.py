"""Markdown for CI step summaries and PR comments: a table on top, then a
collapsible section per failure."""
from __future__ import annotations

from triage.model import Failure, Report


def _cell(text: str, limit: int = 120) -> str:
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("|", "\\|")


def _code(text: str) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def one_line_evidence(failure: Failure) -> str:
    headline = failure.headline
    if headline is not None:
        return f"{headline.source}: {headline.message}"
    return failure.explanation


def headline_request_id(failure: Failure) -> str:
    headline = failure.headline
    if headline is not None and headline.request_id:
        return headline.request_id
    return failure.request_ids[0] if failure.request_ids else ""


def render_markdown(report: Report) -> str:
    build = report.build
    lines = [f"## triage: build {build.id}" + (f" ({build.env})" if build.env else ""), ""]
    summary = ", ".join(f"{count} {category}" for category, count in report.by_category.items())
    lines.append(f"**{len(report.failures)} failed test(s)** of {report.tests_total}"
                 + (f": {summary}" if summary else "")
                 + (f" · baseline {build.baseline}" if build.baseline else ""))
    lines.append("")
    if report.failures:
        lines += ["| test | category | confidence | evidence | request id |",
                  "|---|---|---|---|---|"]
        for f in report.failures:
            rid = headline_request_id(f)
            lines.append(f"| {_cell(f.test.name, 60)} | **{f.category.value}** | {f.confidence:.2f} "
                         f"| {_cell(one_line_evidence(f))} | {_code(rid) if rid else ''} |")
        lines.append("")
    for f in report.failures:
        lines.append(f"<details><summary><b>{_cell(f.test.name, 100)}</b> — {f.category.value} "
                     f"({f.confidence:.2f})</summary>")
        lines.append("")
        lines.append(f"- **Suite:** {_cell(f.test.suite, 200)}")
        lines.append(f"- **Why:** {_cell(f.explanation, 400)}")
        if f.alternatives:
            alts = ", ".join(f"{a.category.value} {a.confidence:.2f}" for a in f.alternatives)
            lines.append(f"- **Alternatives:** {alts}")
        if f.rules:
            lines.append(f"- **Rules:** {', '.join(_code(r) for r in f.rules)}")
        if f.remediation:
            lines.append(f"- **Try:** {_cell(f.remediation, 300)}")
        if f.links:
            methods = sorted({l.method for l in f.links})
            lines.append(f"- **Linked requests:** {len(f.links)} via {', '.join(methods)}")
        if f.evidence:
            lines += ["", "| when | layer | where | message |", "|---|---|---|---|"]
            for e in f.evidence:
                where = f"{e.file}:{e.line}" if e.line else e.file
                lines.append(f"| {e.ts or ''} | {e.source} | {_code(where)} | {_cell(e.message, 160)} |")
        lines += _baseline_lines(f)
        learned = learned_lines(f)
        if learned:
            lines += [""] + [f"- {_cell(line, 300)}" for line in learned]
        lines += ["", "</details>", ""]
    skipped = [s for s in report.sources if s.skipped_lines or s.status not in ("ok", "attachment")]
    if report.warnings:
        lines.append("<details><summary>Warnings</summary>")
        lines.append("")
        lines += [f"- {_cell(w, 300)}" for w in report.warnings]
        lines += ["", "</details>", ""]
    if skipped:
        lines.append(f"_{len(skipped)} source(s) had unreadable lines or were skipped; see warnings._")
    return "\n".join(lines).rstrip() + "\n"


BASELINE_SHOWN = 5


def _baseline_lines(failure: Failure) -> list[str]:
    """The baseline findings a failure cites (env drift first)."""
    if not failure.baseline:
        return []
    lines = ["", "Differences from the baseline that touch this failure:", ""]
    lines += [f"- {finding.kind}: {_cell(finding.summary, 300)}" for finding in failure.baseline[:BASELINE_SHOWN]]
    if len(failure.baseline) > BASELINE_SHOWN:
        lines.append(f"- ... {len(failure.baseline) - BASELINE_SHOWN} more in the JSON report")
    return lines


def learned_lines(failure: Failure) -> list[str]:
    """What the learned model and confirmed look-alike labels said (empty when neither did)."""
    view = failure.learned
    if view is None:
        return []
    lines = []
    if view.version is not None and not view.probabilities:
        lines.append(f"model v{view.version}: abstains (familiarity {view.familiarity:.2f}: "
                     "unlike every failure it was trained on)")
    elif view.version is not None:
        probabilities = ", ".join(f"{c} {p:.2f}" for c, p in view.probabilities.items())
        drivers = ", ".join(f"{name} ({weight:+.2f})" for name, weight in view.top_features)
        lines.append(f"model v{view.version}: {probabilities}" + (f"; driven by {drivers}" if drivers else ""))
    for match in view.confirmed:
        note = f": {match['note']}" if match.get("note") else ""
        lines.append(f"confirmed {match['category']} by {match['who'] or 'a person'} on {match['suite']} › "
                     f"{match['test']} in build {match['build']} (similarity {match['similarity']:.2f}){note}")
    return lines
