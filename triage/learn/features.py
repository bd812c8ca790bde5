"""A correlated failure as a feature dict for the learned classifier.

Keys are ``kind=value`` names with numeric values (what ``DictVectorizer``
takes) plus one text field, ``TEXT_KEY``, holding the failure's and its error
lines' normalised messages for TF-IDF. ``FEATURE_VERSION`` changes whenever a
feature's meaning does, so a model trained on other features is refused.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from triage.classify.signature import normalise
from triage.model import RuleHit, TestResult

FEATURE_VERSION = 1
TEXT_KEY = "text"
ERROR_LEVELS = ("error", "fatal", "warn")
_TIMEOUT = re.compile(r"(?:time(?:d)?\s*out|timeout)\D{0,20}?(\d+(?:\.\d+)?)\s*(ms|s)\b", re.IGNORECASE)
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|\[?[0-9a-f:]+\]?")
_STRONG_LINKS = ("id-in-output", "test-tag", "time-window")
MAX_TEXT_LINES = 12


def extract(test: TestResult, timeline: pd.DataFrame, hits: list[RuleHit],
            facts: dict[str, Any]) -> dict[str, Any]:
    """Features of one failure: rule hits, layers with errors, statuses by layer,
    upstream hosts, latency against the test's timeout, retry outcome, drift and
    baseline findings, plus the normalised messages under ``TEXT_KEY``."""
    features: dict[str, Any] = {}
    for hit in hits:
        features[f"rule={hit.rule_id}"] = hit.confidence
        key = f"rule_category={hit.category.value}"
        features[key] = max(features.get(key, 0.0), hit.confidence)
    linked = _linked_rows(timeline)
    for layer in facts.get("layers_with_errors") or ():
        features[f"layer_error={layer}"] = 1.0
    for row in linked:
        if row.get("status") is not None:
            status = int(row["status"])
            features[f"status={row.get('layer')}:{status}"] = 1.0
            features[f"status_class={row.get('layer')}:{status // 100}xx"] = 1.0
        if row.get("upstream_host"):
            features[f"upstream={_host(str(row['upstream_host']))}"] = 1.0
    features["linked_requests"] = math.log1p(float(facts.get("linked_requests") or 0))
    features["no_linked_logs"] = 0.0 if linked else 1.0
    for method in facts.get("link_methods") or ():
        features[f"link={method}"] = 1.0
    ratio = latency_ratio(test, linked)
    if ratio is not None:
        features["latency_over_timeout"] = min(ratio, 3.0)
    features["passed_on_retry"] = 1.0 if test.passed_on_retry else 0.0
    features["retried"] = 1.0 if test.attempts > 1 else 0.0
    if test.failure_type:
        features[f"failure_type={test.failure_type}"] = 1.0
    kinds = facts.get("drift_kinds") or ()
    features["drift_present"] = 1.0 if kinds else 0.0
    for kind in kinds:
        features[f"drift={kind}"] = 1.0
    for kind in facts.get("baseline_findings") or ():
        features[f"baseline={kind}"] = 1.0
    features[TEXT_KEY] = signature_text(test, linked)
    return features


def _linked_rows(timeline: pd.DataFrame) -> list[dict[str, Any]]:
    if timeline is None or timeline.empty:
        return []
    rows = []
    for row in timeline.to_dict("records"):
        if row.get("layer") == "test" or row.get("link_method") not in _STRONG_LINKS:
            continue
        rows.append({k: (None if _missing(v) else v) for k, v in row.items()})
    return rows


def _missing(value: Any) -> bool:
    if isinstance(value, (list, tuple, set, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _host(text: str) -> str:
    """The upstream's host name; pod and node addresses change every deploy, so all IPs are one."""
    host = text.split("://")[-1].split("/")[0].rsplit(":", 1)[0].lower()
    return "<ip>" if _IP.fullmatch(host) else host


def timeout_ms(test: TestResult) -> float | None:
    """The timeout the test waited for, from its message (``Timeout 5000ms``), if it names one."""
    found = _TIMEOUT.search(test.message or test.stack or "")
    if not found:
        return None
    value = float(found.group(1))
    return value * 1000 if found.group(2).lower() == "s" else value


def latency_ratio(test: TestResult, linked: list[dict[str, Any]]) -> float | None:
    """The slowest linked request's latency over the test's timeout (or its duration)."""
    latencies = [float(r["latency_ms"]) for r in linked if r.get("latency_ms") is not None]
    if not latencies:
        return None
    budget = timeout_ms(test) or ((test.duration_s or 0.0) * 1000)
    return max(latencies) / budget if budget > 0 else None


def signature_text(test: TestResult, linked: list[dict[str, Any]]) -> str:
    """The failure's normalised message and those of its linked warn/error lines."""
    lines = [normalise(test.message or test.stack)]
    seen = set(lines)
    for row in linked:
        if str(row.get("level") or "") not in ERROR_LEVELS and (row.get("status") or 0) < 400:
            continue
        text = normalise(str(row.get("message") or ""))
        if text and text not in seen:
            seen.add(text)
            lines.append(text)
        if len(lines) >= MAX_TEXT_LINES:
            break
    return "\n".join(line for line in lines if line)


def numeric_part(features: dict[str, Any]) -> dict[str, float]:
    """Everything but the text, for ``DictVectorizer``."""
    return {k: float(v) for k, v in features.items() if k != TEXT_KEY}


def text_part(features: dict[str, Any]) -> str:
    return str(features.get(TEXT_KEY) or "")


def _vector(features: dict[str, Any]) -> dict[str, float]:
    vector = numeric_part(features)
    for token in set(text_part(features).split()):
        vector[f"token={token}"] = 1.0
    return vector


def similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Cosine similarity of two failures' features (numbers and message tokens), 0..1."""
    va, vb = _vector(a), _vector(b)
    dot = sum(value * vb.get(key, 0.0) for key, value in va.items())
    norm = math.sqrt(sum(v * v for v in va.values())) * math.sqrt(sum(v * v for v in vb.values()))
    return max(0.0, min(1.0, dot / norm)) if norm else 0.0
