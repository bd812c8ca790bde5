"""The command line: a thin layer over ``triage.api``.

Each command maps onto library calls; ``TriageError`` becomes a message on
stderr and CONTRACT §3's exit code (2 bad input, 3 a required source failed).
"""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table

from triage import __version__, api
from triage.classify.rules import load_rules
from triage.config import resolve
from triage.errors import TriageError, UnknownBuildError
from triage.ingest.loader import IngestProgress, ProgressCallback, read_source, source_warnings
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


def _complete_build(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        names = api.list_builds(ctx.params.get("data_dir"))
    except TriageError:
        return []
    return [name for name in names if name.startswith(incomplete)]


def _complete_format(incomplete: str) -> list[str]:
    return [name for name in FORMATS if name.startswith(incomplete)]


@contextmanager
def _ingest_progress(console: Console, enabled: bool) -> Iterator[Optional[ProgressCallback]]:
    """A transient progress bar on ``console`` over the bytes ingestion reads
    (the library reports; only the CLI draws)."""
    if not enabled:
        yield None
        return
    bar = Progress(TextColumn("reading {task.fields[files]}"), BarColumn(), DownloadColumn(),
                   TextColumn("{task.fields[file]}", style="dim"), console=console, transient=True)
    task = bar.add_task("ingest", total=None, files="", file="")

    def update(step: IngestProgress) -> None:
        bar.update(task, total=step.bytes_total, completed=step.bytes_done,
                   files=f"{step.files_done}/{step.files_total} files",
                   file=step.path.rsplit("/", 1)[-1])

    with bar:
        yield update


@app.command()
def run(
    build: str = typer.Option(..., "--build", "-b", help="Build id: a folder under <data-dir>/builds.",
                              autocompletion=_complete_build),
    data_dir: Optional[Path] = DataDirOption,
    fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMATS)}.",
                            autocompletion=_complete_format),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    rules: Optional[list[Path]] = RulesOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors (use with --output)."),
    no_redact: bool = typer.Option(False, "--no-redact", help="LOCAL DEBUGGING ONLY: show secrets "
                                   "found in logs instead of [REDACTED:kind]."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Passing build to compare with "
                                           "(default: the baseline build.json names)."),
    max_events: Optional[int] = typer.Option(None, "--max-events", min=1, help="Keep at most N log "
                                             "events, shared fairly between sources; the report's "
                                             "warnings name every source cut."),
    history_days: float = typer.Option(30.0, "--history-days", min=0, help="Look for each failure's "
                                       "look-alikes in the builds of this many days before it (0: off)."),
    source: str = typer.Option("files", "--source", "-s", help="Where the build's logs are: "
                               "files (the data dir) or es (Elasticsearch, see [elasticsearch] "
                               "in triage.toml and TRIAGE_ES_URL)."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Report on the documents "
                                       "that arrived when a pull stops early (flagged in "
                                       "warnings) instead of exiting 3."),
) -> None:
    """Ingest, correlate and classify one build.

    Example: triage run --build 1234 --format json --output report.json

    Example: triage run --build 1234 --max-events 500000
    (or: triage run --build 1234 --source es)
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    if no_redact:
        _console(stderr=True).print("WARNING: --no-redact: this report may contain tokens, cookies "
                                    "and passwords from the logs. Do not share or upload it.",
                                    style="bold red")
    if source not in api.SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(api.SOURCES)}", param_hint="--source")
    progress_console = _console(stderr=True)
    try:
        with _ingest_progress(progress_console, source == "files" and not quiet
                              and progress_console.is_terminal) as progress, \
                _pull_progress(quiet or source != "es",
                               api.es_settings().product if source == "es" else "") as pull_progress:
            report = api.run(build, data_dir, rules, redact=not no_redact, baseline=baseline, progress=progress,
                             max_events=max_events, history_days=history_days, source=source,
                             pull_progress=pull_progress, allow_partial=allow_partial)
    except TriageError as exc:
        _fail(exc)
    if output is not None:
        output.write_text(render(report, fmt), encoding="utf-8")
        if not quiet:
            _console(stderr=True).print(f"wrote {fmt} report for build {report.build.id} to {output}",
                                        soft_wrap=True)
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
def flaky(
    data_dir: Optional[Path] = DataDirOption,
    builds_range: Optional[str] = typer.Option(None, "--builds", help="Builds A..B (inclusive; either end "
                                               "may be left open: 1200.. or ..1229)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only builds started within this age "
                                        "(14d, 36h, 2w) before now, or since a date (2026-11-01)."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="One of: terminal, json, markdown, html."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    rules: Optional[list[Path]] = RulesOption,
    source: str = typer.Option("files", "--source", "-s", help="Where the test results are: files "
                               "(the data dir) or es (Elasticsearch: per-test figures come from "
                               "aggregations; see [elasticsearch] in triage.toml and TRIAGE_ES_URL)."),
) -> None:
    """Flaky, broken and outage builds across the build history, and flaky tests grouped by cause.

    Example: triage flaky --builds 1200..1240 --format json --output flaky.json
    (or: triage flaky --format html --output flaky.html; triage flaky --source es)
    """
    from triage.flaky import FORMATS as FLAKY_FORMATS, print_flaky, render_flaky

    if fmt not in FLAKY_FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FLAKY_FORMATS)}", param_hint="--format")
    if source not in api.SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(api.SOURCES)}", param_hint="--source")
    try:
        report = api.flaky(data_dir, builds=builds_range, since=since, rules_paths=rules, source=source)
    except TriageError as exc:
        _fail(exc)
    if output is not None:
        output.write_text(render_flaky(report, fmt), encoding="utf-8")
        _console(stderr=True).print(f"wrote {fmt} flakiness report over {len(report.builds)} builds to {output}")
    elif fmt == "terminal":
        print_flaky(report, _console())
    else:
        sys.stdout.write(render_flaky(report, fmt))


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


# --- environment drift and release context (diff-env, capture) ---------------------------

def _key_values(items: Optional[list[str]], option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
        found[key.strip()] = value
    return found


@app.command("diff-env")
def diff_env(
    a: str = typer.Argument(..., help="Environment A (the passing one): a folder, a file or a build id. "
                            "Alone, a build id is compared with its baseline."),
    b: Optional[str] = typer.Argument(None, help="Environment B (the failing one): a folder, a file or a build id."),
    data_dir: Optional[Path] = DataDirOption,
    fmt: str = typer.Option("terminal", "--format", "-f", help="One of: terminal, json, markdown."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result here instead of stdout."),
    expected: Optional[list[Path]] = typer.Option(None, "--expected", help="A .triage-expected-drift.yaml "
                                                  "file (repeatable); also looked for beside A and B."),
    show_defaults: bool = typer.Option(False, "--show-defaults", help="List fields the API server filled "
                                       "in by itself (terminal and Markdown fold them into one line)."),
    fail_above: Optional[float] = typer.Option(None, "--fail-above", min=0.0, max=1.0, help="Exit 1 when "
                                               "an unexpected difference scores at least this (for CI)."),
) -> None:
    """Compare two environments' manifests, .env files, flags and build.json, most likely cause first.

    Example: triage diff-env 1234   (or: triage diff-env env/staging env/canary --format json)
    """
    from triage.drift.render import FORMATS as DIFF_FORMATS, print_terminal, render as render_diff

    if fmt not in DIFF_FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(DIFF_FORMATS)}", param_hint="--format")
    try:
        result = api.diff_env(a, b, data_dir, expected)
    except TriageError as exc:
        _fail(exc)
    if output is not None:
        output.write_text(render_diff(result, fmt, show_defaults), encoding="utf-8")
        _console(stderr=True).print(f"wrote {len(result.differences)} difference(s) to {output}")
    elif fmt == "terminal":
        print_terminal(result, _console(), show_defaults)
    else:
        sys.stdout.write(render_diff(result, fmt, show_defaults))
    if fail_above is not None and any(d.score >= fail_above for d in result.unexpected):
        raise typer.Exit(1)


@app.command()
def capture(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="build.json to write (default: stdout)."),
    update: bool = typer.Option(False, "--update", help="Keep the keys already in --output, replacing those captured."),
    build: Optional[str] = typer.Option(None, "--build", help="Build id (default: GITHUB_RUN_ID, CI_PIPELINE_ID, ...)."),
    env: Optional[str] = typer.Option(None, "--env", help="Environment, e.g. canary (default: TRIAGE_ENV, CI_ENVIRONMENT_NAME)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Id of a passing build to compare with."),
    commit: Optional[str] = typer.Option(None, "--commit", help="Commit SHA (default: GITHUB_SHA, CI_COMMIT_SHA, ..., git)."),
    image: Optional[str] = typer.Option(None, "--image", help="Deployed image reference."),
    image_digest: Optional[str] = typer.Option(None, "--image-digest", help="Image digest, e.g. sha256:..."),
    deployed_at: Optional[str] = typer.Option(None, "--deployed-at", help="Deployment time, ISO 8601."),
    started_at: Optional[str] = typer.Option(None, "--started-at", help="Test run start, ISO 8601."),
    flags_file: Optional[Path] = typer.Option(None, "--flags", help="Feature-flag file (flat JSON, flagd, LaunchDarkly, Unleash)."),
    flag: Optional[list[str]] = typer.Option(None, "--flag", help="NAME=VALUE flag state (repeatable)."),
    browser: Optional[str] = typer.Option(None, "--browser", help="Browser and version, e.g. 'chromium 130.0.6723.31'."),
    driver: Optional[str] = typer.Option(None, "--driver", help="Test driver and version, e.g. 'playwright 1.48.2'."),
    region: Optional[str] = typer.Option(None, "--region", help="Region (default: AWS_REGION, ...)."),
    zone: Optional[str] = typer.Option(None, "--zone", help="Zone."),
    runner: Optional[str] = typer.Option(None, "--runner", help="Host or agent (default: RUNNER_NAME, ..., hostname)."),
    trigger: Optional[str] = typer.Option(None, "--trigger", help="push, rerun, schedule, ... (default: GITHUB_EVENT_NAME, ...)."),
    config: Optional[list[str]] = typer.Option(None, "--config", help="KEY=VALUE critical config value (repeatable)."),
    config_env: Optional[list[str]] = typer.Option(None, "--config-env", help="Record this environment variable (repeatable)."),
    dependency: Optional[list[str]] = typer.Option(None, "--dependency", help="NAME=URL dependency (repeatable)."),
    check: bool = typer.Option(False, "--check-dependencies", help="GET each --dependency URL; record status and latency."),
    changed_since: Optional[str] = typer.Option(None, "--changed-since", help="Git ref for changed_paths (default: PR base or HEAD~1)."),
) -> None:
    """Write the release context (commit, image, flags, versions, region, config, dependency health) as build.json.

    Example: triage capture --env canary --baseline 1230 --flags flags.json --output build.json
    """
    from triage.drift.capture import CaptureOptions, write

    flags = {k: _flag_value(v) for k, v in _key_values(flag, "--flag").items()}
    options = CaptureOptions(
        build=build, env=env, baseline=baseline, commit=commit, image=image, image_digest=image_digest,
        deployed_at=deployed_at, started_at=started_at, flags_file=flags_file, flags=flags, browser=browser,
        driver=driver, region=region, zone=zone, runner=runner, trigger=trigger,
        config=_key_values(config, "--config"), config_env=list(config_env or []),
        dependencies=_key_values(dependency, "--dependency"), check_dependencies=check,
        changed_since=changed_since)
    try:
        captured = api.capture(options)
        text = write(captured.document, output, update)
    except TriageError as exc:
        _fail(exc)
    for note in captured.notes:
        _console(stderr=True).print(f"note: {note}", style="yellow", overflow="fold")
    if output is None:
        sys.stdout.write(text)
    else:
        _console(stderr=True).print(f"wrote {output} ({len(captured.document)} keys)")


def _flag_value(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text

# --- end of environment drift and release context ------------------------------------------


# --- learning from confirmed labels (label, learn) ------------------------------------------

@app.command()
def label(
    build: str = typer.Option(..., "--build", "-b", help="Build id the failure happened in."),
    test: str = typer.Option(..., "--test", "-t", help="Name of the failed test (as in the report)."),
    category: str = typer.Option(..., "--category", "-c", help="The confirmed root cause: one of "
                                 "config, cache, auth, dependency, flaky-timing, data, traffic, network, "
                                 "regression, unknown."),
    suite: Optional[str] = typer.Option(None, "--suite", help="The test's suite, where names repeat."),
    note: str = typer.Option("", "--note", help="Why (kept with the label and shown in reports)."),
    data_dir: Optional[Path] = DataDirOption,
) -> None:
    """Record a person's confirmed root cause for a failed test; look-alike failures follow it.

    Example: triage label --build 1234 --test "cart badge updates after add" --category flaky-timing
    """
    try:
        confirmed = api.label(build, test, category, suite=suite, note=note, data_dir=data_dir)
    except TriageError as exc:
        _fail(exc)
    _console().print(f"confirmed {confirmed.category} for {escape(confirmed.suite)} › "
                     f"{escape(confirmed.test)} in build {confirmed.build} (by {escape(confirmed.who)})")


@app.command()
def learn(
    data_dir: Optional[Path] = DataDirOption,
    builds: int = typer.Option(40, "--builds", min=4, help="Generated incident builds to train on."),
    seed: int = typer.Option(7, "--seed", help="Seed for the generated builds and the model."),
    mix: Optional[str] = typer.Option(None, "--mix", help="Category weights for generated builds, "
                                      "e.g. 'auth=2,cache=1' (default: every category alike)."),
    fmt: str = typer.Option("terminal", "--format", "-f", help="One of: terminal, json."),
) -> None:
    """Retrain from confirmed labels and generated builds; keep the new model only if it scores better.

    Example: triage learn --builds 40 --seed 7
    """
    from triage.synth.training import parse_mix

    if fmt not in ("terminal", "json"):
        raise typer.BadParameter("choose one of terminal, json", param_hint="--format")
    try:
        weights = parse_mix(mix) if mix else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mix")
    try:
        result = api.learn(data_dir, builds, seed, weights)
    except TriageError as exc:
        _fail(exc)
    if fmt == "json":
        sys.stdout.write(json.dumps(_learn_dict(result), indent=2, sort_keys=True) + "\n")
        return
    console = _console()
    for warning in result.warnings + ([result.current_problem] if result.current_problem else []):
        console.print(f"warning: {escape(warning)}", style="yellow", overflow="fold")
    console.print(f"trained on {result.generated} generated failure(s) and {result.confirmed_train} "
                  f"confirmed label(s); held out {result.candidate['examples']:.0f} "
                  f"({result.confirmed_held_out} confirmed)")
    table = Table("model", "held-out accuracy", "held-out log loss")
    table.add_row("new", f"{result.candidate['accuracy']:.3f}", f"{result.candidate['log_loss']:.3f}")
    if result.current is not None:
        table.add_row("current", f"{result.current['accuracy']:.3f}", f"{result.current['log_loss']:.3f}")
    else:
        table.add_row("current", "(none)", "")
    console.print(table)
    verdict = "kept the new model" if result.kept else "kept the current model (the new one is not better)"
    console.print(f"{verdict}: v{result.info.model_version} {result.info.model_hash[:12]} at {result.path}")


def _learn_dict(result) -> dict:
    return {"kept": result.kept, "path": str(result.path), "new": result.candidate, "current": result.current,
            "model": {"version": result.info.model_version, "hash": result.info.model_hash,
                      "training_data_hash": result.info.training_data_hash},
            "generated_examples": result.generated, "confirmed_train": result.confirmed_train,
            "confirmed_held_out": result.confirmed_held_out, "warnings": result.warnings
            + ([result.current_problem] if result.current_problem else [])}

# --- end of learning from confirmed labels ---------------------------------------------------


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


# --- log templates (templates) ---------------------------------------------------------

@app.command()
def templates(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    final: bool = typer.Option(False, "--final", help="Read all input first, then give every line "
                               "its final template (order-independent; holds the input in memory)."),
    line_buffered: bool = typer.Option(False, "--line-buffered", help="Flush after every line "
                                       "(for tail -f pipes)."),
) -> None:
    """Mine log templates: one '<template id><TAB><template>' line per stdin line, in order.

    Variables show as <*>; the same miner gives failures their signature. By
    default it streams: each line gets its template as known when it arrives,
    and a template can get more general (and so change id) as lines come in;
    --final waits for all input. Input is read as UTF-8, invalid bytes become
    U+FFFD; an empty or blank line gets the empty template (its own id and an
    empty text), so output lines always match input lines one to one.

    Example: triage templates < app.log | cut -f2 | sort | uniq -c | sort -rn
    """
    from triage.errors import UsageError
    from triage.mine import TemplateMiner, mine

    def lines():
        for raw in sys.stdin.buffer:
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")

    def mined():
        if final:
            yield from mine(lines()).assignments
        else:
            miner = TemplateMiner()
            for text in lines():
                yield miner.add(text)

    try:
        sink = output.open("w", encoding="utf-8") if output is not None else sys.stdout
    except OSError as exc:
        _fail(UsageError(f"cannot write {output}: {exc.strerror}; choose a writable --output path"))
    # Written in batches: with PYTHONUNBUFFERED (or -u) every write is a system call.
    batch: list[str] = []
    try:
        for found in mined():
            batch.append(f"{found.id}\t{found.text}\n")
            if line_buffered or len(batch) >= 1024:
                sink.write("".join(batch))
                sink.flush()
                batch.clear()
        sink.write("".join(batch))
        sink.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        if output is not None:
            sink.close()


# --- end of log templates ---------------------------------------------------------------


# ---------------------------------------------------------------- Elasticsearch (issue 3)

es_app = typer.Typer(help="Load build folders into Elasticsearch and check the connection.",
                     no_args_is_help=True)
app.add_typer(es_app, name="es")


@contextmanager
def _pull_progress(disabled: bool, product: str = "Elasticsearch"):
    """A rich progress bar on stderr fed by the pull's ``progress(received, expected)``."""
    if disabled:
        yield None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    columns = (TextColumn(f"pulling from {product}"), BarColumn(), MofNCompleteColumn(),
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
    console.print(f"{settings.host_label}: {settings.product} {info['version']['number']}, "
                  f"cluster {info['cluster_name']}")
    console.print(table)


def main() -> None:
    app()
