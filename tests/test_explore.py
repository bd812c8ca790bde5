"""The notebook helpers (triage.explore, re-exported by triage and triage.api):
exact frames on sample_data, redaction of every text they show, rules written
inline checked like rule files, the timeline figure."""
from __future__ import annotations

import pytest

import triage
from tests.conftest import SAMPLE_DATA
from tests.html_builds import REQUEST_ID, TOKEN, write_hostile_build
from triage import api
from triage.errors import RuleError, UsageError

RULE = """family: team
rules:
  - id: team.vendor
    title: Vendor down
    status: experimental
    category: dependency
    description: the vendor
    confidence: 0.9
    explanation: "vendor {v.upstream_host}"
    detection:
      v:
        upstream_host|contains: vendor.example
      condition: v
    examples:
      - {expect: match, events: [{upstream_host: "api.vendor.example"}]}
      - {expect: %s, events: [{upstream_host: "api.vendor.example"}]}
"""


@pytest.fixture(scope="module")
def build_1234():
    return triage.load_build("1234", SAMPLE_DATA)


def test_tests_frame_and_request_events_follow_one_request_across_layers(build_1234):
    tests = triage.tests_frame(build_1234)
    assert len(tests) == 12 and list(tests[tests["status"] == "failed"]["name"]) == \
        ["pays with saved card", "shows results for boots", "uploads an avatar"]
    report = triage.analyze(build_1234)
    rejected = next(e for e in report.failures[0].evidence if e.source == "gateway" and e.status == 401)
    hops = triage.request_events(api.correlate(build_1234), rejected.request_id.upper())
    assert list(hops["layer"].astype(str)) == ["ingress", "gateway", "app"]
    assert list(hops["status"].astype("Int64").fillna(0)) == [401, 401, 0]
    assert hops["ts"].is_monotonic_increasing
    with pytest.raises(UsageError, match="no event carries request id 'nope'"):
        triage.request_events(build_1234, "nope")


def test_helpers_that_show_log_text_redact_it(tmp_path):
    write_hostile_build(tmp_path)
    build = triage.load_build("666", tmp_path)
    hops = triage.request_events(build, REQUEST_ID)
    assert len(hops) == 3 and not hops["message"].str.contains(TOKEN).any()
    assert hops["message"].str.contains(r"\[REDACTED:", regex=True).sum() == 1
    report = triage.analyze(build, redact=False)
    frame = triage.timeline_frame(report.failures[0])
    assert TOKEN not in " ".join(frame["message"]) and frame["evidence"].sum() == len(report.failures[0].evidence)


def test_rules_from_yaml_checks_schema_and_examples_and_names_the_line():
    rules = triage.rules_from_yaml(RULE % "match", name="team.yaml")
    assert rules[-1].id == "team.vendor" and rules[-1].file == "team.yaml" and rules[-1].line == 3
    assert len(rules) > 1 and len(triage.rules_from_yaml(RULE % "match", with_defaults=False)) == 1
    with pytest.raises(RuleError) as failed:
        triage.rules_from_yaml(RULE % "no-match", name="team.yaml")
    assert failed.value.problems[0].startswith("team.yaml:16: rule 'team.vendor' example")
    with pytest.raises(RuleError) as broken:
        triage.rules_from_yaml(RULE.replace("    confidence: 0.9\n", "") % "match", name="team.yaml")
    assert broken.value.problems == ["team.yaml:3: rule 'team.vendor' lacks 'confidence'"]


def test_plot_timeline_draws_one_lane_per_layer(build_1234):
    pytest.importorskip("matplotlib")
    failure = triage.analyze(build_1234).failures[0]
    figure = triage.plot_timeline(failure)
    (axes,) = figure.axes
    assert [t.get_text() for t in axes.get_yticklabels()] == ["test", "ingress", "gateway", "app"]
    dots, circled = axes.collections
    assert len(dots.get_offsets()) == len(failure.timeline)
    assert len(circled.get_offsets()) == len(failure.evidence)
    assert axes.get_title() == f"pays with saved card: auth ({failure.confidence:.2f})"


def test_history_helpers_find_the_build_where_a_test_broke():
    history = triage.history(SAMPLE_DATA, builds="1210..1216")
    assert history.build_ids == ["1210", "1211", "1212", "1213", "1214", "1215", "1216"]
    key = "tests.api.test_promo::test_promo_code_applies_to_sale_items"
    assert triage.last_passing_before(history.results, key, "1215") == "1213"
    around = triage.builds_around(history.builds, "1214", before=1, after=1)
    assert list(around["build"]) == ["1213", "1214", "1215"]
    assert around["commit"].str[:7].tolist() == ["5bfb539", "33c733d", "33c733d"]
    with pytest.raises(UsageError):
        triage.builds_around(history.builds, "1300")
    frame = triage.flaky_frame(api.flaky(SAMPLE_DATA, builds="1210..1216"))
    promo = frame.set_index(frame["suite"] + "::" + frame["name"]).loc[key]
    assert (promo["verdict"], promo["since"], promo["outcomes"]) == ("broken", "1214", "PPPPFFF")
