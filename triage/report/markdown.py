"""Markdown for CI step summaries and PR comments: a table on top, then a
collapsible section per failure with its evidence lines.

The text is bounded: GitHub refuses a step summary over 1 MiB and a comment
over 65,536 characters. By default the output fits both (65,536 characters are
at most 256 KiB of UTF-8); what does not fit is left out with a note saying
what and where to find it.
"""
from __future__ import annotations

import html

from triage.model import Failure, Report

GITHUB_COMMENT_CHARS = 65_536
GITHUB_SUMMARY_BYTES = 1024 * 1024
DEFAULT_MAX_CHARS = GITHUB_COMMENT_CHARS
# Room kept for the note that says what was left out.
NOTE_RESERVE = 400
_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|"})


def _text(text: str) -> str:
    """Text safe inside HTML (``<details>`` summaries): markup escaped."""
    return html.escape(" ".join(str(text).split()), quote=False)


def _cell(text: str, limit: int = 120) -> str:
    """Text for one table cell or list item: one line, at most ``limit``
    characters, Markdown and HTML both escaped."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return html.escape(flat.translate(_MARKDOWN_SPECIAL), quote=False)


def _code(text: str) -> str:
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


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


def _header(report: Report) -> str:
    build = report.build
    summary = ", ".join(f"{count} {category}" for category, count in report.by_category.items())
    return (f"## triage: build {_cell(build.id)}" + (f" ({_cell(build.env)})" if build.env else "")
            + f"\n\n**{len(report.failures)} failed test(s)** of {report.tests_total}"
            + (f": {summary}" if summary else "")
            + (f" · baseline {_cell(build.baseline)}" if build.baseline else "") + "\n")


def _table_row(failure: Failure) -> str:
    rid = headline_request_id(failure)
    name = failure.test.name + (" (passed on retry)" if failure.test.passed_on_retry else "")
    return (f"| {_cell(name, 60)} | **{failure.category.value}** | {failure.confidence:.2f} "
            f"| {_cell(one_line_evidence(failure))} | {_code(rid) if rid else ''} |\n")


def _details(f: Failure) -> str:
    lines = [f"<details><summary><b>{_text(f.test.name[:100])}</b> — {f.category.value} "
             f"({f.confidence:.2f})</summary>", ""]
    lines.append(f"- **Suite:** {_cell(f.test.suite, 200)}")
    lines.append(f"- **Why:** {_cell(f.explanation, 400)}")
    if f.alternatives:
        lines.append("- **Alternatives:** " + ", ".join(f"{a.category.value} {a.confidence:.2f}"
                                                        for a in f.alternatives))
    if f.rules:
        lines.append(f"- **Rules:** {', '.join(_code(r) for r in f.rules)}")
    if f.remediation:
        lines.append(f"- **Try:** {_cell(f.remediation, 300)}")
    if f.missing:
        lines.append(f"- **Missing evidence:** {_cell('; '.join(f.missing), 400)}")
    if f.links:
        methods = sorted({l.method for l in f.links})
        lines.append(f"- **Linked requests:** {len(f.links)} via {', '.join(methods)}")
    if f.history is not None:
        lines.append(f"- **History:** {_cell(f.history.line(), 300)}")
    if f.evidence:
        lines += ["", "| when | layer | where | request id | message |", "|---|---|---|---|---|"]
        for e in f.evidence:
            where = f"{e.file}:{e.line}" if e.line else e.file
            lines.append(f"| {(e.ts or '')[11:23]} | {e.source} | {_code(where)} "
                         f"| {_code(e.request_id) if e.request_id else ''} | {_cell(e.message, 160)} |")
    lines += _baseline_lines(f)
    learned = learned_lines(f)
    if learned:
        lines += [""] + [f"- {_cell(line, 300)}" for line in learned]
    return "\n".join(lines + ["", "</details>", ""]) + "\n"


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


def _warnings(report: Report) -> str:
    if not report.warnings:
        return ""
    items = "\n".join(f"- {_cell(w, 300)}" for w in report.warnings)
    return f"<details><summary>Warnings ({len(report.warnings)})</summary>\n\n{items}\n\n</details>\n"


class _Budget:
    """Appends blocks while they fit in ``limit`` characters (None: no limit)."""

    def __init__(self, limit: int | None):
        self.limit, self.parts, self.size = limit, [], 0

    def add(self, block: str, reserve: int = NOTE_RESERVE, up_to: int | None = None) -> bool:
        """Append ``block`` if it fits, keeping ``reserve`` free; ``up_to``
        caps the total size for this block below the overall limit."""
        limit = self.limit if up_to is None else up_to
        if limit is not None and self.size + len(block) + reserve > limit:
            return False
        self.parts.append(block)
        self.size += len(block)
        return True


def render_markdown(report: Report, max_chars: int | None = DEFAULT_MAX_CHARS) -> str:
    """The report as GitHub-flavoured Markdown of at most ``max_chars``
    characters (``None``: unbounded). Raises ValueError for a limit too small
    to hold the header and the note."""
    header = _header(report) + "\n"
    if max_chars is not None and len(header) + NOTE_RESERVE > max_chars:
        raise ValueError(f"max_chars={max_chars} cannot hold even the header; use at least "
                         f"{len(header) + NOTE_RESERVE}")
    out = _Budget(max_chars)
    out.add(header)
    in_table = in_details = 0
    # The table may take half of what is left, so that details of its first rows fit too.
    table_limit = None if max_chars is None else out.size + (max_chars - out.size) // 2
    if report.failures and out.add("| test | category | confidence | evidence | request id |\n|---|---|---|---|---|\n"):
        in_table = next((n for n, f in enumerate(report.failures)
                         if not out.add(_table_row(f), up_to=table_limit)), len(report.failures))
        out.add("\n", 0)
    for failure in report.failures[:in_table]:
        if not out.add(_details(failure)):
            break
        in_details += 1
    warnings_shown = out.add(_warnings(report))
    skipped = [s for s in report.sources if s.skipped_lines or s.status not in ("ok", "attachment")]
    if skipped and warnings_shown:
        out.add(f"_{len(skipped)} source(s) had unreadable lines or were skipped; see warnings._\n")
    total = len(report.failures)
    if in_table < total or in_details < total or not warnings_shown:
        note = (f"\n_Shortened to fit {max_chars:,} characters: {in_table} of {total} failures in "
                f"the table, details of {in_details}"
                + ("" if warnings_shown else f", none of the {len(report.warnings)} warnings")
                + f". The full report: `triage run --build {report.build.id} --format html`._\n")
        out.add(note, 0)
    return "".join(out.parts).rstrip() + "\n"


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
