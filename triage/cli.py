"""The command line: a thin layer over ``triage.api``.

Each command maps onto library calls; ``TriageError`` becomes a message on
stderr and CONTRACT §3's exit code (2 bad input, 3 a required source failed).
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from triage import __version__, api
from triage.classify.rules import load_rules
from triage.config import resolve
from triage.errors import TriageError, UnknownBuildError
from triage.ingest.loader import read_source, source_warnings
from triage.report import FORMATS, print_report, render

app = typer.Typer(help="Explain why a canary / production-adjacent check went red.",
                  no_args_is_help=True, add_completion=True, rich_markup_mode=None)
rules_app = typer.Typer(help="List, validate and explain the heuristic rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

DataDirOption = typer.Option(None, "--data-dir", help="Folder holding builds/<id>/ "
                             "(default: $TRIAGE_DATA_DIR, triage.toml, then sample_data/).")
RulesOption = typer.Option(None, "--rules", help="Rule file or folder (repeatable); "
                           "default: the built-in rules/.")


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, no_color=bool(os.environ.get("NO_COLOR")) or None,
                   highlight=False)


def _fail(exc: TriageError) -> None:
    _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", markup=True,
                                highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"triage {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(version: bool = typer.Option(False, "--version", callback=_version,
                                               is_eager=True, help="Print the version and exit.")) -> None:
    """triage reads a build's test report and logs and labels each failure's root cause."""


@app.command()
def run(
    build: str = typer.Option(..., "--build", "-b", help="Build id: a folder under <data-dir>/builds."),
    data_dir: Optional[Path] = DataDirOption,
    fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMATS)}."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    rules: Optional[list[Path]] = RulesOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors (use with --output)."),
    no_redact: bool = typer.Option(False, "--no-redact", help="LOCAL DEBUGGING ONLY: show secrets "
                                   "found in logs instead of [REDACTED:kind]."),
    source: str = typer.Option("files", "--source", "-s", help="Where the build's logs are: "
                               "files (the data dir) or es (Elasticsearch, see [elasticsearch] "
                               "in triage.toml and TRIAGE_ES_URL)."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Report on the documents "
                                       "that arrived when a pull stops early (flagged in "
                                       "warnings) instead of exiting 3."),
) -> None:
    """Ingest, correlate and classify one build.

    Example: triage run --build 1234 --format json --output report.json
    Example: triage run --build 1234 --source es
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    if no_redact:
        _console(stderr=True).print("WARNING: --no-redact: this report may contain tokens, cookies "
                                    "and passwords from the logs. Do not share or upload it.",
                                    style="bold red")
    if source not in api.SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(api.SOURCES)}", param_hint="--source")
    try:
        with _pull_progress(quiet or source != "es") as progress:
            report = api.run(build, data_dir, rules, redact=not no_redact, source=source,
                             progress=progress, allow_partial=allow_partial)
    except TriageError as exc:
        _fail(exc)
    if output is not None:
        output.write_text(render(report, fmt), encoding="utf-8")
        if not quiet:
            _console(stderr=True).print(f"wrote {fmt} report for build {report.build.id} to {output}")
    elif fmt == "terminal":
        if not quiet:
            print_report(report, _console())
    else:
        sys.stdout.write(render(report, fmt))


@app.command()
def builds(data_dir: Optional[Path] = DataDirOption) -> None:
    """List the builds in the data dir.

    Example: triage builds --data-dir sample_data
    """
    try:
        names = api.list_builds(data_dir)
    except TriageError as exc:
        _fail(exc)
    for name in names:
        typer.echo(name)


@app.command()
def detect(paths: list[Path] = typer.Argument(..., help="Files to recognise.")) -> None:
    """Show which format triage recognises in each file, and what it read.

    Example: triage detect logs/kong.log reports/junit.xml
    """
    table = Table("file", "format", "layer", "events", "tests", "skipped", "status")
    problems: list[str] = []
    for path in paths:
        if not path.is_file():
            table.add_row(str(path), "", "", "", "", "", "not a file")
            continue
        info = read_source(path, str(path)).info
        table.add_row(info.path, info.format or "-", info.layer or "-", str(info.events),
                      str(info.tests), str(info.skipped_lines),
                      info.status if not info.reason else f"{info.status}: {info.reason}")
        problems.extend(source_warnings(info))
    console = _console()
    console.print(table)
    for problem in problems:
        console.print(problem, style="yellow", overflow="fold")


@rules_app.command("list")
def rules_list(rules: Optional[list[Path]] = RulesOption) -> None:
    """List every rule with its category and confidence.

    Example: triage rules list
    """
    try:
        loaded = load_rules(rules or resolve().rules)
    except TriageError as exc:
        _fail(exc)
    table = Table("id", "category", "conf", "status", "title")
    for rule in sorted(loaded, key=lambda r: (r.category.value, r.id)):
        table.add_row(rule.id, rule.category.value, f"{rule.confidence:.2f}", rule.status, rule.title)
    _console().print(table)


@rules_app.command("validate")
def rules_validate(paths: Optional[list[Path]] = typer.Argument(None, help="Rule files or folders (default: built-in).")) -> None:
    """Check rules against the schema and run each rule's own examples.

    Example: triage rules validate rules/auth.yaml
    """
    from triage.classify.examples import run_examples

    try:
        loaded = load_rules(paths or resolve().rules)
    except TriageError as exc:
        _fail(exc)
    failures = run_examples(loaded)
    for failure in failures:
        typer.echo(failure, err=True)
    examples = sum(len(r.examples) for r in loaded)
    if failures:
        typer.echo(f"{len(failures)} of {examples} rule examples failed", err=True)
        raise typer.Exit(1)
    typer.echo(f"{len(loaded)} rules valid; {examples} examples behave as expected")


@rules_app.command("explain")
def rules_explain(rule_id: str = typer.Argument(..., help="Rule id, e.g. auth.jwt-audience."),
                  rules: Optional[list[Path]] = RulesOption) -> None:
    """Show what a rule detects, why, and how it decides.

    Example: triage rules explain auth.jwt-audience
    """
    try:
        loaded = load_rules(rules or resolve().rules)
    except TriageError as exc:
        _fail(exc)
    found = {r.id: r for r in loaded}
    if rule_id not in found:
        close = [r for r in found if rule_id.split(".")[0] in r]
        _console(stderr=True).print(f"error: no rule '{rule_id}'. Known: {', '.join(sorted(close or found))}")
        raise typer.Exit(2)
    rule = found[rule_id]
    lines = [f"{rule.id}: {rule.title}", f"category {rule.category.value}, confidence "
             f"{rule.confidence:.2f}, status {rule.status}, defined at {rule.file}:{rule.line}", "",
             "What it detects:", f"  {rule.description}", "", f"Condition: {rule.condition_text}"
             + (f" (also cites {', '.join(rule.cite)} as evidence)" if rule.cite else "")]
    for name, selection in rule.selections.items():
        fields = " | ".join(", ".join(f"{m.field}{'|' + '|'.join(m.modifiers) if m.modifiers else ''}"
                                      f"={list(m.values) if len(m.values) > 1 else m.values[0]!r}"
                                      for m in alt) for alt in selection.alternatives)
        lines.append(f"  {name} ({selection.scope}): {fields}")
    lines += ["", "Explanation template:", f"  {rule.explanation}"]
    if rule.remediation:
        lines += ["", "Fix:", f"  {rule.remediation}"]
    if rule.falsepositives:
        lines += ["", "Known false positives:"] + [f"  - {fp}" for fp in rule.falsepositives]
    if rule.references:
        lines += ["", "References:"] + [f"  - {ref}" for ref in rule.references]
    typer.echo("\n".join(lines))


@rules_app.command("docs")
def rules_docs(rules: Optional[list[Path]] = RulesOption) -> None:
    """Print the rules' reference in Markdown (what docs/rules.md holds).

    Example: triage rules docs > docs/rules.md
    """
    from triage.classify.ruledocs import rules_markdown

    try:
        loaded = load_rules(rules or resolve().rules)
    except TriageError as exc:
        _fail(exc)
    sys.stdout.write(rules_markdown(loaded))


# ---------------------------------------------------------------- Elasticsearch (issue 3)

es_app = typer.Typer(help="Load build folders into Elasticsearch and check the connection.",
                     no_args_is_help=True)
app.add_typer(es_app, name="es")


@contextmanager
def _pull_progress(disabled: bool):
    """A rich progress bar on stderr fed by the pull's ``progress(received, expected)``."""
    if disabled:
        yield None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    columns = (TextColumn("pulling from Elasticsearch"), BarColumn(), MofNCompleteColumn(),
               TextColumn("docs"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task("pull", total=None)
        yield lambda received, expected: bar.update(task, completed=received,
                                                    total=expected or None)


@es_app.command("load")
def es_load(
    build: Optional[list[str]] = typer.Option(None, "--build", "-b", help="Build id to load (repeatable)."),
    all_builds: bool = typer.Option(False, "--all", help="Load every build in the data dir."),
    data_dir: Optional[Path] = DataDirOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Index build folders (logs, test results, build.json) into Elasticsearch.

    Writes <prefix>-logs-<layer>, <prefix>-tests and <prefix>-builds (prefix: triage,
    or TRIAGE_ES_INDEX_PREFIX) with ECS-style index templates; loading a build again
    replaces its documents.

    Example: triage es load --all
    """
    from triage.elastic.index import load_builds
    from triage.elastic.settings import resolve_es

    if bool(build) == all_builds:
        raise typer.BadParameter("give --build ID (repeatable) or --all", param_hint="--build/--all")
    try:
        settings = resolve_es()
        folder = resolve(data_dir).data_dir
        known = api.list_builds(folder)
        chosen = known if all_builds else list(build or [])
        for name in chosen:
            if name not in known:
                raise UnknownBuildError(name, str(folder), known)
        console = _console(stderr=True)
        progress = None if quiet else (lambda b, sent, total: console.print(
            f"build {b}: {sent}/{total} documents", highlight=False) if sent == total else None)
        summary = load_builds(settings, folder, chosen, progress=progress)
    except TriageError as exc:
        _fail(exc)
    if not quiet:
        table = Table("index", "documents")
        for index, count in sorted(summary.documents.items()):
            table.add_row(index, str(count))
        _console().print(table)
        _console().print(f"loaded {len(summary.builds)} build(s), {summary.total} documents into "
                         f"{settings.host_label} in {summary.seconds:.1f} s; try: "
                         f"triage run --build {chosen[0] if chosen else 'ID'} --source es")


@es_app.command("status")
def es_status() -> None:
    """Show the cluster triage is configured for, and what its indices hold.

    Example: triage es status
    """
    from triage.elastic.client import call, connect
    from triage.elastic.settings import resolve_es

    try:
        settings = resolve_es()
        client = connect(settings)
        info = call(settings, None, "GET /", client.info)
        patterns = vars(settings.indices)
        table = Table("layer", "pattern", "documents")
        for layer, pattern in patterns.items():
            count = call(settings, pattern, "counting", client.count, index=pattern,
                         ignore_unavailable=True, allow_no_indices=True)["count"] if pattern else 0
            table.add_row(layer, pattern or "(off)", str(count))
    except TriageError as exc:
        _fail(exc)
    console = _console()
    console.print(f"{settings.host_label}: Elasticsearch {info['version']['number']}, "
                  f"cluster {info['cluster_name']}")
    console.print(table)


def main() -> None:
    app()
