"""The "History" block of a failure in the run's HTML page: the one-line summary,
the test's recent runs as an outcome strip (the flakiness page's cells), the
confirmed labels of look-alike failures and the newest look-alikes themselves.

Input is ``triage.history.FailureHistory``; every text goes through ``el``
(escaped), the strip is SVG drawn here.
"""
from __future__ import annotations

from triage.history import FailureHistory, PastFailure
from triage.report.html_flaky import CELL, GAP, OUTCOMES, STRIP_H
from triage.report.html_page import Markup, category_badge, el

MATCH_WORDS = {"same-test": "this test, same signature", "same-signature": "another test, same signature",
               "near": "look-alike message"}


def runs_strip(history: FailureHistory, name: str) -> Markup:
    """The test's recent runs, one cell each, oldest left (SVG)."""
    runs = history.test
    cells = []
    for index, (letter, build) in enumerate(zip(runs.outcomes, runs.builds)):
        kind, words = OUTCOMES.get(letter, OUTCOMES["."])
        cells.append(el("rect", el("title", f"build {build}: {words}"), x=index * (CELL + GAP), y=1,
                        width=CELL, height=STRIP_H - 2, rx=2, class_=f"cell o-{kind}",
                        data_build=build, data_outcome=letter))
    width = max(len(runs.outcomes), 1) * (CELL + GAP)
    return el("svg", el("title", f"{name}: {runs.outcomes}"), cells, class_="strip history-strip", width=width,
              height=STRIP_H, viewBox=f"0 0 {width} {STRIP_H}", role="img",
              aria_label=f"outcomes of {name} in its last {len(runs.outcomes)} runs, oldest left")


def _confirmed(history: FailureHistory) -> Markup | None:
    if not history.labels:
        return None
    counts = [el("span", category_badge(category), f" × {count}", class_="confirmed-count")
              for category, count in history.confirmed.items()]
    items = [el("li", el("span", past.build, class_="build"), " ", category_badge(past.label), " ",
                f"{past.suite} › {past.test}" if past.suite else past.test,
                el("span", f" by {past.labelled_by}" if past.labelled_by else "", class_="dim"),
                el("span", f" ({past.note})" if past.note else "", class_="dim"))
             for past in history.labels]
    return el("div", el("p", "Confirmed on look-alikes: ", counts), el("ul", items, class_="confirmed-labels"),
              class_="history-confirmed")


def _similar_row(past: PastFailure) -> Markup:
    return el("tr", el("td", past.build), el("td", (past.started_at or "")[:16].replace("T", " ")),
              el("td", f"{past.suite} › {past.test}" if past.suite else past.test),
              el("td", MATCH_WORDS.get(past.match, past.match)), el("td", f"{past.similarity:.2f}", class_="num"),
              el("td", category_badge(past.label) if past.label else "—"), el("td", past.message, class_="msg"),
              data_build=past.build, data_match=past.match)


def _similar_table(history: FailureHistory) -> Markup | None:
    if not history.similar:
        return None
    head = el("tr", [el("th", h) for h in ("build", "started (UTC)", "test", "match", "similarity",
                                          "confirmed", "message")])
    shown = f"newest {len(history.similar)} of {history.seen}" if history.seen > len(history.similar) else "all"
    return el("details", el("summary", f"Look-alike failures ({shown})"),
              el("table", el("thead", head), el("tbody", [_similar_row(p) for p in history.similar]),
                 class_="data similar"), open=True)


def history_block(history: FailureHistory, name: str) -> Markup:
    """The History heading and its contents for one failure."""
    strip = None
    if history.test.runs:
        strip = el("div", el("span", f"last {len(history.test.outcomes)} runs, oldest left: ", class_="dim"),
                   runs_strip(history, name),
                   el("span", f" flip rate {history.test.flip_rate:.2f}", class_="dim"), class_="history-runs")
    return el("div", el("h3", "History"), el("p", history.line(), class_="history-line"), strip,
              _confirmed(history), _similar_table(history), class_="history")
