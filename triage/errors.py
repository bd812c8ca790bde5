"""One error root. The CLI maps each subclass to CONTRACT §3's exit codes."""
from __future__ import annotations


class TriageError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.file = file
        self.line = line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")


class UsageError(TriageError):
    """Bad arguments or input the user can fix (exit 2)."""


def compact_ids(ids: list[str], limit: int = 30) -> str:
    """Build ids with runs of consecutive numbers shown as ``first-last``: a history of
    hundreds of builds still fits one line. At most ``limit`` items, then ``...``."""
    items: list[str] = []
    run: list[int] = []
    for build in ids + [""]:
        if build.isdigit() and run and int(build) == run[-1] + 1:
            run.append(int(build))
            continue
        if run:
            # Two in a row read better as two ids than as a range.
            items += [str(n) for n in run] if len(run) < 3 else [f"{run[0]}-{run[-1]}"]
            run = []
        if build.isdigit():
            run = [int(build)]
        elif build:
            items.append(build)
    return ", ".join(items[:limit]) + (" ..." if len(items) > limit else "")


class UnknownBuildError(UsageError):
    def __init__(self, build_id: str, data_dir: str, available: list[str]):
        self.available = available
        shown = compact_ids(available)
        super().__init__(
            f"build {build_id!r} not found under {data_dir}/builds; "
            f"available builds: {shown or '(none)'}"
        )


class NoTestReportError(UsageError):
    def __init__(self, build_id: str, build_dir: str):
        super().__init__(
            f"build {build_id!r} has no test report (JUnit XML or Playwright JSON) "
            f"in {build_dir}; add the runner's report to the build folder"
        )


class ConfigError(UsageError):
    """An unreadable or invalid configuration file."""


class RuleError(TriageError):
    """A rule file that does not load or validate; ``problems`` lists every error."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} rule problem(s):\n" + "\n".join(problems))


class SourceError(TriageError):
    """A required source (e.g. Elasticsearch) failed (exit 3)."""

    exit_code = 3
