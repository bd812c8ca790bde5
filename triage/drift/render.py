"""``triage diff-env`` output: terminal (rich), Markdown and JSON (CONTRACT §5).

Terminal and Markdown fold the ``server-default`` rows into one line unless
asked to show them; JSON always lists every difference.
"""
from __future__ import annotations

import io

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from triage.drift.model import DriftKind, EnvDiff
from triage.redact import redact_value

FORMATS = ("terminal", "json", "markdown")
_SHOWN_CHARS = 60


def render(result: EnvDiff, fmt: str = "terminal", show_defaults: bool = False, width: int = 160) -> str:
    """``result`` as text in one of ``FORMATS``. Raises ValueError for another format."""
    if fmt == "json":
        return render_json(result)
    if fmt == "markdown":
        return render_markdown(result, show_defaults)
    if fmt == "terminal":
        buffer = io.StringIO()
        print_terminal(result, Console(file=buffer, width=width, no_color=True, highlight=False), show_defaults)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_json(result: EnvDiff) -> str:
    document = redact_value(result.to_dict())
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def _shown(value: str | None) -> str:
    if value is None:
        return "(absent)"
    return value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 1] + "…"


def _split(result: EnvDiff, show_defaults: bool):
    if show_defaults:
        return result.differences, 0
    rows = [d for d in result.differences if d.kind is not DriftKind.SERVER_DEFAULT]
    return rows, len(result.differences) - len(rows)


def print_terminal(result: EnvDiff, console: Console, show_defaults: bool = False) -> None:
    rows, folded = _split(result, show_defaults)
    console.rule(f"diff-env · A {result.a} · B {result.b}")
    counts = result.to_dict()["summary"]
    console.print(f"{counts['differences']} difference(s), {counts['expected']} expected; "
                  f"most likely to change behaviour first")
    table = Table("#", "score", "kind", "difference", "note", show_lines=True, expand=True)
    for column in table.columns[:3]:
        column.no_wrap = True
    table.columns[3].overflow, table.columns[3].ratio, table.columns[4].ratio = "fold", 3, 1
    for rank, diff in enumerate(rows, 1):
        note = diff.reason if not diff.expected else f"[expected] {diff.reason}"
        where = Text(diff.object, style="bold")
        where.append(f"\n{diff.path}" if diff.path else "")
        where.append(f"\nA: {_shown(diff.a)}\nB: {_shown(diff.b)}")
        table.add_row(str(rank), f"{diff.score:.2f}", diff.kind.value, where, Text(note))
    if rows:
        console.print(table)
    if folded:
        console.print(f"{folded} field(s) the API server filled in by itself (server-default) not shown; "
                      f"--show-defaults lists them")
    for warning in result.warnings:
        console.print(f"warning: {warning}", style="yellow", overflow="fold")


def _cell(text: str | None, shorten: bool = True) -> str:
    return (_shown(text) if shorten else text or "").replace("|", "\\|").replace("\n", " ")


def render_markdown(result: EnvDiff, show_defaults: bool = False) -> str:
    rows, folded = _split(result, show_defaults)
    counts = result.to_dict()["summary"]
    lines = [f"## Environment drift: `{result.a}` → `{result.b}`", "",
             f"{counts['differences']} difference(s), {counts['expected']} expected; most likely to "
             f"change behaviour first.", ""]
    if rows:
        lines += ["| # | score | kind | object | path | A | B | note |", "|---:|---:|---|---|---|---|---|---|"]
        for rank, diff in enumerate(rows, 1):
            note = diff.reason if not diff.expected else f"**expected**: {diff.reason}"
            lines.append(f"| {rank} | {diff.score:.2f} | {diff.kind.value} | `{_cell(diff.object, False)}` | "
                         f"`{_cell(diff.path, False)}` | {_cell(diff.a)} | {_cell(diff.b)} | {_cell(note, False)} |")
    if folded:
        lines += ["", f"{folded} field(s) the API server filled in by itself (`server-default`) are not shown."]
    if result.warnings:
        lines += ["", "Warnings:", ""] + [f"- {_cell(w, False)}" for w in result.warnings]
    return "\n".join(lines) + "\n"
