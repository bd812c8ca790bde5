"""A configured client for the engine in ``EsSettings`` (Elasticsearch, or OpenSearch
through ``triage.elastic.opensearch``), and calls with bounded retries that turn
either client's exceptions into triage's ``EsSourceError`` messages.

Both clients offer what triage calls, with the official ``elasticsearch`` client's
keyword arguments (``SearchClient``); the few things that differ beyond argument
spelling go through ``page_sort`` and ``streaming_bulk`` here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol, TypeVar

from elasticsearch import (
    ApiError, AuthenticationException, AuthorizationException, ConnectionError as EsConnectionError,
    ConnectionTimeout, Elasticsearch, NotFoundError, SSLError, TransportError, helpers,
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
# search_after over a point in time needs a unique sort; Elasticsearch has one built in.
ES_PAGE_SORT = ("_shard_doc",)


class SearchClient(Protocol):
    """What triage calls on a client, with ``elasticsearch`` 9 keyword arguments:
    ``search``, ``count``, ``info``, ``ping``, ``open_point_in_time`` (-> ``{"id"}``),
    ``close_point_in_time(id=)``, ``indices.*`` (``put_index_template``, ``refresh``,
    ``delete``, ``delete_index_template``, ``exists_index_template``, ``get_settings``,
    ``get_mapping``) and ``nodes.info``. ``Elasticsearch`` is one; ``OpenSearchClient``
    the other."""

    def search(self, **kwargs: Any) -> Any: ...

    def count(self, **kwargs: Any) -> Any: ...

    def open_point_in_time(self, **kwargs: Any) -> Any: ...

    def close_point_in_time(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Fault:
    """A client exception, engine-neutral: ``kind`` is auth, not_found, http, timeout,
    tls, connection or transport (any other client failure, not retried);
    ``status`` the HTTP status when there was an answer."""

    kind: str
    status: int | None = None
    body: Any = None
    text: str = ""


def connect(settings: EsSettings, *, request_timeout: float | None = None) -> SearchClient:
    """A client for ``settings.hosts`` of ``settings.engine``. The transport's own retries
    are off: ``call`` retries with backoff and counts, so a message can say what was tried."""
    if settings.engine == "opensearch":
        from triage.elastic.opensearch import connect_opensearch

        return connect_opensearch(settings, request_timeout=request_timeout)
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


def page_sort(client: SearchClient) -> list[str]:
    """The sort that makes ``search_after`` pages over a point in time complete."""
    return list(getattr(client, "page_sort", ES_PAGE_SORT))


def streaming_bulk(client: SearchClient, actions: Any, **kwargs: Any) -> Iterator[tuple[bool, Any]]:
    """The engine's ``helpers.streaming_bulk`` (same arguments, same ``(ok, item)`` stream)."""
    own = getattr(client, "streaming_bulk", None)
    return own(actions, **kwargs) if own is not None else helpers.streaming_bulk(client, actions, **kwargs)


def fault_of(exc: BaseException) -> Fault | None:
    """What ``exc`` means, or None when it is not a client exception of either engine."""
    if type(exc).__module__.startswith("opensearchpy"):
        from triage.elastic.opensearch import opensearch_fault

        return opensearch_fault(exc)
    if isinstance(exc, (AuthenticationException, AuthorizationException)):
        return Fault("auth", exc.meta.status, exc.body, _first_line(exc))
    if isinstance(exc, NotFoundError):
        return Fault("not_found", exc.meta.status, exc.body, _first_line(exc))
    if isinstance(exc, ApiError):
        return Fault("http", exc.meta.status, exc.body, _first_line(exc))
    if isinstance(exc, ConnectionTimeout):
        return Fault("timeout", text=_first_line(exc))
    if isinstance(exc, SSLError):
        return Fault("tls", text=_first_line(exc))
    if isinstance(exc, EsConnectionError):
        return Fault("connection", text=_first_line(exc))
    if isinstance(exc, TransportError):
        return Fault("transport", text=_first_line(exc))
    return None


def call(settings: EsSettings, where: str | None, what: str, fn: Callable[..., T],
         *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, retried ``settings.max_retries`` times with exponential
    backoff on timeouts, dropped connections and 429/502/503/504.

    ``where`` names the index (or pattern) for messages. Raises the ``EsSourceError``
    subclass that says what happened (see ``explain``); other exceptions pass through.
    """
    attempt = 0
    while True:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - narrowed right below: client exceptions only
            fault = fault_of(exc)
            if fault is None:
                raise
            if not _retryable(fault) or attempt >= settings.max_retries:
                raise explain(exc, settings, where, what, attempts=attempt + 1) from None
            time.sleep(min(BACKOFF_CAP_S, settings.retry_backoff_s * 2 ** attempt))
            attempt += 1


def _retryable(fault: Fault) -> bool:
    if fault.kind == "http":
        return fault.status in RETRY_STATUS
    return fault.kind in ("timeout", "connection")


def explain(exc: Exception, settings: EsSettings, index: str | None, what: str,
            attempts: int = 1) -> EsSourceError:
    """The one clear message for a client exception raised while doing ``what``."""
    fault = fault_of(exc) or Fault("connection", text=_first_line(exc))
    where: dict[str, Any] = {"host": settings.host_label, "index": index,
                             "product": settings.product}
    tried = f" ({attempts} attempts, backoff from {settings.retry_backoff_s:g} s)" if attempts > 1 else ""
    if fault.kind == "auth":
        who = ("API key from TRIAGE_ES_API_KEY" if settings.api_key else
               f"user {settings.username!r}" if settings.username else "no credentials")
        return EsAuthError(f"{what} was refused with HTTP {fault.status} ({who})", **where,
                           hint="TRIAGE_ES_API_KEY or TRIAGE_ES_USERNAME/"
                           "TRIAGE_ES_PASSWORD, and that the role may read this index")
    if fault.kind == "not_found":
        if is_pit_missing(exc):
            return EsPitExpired(f"{what}: the point in time expired or was closed", **where,
                                hint="pit_keep_alive in [elasticsearch] (now "
                                f"{settings.pit_keep_alive}) is longer than the slowest page")
        return EsIndexMissing(f"{what}: no such index", **where,
                              hint="[elasticsearch.indices] in triage.toml, or load data with "
                              "`triage es load --all`")
    if fault.kind == "http":
        if fault.status in RETRY_STATUS:
            return EsTimeout(f"{what} kept failing with HTTP {fault.status}{tried}", **where,
                             hint="the cluster's load (429 = too many requests); "
                             "raise max_retries or retry later")
        return EsBadResponse(f"{what} failed with HTTP {fault.status}: {_reason(fault)}",
                             **where, hint=_other_engine_hint(fault, settings) or "the query "
                             "fields in [elasticsearch.fields] exist in this index's mapping")
    if fault.kind == "timeout":
        return EsTimeout(f"{what} timed out after {settings.request_timeout:g} s{tried}",
                         **where, hint="request_timeout (TRIAGE_ES_TIMEOUT) and "
                         "the cluster's health")
    if fault.kind == "tls":
        return EsUnreachable(f"{what}: TLS failed: {fault.text}", **where,
                             hint="ca_certs (TRIAGE_ES_CA_CERTS) or verify_certs")
    return EsUnreachable(f"{what}: cannot connect{tried}: {fault.text}", **where,
                         hint="the URL (TRIAGE_ES_URL or hosts in triage.toml) and "
                         f"that the node is running ({settings.node_script} status)")


# What each server answers when the other engine's client talks to it: OpenSearch
# refuses elasticsearch 9's versioned media type, Elasticsearch has no OpenSearch PIT route.
_OTHER_ENGINE_SIGNS = {"elasticsearch": ("vnd.elasticsearch+json",),
                       "opensearch": ("no handler found for uri", "_search/point_in_time")}


def _other_engine_hint(fault: Fault, settings: EsSettings) -> str | None:
    """The setting to check when the answer says the server is the other engine."""
    text = _reason(fault) + " " + fault.text
    if not all(sign in text for sign in _OTHER_ENGINE_SIGNS[settings.engine]):
        return None
    other = "opensearch" if settings.engine == "elasticsearch" else "elasticsearch"
    return (f"engine in [elasticsearch] (TRIAGE_ES_ENGINE, now {settings.engine!r}): this server "
            f"answers like {other}; set engine = \"{other}\"")


def is_pit_missing(exc: Exception) -> bool:
    # The error body is ``body`` on elasticsearch's exceptions, ``info`` on opensearchpy's.
    text = str(getattr(exc, "body", "")) + str(getattr(exc, "info", "")) + str(exc)
    return "search_context_missing_exception" in text or "No search context found" in text


def _reason(fault: Fault) -> str:
    body = fault.body if isinstance(fault.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        causes = error.get("root_cause") or [error]
        return f"{causes[0].get('type')}: {causes[0].get('reason')}"
    return fault.text


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__
