"""A failed test's correlated timeline as a swimlane SVG: one lane per layer
(test, ingress, gateway, app, dependency), one mark per logged event, each
request's hops joined by a line, the deciding evidence marked and its request
ids labelled. Rendered here, server-side, so the page needs no charting code.
"""
from __future__ import annotations

from datetime import datetime, timezone

from triage.model import Evidence, Layer
from triage.report.html_page import Markup, el

LANES = [layer.value for layer in Layer]
WIDTH, LABEL_W, RIGHT_PAD, AXIS_H, LANE_H = 960, 92, 24, 26, 40
# Tick steps in seconds; the first that gives at most MAX_TICKS ticks is used.
TICK_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TICKS = 8
MISSING_LEVELS = {"", "nan", "none", "null"}


def evidence_key(row: Evidence) -> tuple:
    return (row.file, row.line, row.message)


def epoch(ts: str | None) -> float | None:
    """ISO 8601 text as epoch seconds (None when absent or unreadable)."""
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def level_of(row: Evidence) -> str:
    level = (row.level or "").lower()
    return "" if level in MISSING_LEVELS else level


def mark_class(row: Evidence, hit: bool) -> str:
    """CSS classes of an event's mark: its severity, and ``hit`` for evidence."""
    status, level = row.status or 0, level_of(row)
    severity = ("s5xx" if status >= 500 else "s4xx" if status >= 400
                else "err" if level in ("error", "fatal") else "warn" if level == "warn" else "ok")
    return f"mark {severity}" + (" hit" if hit else "")


def _tick_step(span: float) -> float:
    return next((step for step in TICK_STEPS if span / step <= MAX_TICKS), TICK_STEPS[-1])


def _clock(seconds: float, step: float) -> str:
    text = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%H:%M:%S.%f")
    return text[:-3] if step < 1 else text[:-7]


class _Scale:
    def __init__(self, times: list[float]):
        self.start, end = min(times), max(times)
        self.span = max(end - self.start, 1.0)
        pad = self.span * 0.03
        self.start, self.span = self.start - pad, self.span + 2 * pad

    def x(self, t: float) -> float:
        return LABEL_W + (t - self.start) / self.span * (WIDTH - LABEL_W - RIGHT_PAD)


def _lane_y(lane: str) -> float:
    return AXIS_H + LANES.index(lane if lane in LANES else Layer.APP.value) * LANE_H + LANE_H / 2


def _axis(scale: _Scale, height: int) -> list[Markup]:
    step = _tick_step(scale.span)
    first = (int(scale.start / step) + 1) * step
    ticks = []
    t = first
    while t < scale.start + scale.span:
        x = f"{scale.x(t):.1f}"
        ticks.append(el("g", el("line", x1=x, x2=x, y1=AXIS_H - 4, y2=height, class_="tick"),
                        el("text", _clock(t, step), x=x, y=AXIS_H - 8, class_="tick-label",
                           text_anchor="middle")))
        t = round(t + step, 6)
    return ticks


def _lanes(height: int) -> list[Markup]:
    rows = []
    for index, lane in enumerate(LANES):
        y = AXIS_H + index * LANE_H
        rows.append(el("g", el("rect", x=0, y=y, width=WIDTH, height=LANE_H, class_=f"lane-bg lane-{lane}"),
                       el("text", lane, x=8, y=y + LANE_H / 2 + 4, class_="lane-label"),
                       class_="lane", data_lane=lane))
    return rows


def _request_paths(rows: list[tuple[float, Evidence]], scale: _Scale, hit_ids: set[str]) -> list[Markup]:
    """A line through each request's hops (in time order), and a label with
    the request id for requests that hold evidence."""
    by_request: dict[str, list[tuple[float, Evidence]]] = {}
    for t, row in rows:
        if row.request_id and row.source != Layer.TEST.value:
            by_request.setdefault(row.request_id, []).append((t, row))
    paths, labelled = [], 0
    for request_id, hops in by_request.items():
        hit = request_id in hit_ids
        points = " ".join(f"{scale.x(t):.1f},{_lane_y(r.source):.1f}" for t, r in hops)
        if len(hops) > 1:
            paths.append(el("polyline", el("title", f"request {request_id}"), points=points,
                            class_="req hit" if hit else "req", data_request_id=request_id))
        if hit:
            t, row = min(hops, key=lambda h: (LANES.index(h[1].source) if h[1].source in LANES else 9, h[0]))
            y = _lane_y(row.source) - 10 - (labelled % 2) * 10
            paths.append(el("text", request_id[:8], el("title", request_id), x=f"{scale.x(t) + 4:.1f}",
                            y=f"{y:.1f}", class_="rid", data_request_id=request_id))
            labelled += 1
    return paths


def _test_bar(rows: list[tuple[float, Evidence]], scale: _Scale) -> Markup | None:
    own = [t for t, row in rows if row.source == Layer.TEST.value]
    if len(own) < 2:
        return None
    y = _lane_y(Layer.TEST.value)
    return el("rect", el("title", "test running"), x=f"{scale.x(min(own)):.1f}", y=f"{y - 5:.1f}",
              width=f"{max(1.0, scale.x(max(own)) - scale.x(min(own))):.1f}", height=10, rx=3,
              class_="test-bar")


def _marks(rows: list[tuple[float, Evidence]], scale: _Scale, hits: set[tuple], anchor: str) -> list[Markup]:
    marks = []
    # Evidence last, so that its marks are drawn on top of events at the same time.
    for index, (t, row) in sorted(rows, key=lambda pair: evidence_key(pair[1][1]) in hits):
        hit = evidence_key(row) in hits
        where = f"{row.file}:{row.line}" if row.line else row.file
        tip = " · ".join(p for p in (row.ts, row.source, where, row.request_id, row.message) if p)
        marks.append(el("a", el("circle", el("title", tip), cx=f"{scale.x(t):.1f}",
                                cy=f"{_lane_y(row.source):.1f}", r=6.5 if hit else 4,
                                class_=mark_class(row, hit), data_layer=row.source),
                        href=f"#{anchor}-ev-{index}"))
    return marks


def swimlane_svg(timeline: list[Evidence], evidence: list[Evidence], anchor: str) -> Markup:
    """The swimlane for one failure; ``anchor`` prefixes the ids of the
    timeline table rows that each mark links to (``<anchor>-ev-<index>``)."""
    timed = [(epoch(row.ts), index, row) for index, row in enumerate(timeline)]
    rows = [(index, (t, row)) for t, index, row in timed if t is not None]
    if not rows:
        return el("p", "No timed events were correlated with this test.", class_="muted")
    scale = _Scale([t for _, (t, _) in rows])
    hits = {evidence_key(e) for e in evidence}
    hit_ids = {e.request_id for e in evidence if e.request_id}
    height = AXIS_H + LANE_H * len(LANES) + 6
    plain = [pair for _, pair in rows]
    untimed = len(timeline) - len(rows)
    caption = (f"{len(rows)} events across layers; evidence marked large, request ids of "
               f"evidence labelled; click a mark to jump to its line"
               + (f"; {untimed} event(s) without a time are only in the table" if untimed else ""))
    return el("figure", el("svg", el("title", "timeline of correlated requests"), _lanes(height),
                           _axis(scale, height), _test_bar(plain, scale),
                           _request_paths(plain, scale, hit_ids), _marks(rows, scale, hits, anchor),
                           class_="swimlane", viewBox=f"0 0 {WIDTH} {height}", role="img",
                           preserveAspectRatio="xMinYMin meet",
                           aria_label="swimlane timeline of correlated requests"),
              el("figcaption", caption), class_="timeline-figure")
