"""AWS API Gateway JSON access logs (REST, HTTP and WebSocket APIs).

The keys are whatever the stage's access-log template names them; these are
the console's templates and the documented ``$context`` names: ``requestId``,
``extendedRequestId``, ``ip``, ``requestTime`` (CLF) or ``requestTimeEpoch`` (ms),
``httpMethod``, ``routeKey``, ``resourcePath``/``path``, ``status`` (a string),
``responseLatency``, ``integrationStatus``, ``integrationLatency``,
``integrationErrorMessage``, ``error.message``/``errorMessage``, ``authorizerError``,
``xrayTraceId``, ``eventType`` and ``connectionId`` (WebSocket).
"""
from __future__ import annotations

from typing import Any

from triage.ingest.base import Head, JsonLineIngestor, first, to_float, to_int
from triage.ingest.nginx import as_text
from triage.ingest.timeparse import parse_any, parse_epoch
from triage.model import Layer

_MARKERS = ("ip", "caller", "user", "requestTime", "requestTimeEpoch", "httpMethod",
            "routeKey", "resourcePath", "status", "protocol", "responseLength",
            "integrationStatus", "integrationLatency", "responseLatency",
            "extendedRequestId", "xrayTraceId", "connectionId", "eventType", "apiId", "stage")
# Keys that say a JSON line is an application log, not an access-log template.
_APP_KEYS = ("@timestamp", "level", "msg", "log.level", "severity")
_PLACEHOLDERS = {"", "-", "REDACTED"}
# Values worth keeping in attrs, under the template's own key.
_KEPT = ("extendedRequestId", "routeKey", "resourcePath", "stage", "apiId", "domainName",
         "eventType", "connectionId", "protocol", "caller", "user", "responseLength")
_ERROR_KEYS = ("error.message", "errorMessage", "integrationErrorMessage",
               "integration.error", "authorizerError", "authorizer.error", "waf.error")


def _value(obj: dict[str, Any], *keys: str) -> Any:
    value = first(obj, *keys)
    return None if isinstance(value, str) and value in _PLACEHOLDERS else value


def _text(obj: dict[str, Any], *keys: str) -> str | None:
    return as_text(_value(obj, *keys))


def _method_path(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    method = _text(obj, "httpMethod", "http.method", "requestMethod")
    path = _text(obj, "path", "resourcePath", "requestPath")
    route = _text(obj, "routeKey")
    if isinstance(route, str) and " " in route:  # HTTP APIs: "GET /pets/{id}"
        route_method, _, route_path = route.partition(" ")
        method = method or route_method
        path = path or route_path
    return method, path


def _ts(obj: dict[str, Any]) -> float | None:
    epoch = _value(obj, "requestTimeEpoch")
    if epoch is not None:
        return parse_epoch(epoch)
    return parse_any(_value(obj, "requestTime", "timestamp"))


def _error(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(error code, detail)``: a gateway response type and the first error message."""
    detail = next((v for key in _ERROR_KEYS if (v := _text(obj, key)) is not None), None)
    code = _text(obj, "error.responseType", "errorResponseType")
    if code is None and detail is not None:
        if _value(obj, "authorizerError", "authorizer.error") is not None:
            code = "authorizer_error"
        elif _value(obj, "integrationErrorMessage", "integration.error") is not None:
            code = "integration_error"
    return code, detail


def convert_record(obj: dict[str, Any]) -> dict[str, Any] | None:
    """One API Gateway access-log object -> event; None if it is not one."""
    if "requestId" not in obj:
        return None
    method, path = _method_path(obj)
    status = to_int(_value(obj, "status"))
    code, detail = _error(obj)
    attrs = {key: value for key in _KEPT if (value := _text(obj, key)) is not None}
    if method or path:
        message = f"{method or '-'} {path or '-'} {status}"
    else:  # WebSocket: "CONNECT $connect 500"
        message = f"{_text(obj, 'eventType') or '-'} {_text(obj, 'routeKey') or '-'} {status}"
    if detail:
        message += f" {detail}"
    event: dict[str, Any] = {
        "ts": _ts(obj),
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": to_float(_value(obj, "responseLatency", "latency")),
        "upstream_status": to_int(_value(obj, "integrationStatus", "integration.status",
                                         "integration.integrationStatus")),
        "upstream_latency_ms": to_float(_value(obj, "integrationLatency", "integration.latency")),
        "request_id": _text(obj, "requestId"),
        "trace_id": _text(obj, "xrayTraceId"),
        "client_ip": _text(obj, "ip", "sourceIp", "identity.sourceIp"),
        "user_agent": _text(obj, "userAgent", "identity.userAgent"),
        "error": code,
        "message": message,
    }
    if attrs:
        event["attrs"] = attrs
    return event


def _is_access_record(obj: dict[str, Any]) -> bool:
    return "requestId" in obj and not any(key in obj for key in _APP_KEYS) \
        and sum(1 for key in _MARKERS if key in obj) >= 3


class ApiGatewayJsonIngestor(JsonLineIngestor):
    """AWS API Gateway access logs in a JSON template, one object per line."""

    name = "aws-apigateway-json"
    layer = Layer.GATEWAY
    description = "AWS API Gateway JSON access log (REST, HTTP and WebSocket APIs)"

    def sniff(self, head: Head) -> float:
        """0.95 x the share of objects with ``requestId`` and 3+ template keys and no
        application-log keys (``level``, ``@timestamp``, ...)."""
        objects = head.json_objects[:20]
        if not objects or len(objects) < len(head.lines[:20]) / 2:
            return 0.0
        return 0.95 * sum(1 for obj in objects if _is_access_record(obj)) / len(objects)

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        return convert_record(obj)
