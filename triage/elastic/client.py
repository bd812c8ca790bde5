"""A configured ``Elasticsearch`` client, and calls with bounded retries that turn
the client's exceptions into triage's ``EsSourceError`` messages."""
from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

from elasticsearch import (
    ApiError, AuthenticationException, AuthorizationException, ConnectionError as EsConnectionError,
    ConnectionTimeout, Elasticsearch, NotFoundError, SSLError, TransportError,
)
from elasticsearch.serializer import OrjsonSerializer

from triage.elastic.errors import (
    EsAuthError, EsBadResponse, EsIndexMissing, EsPitExpired, EsSourceError, EsTimeout,
    EsUnreachable,
)
from triage.elastic.settings import EsSettings

T = TypeVar("T")
RETRY_STATUS = (429, 502, 503, 504)
BACKOFF_CAP_S = 8.0


def connect(settings: EsSettings, *, request_timeout: float | None = None) -> Elasticsearch:
    """A client for ``settings.hosts``. The transport's own retries are off: ``call``
    retries with backoff and counts, so a message can say what was tried."""
    auth: dict[str, Any] = {}
    if settings.api_key:
        auth["api_key"] = settings.api_key
    elif settings.username:
        auth["basic_auth"] = (settings.username, settings.password or "")
    tls: dict[str, Any] = {"verify_certs": settings.verify_certs}
    if settings.ca_certs:
        tls["ca_certs"] = settings.ca_certs
    if not settings.verify_certs:
        tls["ssl_show_warn"] = False
    return Elasticsearch(settings.hosts, request_timeout=request_timeout or settings.request_timeout,
                         max_retries=0, retry_on_timeout=False, serializer=OrjsonSerializer(),
                         **auth, **tls)


def call(settings: EsSettings, where: str | None, what: str, fn: Callable[..., T],
         *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, retried ``settings.max_retries`` times with exponential
    backoff on timeouts, dropped connections and 429/502/503/504.

    ``where`` names the index (or pattern) for messages. Raises the ``EsSourceError``
    subclass that says what happened (see ``explain``).
    """
    attempt = 0
    while True:
        try:
            return fn(*args, **kwargs)
        except (ApiError, TransportError) as exc:
            if not _retryable(exc) or attempt >= settings.max_retries:
                raise explain(exc, settings, where, what, attempts=attempt + 1) from None
            time.sleep(min(BACKOFF_CAP_S, settings.retry_backoff_s * 2 ** attempt))
            attempt += 1


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, ApiError):
        return exc.meta.status in RETRY_STATUS
    return isinstance(exc, (ConnectionTimeout, EsConnectionError)) and not isinstance(exc, SSLError)


def explain(exc: Exception, settings: EsSettings, index: str | None, what: str,
            attempts: int = 1) -> EsSourceError:
    """The one clear message for a client exception raised while doing ``what``."""
    host = settings.host_label
    tried = f" ({attempts} attempts, backoff from {settings.retry_backoff_s:g} s)" if attempts > 1 else ""
    if isinstance(exc, (AuthenticationException, AuthorizationException)):
        who = ("API key from TRIAGE_ES_API_KEY" if settings.api_key else
               f"user {settings.username!r}" if settings.username else "no credentials")
        return EsAuthError(f"{what} was refused with HTTP {exc.meta.status} ({who})", host=host,
                           index=index, hint="TRIAGE_ES_API_KEY or TRIAGE_ES_USERNAME/"
                           "TRIAGE_ES_PASSWORD, and that the role may read this index")
    if isinstance(exc, NotFoundError):
        if is_pit_missing(exc):
            return EsPitExpired(f"{what}: the point in time expired or was closed", host=host,
                                index=index, hint="pit_keep_alive in [elasticsearch] (now "
                                f"{settings.pit_keep_alive}) is longer than the slowest page")
        return EsIndexMissing(f"{what}: no such index", host=host, index=index,
                              hint="[elasticsearch.indices] in triage.toml, or load data with "
                              "`triage es load --all`")
    if isinstance(exc, ApiError):
        if exc.meta.status in RETRY_STATUS:
            return EsTimeout(f"{what} kept failing with HTTP {exc.meta.status}{tried}", host=host,
                             index=index, hint="the cluster's load (429 = too many requests); "
                             "raise max_retries or retry later")
        return EsBadResponse(f"{what} failed with HTTP {exc.meta.status}: {_reason(exc)}",
                             host=host, index=index, hint="the query fields in "
                             "[elasticsearch.fields] exist in this index's mapping")
    if isinstance(exc, ConnectionTimeout):
        return EsTimeout(f"{what} timed out after {settings.request_timeout:g} s{tried}",
                         host=host, index=index, hint="request_timeout (TRIAGE_ES_TIMEOUT) and "
                         "the cluster's health")
    if isinstance(exc, SSLError):
        return EsUnreachable(f"{what}: TLS failed: {_first_line(exc)}", host=host, index=index,
                             hint="ca_certs (TRIAGE_ES_CA_CERTS) or verify_certs")
    return EsUnreachable(f"{what}: cannot connect{tried}: {_first_line(exc)}", host=host,
                         index=index, hint="the URL (TRIAGE_ES_URL or hosts in triage.toml) and "
                         "that the node is running (scripts/elasticsearch.sh status)")


def is_pit_missing(exc: Exception) -> bool:
    text = str(getattr(exc, "body", "")) + str(exc)
    return "search_context_missing_exception" in text or "No search context found" in text


def _reason(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        causes = error.get("root_cause") or [error]
        return f"{causes[0].get('type')}: {causes[0].get('reason')}"
    return _first_line(exc)


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__
