"""ingress-nginx's rows path (``IngressNginxIngestor.parse_rows``, ``triage.ingest.rows``).

The usual access line (``_UPSTREAMINFO_PLAIN``) goes straight into a row; any
other line (retry lists, error-log and klog lines) takes ``parse_line``; klog
lines get their year from the neighbouring rows as ``date_yearless`` gives it.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from triage.ingest.ids import normalize_request_id
from triage.ingest.nginx import (_UPSTREAMINFO_PLAIN, YEAR_ASSUMED, _redate, parse_clf, plain_fields,
                                 seconds_to_ms)
from triage.ingest.rows import INDEX, FastRow, Row

def plain_row_reader() -> FastRow:
    """A function from a line to its row when it is a plain upstreaminfo line (the
    same row ``_plain_upstreaminfo`` and ``parse_line`` give), else None."""
    match = _UPSTREAMINFO_PLAIN.match
    times: dict[str, float | None] = {}  # one parse per distinct second

    def row(text: str, line: int) -> Row | None:
        if " : " in text or (m := match(text)) is None:
            return None
        (addr, user, time, request, status_text, sent, referer, ua, req_time, name, alt_name,
         up_addr, up_time, up_status, req_id) = m.groups()
        method, path, status, attrs, message = plain_fields(user, request, status_text, sent, referer,
                                                            name, alt_name)
        try:
            ts = times[time]
        except KeyError:
            ts = times[time] = parse_clf(time)
        upstream = up_addr != "-" or up_status != "-"
        return (ts, None, None, None,
                normalize_request_id(req_id if req_id and req_id != "-" else None), None, None,
                method, path, status, seconds_to_ms(req_time),
                up_addr if upstream and up_addr != "-" else None,
                int(up_status) if upstream and up_status.isdigit() else None,
                seconds_to_ms(up_time) if upstream else None,
                addr if addr != "-" else None, ua if ua and ua != "-" else None, message, None,
                attrs or None, None, line)

    return row


_TS, _ATTRS = INDEX["ts"], INDEX["attrs"]


def date_yearless_rows(blocks: Iterable[list[Row]], others: list[int]) -> Iterator[list[Row]]:
    """``date_yearless`` for blocks of rows. Yearless rows come from klog lines,
    which ``parse_line`` reads: a block without such lines (``others`` empty)
    only moves the reference time on."""
    reference: float | None = None
    pending: list[Row] = []
    for rows in blocks:
        if not others and not pending:
            reference = next((row[_TS] for row in reversed(rows) if row[_TS] is not None), reference)
            yield rows
            continue
        others.clear()
        out: list[Row] = []
        for row in rows:
            attrs = row[_ATTRS]
            if attrs is not None and attrs.get("year") == YEAR_ASSUMED:
                if reference is None:
                    pending.append(row)
                    continue
                row = _redated_row(row, reference)
            elif row[_TS] is not None:
                reference = row[_TS]
                if pending:
                    out.extend(_redated_row(held, reference) for held in pending)
                    pending.clear()
            out.append(row)
        if out:
            yield out
    if pending:
        yield pending


def _redated_row(row: Row, reference: float) -> Row:
    event = {"ts": row[_TS], "attrs": row[_ATTRS]}
    _redate(event, reference)
    return row[:_TS] + (event["ts"],) + row[_TS + 1:]
