"""The pure parts of ``triage flaky``: per-test figures, outage builds, verdicts and
clustering on small frames whose right answers can be worked out by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from triage.flaky.classify import area_tokens, classify_tests, touching
from triage.flaky.cluster import FlakyClusterer
from triage.flaky.history import RESULT_COLUMNS, result_key
from triage.flaky.stats import build_outcomes, outcome_string, per_test_stats, with_outcomes


def _row(build, commit, name, status="passed", retry=False, message="", signature=None):
    return {"build": build, "started_at": None, "commit": commit, "env": "canary", "trigger": "push",
            "key": result_key("s", name), "suite": "s", "name": name, "status": status,
            "attempts": 2 if retry or status != "passed" else 1, "passed_on_retry": retry,
            "message": message, "failure_type": "", "signature": signature,
            "test_started_at": float("nan"), "duration_s": float("nan")}


def _frame(rows):
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


# builds b1..b5; "flip" fails once on c1 and passes on retry on c2; "broken" fails from b2 on
ROWS = [
    _row("b1", "c1", "flip"), _row("b2", "c1", "flip", "failed", message="boom", signature="sig-a"),
    _row("b3", "c2", "flip", retry=True), _row("b4", "c3", "flip"), _row("b5", "c3", "flip"),
    _row("b1", "c1", "broken"), _row("b2", "c1", "broken", "failed", signature="sig-b"),
    _row("b3", "c2", "broken", "failed", signature="sig-b"), _row("b4", "c3", "broken", "failed", signature="sig-b"),
    _row("b5", "c3", "broken", "error", signature="sig-b"),
    _row("b1", "c1", "steady"), _row("b2", "c1", "steady", "skipped"), _row("b3", "c2", "steady"),
]
BUILDS = pd.DataFrame({"build": ["b1", "b2", "b3", "b4", "b5"],
                       "commit": ["c1", "c1", "c2", "c3", "c3"],
                       "changed_paths": [("a/x.py",), ("a/x.py",), ("web/src/Broken.tsx",), None, None]})


def test_per_test_figures_worked_out_by_hand():
    stats = per_test_stats(_frame(ROWS)).set_index("key")
    flip = stats.loc["s::flip"]
    # bad = [0, 1, 1, 0, 0]: two changes over four steps; c1 mixes a fail and a pass;
    # both bad runs are inconsistent (same-commit pass, retry) -> score (0.5 + 1) / 2
    assert (flip.runs, flip.failures, flip.passed_on_retry, flip.flips) == (5, 1, 1, 2)
    assert (flip.flip_rate, flip.commit_flips, flip.inconsistency, flip.score) == (0.5, 1, 1.0, 0.75)
    broken = stats.loc["s::broken"]
    # bad = [0, 1, 1, 1, 1]; c1 mixes (b1 pass, b2 fail): one inconsistent of four bad runs
    assert (broken.runs, broken.failures, broken.flips, broken.flip_rate) == (5, 4, 1, 0.25)
    assert (broken.commit_flips, broken.inconsistency, broken.score) == (1, 0.25, 0.25)
    steady = stats.loc["s::steady"]
    assert (steady.runs, steady.failures, steady.flip_rate, steady.score) == (2, 0, 0.0, 0.0)
    assert (steady.first_build, steady.last_build, broken.last_status) == ("b1", "b3", "error")


def test_outcome_letters_and_outage_builds():
    frame = _frame(ROWS)
    letters = outcome_string(frame, ["b1", "b2", "b3", "b4", "b5"])
    assert letters.to_dict() == {"s::flip": "PFRPP", "s::broken": "PFFFE", "s::steady": "PSP.."}
    outage = _frame([_row("o", "c9", f"t{i}", "failed" if i < 3 else "passed") for i in range(5)])
    two_failed = _frame([_row("n", "c9", f"t{i}", "failed" if i < 2 else "passed") for i in range(3)])
    result = build_outcomes(pd.concat([outage, two_failed], ignore_index=True)).set_index("build")
    assert (result.loc["o", "failed"], result.loc["o", "share"], bool(result.loc["o", "outage"])) == (3, 0.6, True)
    # two of three failed: most, but too few to call it an outage
    assert not bool(result.loc["n", "outage"])


def test_verdicts():
    frame = _frame(ROWS)
    verdicts = classify_tests(with_outcomes(frame), per_test_stats(frame), BUILDS)
    assert verdicts["s::flip"].verdict == "flaky"
    assert verdicts["s::broken"].verdict == "broken" and verdicts["s::broken"].since == "b2"
    assert verdicts["s::steady"].verdict == "passing"


@pytest.mark.parametrize("paths, verdict", [(("web/src/pages/OrderForm.tsx",), "regression"),
                                            (("docs/readme.md",), "failed"), (None, "failed")])
def test_a_failure_fixed_by_the_next_commit(paths, verdict):
    rows = [_row("b1", "c1", "order form saves"), _row("b2", "c2", "order form saves", "failed"),
            _row("b3", "c2", "order form saves", "failed"), _row("b4", "c3", "order form saves")]
    builds = pd.DataFrame({"build": ["b1", "b2", "b3", "b4"], "commit": ["c1", "c2", "c2", "c3"],
                           "changed_paths": [None, paths, paths, None]})
    frame = _frame(rows)
    found = classify_tests(with_outcomes(frame), per_test_stats(frame), builds)["s::order form saves"]
    assert (found.verdict, found.builds, found.fixed_in) == (verdict, ["b2", "b3"], "b4")


def test_area_words():
    assert area_tokens("web/src/pages/profile/DisplayNameForm.tsx") == {"profile", "display", "name", "form"}
    assert area_tokens("profile.spec.ts › profile::updates display name") == {"profile", "updates", "display",
                                                                              "name"}
    assert touching(("docs/x.md", "services/checkout-api/src/PromoService.java"),
                    "tests.api.test_promo::test_promo_code") == ["services/checkout-api/src/PromoService.java"]


def test_clusters_follow_co_failure_not_just_a_shared_message():
    same = "TimeoutError: locator.click: Timeout 5000ms exceeded."
    rows = []
    for build in ("b1", "b2", "b3"):  # x and y fail together, with different messages
        rows += [_row(build, "c", "x", "failed", message="GET /api/search returned 504", signature="sig-x"),
                 _row(build, "c", "y", "failed", message="search summary never appeared", signature="sig-y")]
    rows += [_row("b4", "c", "z", retry=True, message=same, signature="sig-t"),
             _row("b5", "c", "w", retry=True, message=same, signature="sig-t")]
    bad = with_outcomes(_frame(rows))
    upstreams = {"s::x": {"upstream:search.vendor"}, "s::y": {"upstream:search.vendor"}}
    first = FlakyClusterer().fit(bad, upstreams)
    assert first.groups() == [["s::x", "s::y"], ["s::w"], ["s::z"]]
    assert first.signature_[first.keys_.index("s::w"), first.keys_.index("s::z")] == pytest.approx(1.0)
    again = FlakyClusterer().fit(bad.iloc[::-1], upstreams)
    assert again.groups() == first.groups() and list(again.labels_) == list(first.labels_)
    single = FlakyClusterer().fit(bad[bad["key"] == "s::z"], {})
    assert single.groups() == [["s::z"]]
