"""A ``FlakyReport`` as terminal tables, JSON (CONTRACT §4), Markdown or HTML."""
from __future__ import annotations

import io

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from triage.flaky.result import FlakyReport, TestFlakiness
from triage.report.terminal import CATEGORY_STYLE

FORMATS = ("terminal", "json", "markdown", "html")
HISTORY_WIDTH = 40
WIDE = 130  # the per-build history column needs this many columns
LEGEND = "P passed, R passed on retry, F failed, E error, S skipped, x outage build, . not run"


def render_flaky(report: FlakyReport, fmt: str = "terminal", width: int = 120) -> str:
    """The report as text in one of ``FORMATS``; ValueError for another format."""
    if fmt == "json":
        return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        from triage.report.html_flaky import render_flaky_html

        return render_flaky_html(report)
    if fmt == "terminal":
        console = Console(width=width, record=True, no_color=True, file=io.StringIO())
        print_flaky(report, console)
        return console.export_text()
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def summary_line(report: FlakyReport) -> str:
    counts = {v: len(report.by_verdict(v)) for v in ("flaky", "broken", "regression", "failing", "failed")}
    parts = [f"{counts['flaky']} flaky test(s) in {len(report.clusters)} cluster(s)",
             f"{counts['broken']} broken", f"{counts['regression']} fixed regression(s)",
             f"{counts['failing']} failing (too few runs to judge)", f"{counts['failed']} failed once"]
    return (", ".join(parts) + f"; {len(report.outages)} outage build(s) left out; "
            f"{len(report.tests)} tests over {len(report.builds)} builds")


def _span(report: FlakyReport) -> str:
    if not report.builds:
        return "no builds"
    return f"{len(report.builds)} builds ({report.builds[0]} … {report.builds[-1]})"


def _history(test: TestFlakiness) -> str:
    tail = test.outcomes[-HISTORY_WIDTH:]
    return ("…" if len(test.outcomes) > HISTORY_WIDTH else "") + tail


def _flaky_table(report: FlakyReport, wide: bool) -> Table:
    table = Table(expand=True)
    table.add_column("test", ratio=3, overflow="fold", min_width=24)
    for name in ("runs", "fail", "retry", "flip", "score"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("cluster", no_wrap=True)
    table.add_column("category", no_wrap=True)
    if wide:
        table.add_column("history (newest right)", no_wrap=True, overflow="crop")
    for t in report.by_verdict("flaky"):
        row = [t.key, str(t.runs), str(t.failures), str(t.passed_on_retry), f"{t.flip_rate:.2f}",
               f"{t.score:.2f}", t.cluster or "",
               Text(t.category or "", style=CATEGORY_STYLE.get(t.category or "", ""))]
        table.add_row(*row, *([_history(t)] if wide else []))
    return table


def _cluster_table(report: FlakyReport) -> Table:
    table = Table(expand=True, show_lines=True)
    table.add_column("cluster", no_wrap=True)
    table.add_column("category", no_wrap=True)
    table.add_column("tests", ratio=2, overflow="fold", min_width=24)
    table.add_column("why", ratio=4, overflow="fold")
    for c in report.clusters:
        why = [c.explanation] + c.evidence
        why += [f"{e.file}:{e.line}  {e.message}" for e in c.log_evidence[:2]]
        table.add_row(c.id, Text(f"{c.category} {c.confidence:.2f}", style=CATEGORY_STYLE.get(c.category, "")),
                      "\n".join(c.tests), "\n".join(why))
    return table


def print_flaky(report: FlakyReport, console: Console) -> None:
    """Print the report's tables (flaky tests, clusters, others, outages, warnings)."""
    console.rule(f"triage flaky · {_span(report)}")
    console.print(summary_line(report))
    if report.by_verdict("flaky"):
        wide = console.width >= WIDE
        console.print(_flaky_table(report, wide))
        if wide:
            console.print(Text(f"history: {LEGEND}", style="dim"))
    if report.clusters:
        console.print(_cluster_table(report))
    for verdict, title in (("broken", "Broken (not flaky)"), ("regression", "Fixed regressions (not flaky)"),
                           ("failing", "Failing lately, too few runs to judge"),
                           ("failed", "Failed, then passed, nothing explains it")):
        tests = report.by_verdict(verdict)
        if tests:
            console.print(Text(title, style="bold"))
            for t in tests:
                console.print(Text(f"  • {t.key}" + (f" [{t.category}]" if t.category else ""), style="bold"),
                              overflow="fold")
                for line in t.evidence:
                    console.print(Text(f"      {line}"), overflow="fold")
    if report.outages:
        table = Table(title="Outage builds (left out of the figures above)", expand=True)
        for name in ("build", "failed", "share", "most common failure"):
            table.add_column(name, overflow="fold")
        for o in report.outages:
            table.add_row(o.build, f"{o.failed}/{o.tests}", f"{o.share:.0%}", o.message)
        console.print(table)
    if report.warnings:
        console.print(Text(f"{len(report.warnings)} warning(s):", style="yellow"))
        for warning in report.warnings:
            console.print(Text("  • " + warning, style="yellow"), overflow="fold")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: FlakyReport) -> str:
    """Markdown for CI step summaries and issues."""
    lines = [f"## triage flaky: {_span(report)}", "", summary_line(report), ""]
    if report.by_verdict("flaky"):
        lines += ["| test | runs | failures | passed on retry | flip rate | score | cluster | category |",
                  "|---|---:|---:|---:|---:|---:|---|---|"]
        lines += [f"| {_cell(t.key)} | {t.runs} | {t.failures} | {t.passed_on_retry} | {t.flip_rate:.2f} | "
                  f"{t.score:.2f} | {t.cluster or ''} | {t.category or ''} |" for t in report.by_verdict("flaky")]
        lines.append("")
    for c in report.clusters:
        lines += [f"### {c.id}: {c.category} ({c.confidence:.2f})", "", _cell(c.explanation), ""]
        lines += [f"- `{_cell(t)}`" for t in c.tests] + [""]
        lines += [f"- {_cell(e)}" for e in c.evidence]
        lines += [f"- `{e.file}:{e.line}` {_cell(e.message)}" for e in c.log_evidence[:3]] + [""]
    for verdict, title in (("broken", "Broken"), ("regression", "Fixed regressions"),
                           ("failing", "Failing lately"), ("failed", "Failed once, unexplained")):
        tests = report.by_verdict(verdict)
        if tests:
            lines += [f"### {title}", ""]
            for t in tests:
                lines.append(f"- `{_cell(t.key)}`" + (f" ({t.category})" if t.category else "") + ": "
                             + "; ".join(_cell(e) for e in t.evidence))
            lines.append("")
    if report.outages:
        lines += ["### Outage builds", "", "| build | failed | most common failure |", "|---|---:|---|"]
        lines += [f"| {o.build} | {o.failed}/{o.tests} | {_cell(o.message)} |" for o in report.outages] + [""]
    if report.warnings:
        lines += ["### Warnings", ""] + [f"- {_cell(w)}" for w in report.warnings] + [""]
    return "\n".join(lines)
