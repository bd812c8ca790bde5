"""A hostile build for the HTML report tests: markup, event handlers and a
token in every place a report shows text (test name, suite, failure message,
log lines, build metadata)."""
from __future__ import annotations

import json
from pathlib import Path

REQUEST_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "abcdefgh12345678secret"
# Each payload sets window.__xss if it ever runs as markup.
SCRIPT = "<script>window.__xss='script'</script>"
ONERROR = "<img src=x onerror=\"window.__xss='onerror'\">"
SVG_ONLOAD = "<svg onload=\"window.__xss='svg'\"></svg>"


def _xml(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _ecs(ts: str, level: str, message: str, status: int | None = None) -> str:
    record = {"@timestamp": ts, "log.level": level, "message": message, "service.name": "orders-api",
              "http.request.id": REQUEST_ID, "http.request.method": "POST", "url.path": "/api/orders"}
    if status is not None:
        record["http.response.status_code"] = status
    return json.dumps(record)


def write_hostile_build(data_dir: Path, build_id: str = "666") -> Path:
    """Write ``<data_dir>/builds/<build_id>`` and return the build folder."""
    build = data_dir / "builds" / build_id
    (build / "reports").mkdir(parents=True)
    (build / "logs" / "app").mkdir(parents=True)
    (build / "build.json").write_text(json.dumps({
        "build": build_id, "env": "canary", "baseline": "665", "runner_ip": "10.9.0.5",
        "note": f"deployed by {SCRIPT}"}))
    message = f"expected 200, got 502 (x-request-id: {REQUEST_ID}) {ONERROR}"
    (build / "reports" / "junit.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="2" failures="1">
  <testsuite name="orders" tests="2" failures="1" timestamp="2026-11-20T10:00:00" hostname="runner-1">
    <testcase classname="{_xml('orders ' + SVG_ONLOAD)}" name="{_xml('places an order ' + SCRIPT)}" time="2.5">
      <failure message="{_xml(message)}" type="AssertionError">{_xml(message)}</failure>
    </testcase>
    <testcase classname="orders" name="lists orders" time="0.4"/>
  </testsuite>
</testsuites>
""")
    lines = [
        _ecs("2026-11-20T10:00:00.900Z", "info", "request received"),
        _ecs("2026-11-20T10:00:01.200Z", "error",
             f"upstream payments failed: connection refused {SCRIPT} {ONERROR} "
             f"Authorization: Bearer {TOKEN}"),
        _ecs("2026-11-20T10:00:01.210Z", "error", "request failed", status=502),
    ]
    (build / "logs" / "app" / "orders-api.log").write_text("\n".join(lines) + "\n")
    return build
