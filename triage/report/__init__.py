"""Report renderers: terminal, JSON, Markdown and HTML."""
from __future__ import annotations

from triage.model import Report
from triage.report.html import render_html
from triage.report.json_report import render_json, report_dict
from triage.report.markdown import render_markdown
from triage.report.terminal import print_report, render_terminal

FORMATS = ("terminal", "json", "markdown", "html")


def render(report: Report, fmt: str = "terminal", width: int = 120) -> str:
    """The report as text in one of ``FORMATS``."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "terminal":
        return render_terminal(report, width=width)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_html", "render_json", "render_markdown", "render_terminal",
           "print_report", "report_dict"]
