"""The flakiness report as one self-contained HTML page: a summary, a filter bar
(verdict, category, text), then one outcome strip per test across the builds
(outage builds marked), the flip-rate ranking, the clusters of flaky tests with
their shared signature, category and evidence, the broken / regression / failing
tests, and the outage builds, each listed apart.

Built from the run report's blocks (``html_page``): same escaping, same inline
CSS and script allowed by hash, strips and bars drawn here as SVG.
"""
from __future__ import annotations

from collections import Counter

from triage.errors import compact_ids
from triage.flaky.result import FlakyCluster, FlakyReport, OutageBuild, TestFlakiness
from triage.report.html_page import Markup, category_badge, category_chart, el, kv_table, page

# One letter per build in TestFlakiness.outcomes (triage/flaky/stats.py).
OUTCOMES = {"P": ("pass", "passed"), "R": ("retry", "passed on retry"), "F": ("fail", "failed"),
            "E": ("error", "error"), "S": ("skip", "skipped"), "x": ("outage", "outage build"),
            ".": ("none", "not run")}
VERDICTS = ("flaky", "broken", "regression", "failing", "failed", "passing")
VERDICT_TITLES = {"broken": "Broken (not flaky)", "regression": "Fixed regressions (not flaky)",
                  "failing": "Failing lately, too few runs to judge",
                  "failed": "Failed, then passed, nothing explains it"}
CELL, GAP, STRIP_H = 9, 2, 16
AXIS_H = 54
AXIS_RIGHT_PAD = 24  # room for the last, slanted label
LABEL_EVERY = 5
RANK_BAR_W = 120


def _span(report: FlakyReport) -> str:
    if not report.builds:
        return "no builds"
    return f"{len(report.builds)} builds ({report.builds[0]} … {report.builds[-1]})"


def _anchor(index: int) -> str:
    return f"test-{index}"


def _verdict_badge(verdict: str) -> Markup:
    return el("span", verdict, class_=f"badge verdict-{verdict}", data_verdict=verdict)


def _test_label(test: TestFlakiness, href: str | None = None) -> Markup:
    name = el("a", test.name, href=href) if href else test.name
    return el("span", el("span", test.suite + " › ", class_="suite") if test.suite else None, name,
              class_="test-name")


def _strip_width(builds: int) -> int:
    return max(builds, 1) * (CELL + GAP)


def outcome_strip(test: TestFlakiness, builds: list[str]) -> Markup:
    """One test's outcome in each build as a row of cells (SVG), oldest left."""
    cells = []
    for index, build in enumerate(builds):
        letter = test.outcomes[index] if index < len(test.outcomes) else "."
        kind, words = OUTCOMES.get(letter, OUTCOMES["."])
        cells.append(el("rect", el("title", f"build {build}: {words}"), x=index * (CELL + GAP), y=1,
                        width=CELL, height=STRIP_H - 2, rx=2, class_=f"cell o-{kind}",
                        data_build=build, data_outcome=letter))
    width = _strip_width(len(builds))
    return el("svg", el("title", f"{test.key}: {test.outcomes}"), cells, class_="strip", width=width,
              height=STRIP_H, viewBox=f"0 0 {width} {STRIP_H}", role="img",
              aria_label=f"outcomes of {test.name} across {len(builds)} builds")


def _axis_labels(builds: list[str], outages: set[str]) -> list[tuple[int, str, bool]]:
    """(position, build, outage) of the builds to name: every outage build, then every
    few builds and the last one where no outage label is close by."""
    near_outage = {i + d for i, b in enumerate(builds) if b in outages for d in range(-2, 3)}
    return [(i, b, b in outages) for i, b in enumerate(builds)
            if b in outages or ((i % LABEL_EVERY == 0 or i == len(builds) - 1) and i not in near_outage)]


def strip_axis(builds: list[str], outages: set[str]) -> Markup:
    """Build ids above the strips, outage builds in bold with a marker, oldest left."""
    labels = []
    for index, build, outage in _axis_labels(builds, outages):
        x = index * (CELL + GAP) + CELL / 2
        y = AXIS_H - (10 if outage else 4)
        labels.append(el("text", build, x=f"{x:.1f}", y=y, class_="axis-label outage" if outage else "axis-label",
                         transform=f"rotate(-50 {x:.1f} {y})"))
        if outage:
            labels.append(el("path", el("title", f"build {build}: outage, left out"),
                             d=f"M{x - 4:.1f} {AXIS_H - 7} h8 l-4 6 z", class_="outage-mark"))
    width = _strip_width(len(builds)) + AXIS_RIGHT_PAD
    return el("svg", el("title", "builds, oldest left"), labels, class_="strip-axis", width=width,
              height=AXIS_H, viewBox=f"0 0 {width} {AXIS_H}", role="img", aria_label="builds, oldest left")


def _legend() -> Markup:
    return el("p", [el("span", el("svg", el("rect", x=0, y=1, width=CELL, height=STRIP_H - 2, rx=2,
                                            class_=f"cell o-{kind}"),
                                  width=CELL, height=STRIP_H, viewBox=f"0 0 {CELL} {STRIP_H}", aria_hidden="true"),
                           " ", words, class_="legend-item")
                    for kind, words in OUTCOMES.values()], class_="legend")


def _filter_text(test: TestFlakiness) -> str:
    # What the search box looks in: not the strip's per-build tooltips, which name every build.
    return " ".join(p for p in (test.suite, test.name, test.verdict, test.category, test.cluster,
                                test.signature, " ".join(test.failed_builds)) if p)


def _strips_table(report: FlakyReport) -> Markup:
    outages = {o.build for o in report.outages}
    head = el("tr", el("th", "test", scope="col"), el("th", "verdict, category", scope="col"),
              el("th", "flip", scope="col"),
              el("th", strip_axis(report.builds, outages), scope="col", class_="strip-cell"))
    rows = []
    for index, test in enumerate(report.tests):
        rows.append(el("tr", el("td", _test_label(test)),
                       el("td", _verdict_badge(test.verdict), category_badge(test.category) if test.category else None,
                          class_="badges"),
                       el("td", f"{test.flip_rate:.2f}", class_="num"),
                       el("td", outcome_strip(test, report.builds), class_="strip-cell"),
                       id=_anchor(index), class_="strip-row", data_filter_item=True,
                       data_verdict=test.verdict, data_category=test.category or "none",
                       data_filter_text=_filter_text(test)))
    return el("div", el("table", el("thead", head), el("tbody", rows), class_="data strips"),
              class_="strips-box")


def _rate_bar(rate: float) -> Markup:
    width = max(1.0, RANK_BAR_W * rate)
    return el("svg", el("rect", x=0, y=3, width=RANK_BAR_W, height=10, rx=2, class_="rate-bg"),
              el("rect", x=0, y=3, width=f"{width:.1f}", height=10, rx=2, class_="rate"),
              width=RANK_BAR_W, height=16, viewBox=f"0 0 {RANK_BAR_W} 16", class_="rate-bar",
              aria_hidden="true")


def ranked_by_flip_rate(report: FlakyReport) -> list[tuple[int, TestFlakiness]]:
    """Tests that flipped at least once, highest flip rate first (ties: score, then name),
    each with its index in ``report.tests``."""
    flipping = [(i, t) for i, t in enumerate(report.tests) if t.flip_rate > 0]
    return sorted(flipping, key=lambda pair: (-pair[1].flip_rate, -pair[1].score, pair[1].key))


def _ranking_table(report: FlakyReport) -> Markup:
    ranked = ranked_by_flip_rate(report)
    if not ranked:
        return el("p", "No test changed between passing and failing in these builds.", class_="muted")
    head = el("tr", [el("th", c, scope="col") for c in
                     ("#", "test", "flip rate", "", "score", "runs", "failures", "passed on retry",
                      "verdict", "cluster", "category")])
    rows = [el("tr", el("td", rank, class_="num"), el("td", _test_label(t, f"#{_anchor(i)}")),
               el("td", f"{t.flip_rate:.2f}", class_="num"), el("td", _rate_bar(t.flip_rate)),
               el("td", f"{t.score:.2f}", class_="num"), el("td", t.runs, class_="num"),
               el("td", t.failures, class_="num"), el("td", t.passed_on_retry, class_="num"),
               el("td", _verdict_badge(t.verdict)),
               el("td", el("a", t.cluster, href=f"#cluster-{t.cluster}") if t.cluster else ""),
               el("td", category_badge(t.category) if t.category else ""),
               data_filter_row=_anchor(i), class_="rank-row")
            for rank, (i, t) in enumerate(ranked, 1)]
    return el("table", el("thead", head), el("tbody", rows), class_="data ranking")


def _cluster_card(cluster: FlakyCluster, index_of: dict[str, int]) -> Markup:
    members = [el("li", el("a", key, href=f"#{_anchor(index_of[key])}") if key in index_of else key)
               for key in cluster.tests]
    facts: list[Markup] = [el("dt", "Why"), el("dd", cluster.explanation or "–"),
                           el("dt", "Signature"), el("dd", el("code", cluster.signature or "–")),
                           el("dt", "Tests"), el("dd", el("ul", members)),
                           el("dt", f"Builds ({len(cluster.builds)})"), el("dd", compact_ids(cluster.builds))]
    if cluster.rules:
        facts += [el("dt", "Rules"), el("dd", [el("code", r, class_="rid-chip") for r in cluster.rules])]
    if cluster.evidence:
        facts += [el("dt", "Evidence"), el("dd", el("ul", [el("li", line) for line in cluster.evidence]))]
    lines = [el("li", el("code", f"{e.file}:{e.line}" if e.line else e.file, title=e.file),
                el("code", e.request_id, class_="rid-chip") if e.request_id else None,
                el("mark", e.message, class_="evidence-line"))
             for e in cluster.log_evidence]
    if lines:
        facts += [el("dt", "Log lines"), el("dd", el("ol", lines, class_="evidence"))]
    title = el("h3", f"Cluster {cluster.id}: {len(cluster.tests)} test(s)", " ",
               category_badge(cluster.category, cluster.confidence))
    rows = " ".join(_anchor(index_of[key]) for key in cluster.tests if key in index_of)
    return el("section", title, el("dl", facts, class_="verdict"), id=f"cluster-{cluster.id}",
              class_=f"cluster cat-{cluster.category}", data_category=cluster.category,
              data_filter_row=rows or None)


def _apart_card(test: TestFlakiness, index: int, builds: list[str]) -> Markup:
    facts: list[Markup] = []
    if test.since:
        facts += [el("dt", "Since"), el("dd", f"build {test.since}")]
    if test.fixed_in:
        facts += [el("dt", "Fixed in"), el("dd", f"build {test.fixed_in}")]
    if test.failed_builds:
        facts += [el("dt", f"Failed in ({len(test.failed_builds)})"), el("dd", compact_ids(test.failed_builds))]
    if test.changed_paths:
        facts += [el("dt", "Changed paths"),
                  el("dd", el("ul", [el("li", el("code", p)) for p in test.changed_paths]))]
    if test.evidence:
        facts += [el("dt", "Evidence"), el("dd", el("ul", [el("li", line) for line in test.evidence]))]
    badges = [_verdict_badge(test.verdict), category_badge(test.category) if test.category else None]
    return el("section", el("h4", _test_label(test, f"#{_anchor(index)}"), " ", badges),
              outcome_strip(test, builds), el("dl", facts, class_="verdict"),
              class_=f"apart verdict-{test.verdict}", data_filter_row=_anchor(index))


def _apart_sections(report: FlakyReport) -> list[Markup]:
    index_of = {t.key: i for i, t in enumerate(report.tests)}
    sections = []
    for verdict, title in VERDICT_TITLES.items():
        tests = report.by_verdict(verdict)
        if tests:
            sections.append(el("section", el("h2", f"{title} ({len(tests)})"),
                               [_apart_card(t, index_of[t.key], report.builds) for t in tests],
                               id=f"verdict-{verdict}", class_="apart-list"))
    return sections


def _outage_row(outage: OutageBuild) -> Markup:
    return el("tr", el("td", outage.build), el("td", f"{outage.failed}/{outage.tests}", class_="num"),
              el("td", f"{outage.share:.0%}", class_="num"), el("td", el("code", outage.signature or "")),
              el("td", outage.message))


def _outages_section(report: FlakyReport) -> Markup | None:
    if not report.outages:
        return None
    head = el("tr", [el("th", c, scope="col") for c in ("build", "failed", "share", "signature",
                                                         "most common failure")])
    return el("section", el("h2", f"Outage builds ({len(report.outages)}), left out of every figure"),
              el("table", el("thead", head), el("tbody", [_outage_row(o) for o in report.outages]),
                 class_="data outages"), id="outages")


def _summary(report: FlakyReport) -> Markup:
    verdicts = Counter(t.verdict for t in report.tests)
    flaky_categories = Counter(t.category or "unknown" for t in report.by_verdict("flaky"))
    figures = [(name, verdicts.get(name, 0)) for name in VERDICTS] + [
        ("clusters", len(report.clusters)), ("outage builds", len(report.outages)),
        ("skipped builds", len(report.skipped_builds)), ("tests", len(report.tests))]
    window = [("builds", compact_ids(report.builds)), ("--builds", report.window.get("builds")),
              ("--since", report.window.get("since")), ("generated by", report.generated_by)]
    parts = [el("h2", "Summary"),
             el("div", el("div", el("h3", "Flaky tests by category"), category_chart(dict(flaky_categories)),
                          el("p", [el("span", el("b", value), " ", name) for name, value in figures],
                             class_="stats"), class_="card"),
                el("div", el("h3", "Window"), kv_table([(k, v) for k, v in window if v]), class_="card"),
                class_="cards")]
    if report.skipped_builds:
        parts += [el("h3", f"Skipped builds ({len(report.skipped_builds)})"),
                  el("ul", [el("li", f"{s['build']}: {s['reason']}") for s in report.skipped_builds],
                     class_="warnings")]
    extra = [w for w in report.warnings if not w.startswith("build ") or " skipped: " not in w]
    if extra:
        parts += [el("h3", f"Warnings ({len(extra)})"), el("ul", [el("li", w) for w in extra], class_="warnings")]
    return el("section", parts, id="summary")


def _filter_bar(report: FlakyReport) -> Markup:
    verdicts = Counter(t.verdict for t in report.tests)
    categories = Counter(t.category for t in report.tests if t.category)
    chips = [el("span", "verdict", class_="facet-label")]
    chips += [el("button", v, " ", el("span", verdicts[v], class_="count"), type="button",
                 class_=f"chip verdict-{v}", data_filter_verdict=v, aria_pressed="false")
              for v in VERDICTS if verdicts.get(v)]
    chips += [el("span", "category", class_="facet-label")]
    chips += [el("button", c, " ", el("span", n, class_="count"), type="button", class_=f"chip cat-{c}",
                 data_filter_category=c, aria_pressed="false") for c, n in sorted(categories.items())]
    return el("nav", el("span", "Filter:", class_="filter-label"), chips,
              el("input", type="search", id="filter-text", placeholder="search test, suite, cluster, signature…",
                 aria_label="search tests"),
              el("button", "clear", type="button", id="filter-clear", class_="chip"),
              el("span", "", id="filter-count", data_noun="tests", aria_live="polite"),
              class_="filter-bar", aria_label="filter")


def render_flaky_html(report: FlakyReport) -> str:
    """The flakiness report as a complete, self-contained HTML document.

    Renders what ``report`` holds (``triage.api.flaky`` has redacted it unless
    told not to); every piece of text is escaped.
    """
    title = f"triage flaky · {_span(report)}"
    verdicts = Counter(t.verdict for t in report.tests)
    sub = (f"{verdicts.get('flaky', 0)} flaky test(s) in {len(report.clusters)} cluster(s), "
           f"{verdicts.get('broken', 0)} broken, {verdicts.get('regression', 0)} fixed regression(s), "
           f"{len(report.outages)} outage build(s) left out; {len(report.tests)} tests")
    header = el("h1", title) + el("p", sub, class_="sub")
    index_of = {t.key: i for i, t in enumerate(report.tests)}
    sections: list[Markup | None] = [
        _summary(report), _filter_bar(report),
        el("section", el("h2", "Outcomes across builds"), _legend(), _strips_table(report), id="strips"),
        el("section", el("h2", "Flip-rate ranking"), _ranking_table(report), id="ranking"),
        el("section", el("h2", f"Clusters of flaky tests ({len(report.clusters)})"),
           [_cluster_card(c, index_of) for c in report.clusters]
           or el("p", "No flaky tests, so no clusters.", class_="muted"), id="clusters"),
        *_apart_sections(report), _outages_section(report)]
    return page(title, header, [s for s in sections if s is not None])
