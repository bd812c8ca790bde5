"""A small build history whose flaky test carries markup, event handlers and a
token in its name, suite and failure message: for the flakiness page's
escaping tests (document and browser)."""
from __future__ import annotations

import json
from pathlib import Path

from tests.html_builds import ONERROR, SCRIPT, SVG_ONLOAD, TOKEN, _xml

HOSTILE_NAME = f"places an order {SCRIPT}"
HOSTILE_SUITE = f"orders {SVG_ONLOAD}"
HOSTILE_MESSAGE = f"expected 201, got 503 {ONERROR} Authorization: Bearer {TOKEN}"
# The hostile test's outcome in builds 701..708 (F failed, R passed on retry, P passed).
OUTCOMES = "PFPRPFPP"


def _case(name: str, suite: str, outcome: str) -> str:
    attrs = f'classname="{_xml(suite)}" name="{_xml(name)}" time="0.8"'
    failure = f'<failure message="{_xml(HOSTILE_MESSAGE)}" type="AssertionError">{_xml(HOSTILE_MESSAGE)}</failure>'
    if outcome == "F":
        return f"<testcase {attrs}>{failure}</testcase>"
    if outcome == "R":
        return f"<testcase {attrs}><flakyFailure message=\"{_xml(HOSTILE_MESSAGE)}\" type=\"AssertionError\"/></testcase>"
    return f"<testcase {attrs}/>"


def write_hostile_history(data_dir: Path) -> list[str]:
    """Builds 701..708 under ``data_dir/builds``, one commit, and their ids."""
    ids = []
    for number, outcome in enumerate(OUTCOMES, start=701):
        build = data_dir / "builds" / str(number)
        (build / "reports").mkdir(parents=True)
        (build / "build.json").write_text(json.dumps({
            "build": str(number), "env": "canary", "commit": "c0ffee1", "trigger": "push",
            "started_at": f"2026-11-{number - 690:02d}T04:00:00Z"}))
        cases = [_case(HOSTILE_NAME, HOSTILE_SUITE, outcome), _case("lists orders", "orders", "P"),
                 _case("shows the cart", "cart", "P"), _case("opens the shop", "home", "P")]
        failures = int(outcome == "F")
        (build / "reports" / "junit.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites tests="4" failures="{failures}"><testsuite name="e2e" tests="4" failures="{failures}" '
            f'timestamp="2026-11-{number - 690:02d}T04:00:00">' + "".join(cases) + "</testsuite></testsuites>\n")
        ids.append(str(number))
    return ids
