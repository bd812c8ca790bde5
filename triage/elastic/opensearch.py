"""OpenSearch 2.x behind the same client surface as ``elasticsearch`` 9 (``SearchClient``).

``OpenSearchClient`` takes the official Elasticsearch client's keyword arguments and
makes the ``opensearch-py`` calls they mean, so pull, index, aggregate and window run
unchanged. The differences it absorbs (checked against an OpenSearch 2.19.6 node):

- request bodies go in ``body=``; only query-string parameters are keywords;
- points in time are ``create_pit`` / ``delete_pit``, answering ``pit_id``; the search
  body's ``pit`` has the same shape, and sliced PIT searches work;
- there is no ``_shard_doc``: pages over a PIT sort on ``_id``, which is unique;
- a PIT over a wildcard that matches no index is refused (HTTP 400, "invalid id: [null]")
  where Elasticsearch opens an empty one: it is opened empty here too, so the caller
  finds zero shards and says "no index matches this pattern" for both engines;
- ``http_auth`` instead of ``basic_auth``, an ``Authorization: ApiKey`` header for API
  keys, ``timeout`` instead of ``request_timeout``; ``opensearchpy.exceptions`` are
  classified by ``opensearch_fault`` for ``client.explain``.
"""
from __future__ import annotations

from typing import Any, Iterator

import orjson
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import (
    AuthenticationException, AuthorizationException, ConnectionError as OsConnectionError,
    ConnectionTimeout, NotFoundError, RequestError, SSLError, TransportError,
)
from opensearchpy.serializer import JSONSerializer

from triage.elastic.client import Fault
from triage.elastic.settings import EsSettings

# Elasticsearch-client keywords that are query-string parameters of opensearch-py's
# search/count (renamed where the spelling differs); every other keyword is body.
_QUERY_PARAMS = {"index": "index", "filter_path": "filter_path", "routing": "routing",
                 "ignore_unavailable": "ignore_unavailable", "preference": "preference",
                 "allow_no_indices": "allow_no_indices", "expand_wildcards": "expand_wildcards",
                 "request_timeout": "request_timeout", "source_includes": "_source_includes",
                 "source_excludes": "_source_excludes"}
_BODY_RENAMES = {"source": "_source"}
_EMPTY_PIT = ""  # the id of a PIT over no index (see the module docstring)


class _OrjsonSerializer(JSONSerializer):
    """orjson for pages of thousands of hits, as the Elasticsearch path uses."""

    def loads(self, s: Any) -> Any:
        return orjson.loads(s)

    def dumps(self, data: Any) -> Any:
        if isinstance(data, str):
            return data
        return orjson.dumps(data, default=self.default, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def connect_opensearch(settings: EsSettings, *, request_timeout: float | None = None) -> "OpenSearchClient":
    """An ``OpenSearchClient`` for ``settings.hosts``; transport retries off (``call`` retries)."""
    options: dict[str, Any] = {"verify_certs": settings.verify_certs}
    if settings.api_key:
        options["headers"] = {"Authorization": f"ApiKey {settings.api_key}"}
    elif settings.username:
        options["http_auth"] = (settings.username, settings.password or "")
    if settings.ca_certs:
        options["ca_certs"] = settings.ca_certs
    if not settings.verify_certs:
        options["ssl_show_warn"] = False
    raw = OpenSearch(settings.hosts, timeout=request_timeout or settings.request_timeout,
                     max_retries=0, retry_on_timeout=False, serializer=_OrjsonSerializer(),
                     **options)
    return OpenSearchClient(raw)


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Elasticsearch-client keywords -> (opensearch-py keywords, request body)."""
    params: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in _QUERY_PARAMS:
            params[_QUERY_PARAMS[key]] = value
        else:
            body[_BODY_RENAMES.get(key, key)] = value
    return params, body


class _Indices:
    """``client.indices`` with Elasticsearch-client keywords."""

    def __init__(self, raw: OpenSearch):
        self._raw = raw

    def put_index_template(self, *, name: str, **body: Any) -> Any:
        return self._raw.indices.put_index_template(name=name, body=body)

    def refresh(self, **kwargs: Any) -> Any:
        return self._raw.indices.refresh(**kwargs)

    def delete(self, **kwargs: Any) -> Any:
        return self._raw.indices.delete(**kwargs)

    def delete_index_template(self, **kwargs: Any) -> Any:
        return self._raw.indices.delete_index_template(**kwargs)

    def exists_index_template(self, **kwargs: Any) -> bool:
        return self._raw.indices.exists_index_template(**kwargs)

    def get_settings(self, **kwargs: Any) -> Any:
        return self._raw.indices.get_settings(**kwargs)

    def get_mapping(self, **kwargs: Any) -> Any:
        return self._raw.indices.get_mapping(**kwargs)


class OpenSearchClient:
    """An ``opensearchpy.OpenSearch`` answering triage's ``SearchClient`` calls.
    ``raw`` is the opensearch-py client, for anything else."""

    page_sort = ("_id",)

    def __init__(self, raw: OpenSearch):
        self.raw = raw
        self.indices = _Indices(raw)
        self.nodes = raw.nodes

    def info(self) -> Any:
        return self.raw.info()

    def ping(self) -> bool:
        return self.raw.ping()

    def search(self, **kwargs: Any) -> Any:
        params, body = _split(kwargs)
        if (body.get("pit") or {}).get("id") == _EMPTY_PIT:
            return _empty_response()
        return self.raw.search(body=body, **params)

    def count(self, **kwargs: Any) -> Any:
        params, body = _split(kwargs)
        return self.raw.count(body=body or None, **params)

    def open_point_in_time(self, *, index: str, keep_alive: str,
                           allow_partial_search_results: bool | None = None) -> dict[str, Any]:
        """``{"id": ...}`` like Elasticsearch's answer."""
        options: dict[str, Any] = {"keep_alive": keep_alive}
        if allow_partial_search_results is not None:
            options["allow_partial_pit_creation"] = allow_partial_search_results
        try:
            opened = self.raw.create_pit(index=index, **options)
        except RequestError as exc:
            if "*" in index and "invalid id: [null]" in str(exc):
                return {"id": _EMPTY_PIT}
            raise
        return {"id": opened["pit_id"], "_shards": opened.get("_shards")}

    def close_point_in_time(self, *, id: str) -> Any:  # noqa: A002 - the Elasticsearch client's name
        if id == _EMPTY_PIT:
            return {"succeeded": True}
        return self.raw.delete_pit(body={"pit_id": [id]})

    def streaming_bulk(self, actions: Any, **kwargs: Any) -> Iterator[tuple[bool, Any]]:
        return helpers.streaming_bulk(self.raw, actions, **kwargs)


def _empty_response() -> dict[str, Any]:
    return {"_shards": {"total": 0, "successful": 0, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}


def opensearch_fault(exc: BaseException) -> Fault | None:
    """What an ``opensearchpy`` exception means, in ``client.Fault`` terms."""
    if isinstance(exc, (AuthenticationException, AuthorizationException)):
        return Fault("auth", _status(exc), exc.info, _text(exc))
    if isinstance(exc, NotFoundError):
        return Fault("not_found", _status(exc), exc.info, _text(exc))
    if isinstance(exc, ConnectionTimeout):
        return Fault("timeout", text=_text(exc))
    if isinstance(exc, SSLError):
        return Fault("tls", text=_text(exc))
    if isinstance(exc, OsConnectionError):
        return Fault("connection", text=_text(exc))
    if isinstance(exc, TransportError) and _status(exc) is not None:
        return Fault("http", _status(exc), exc.info, _text(exc))
    if isinstance(exc, TransportError):
        return Fault("transport", text=_text(exc))
    return None


def _status(exc: TransportError) -> int | None:
    return exc.status_code if isinstance(exc.status_code, int) else None


def _text(exc: TransportError) -> str:
    """The first line of what went wrong: the underlying error for a dropped connection
    (opensearch-py puts it in ``info``), else the server's error string."""
    detail = exc.info if isinstance(exc, OsConnectionError) else exc.error
    text = str(detail or exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__
