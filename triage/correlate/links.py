"""Linking a failed test to the requests it made.

Three methods, strongest first; every link records which one and how sure:

1. ``id-in-output``: a request or trace id printed in the test's message,
   stack, stdout/stderr or attachments that some layer also logged.
2. ``test-tag``: the runner tagged its requests with the test (a
   ``triage-test/<slug>`` or the test title in the User-Agent, or an
   ``x-test-name`` / ``x-test-id`` header a gateway logged).
3. ``time-window``: requests from the runner's client IP inside the test's time
   window, when the test left neither ids nor tags. Weaker the more tests ran
   at the same time.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from triage.correlate.groups import Groups
from triage.ingest.ids import ids_in_text
from triage.model import Link, TestResult

ID_CONFIDENCE = 0.95
TAG_CONFIDENCE = 0.85
WINDOW_CONFIDENCE = 0.6
WINDOW_SLACK_S = 2.0
TAG_HEADERS = ("x-test-name", "x-test-id", "x-test", "x-triage-test")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class LinkIndex:
    """Lookups over the events that linking needs, built once per build.

    User agents repeat across thousands of requests, so a test's tag is searched
    among the distinct agents, and only the matching ones are looked up.
    """

    groups: Groups
    agents: pd.Series                    # User-Agent of keyed events (index aligned with keys)
    keys: pd.Series                      # join key of the same events
    distinct_agents: dict[str, list[str]]  # lower-cased agent -> spellings as logged
    keys_by_tag: dict[str, set[str]]     # lower-cased x-test-name etc. -> join keys
    client_rows: pd.DataFrame            # key, ts, client_ip (rows with a client IP and a key)

    @classmethod
    def build(cls, events: pd.DataFrame, groups: Groups) -> "LinkIndex":
        keyed = events.loc[events["key"].notna(), ["key", "ts", "user_agent", "client_ip", "attrs"]]
        with_agent = keyed.loc[keyed["user_agent"].notna(), ["user_agent", "key"]]
        distinct: dict[str, list[str]] = {}
        for agent in pd.unique(with_agent["user_agent"]):
            distinct.setdefault(str(agent).lower(), []).append(agent)
        with_attrs = keyed.loc[keyed["attrs"].notna(), ["attrs", "key"]]
        keys_by_tag: dict[str, set[str]] = {}
        attrs, keys = with_attrs["attrs"].tolist(), with_attrs["key"].tolist()
        for position in _tagged(attrs):
            tag = _tag_of(attrs[position])
            if tag:
                keys_by_tag.setdefault(tag.lower(), set()).add(keys[position])
        client_rows = keyed.loc[keyed["client_ip"].notna() & keyed["ts"].notna(),
                                ["key", "ts", "client_ip"]]
        return cls(groups, with_agent["user_agent"], with_agent["key"], distinct, keys_by_tag,
                   client_rows)


_TAG_KEYS = frozenset(TAG_HEADERS) | {"request_" + header for header in TAG_HEADERS}


def _tagged(attrs: list[object]) -> list[int]:
    """Positions of the attrs that hold a test-tag header: one C-level set test per
    event (all dicts, as readers make them), a Python check only where not."""
    try:
        untagged = list(map(_TAG_KEYS.isdisjoint, attrs))
    except TypeError:  # something other than a dict: check each
        untagged = [not isinstance(a, dict) or _TAG_KEYS.isdisjoint(a) for a in attrs]
    return [position for position, no_tag in enumerate(untagged) if not no_tag]


def _tag_of(attrs: object) -> str | None:
    if not isinstance(attrs, dict):
        return None
    for header in TAG_HEADERS:
        value = attrs.get(header) or attrs.get("request_" + header)
        if value:
            return str(value)
    return None


def link_by_ids(test: TestResult, index: LinkIndex) -> list[Link]:
    links: dict[str, Link] = {}
    for found in sorted(ids_in_text(test.text())):
        key = index.groups.key_of(found)
        if key and key not in links:
            links[key] = Link(key, "id-in-output", ID_CONFIDENCE, f"id {found} printed by the test")
    return list(links.values())


def link_by_tags(test: TestResult, index: LinkIndex) -> list[Link]:
    name = test.name.lower()
    test_slug = slug(test.name)
    keys: set[str] = set()
    for tag in (name, test_slug, f"{test.suite}::{test.name}".lower()):
        keys |= index.keys_by_tag.get(tag, set())
    if test_slug:
        needles = (f"triage-test/{test_slug}", f"test={test_slug}")
        matching = [spelling for agent, spellings in index.distinct_agents.items()
                    if any(needle in agent for needle in needles) and _ends_tag(agent, test_slug)
                    for spelling in spellings]
        if matching:
            keys |= set(index.keys[index.agents.isin(matching)])
    return [Link(key, "test-tag", TAG_CONFIDENCE, f"tagged with test '{test.name}'") for key in sorted(keys)]


def _ends_tag(agent: str, test_slug: str) -> bool:
    """The slug is the whole tag, not the start of a longer one (``login`` vs ``login-sso``)."""
    for needle in (f"triage-test/{test_slug}", f"test={test_slug}"):
        at = agent.find(needle)
        while at != -1:
            after = agent[at + len(needle): at + len(needle) + 1]
            if not after or not (after.isalnum() or after == "-"):
                return True
            at = agent.find(needle, at + 1)
    return False


def test_window(test: TestResult) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if test.started_at is None:
        return None
    start = pd.Timestamp(test.started_at - WINDOW_SLACK_S, unit="s", tz="UTC")
    end = pd.Timestamp(test.started_at + (test.duration_s or 0.0) + WINDOW_SLACK_S, unit="s", tz="UTC")
    return start, end


def link_by_window(test: TestResult, index: LinkIndex, runner_ip: str | None,
                   concurrency: int, taken: set[str]) -> list[Link]:
    window = test_window(test)
    if window is None or runner_ip is None or index.client_rows.empty:
        return []
    rows = index.client_rows
    mask = (rows["client_ip"] == runner_ip) & (rows["ts"] >= window[0]) & (rows["ts"] <= window[1])
    keys = sorted(set(rows.loc[mask, "key"]) - taken)
    confidence = round(WINDOW_CONFIDENCE / max(1, concurrency), 3)
    return [Link(key, "time-window", confidence,
                 f"from runner {runner_ip} during the test") for key in keys]


def infer_runner_ip(links: list[Link], index: LinkIndex) -> str | None:
    """The client IP most of the id- and tag-linked requests came from."""
    strong = {link.request_key for link in links if link.method != "time-window"}
    if not strong or index.client_rows.empty:
        return None
    ips = index.client_rows.loc[index.client_rows["key"].isin(strong), "client_ip"]
    counts = Counter(ips)
    return counts.most_common(1)[0][0] if counts else None


def concurrency_of(test: TestResult, tests: list[TestResult]) -> int:
    """How many tests (this one included) ran during this test's window."""
    window = test_window(test)
    if window is None:
        return 1
    start, end = (w.timestamp() for w in window)
    count = 0
    for other in tests:
        if other.started_at is None:
            continue
        other_end = other.started_at + (other.duration_s or 0.0)
        if other.started_at <= end - WINDOW_SLACK_S and other_end >= start + WINDOW_SLACK_S:
            count += 1
    return max(1, count)
