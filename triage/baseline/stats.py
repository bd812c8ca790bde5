"""Statistics of a failing window against a baseline window.

Like Kibana's log rate analysis, each candidate (a message template, an
endpoint's error rate) is tested against the baseline with a one-sided test
and kept when its p-value is below ``alpha``: Fisher's exact test (the
hypergeometric tail) for counts, Mann-Whitney U for latencies.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from triage.baseline.model import (LATENCY_SHIFT, NEW_TEMPLATE, NEW_UPSTREAM, OVER_REPRESENTED, STATUS_SHIFT,
                                   BaselineFinding)
from triage.classify.signature import normalise

FISHER = "Fisher's exact test, one-sided"
MANN_WHITNEY = "Mann-Whitney U test, one-sided"
TEMPLATE_LAYERS = ("app", "dependency")
MIN_LATENCY_SAMPLES = 5
MIN_LATENCY_RATIO = 1.5
MAX_PER_KIND = 20
PROBLEM_LEVELS = ("warn", "error", "fatal")
_ID_SEGMENT = re.compile(r"/(?:\d+|[0-9a-fA-F-]{16,})(?=/|$)")
_IP_HOST = re.compile(r"^\[?[0-9a-fA-F:.]+\]?(:\d+)?$")


def endpoint(method: object, path: object) -> str:
    """``GET /api/products/{id}``: query dropped, numeric and hex id segments masked."""
    text = str(path or "").split("?", 1)[0]
    return f"{method or ''} {_ID_SEGMENT.sub('/{id}', text)}".strip()


def template_key(service: object, message: object) -> str:
    return f"{service or '?'} | {normalise(str(message or ''))}"


def fisher_greater(k1: np.ndarray, n1: np.ndarray | int, k0: np.ndarray, n0: np.ndarray | int) -> np.ndarray:
    """One-sided Fisher's exact p-values that ``k1/n1`` exceeds ``k0/n0`` (vectorised)."""
    from scipy import stats  # here, not at the top: it takes half a second, and most runs test nothing

    k1, k0 = np.asarray(k1), np.asarray(k0)
    total = np.asarray(n1) + np.asarray(n0)
    return stats.hypergeom.sf(k1 - 1, total, k1 + k0, np.asarray(n1))


def _templates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    rows = frame[frame["layer"].astype(str).isin(TEMPLATE_LAYERS) & frame["message"].notna()]
    cache: dict[tuple[str, str], str] = {}  # messages repeat: mask each distinct one once
    keys = [cache.get((s, m)) or cache.setdefault((s, m), template_key(s, m))
            for s, m in zip(rows["service"].astype(str), rows["message"].astype(str))]
    problem = rows["level"].isin(PROBLEM_LEVELS).to_numpy() if len(rows) else np.array([], bool)
    table = pd.DataFrame({"key": keys, "problem": problem}).groupby("key")["problem"].agg(["size", "any"])
    return table, len(rows)


def template_findings(build: pd.DataFrame, baseline: pd.DataFrame, baseline_id: str,
                      alpha: float) -> list[BaselineFinding]:
    """Message templates of the build that the baseline lacks (warnings and errors always;
    others when significant) or has significantly less often (rate at least halved)."""
    (here, n1), (there, n0) = _templates(build), _templates(baseline)
    if n1 == 0 or n0 == 0:
        return []
    table = here.rename(columns={"size": "k1"}).join(there["size"].rename("k0"), how="left").fillna({"k0": 0})
    table["p"] = fisher_greater(table["k1"].to_numpy(int), n1, table["k0"].to_numpy(int), n0)
    new = (table["k0"] == 0) & (table["any"].astype(bool) | (table["p"] < alpha))
    over = (table["k0"] > 0) & (table["p"] < alpha) & (table["k1"] / n1 >= 2 * table["k0"] / n0)
    table = table[new | over]
    found = []
    for key, row in table.sort_values(["p", "k1"], ascending=[True, False]).head(MAX_PER_KIND).iterrows():
        service, _, text = str(key).partition(" | ")
        k1, k0 = int(row["k1"]), int(row["k0"])
        kind = NEW_TEMPLATE if k0 == 0 else OVER_REPRESENTED
        what = "absent from" if k0 == 0 else f"{k0} of {n0} events in"
        found.append(BaselineFinding(
            kind=kind, key=str(key), service=service,
            summary=f"{service}: '{text}' {k1} of {n1} events here, {what} baseline {baseline_id} "
                    f"({FISHER}, p={row['p']:.2g})",
            test=FISHER, p_value=float(row["p"]), build_count=k1, baseline_count=k0))
    return found


def _errors_by_endpoint(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[frame["status"].notna() & frame["method"].notna() & (frame["layer"].astype(str) != "test")]
    return pd.DataFrame({"layer": rows["layer"].astype(str).to_numpy(),
                         "endpoint": [endpoint(m, p) for m, p in zip(rows["method"], rows["path"])],
                         "status": rows["status"].astype(int).to_numpy()})


def status_findings(build: pd.DataFrame, baseline: pd.DataFrame, baseline_id: str,
                    alpha: float) -> list[BaselineFinding]:
    """Error statuses per layer and endpoint that the baseline never answered there, or
    answered significantly less often."""
    here, there = _errors_by_endpoint(build), _errors_by_endpoint(baseline)
    if here.empty or there.empty:
        return []
    totals = [f.groupby(["layer", "endpoint"]).size() for f in (here, there)]
    counts = [f[f["status"] >= 400].groupby(["layer", "endpoint", "status"]).size() for f in (here, there)]
    table = pd.DataFrame({"k1": counts[0]}).join(pd.DataFrame({"k0": counts[1]}), how="left").fillna({"k0": 0})
    if table.empty:
        return []
    index = table.index.droplevel("status")
    table["n1"] = totals[0].reindex(index).to_numpy()
    table["n0"] = totals[1].reindex(index).fillna(0).to_numpy()
    table["p"] = fisher_greater(table["k1"].to_numpy(int), table["n1"].to_numpy(int),
                                table["k0"].to_numpy(int), table["n0"].to_numpy(int))
    table = table[(table["k0"] == 0) | (table["p"] < alpha)].sort_values(["p", "k1"], ascending=[True, False])
    found = []
    for (layer, where, status), row in table.head(MAX_PER_KIND).iterrows():
        k1, n1, k0, n0 = (int(row[c]) for c in ("k1", "n1", "k0", "n0"))
        then = f"never in baseline {baseline_id} ({n0} answers)" if k0 == 0 else \
            f"{k0} of {n0} in baseline {baseline_id}"
        found.append(BaselineFinding(
            kind=STATUS_SHIFT, key=f"{layer} {where} {status}", layer=layer, endpoint=where,
            summary=f"{layer} {where}: {status} in {k1} of {n1} answers here, {then} "
                    f"({FISHER}, p={row['p']:.2g})",
            test=FISHER, p_value=float(row["p"]), build_count=k1, baseline_count=k0))
    return found


def upstream_findings(build: pd.DataFrame, baseline: pd.DataFrame, baseline_id: str) -> list[BaselineFinding]:
    """Upstream host names (not pod IPs, which change every deploy) the baseline never called."""
    def hosts(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame[frame["upstream_host"].notna()]
        return pd.DataFrame({"layer": rows["layer"].astype(str).to_numpy(),
                             "host": rows["upstream_host"].astype(str).to_numpy()})
    here, there = hosts(build), hosts(baseline)
    known = set(zip(there["layer"], there["host"]))
    found = []
    for (layer, host), count in here.value_counts().items():
        if (layer, host) in known or _IP_HOST.match(host) or host in ("-", ""):
            continue
        found.append(BaselineFinding(
            kind=NEW_UPSTREAM, key=f"{layer} {host}", layer=layer,
            summary=f"{layer} called upstream {host} {count} time(s); baseline {baseline_id} never did",
            build_count=int(count), baseline_count=0))
    return found[:MAX_PER_KIND]


def latency_findings(build: pd.DataFrame, baseline: pd.DataFrame, baseline_id: str,
                     alpha: float) -> list[BaselineFinding]:
    """Endpoints (per layer) whose latencies shifted up significantly."""
    def samples(frame: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
        rows = frame[frame["latency_ms"].notna() & frame["method"].notna()]
        keys = pd.Series([f"{l}\t{endpoint(m, p)}" for l, m, p in
                          zip(rows["layer"].astype(str), rows["method"], rows["path"])], index=rows.index)
        return {tuple(k.split("\t", 1)): g.to_numpy(float) for k, g in rows["latency_ms"].groupby(keys)}
    here, there = samples(build), samples(baseline)
    found = []
    for key in sorted(set(here) & set(there)):
        a, b = here[key], there[key]
        if len(a) < MIN_LATENCY_SAMPLES or len(b) < MIN_LATENCY_SAMPLES:
            continue
        median_a, median_b = float(np.median(a)), float(np.median(b))
        if median_a < MIN_LATENCY_RATIO * max(median_b, 1.0):
            continue
        from scipy import stats

        p = float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)
        if p >= alpha:
            continue
        layer, where = key
        found.append(BaselineFinding(
            kind=LATENCY_SHIFT, key=f"{layer} {where}", layer=layer, endpoint=where,
            summary=f"{layer} {where}: median {median_a:.0f} ms here ({len(a)} requests), {median_b:.0f} ms "
                    f"in baseline {baseline_id} ({len(b)}); p95 {np.percentile(a, 95):.0f} vs "
                    f"{np.percentile(b, 95):.0f} ms ({MANN_WHITNEY}, p={p:.2g})",
            test=MANN_WHITNEY, p_value=p, build_count=len(a), baseline_count=len(b)))
    return sorted(found, key=lambda f: f.p_value or 0)[:MAX_PER_KIND]
