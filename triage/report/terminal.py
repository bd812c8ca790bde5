"""Rich terminal output: a summary table, then each failure's timeline across
layers with the deciding lines highlighted."""
from __future__ import annotations

import io

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from triage.model import Evidence, Failure, Report
from triage.report.markdown import headline_request_id, learned_lines, one_line_evidence

CATEGORY_STYLE = {
    "auth": "magenta", "config": "yellow", "cache": "cyan", "dependency": "red",
    "flaky-timing": "blue", "data": "bright_yellow", "traffic": "bright_red",
    "network": "bright_magenta", "regression": "bold red", "unknown": "dim",
}
LAYER_STYLE = {"test": "bold", "ingress": "green", "gateway": "cyan", "app": "yellow",
               "dependency": "red"}
MAX_TIMELINE_ROWS = 25
# Below these console widths a column gives way to the ones that matter more
# (the panels below the table still show everything).
REQUEST_ID_MIN_WIDTH = 100
EVIDENCE_MIN_WIDTH = 72
WHERE_MIN_WIDTH = 90


def summary_table(report: Report, width: int = 120) -> Table:
    """One row per failure; narrow consoles drop the request id, then the evidence."""
    table = Table(title=None, expand=True, show_lines=False)
    table.add_column("test", ratio=3, overflow="fold")
    table.add_column("category", no_wrap=True, overflow="ellipsis")
    table.add_column("conf", justify="right", no_wrap=True, min_width=4)
    wide, medium = width >= REQUEST_ID_MIN_WIDTH, width >= EVIDENCE_MIN_WIDTH
    if medium:
        table.add_column("evidence", ratio=4, overflow="ellipsis", no_wrap=True)
    if wide:
        table.add_column("request id", overflow="ellipsis", max_width=34, no_wrap=True)
    for f in report.failures:
        style = CATEGORY_STYLE.get(f.category.value, "")
        name = f.test.name + (" (passed on retry)" if f.test.passed_on_retry else "")
        cells = [name, Text(f.category.value, style=style), f"{f.confidence:.2f}"]
        cells += [one_line_evidence(f)] if medium else []
        cells += [headline_request_id(f)] if wide else []
        table.add_row(*cells)
    return table


def _is_evidence(row: Evidence, evidence: list[Evidence]) -> bool:
    return any(row.file == e.file and row.line == e.line and row.message == e.message for e in evidence)


def timeline_table(failure: Failure, width: int = 120) -> Table:
    """The failure's events across layers; narrow consoles drop the file:line column."""
    show_where = width >= WHERE_MIN_WIDTH
    table = Table(box=None, expand=True, pad_edge=False, show_header=True, header_style="dim")
    table.add_column("time", no_wrap=True, style="dim")
    table.add_column("layer", no_wrap=True)
    if show_where:
        table.add_column("where", no_wrap=True, overflow="ellipsis", max_width=28, style="dim")
    table.add_column("message", overflow="ellipsis", no_wrap=True, ratio=1, min_width=16)
    rows = failure.timeline
    deciding = [r for r in rows if _is_evidence(r, failure.evidence)]
    shown = rows if len(rows) <= MAX_TIMELINE_ROWS else sorted(
        deciding + [r for r in rows if r not in deciding][: MAX_TIMELINE_ROWS - len(deciding)],
        key=lambda r: r.ts or "")
    for row in shown:
        hit = _is_evidence(row, failure.evidence)
        where = f"{row.file.rsplit('/', 1)[-1]}:{row.line}" if row.line else row.file.rsplit("/", 1)[-1]
        marker = "▶ " if hit else "  "
        message = Text(marker + row.message, style="bold" if hit else "")
        cells = [(row.ts or "")[11:23], Text(row.source, style=LAYER_STYLE.get(row.source, ""))]
        table.add_row(*cells, *([where] if show_where else []), message)
    if len(rows) > len(shown):
        table.add_row("", "", *([""] if show_where else []),
                      Text(f"… {len(rows) - len(shown)} more events", style="dim"))
    return table


BASELINE_SHOWN = 3  # findings per failure; the JSON report has them all


def failure_panel(failure: Failure, width: int = 120) -> Panel:
    style = CATEGORY_STYLE.get(failure.category.value, "")
    head = Text()
    head.append(failure.category.value, style=f"bold {style}")
    head.append(f"  {failure.confidence:.2f}")
    if failure.alternatives:
        head.append("   alternatives: " + ", ".join(
            f"{a.category.value} {a.confidence:.2f}" for a in failure.alternatives), style="dim")
    parts = [head, Text(failure.explanation)]
    if failure.rules:
        parts.append(Text("rules: " + ", ".join(failure.rules), style="dim"))
    if failure.links:
        methods = ", ".join(sorted({l.method for l in failure.links}))
        parts.append(Text(f"linked {len(failure.links)} request(s) via {methods}", style="dim"))
    if failure.remediation:
        parts.append(Text("try: " + failure.remediation, style="italic"))
    for finding in failure.baseline[:BASELINE_SHOWN]:
        parts.append(Text(f"baseline {finding.kind}: {finding.summary}", style="cyan"))
    parts += [Text(line, style="green") for line in learned_lines(failure)]
    if failure.history is not None:
        parts.append(Text("history: " + failure.history.line(), style="magenta"))
    if failure.timeline:
        parts.append(timeline_table(failure, width))
    title = f"{failure.test.suite} › {failure.test.name}" if failure.test.suite else failure.test.name
    return Panel(Group(*parts), title=title, title_align="left", border_style=style or "white")


def print_report(report: Report, console: Console) -> None:
    build = report.build
    title = f"triage · build {build.id}" + (f" ({build.env})" if build.env else "")
    if build.baseline:
        title += f" · baseline {build.baseline}"
    console.rule(title)
    counts = ", ".join(f"{n} {c}" for c, n in report.by_category.items()) or "nothing to explain"
    console.print(f"{len(report.failures)} failed test(s) of {report.tests_total}: {counts}")
    if report.failures:
        console.print(summary_table(report, console.width))
        for failure in report.failures:
            console.print(failure_panel(failure, console.width))
    if report.warnings:
        console.print(Text(f"{len(report.warnings)} warning(s):", style="yellow"))
        for warning in report.warnings:
            console.print(Text("  • " + warning, style="yellow"), overflow="fold")


def render_terminal(report: Report, width: int = 120, color: bool = False) -> str:
    """The terminal view as a string (for --output and tests)."""
    console = Console(width=width, record=True, force_terminal=color, no_color=not color,
                      file=io.StringIO())
    print_report(report, console)
    return console.export_text(styles=color)
