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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from triage.correlate.groups import Groups, codes_of
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

    Events are addressed by position and joined through integer codes: each
    event's join-key code and User-Agent code. User agents repeat across
    thousands of requests, so a test's tag is searched among the distinct
    agents, and only the matching codes are looked up.
    """

    groups: Groups
    key_codes: np.ndarray                  # join-key code of every event (-1: none)
    agent_codes: np.ndarray                # User-Agent code of every event (-1: none)
    distinct_agents: dict[str, list[int]]  # lower-cased agent -> codes of its spellings
    keys_by_tag: dict[str, set[str]]       # lower-cased x-test-name etc. -> join keys
    client_ips: np.ndarray                 # client IP of every event (None/NaN: none)
    times: np.ndarray                      # every event's ts, naive UTC datetime64 (NaT: none)
    usable: np.ndarray                     # the events with a key and a time
    _rows_from: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, events: pd.DataFrame, groups: Groups) -> "LinkIndex":
        key_codes = np.asarray(groups.keys.cat.codes.to_numpy(), dtype=np.int64)
        keyed = key_codes >= 0
        agent_codes, agents = pd.factorize(events["user_agent"].to_numpy(dtype=object))
        agent_codes = np.where(keyed, agent_codes, -1)
        distinct: dict[str, list[int]] = {}
        for code in pd.unique(agent_codes[agent_codes >= 0]):
            distinct.setdefault(str(agents[code]).lower(), []).append(int(code))
        attrs = events["attrs"].to_numpy(dtype=object)
        names = groups.keys.cat.categories
        keys_by_tag: dict[str, set[str]] = {}
        for position in _tagged(attrs):
            tag = _tag_of(attrs[position])
            if tag and keyed[position]:
                keys_by_tag.setdefault(tag.lower(), set()).add(names[key_codes[position]])
        ts = events["ts"]
        times = (ts.dt.tz_convert(None) if ts.dt.tz is not None else ts).to_numpy()
        return cls(groups, key_codes, agent_codes, distinct, keys_by_tag,
                   events["client_ip"].to_numpy(dtype=object), times, keyed & ~np.isnat(times))

    def rows_from(self, client_ip: str) -> np.ndarray:
        """Positions of the keyed, timed events from ``client_ip`` (one scan per IP)."""
        if client_ip not in self._rows_from:
            self._rows_from[client_ip] = np.flatnonzero((self.client_ips == client_ip) & self.usable)
        return self._rows_from[client_ip]

    def key_names(self, positions: np.ndarray) -> list[str]:
        """The join keys of the events at ``positions``, each once, sorted."""
        codes = np.unique(self.key_codes[positions])
        return [str(name) for name in self.groups.keys.cat.categories[codes[codes >= 0]]]


_TAG_KEYS = frozenset(TAG_HEADERS) | {"request_" + header for header in TAG_HEADERS}


def _tagged(attrs: np.ndarray) -> np.ndarray:
    """Positions of the attrs that hold a test-tag header: one C-level set test per
    event (all dicts, as readers make them), a Python check only where not."""
    try:
        untagged = np.fromiter(map(_TAG_KEYS.isdisjoint, attrs), dtype=bool, count=len(attrs))
    except TypeError:  # something other than a dict: check each
        untagged = np.array([not isinstance(a, dict) or _TAG_KEYS.isdisjoint(a) for a in attrs],
                            dtype=bool)
    return np.flatnonzero(~untagged)


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
    printed = sorted(ids_in_text(test.text()))
    keys = index.groups.keys_of(printed)
    for found in printed:
        key = keys.get(found)
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
        matching = [code for agent, codes in index.distinct_agents.items()
                    if any(needle in agent for needle in needles) and _ends_tag(agent, test_slug)
                    for code in codes]
        if matching:
            keys |= set(index.key_names(np.flatnonzero(np.isin(index.agent_codes, matching))))
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
    if window is None or runner_ip is None:
        return []
    start, end = (np.datetime64(w.tz_convert(None).as_unit("ns")) for w in window)
    runner = index.rows_from(runner_ip)
    inside = runner[(index.times[runner] >= start) & (index.times[runner] <= end)]
    keys = sorted(set(index.key_names(inside)) - taken)
    confidence = round(WINDOW_CONFIDENCE / max(1, concurrency), 3)
    return [Link(key, "time-window", confidence,
                 f"from runner {runner_ip} during the test") for key in keys]


def infer_runner_ip(links: list[Link], index: LinkIndex) -> str | None:
    """The client IP most of the id- and tag-linked requests came from."""
    strong = {link.request_key for link in links if link.method != "time-window"}
    if not strong:
        return None
    codes = codes_of(index.groups.keys.cat.categories, strong)
    rows = np.flatnonzero(np.isin(index.key_codes, codes) & index.usable)
    counts = Counter(ip for ip in index.client_ips[rows] if not pd.isna(ip))
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
