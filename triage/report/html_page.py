"""Building blocks of triage's self-contained HTML pages, shared by the run
report and the flakiness page (html_flaky.py): escaped element building, the page
shell with inline CSS and JS, the category filter bar and generic tables.

Every piece of text goes through ``el``/``esc``, which escape it; only
``Markup`` (what ``el`` itself returns) is inserted as is. The page carries a
Content-Security-Policy that allows no network access at all and only the
inline style and script it ships (by hash), so even text that slipped past
escaping could neither run nor load anything.
"""
from __future__ import annotations

import base64
import hashlib
import html
from functools import lru_cache
from importlib.resources import files
from typing import Any, Iterable

import orjson

from triage.model import Category


class Markup(str):
    """A string that is already safe HTML; ``el`` inserts it unescaped.

    Joining or adding plain strings escapes them, so the result stays safe.
    """

    def __add__(self, other: object) -> "Markup":
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other: object) -> "Markup":
        return Markup(str.__add__(esc(other), self))

    def join(self, parts: Iterable[Any]) -> "Markup":  # type: ignore[override]
        return Markup(str.join(self, (esc(p) for p in parts)))


VOID_ELEMENTS = frozenset({"input", "meta", "br", "hr", "img", "link"})


def esc(value: Any) -> Markup:
    """``value`` as HTML text (``<``, ``>``, ``&`` and quotes escaped)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def _attr_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def _children(children: Iterable[Any]) -> Iterable[str]:
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, (str, int, float)):
            yield esc(child)
        else:
            yield from _children(child)


def el(tag: str, *children: Any, **attrs: Any) -> Markup:
    """One element: ``el("a", "text", href="#x", class_="c", data_id=3)``.

    Attribute names lose a trailing ``_`` and turn ``_`` into ``-``; ``True``
    gives a bare attribute, ``None``/``False`` leaves it out. Text children and
    attribute values are escaped; nested lists are flattened.
    """
    parts = [tag]
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        parts.append(_attr_name(name) if value is True else f'{_attr_name(name)}="{esc(value)}"')
    if tag in VOID_ELEMENTS:
        return Markup(f"<{' '.join(parts)}>")
    return Markup(f"<{' '.join(parts)}>{''.join(_children(children))}</{tag}>")


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """The text of ``triage/report/assets/<name>``."""
    return files("triage.report").joinpath("assets", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def page(title: str, header: Markup, body: Iterable[Markup]) -> str:
    """A complete HTML document: ``header`` then ``body`` with the shared CSS and JS inline."""
    css, js = asset("report.css"), asset("report.js")
    policy = (f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    head = Markup(
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
    ) + el("title", title) + Markup(f"<style>{css}</style>")
    document = Markup("<!DOCTYPE html>\n<html lang=\"en\"><head>") + head + Markup("</head><body>")
    document += el("header", header, class_="page-header")
    document += el("main", list(body))
    document += Markup(f"<script>{js}</script></body></html>\n")
    return document


def category_badge(category: str, confidence: float | None = None) -> Markup:
    label = category if confidence is None else f"{category} {confidence:.2f}"
    return el("span", label, class_=f"badge cat-{category}", data_category=category)


def filter_bar(counts: dict[str, int], noun: str) -> Markup:
    """Category toggle buttons (with counts) and a text search over every
    element marked ``data-filter-item``; ``noun`` names what is counted."""
    buttons = [el("button", category, " ", el("span", count, class_="count"), type="button",
                  class_=f"chip cat-{category}", data_filter_category=category, aria_pressed="false")
               for category, count in counts.items()]
    return el("nav", el("span", "Filter:", class_="filter-label"), buttons,
              el("input", type="search", id="filter-text", placeholder="search text, request id, rule…",
                 aria_label=f"search {noun}"),
              el("button", "clear", type="button", id="filter-clear", class_="chip"),
              el("span", "", id="filter-count", data_noun=noun, aria_live="polite"),
              class_="filter-bar", aria_label="filter")


def category_chart(counts: dict[str, int]) -> Markup:
    """Counts per category as horizontal bars (SVG, one row per category)."""
    if not counts:
        return el("p", "No failed tests.", class_="muted")
    row, label_w, bar_w = 24, 110, 260
    top = max(counts.values())
    rows = []
    for index, (category, count) in enumerate(counts.items()):
        y = index * row
        width = max(2.0, bar_w * count / top)
        rows.append(el("g", el("text", category, x=label_w - 8, y=y + 16, class_="bar-label",
                               text_anchor="end"),
                       el("rect", x=label_w, y=y + 4, width=f"{width:.1f}", height=row - 8, rx=3,
                          class_=f"bar cat-{category}"),
                       el("text", count, x=f"{label_w + width + 6:.1f}", y=y + 16, class_="bar-value"),
                       class_="bar-row", data_category=category))
    height = row * len(counts)
    return el("svg", el("title", "failed tests by category"), rows, class_="chart",
              viewBox=f"0 0 {label_w + bar_w + 40} {height}", width=label_w + bar_w + 40,
              height=height, role="img", aria_label="failed tests by category")


def kv_table(rows: Iterable[tuple[str, Any]], class_: str = "kv") -> Markup:
    return el("table", el("tbody", [el("tr", el("th", key, scope="row"), el("td", cell_text(value)))
                                    for key, value in rows]), class_=class_)


def cell_text(value: Any) -> str:
    """A value as one table cell: text as is, structures as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, (dict, list, tuple)):
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
    return str(value)


def rows_table(rows: list[dict[str, Any]]) -> Markup:
    """A list of records as a table whose columns are the union of their keys."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return el("table", el("thead", el("tr", [el("th", c, scope="col") for c in columns])),
              el("tbody", [el("tr", [el("td", cell_text(row.get(c))) for c in columns]) for row in rows]),
              class_="data")


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def generic_block(value: Any) -> Markup:
    """Any JSON-like value as tables: records as rows, mappings as key/value
    pairs (their record lists as sub-tables), anything else as text."""
    if _is_records(value):
        return rows_table(value)
    if isinstance(value, dict):
        scalars = [(k, v) for k, v in value.items() if not _is_records(v)]
        nested = [el("div", el("h4", k), rows_table(v), class_="nested")
                  for k, v in value.items() if _is_records(v)]
        return Markup().join(([kv_table(scalars)] if scalars else []) + nested)
    if isinstance(value, list):
        return el("ul", [el("li", cell_text(v)) for v in value])
    return el("p", cell_text(value))


def generic_section(name: str, value: Any, level: str = "h2") -> Markup:
    """A report section this renderer has no special layout for (e.g. ``drift``)."""
    title = name.replace("_", " ").capitalize()
    return el("section", el(level, title), generic_block(value), class_="generic",
              data_section=name)


CATEGORY_ORDER = [c.value for c in Category]
