import pytest

from triage.redact import redact, redact_value
from triage.model import Evidence

SECRETS = [
    ("Authorization: Bearer abcdefgh12345678", "abcdefgh12345678", "authorization"),
    ('"authorization":"Basic dXNlcjpwYXNz"', "dXNlcjpwYXNz", "authorization"),
    ("Cookie: session=9f8e7d6c5b4a; theme=dark", "9f8e7d6c5b4a", "cookie"),
    ("set-cookie: sid=s3cr3tvalue; HttpOnly", "s3cr3tvalue", "cookie"),
    ("calling with eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "eyJzdWIiOiIxMjM0In0", "jwt"),
    ("postgres://app:hunter2@db.internal:5432/shop", "hunter2", "password"),
    ("GET /cb?code=x&access_token=ya29.a0AfH6SMB&state=1", "ya29.a0AfH6SMB", "secret"),
    ("DB_PASSWORD=correct-horse-battery", "correct-horse-battery", "secret"),
    ("key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE", "aws-key"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github-token"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow", "private-key"),
]


@pytest.mark.parametrize("text,secret,kind", SECRETS)
def test_secret_is_replaced_by_its_kind(text, secret, kind):
    out = redact(text)
    assert secret not in out
    assert "[REDACTED:" in out


def test_ordinary_evidence_is_left_alone():
    for text in ("JWT validation failed: audience 'shop-staging' not allowed (expected 'shop-canary')",
                 "GET /api/cart 200 x-request-id=9f1c0000-aaaa-bbbb-cccc-ddddeeeeffff",
                 "HikariPool-1 - Connection is not available, request timed out after 30000ms."):
        assert redact(text) == text


def test_redact_value_walks_dataclasses_without_mutating():
    evidence = Evidence("gateway", "kong.log", 3, None, "r", "Authorization: Bearer abcdefgh12345678")
    copy = redact_value({"e": [evidence]})
    assert "abcdefgh" not in copy["e"][0].message
    assert "abcdefgh" in evidence.message
