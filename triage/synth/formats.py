"""Log lines exactly as the real tools write them, one renderer per format.

Every renderer takes the simulated record and returns one line (a Python
traceback is the one multi-line record). Shapes follow the real samples in
``fixtures/real``: ingress-nginx ``upstreaminfo``, Kong file-log, Istio's
Envoy JSON and text access logs, ECS JSON from three logging libraries
(ecs-logging-java, @elastic/ecs-pino-format, ecszap), logfmt, Python logging
text and the Kubernetes CRI wrapper.
"""
from __future__ import annotations

from typing import Any, Callable

import orjson

from triage.synth.world import (
    INGRESS_POD_IP, ISTIO_GW_POD, KONG_POD, ROUTES, SERVICES, STOREFRONT_POD, AppEvent, DepCall, Rand,
    Request, clf, http_date, iso_ms, iso_ns, python_time,
)

KONG_VERSION = "3.4.2"
_KONG_IDS = Rand("kong-object-ids")
KONG_SERVICE_IDS = {name: _KONG_IDS.uuid() for name in SERVICES}
KONG_ROUTE_IDS = {name: _KONG_IDS.uuid() for name in SERVICES}
KONG_WORKSPACE = _KONG_IDS.uuid()
ROUTE_PATHS = {name: sorted(prefix for prefix, svc in ROUTES if svc == name) for name in SERVICES}


# ---------------------------------------------------------------- ingress and gateway

def protocol(req: Request) -> str:
    return "HTTP/2.0" if req.user_agent.startswith("Mozilla/") else "HTTP/1.1"


def ingress_nginx(req: Request, gateway: str) -> str:
    """ingress-nginx's default ``upstreaminfo`` access line, logged at request end."""
    if req.service or req.short_circuit:
        upstream = "shop-kong-kong-proxy-80" if gateway == "kong" else "istio-system-istio-ingressgateway-80"
        addr = KONG_POD if gateway == "kong" else ISTIO_GW_POD
        upstream_ms = req.gw_end - req.gw_start + 1
    elif req.status == 404 and req.bare_path.endswith((".php", ".env")):
        upstream, addr, upstream_ms = "upstream-default-backend", "10.244.0.7:8080", 1
    else:
        upstream, addr, upstream_ms = "shop-storefront-80", STOREFRONT_POD, req.app_ms
    total = req.end - req.start
    return (f'{req.client_ip} - - [{clf(req.end // 1000)}] "{req.method} {req.path} {protocol(req)}" '
            f'{req.status} {req.bytes_sent} "{req.referer}" "{req.user_agent}" {req.request_length} '
            f'{total / 1000:.3f} [{upstream}] [] {addr} {req.bytes_sent} {upstream_ms / 1000:.3f} '
            f'{req.status} {req.rid}')


def _kong_request_headers(req: Request) -> dict[str, str]:
    headers = {
        "host": req.host,
        "user-agent": req.user_agent,
        "accept": "application/json" if not req.user_agent.startswith("Mozilla/") else "*/*",
        "x-forwarded-for": req.client_ip,
        "x-forwarded-proto": "https",
        "x-forwarded-host": req.host,
        "x-real-ip": req.client_ip,
        "x-request-id": req.rid,
        "traceparent": req.traceparent,
    }
    if req.test_name:
        headers["x-test-name"] = req.test_name
    headers.update(req.req_headers)
    return headers


def _kong_response_headers(req: Request, proxy: int, total: int) -> dict[str, str]:
    headers = {
        "content-type": "application/json; charset=utf-8",
        "content-length": str(req.bytes_sent),
        "connection": "keep-alive",
        "date": http_date(req.gw_end),
        "x-request-id": req.rid,
        "via": f"kong/{KONG_VERSION}",
    }
    if proxy >= 0:
        headers["x-kong-upstream-latency"] = str(proxy)
        headers["x-kong-proxy-latency"] = str(total - proxy)
    else:
        headers["x-kong-response-latency"] = str(total)
    headers.update(req.resp_headers)
    return headers


def kong(req: Request) -> str:
    """A Kong 3.4 file-log line (one JSON object, written when the request ends)."""
    total = req.gw_end - req.gw_start
    proxy = -1 if req.short_circuit else req.app_ms + 1
    svc = SERVICES.get(req.service or "")
    query = req.path.partition("?")[2]
    obj: dict[str, Any] = {
        "request": {
            "method": req.method, "uri": req.path, "url": f"http://{req.host}:8000{req.path}",
            "size": req.request_length,
            "querystring": dict(part.partition("=")[::2] for part in query.split("&")) if query else {},
            "headers": _kong_request_headers(req),
        },
        "upstream_uri": req.path if svc else "",
        "response": {"status": req.status, "size": req.bytes_sent + 310,
                     "headers": _kong_response_headers(req, proxy, total)},
        "latencies": {"request": total, "kong": total if proxy < 0 else total - proxy, "proxy": proxy},
        "tries": [] if req.short_circuit or not svc else [
            {"balancer_start": req.gw_start + req.gateway_ms - 1, "balancer_latency": 0,
             "ip": svc.pod_ip, "port": 8080}],
        "client_ip": req.client_ip,
        "workspace": KONG_WORKSPACE,
        "workspace_name": "default",
        "started_at": req.gw_start,
    }
    if svc:
        obj["route"] = {"id": KONG_ROUTE_IDS[svc.name], "name": svc.name, "paths": ROUTE_PATHS[svc.name],
                        "protocols": ["http", "https"], "strip_path": False, "preserve_host": True,
                        "https_redirect_status_code": 426, "ws_id": KONG_WORKSPACE}
        obj["service"] = {"id": KONG_SERVICE_IDS[svc.name], "name": svc.name, "host": svc.host,
                          "port": 8080, "protocol": "http", "retries": 5, "connect_timeout": 60000,
                          "read_timeout": 60000, "write_timeout": 60000, "ws_id": KONG_WORKSPACE}
    if req.gateway_error:
        obj["error"] = req.gateway_error  # file-log custom_fields_by_lua: kong.ctx.shared.errmsg
    return orjson.dumps(obj).decode()


def envoy_gateway_json(req: Request, port: int) -> str:
    """An Istio ingress-gateway JSON access line (Istio's keys, sorted as Istio writes them)."""
    svc = SERVICES.get(req.service or "")
    total = req.gw_end - req.gw_start
    flags = "-" if req.status < 500 or svc else "NR"
    obj = {
        "authority": req.host, "bytes_received": max(0, req.request_length - 420),
        "bytes_sent": req.bytes_sent, "connection_termination_details": None,
        "downstream_local_address": ISTIO_GW_POD, "downstream_remote_address": f"{INGRESS_POD_IP}:{port}",
        "duration": total, "method": req.method, "path": req.path, "protocol": "HTTP/1.1",
        "request_id": req.rid, "requested_server_name": None, "response_code": req.status,
        "response_code_details": "via_upstream" if svc else "route_not_found",
        "response_flags": flags, "route_name": svc.name if svc else None,
        "start_time": iso_ms(req.gw_start),
        "upstream_cluster": f"outbound|8080||{svc.host}" if svc else None,
        "upstream_host": f"{svc.pod_ip}:8080" if svc else None,
        "upstream_local_address": f"10.244.0.40:{port + 7}" if svc else None,
        "upstream_service_time": str(req.app_ms + 1) if svc else None,
        "upstream_transport_failure_reason": None, "user_agent": req.user_agent,
        "x_forwarded_for": req.client_ip,
    }
    return orjson.dumps(obj).decode()


def envoy_egress_text(call: DepCall, port: int) -> str:
    """An Istio sidecar's text access line for an outbound call to a third party."""
    svc = SERVICES[call.service]
    rid = call.request.rid if call.request else "-"
    upstream = "-" if call.flags in ("UF", "UH") else f"{call.upstream_ip}:443"
    service_time = "-" if call.flags != "-" else str(max(1, call.duration - 1))
    sent = 24 if call.status >= 500 else 180 + port % 900
    return (f'[{iso_ms(call.ms)}] "{call.method} {call.path} HTTP/1.1" {call.status} {call.flags} '
            f'{call.details} - "-" 0 {sent} {call.duration} {service_time} "-" "{svc.user_agent}" '
            f'"{rid}" "{call.authority}" "{upstream}" outbound|443||{call.authority} '
            f'{svc.pod_ip}:{port} {call.upstream_ip}:443 {svc.pod_ip}:{port + 1} {call.authority} -')


# ---------------------------------------------------------------- application logs

def _request_fields(ev: AppEvent, dashless: bool) -> tuple[str | None, dict[str, Any]]:
    req = ev.request
    if req is None:
        return None, {}
    rid = req.rid.replace("-", "") if dashless else req.rid
    return rid, {"trace.id": req.trace_id, "transaction.id": req.app_span}


def ecs_java(ev: AppEvent, ms: int, dashless: bool = False) -> str:
    """ecs-logging-java (logback EcsEncoder) layout: its first fields hand-spaced."""
    f = ev.fields
    rest: dict[str, Any] = {"ecs.version": "1.2.0", "service.name": ev.service,
                            "service.version": f.get("version", SERVICES[ev.service].version),
                            "event.dataset": f"{ev.service}.log",
                            "process.thread.name": f.get("thread", "main"),
                            "log.logger": f.get("logger", "com.shop.Application")}
    rid, ids = _request_fields(ev, dashless)
    if rid:
        req = ev.request
        assert req is not None
        rest.update(ids)
        rest["http.request.id"] = rid
        rest["http.request.method"] = req.method
        rest["url.path"] = req.bare_path
        if "status" in f:
            rest["http.response.status_code"] = f["status"]
            rest["event.duration"] = f["duration_ms"] * 1_000_000
    for key in ("error.type", "error.message", "error.stack_trace"):
        if key in f:
            rest[key] = f[key]
    rest.update(f.get("extra", {}))
    level = orjson.dumps(ev.level.upper()).decode()
    head = (f'{{"@timestamp":"{iso_ms(ms)}", "log.level":{level:>7}, '
            f'"message":{orjson.dumps(ev.message).decode()}, ')
    return head + orjson.dumps(rest).decode()[1:]


def ecs_node(ev: AppEvent, ms: int, dashless: bool = False) -> str:
    """@elastic/ecs-pino-format: nested objects after the dotted level and timestamp."""
    f = ev.fields
    obj: dict[str, Any] = {"log.level": ev.level.lower(), "@timestamp": iso_ms(ms),
                           "process": {"pid": 1}, "host": {"hostname": f"{ev.service}-6b7d9c8f5-q2x7k"},
                           "ecs": {"version": "8.10.0"},
                           "service": {"name": ev.service,
                                       "version": f.get("version", SERVICES[ev.service].version)},
                           "event": {"dataset": f"{ev.service}.log"}}
    rid, _ = _request_fields(ev, dashless)
    if rid:
        req = ev.request
        assert req is not None
        obj["trace"] = {"id": req.trace_id}
        obj["transaction"] = {"id": req.app_span}
        http: dict[str, Any] = {"version": "1.1", "request": {"id": rid, "method": req.method}}
        if "status" in f:
            http["response"] = {"status_code": f["status"]}
            obj["event"]["duration"] = f["duration_ms"] * 1_000_000
        obj["http"] = http
        obj["url"] = {"path": req.bare_path, "domain": req.host}
        obj["client"] = {"address": req.client_ip, "ip": req.client_ip}
    if "error.type" in f:
        obj["error"] = {"type": f["error.type"], "message": f["error.message"]}
    obj.update(f.get("extra", {}))
    obj["message"] = ev.message
    return orjson.dumps(obj).decode()


def ecs_go(ev: AppEvent, ms: int, dashless: bool = False) -> str:
    """go.elastic.co/ecszap: level, time, logger and origin first, dotted keys after."""
    f = ev.fields
    file_name, _, line = f.get("origin", "main.go:1").partition(":")
    obj: dict[str, Any] = {"log.level": ev.level.lower(), "@timestamp": iso_ms(ms),
                           "log.logger": f.get("logger", "main"),
                           "log.origin": {"file.name": file_name, "file.line": int(line)},
                           "message": ev.message, "service.name": ev.service,
                           "service.version": f.get("version", SERVICES[ev.service].version),
                           "ecs.version": "1.6.0"}
    rid, ids = _request_fields(ev, dashless)
    if rid:
        obj.update(ids)
        obj["http.request.id"] = rid
    for key in ("error.type", "error.message"):
        if key in f:
            obj[key] = f[key]
    obj.update(f.get("extra", {}))
    return orjson.dumps(obj).decode()


def logfmt_value(value: Any) -> str:
    """go-kit/logfmt quoting: only when a value has space, '=', '"' or is empty.

    A quoted value is escaped like a JSON string, so it never spans lines.
    """
    text = value if isinstance(value, str) else str(value)
    if not text or any(c in text for c in ' ="\\') or not text.isprintable():
        return orjson.dumps(text).decode()
    return text


def logfmt(ev: AppEvent, ms: int, dashless: bool = False) -> str:
    """``time=... level=... msg=...`` then request keys, then the event's own pairs."""
    parts = [f"time={iso_ms(ms)}", f"level={ev.level.lower()}", f"msg={logfmt_value(ev.message)}",
             f"service={ev.service}"]
    rid, _ = _request_fields(ev, dashless)
    f = ev.fields
    if rid:
        req = ev.request
        assert req is not None
        parts.append(f"request_id={rid}")
        parts.append(f"trace_id={req.trace_id}")
        if "status" in f:
            parts.append(f"method={req.method}")
            parts.append(f"path={logfmt_value(req.path)}")
            parts.append(f"status={f['status']}")
            parts.append(f"duration={f['duration_ms']}ms")
    for key, value in f.get("extra", {}).items():
        parts.append(f"{key}={logfmt_value(value)}")
    return " ".join(parts)


def python_text(ev: AppEvent, ms: int, dashless: bool = False) -> str:
    """Python logging ``%(asctime)s %(levelname)s [%(name)s] request_id=... %(message)s``."""
    rid, _ = _request_fields(ev, dashless)
    line = (f"{python_time(ms)} {ev.level.upper()} [{ev.fields.get('logger', 'orders')}] "
            f"request_id={rid or '-'} {ev.message}")
    exc = ev.fields.get("exc_text")
    return f"{line}\n{exc}" if exc else line


def cri(payload: str, ms: int, sub_ns: int, stream: str = "stdout") -> str:
    """A Kubernetes CRI (containerd) log line wrapping one payload line."""
    return f"{iso_ns(ms, sub_ns)} {stream} F {payload}"


APP_RENDERERS: dict[str, Callable[[AppEvent, int, bool], str]] = {
    "ecs-java": ecs_java, "ecs-node": ecs_node, "ecs-go": ecs_go,
    "logfmt": logfmt, "pytext": python_text,
}
