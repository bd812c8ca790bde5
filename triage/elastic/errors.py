"""What can go wrong talking to Elasticsearch (or OpenSearch), each with one message
that names the server, host and index and says what to check. All are ``SourceError``
(exit 3)."""
from __future__ import annotations

from triage.errors import SourceError


class EsSourceError(SourceError):
    """Base: ``host``, ``index`` and ``hint`` are kept for callers that want them;
    ``product`` (``EsSettings.product``) names the server in the message."""

    def __init__(self, problem: str, *, host: str, index: str | None = None, hint: str = "",
                 product: str = "Elasticsearch"):
        self.host, self.index, self.hint, self.problem = host, index, hint, problem
        self.product = product
        where = f"{product} at {host}" + (f", index {index}" if index else "")
        super().__init__(f"{where}: {problem}" + (f". Check: {hint}" if hint else ""))


class EsUnreachable(EsSourceError):
    """No HTTP answer: refused, DNS, TLS handshake, connection cut."""


class EsAuthError(EsSourceError):
    """401 / 403: wrong or missing credentials, or a role without read access."""


class EsIndexMissing(EsSourceError):
    """A concrete index (or a pattern with no match) that does not exist."""


class EsTimeout(EsSourceError):
    """Requests kept timing out, or kept getting 429 / 503, after every retry."""


class EsPitExpired(EsSourceError):
    """The point in time closed before the pull finished."""


class EsBadResponse(EsSourceError):
    """Any other error answer (4xx/5xx) from the cluster."""


class EsPartialData(EsSourceError):
    """The pull stopped early; ``expected`` and ``received`` say how far it got."""

    def __init__(self, problem: str, *, host: str, index: str | None, hint: str,
                 expected: int, received: int, product: str = "Elasticsearch"):
        self.expected, self.received = expected, received
        super().__init__(f"{problem}; received {received} of {expected} documents in all",
                         host=host, index=index, hint=hint, product=product)
