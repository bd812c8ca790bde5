"""The README's promises that CI depends on: its two set-up commands are the ones
`.ci/run` runs, and its reference sections are all there (an edit once cut three)."""
from __future__ import annotations

import re

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CI_RUN = (REPO / ".ci" / "run").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    section = README.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_two_setup_commands_are_what_ci_runs():
    commands = _setup_commands()
    assert commands == ["pip install -e . && triage run --build 1234",
                        "pip install -e '.[test]' && python -m pytest -q"]
    ci_lines = [line.strip() for line in CI_RUN.splitlines()]
    assert all(command in ci_lines for command in commands)


def test_the_reference_sections_are_all_there():
    headings = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    for required in ("Set-up: two commands", "What `triage run --build 1234` prints",
                     "Environment drift and baselines", "Flakiness across builds", "Notebooks",
                     "Elasticsearch", "Formats recognised", "Bad input",
                     "Learning from confirmed labels", "Secrets", "Limits and guarantees", "Speed",
                     "Libraries and why", "Development"):
        assert required in headings, f"README lost its section {required!r}"
    assert "### OpenSearch" in README
