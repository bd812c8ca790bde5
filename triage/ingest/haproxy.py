"""HAProxy ``option httplog`` lines, usually behind a syslog prefix.

::

    Dec 10 12:01:46 host haproxy[19312]: 127.0.0.1:35982 [10/Dec/2018:12:01:46.395]
    frontend backend/server Tq/Tw/Tc/Tr/Ta status bytes req_cookie res_cookie
    termination_state actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
    {captured request headers} {captured response headers} "GET / HTTP/1.1"

Timers are milliseconds, ``-1`` when the phase never happened; ``<NOSRV>`` means
no server was picked. Some configurations log an extra field (a host name) before
the timers. Other lines from the same haproxy process (``Server app/node1 is
DOWN ...``) become events too; their syslog date has no year.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from triage.ingest.base import Head, LineIngestor, ParseContext, SourceFile
from triage.ingest.ids import ID_IN_TEXT
from triage.ingest.nginx import (TZ_ASSUMED, YEAR_ASSUMED, date_yearless, split_request,
                                 yearless_ts)
from triage.ingest.timeparse import parse_clf, parse_iso
from triage.model import Layer

_SYSLOG = (r'^(?:<\d+>\d? ?)?(?:(?P<syslog_ts>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}'
           r'|\d{4}-\d{2}-\d{2}T\S+) (?P<host>\S+) )?(?:(?P<proc>[\w./-]+)\[(?P<pid>\d+)\]: )?')
_HTTPLOG = re.compile(
    _SYSLOG
    + r'(?P<client>\S+):(?P<port>\d+|-) \[(?P<accept>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?)\]'
    r' (?P<frontend>\S+) (?P<backend>[^\s/]+)/(?P<server>\S+) (?:(?P<extra>\S+(?: \S+)*?) )?'
    r'(?P<tq>-?\d+)/(?P<tw>-?\d+)/(?P<tc>-?\d+)/(?P<tr>-?\d+)/\+?(?P<ta>-?\d+)'
    r' (?P<status>-?\d+) \+?(?P<bytes>\d+) (?P<req_cookie>\S+) (?P<res_cookie>\S+)'
    r' (?P<term>[\w-]{4}) (?P<conns>[\d/+-]+) (?P<queues>[\d/+-]+)(?P<captures>(?: \{[^}]*\})*)'
    r' "(?P<request>[^"]*)"?\s*$')
_OTHER = re.compile(
    r'^(?:<\d+>\d? ?)?(?P<syslog_ts>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+)'
    r' (?P<host>\S+) (?P<proc>[\w./-]*(?i:haproxy)[\w./-]*)\[(?P<pid>\d+)\]: (?P<msg>.+)$')
_CAPTURE = re.compile(r'\{([^}]*)\}')
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
# Operational messages -> (level, error code).
_ADMIN = (("is DOWN", "error", "server_down"), ("has no server available", "error",
          "no_server_available"), ("is UP", "info", None), ("[ALERT]", "alert", None),
          ("[WARNING]", "warning", None))


def _timer(value: str) -> float | None:
    number = int(value)
    return float(number) if number >= 0 else None


def _captures(block: str, event: dict[str, Any]) -> None:
    """Captured header blocks into attrs; an id-shaped value becomes the request id."""
    blocks = [values.split("|") for values in _CAPTURE.findall(block)]
    names = ("captured_request_headers", "captured_response_headers")
    for name, values in zip(names, blocks):
        if any(values):
            event["attrs"][name] = values
    for values in blocks:
        for value in values:
            match = ID_IN_TEXT.fullmatch(value.strip())
            if match and event.get("request_id") is None:
                event["request_id"] = value.strip()


def parse_httplog(text: str) -> dict[str, Any] | None:
    """One HAProxy httplog line -> event, or None if it is not one."""
    m = _HTTPLOG.match(text)
    if m is None:
        return None
    method, path, _protocol = split_request(m["request"])
    status = int(m["status"])
    server = m["server"]
    term = m["term"]
    client = m["client"]
    if client.startswith("["):
        client = client[1:-1]
    attrs: dict[str, Any] = {"frontend": m["frontend"], "backend": m["backend"],
                             "server": server, "termination_state": term}
    if m["extra"]:
        attrs["extra"] = m["extra"]
    if m["host"]:
        attrs["syslog_host"] = m["host"]
    retries = m["conns"].rsplit("/", 1)[-1].lstrip("+")
    if retries.isdigit() and int(retries):
        attrs["retries"] = int(retries)
    failed = term.strip("-") != ""
    message = f"{method or '-'} {path or '-'} {status if status >= 0 else '-'}"
    if failed:
        message += f" {term} {m['backend']}/{server}"
    event: dict[str, Any] = {
        "ts": parse_clf(m["accept"]),
        "method": method,
        "path": path,
        "status": status if status >= 0 else None,
        "latency_ms": _timer(m["ta"]),
        "upstream_latency_ms": _timer(m["tr"]),
        "upstream_host": server if server != "<NOSRV>" else None,
        "client_ip": client if client not in ("-", "") else None,
        "error": term if failed else None,
        "message": message,
        "attrs": attrs,
    }
    if m["captures"]:
        _captures(m["captures"], event)
    return event


def parse_other(text: str) -> dict[str, Any] | None:
    """Any other line of a haproxy process (``Server app/n1 is DOWN ...``) -> event."""
    m = _OTHER.match(text)
    if m is None:
        return None
    msg = m["msg"].strip()
    level, code = "info", None
    for phrase, phrase_level, phrase_code in _ADMIN:
        if phrase in msg:
            level, code = phrase_level, phrase_code
            break
    stamp = m["syslog_ts"]
    attrs: dict[str, Any] = {"process": m["proc"], "tz": TZ_ASSUMED}
    if stamp[:1].isdigit():
        ts = parse_iso(stamp)
    else:
        ts = yearless_ts(_MONTHS[stamp[:3]], int(stamp[4:6]), stamp[7:])
        attrs["year"] = YEAR_ASSUMED
    if m["host"]:
        attrs["syslog_host"] = m["host"]
    return {"ts": ts, "level": level, "message": msg, "error": code, "attrs": attrs}


class HaproxyHttpIngestor(LineIngestor):
    """HAProxy HTTP log (``option httplog``), syslog-prefixed or raw."""

    name = "haproxy-http"
    layer = Layer.INGRESS
    description = "HAProxy httplog (timers, termination state, captured headers)"

    def sniff(self, head: Head) -> float:
        """0.95 x the share of haproxy lines; 0 without a single httplog line."""
        lines = head.lines[:20]
        if not lines:
            return 0.0
        http = other = 0
        for line in lines:
            if _HTTPLOG.match(line):
                http += 1
            elif _OTHER.match(line):
                other += 1
        return 0.95 * (http + other) / len(lines) if http else 0.0

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """An httplog line, or another line of the haproxy process; None otherwise."""
        return parse_httplog(text) or parse_other(text)

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        return date_yearless(super().parse(source, ctx))
