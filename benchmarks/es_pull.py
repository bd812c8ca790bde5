"""Pull speed from Elasticsearch: triage's source against ``elasticsearch.helpers.scan``.

    scripts/elasticsearch.sh start        # or any 9.x node; TRIAGE_ES_URL names it
    python benchmarks/es_pull.py --docs 1000000

Indexes N ECS documents (generated at run time, seeded: ingress, gateway, app and
dependency events over one hour) under the prefix ``triage-bench``, then, each in a
fresh subprocess so peak memory is its own, with the same client settings (orjson
serializer), the same window query, the same ``_source`` fields and page size:

- triage: ``triage.elastic.pull.pull_events`` (sliced point in time + search_after,
  pages turned into typed DataFrame chunks as they arrive),
- peer: ``elasticsearch.helpers.scan`` (scroll), iterating over every hit and
  keeping nothing: what a script built on the official helper pays at least.

Prints documents/s, peak RSS and the ratio. ``--keep`` leaves the indices for a rerun
(``--skip-index`` then reuses them).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PREFIX = "triage-bench"
START = 1_795_168_800.0  # 2026-11-20T10:00:00Z
SERVICES = {"ingress": ["ingress-nginx"], "gateway": ["kong"],
            "app": ["cart-api", "checkout-api", "search-api", "auth-service"],
            "dependency": ["egress-envoy"]}
PATHS = ["/api/cart", "/api/cart/items", "/api/checkout/summary", "/api/search?q=boots",
         "/api/profile", "/api/products/17"]


def _settings(url: str, **extra):
    from triage.elastic.settings import resolve_es

    return resolve_es({"hosts": [url], "prefix": PREFIX, **extra}, env={})


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the slice workers)."""
    import resource
    own, kids = (resource.getrusage(k) for k in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_rss_mb(who: str = "self") -> float:
    import resource
    kind = resource.RUSAGE_SELF if who == "self" else resource.RUSAGE_CHILDREN
    return resource.getrusage(kind).ru_maxrss / 1024.0


def generate(n: int, seed: int = 7):
    """``(layer, document)`` pairs shaped as ``triage es load`` writes them."""
    from triage.elastic.mapping import NS_PER_MS

    rng = random.Random(seed)
    layers = list(SERVICES)
    for i in range(n):
        layer = layers[i % 4]
        service = rng.choice(SERVICES[layer])
        ts = START + i * 3600.0 / n
        seconds = int(ts)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        status = rng.choice((200, 200, 200, 201, 401, 504))
        yield layer, {
            "@timestamp": f"{stamp}.{int((ts - seconds) * 1e9):09d}Z",
            "service": {"name": service, "environment": "canary"},
            "log": {"level": "error" if status >= 500 else "info",
                    "file": {"path": f"logs/{layer}/{service}.log", "line": i // 4 + 1}},
            "http": {"request": {"id": f"{rng.getrandbits(128):032x}", "method": "GET"},
                     "response": {"status_code": status}},
            "trace": {"id": f"{rng.getrandbits(128):032x}"}, "span": {"id": f"{rng.getrandbits(64):016x}"},
            "url": {"original": rng.choice(PATHS)},
            "event": {"duration": rng.randint(1, 900) * NS_PER_MS, "dataset": "bench"},
            "client": {"ip": f"10.20.{rng.randint(0, 255)}.{rng.randint(1, 254)}"},
            "user_agent": {"original": "Mozilla/5.0 (X11; Linux x86_64) Playwright triage-test/bench"},
            "message": f"GET {rng.choice(PATHS)} {status}",
            "triage": {"seq": i // 4, "attrs": {"route": "shop"}},
            "labels": {"build": "bench"},
        }


def index(url: str, n: int) -> float:
    from elasticsearch import helpers

    from triage.elastic.client import connect
    from triage.elastic.index import install_templates

    settings = _settings(url, request_timeout=120.0)
    client = connect(settings)
    names = settings.index_names()
    client.indices.delete(index=",".join(names.values()), ignore_unavailable=True)
    install_templates(client, settings)
    for name in names.values():  # no refresh while loading: one segment pass at the end
        client.indices.create(index=name, settings={"refresh_interval": "-1"})
    started = time.perf_counter()
    actions = ({"_index": names[layer], "_source": doc} for layer, doc in generate(n))
    for ok, item in helpers.parallel_bulk(client, actions, thread_count=2, chunk_size=5000):
        if not ok:
            raise SystemExit(f"bulk failed: {item}")
    client.indices.put_settings(index=",".join(names.values()), settings={"refresh_interval": "1s"})
    client.indices.refresh(index=",".join(names.values()))
    client.indices.forcemerge(index=",".join(names.values()), max_num_segments=1)
    return time.perf_counter() - started


def _window():
    import pandas as pd

    from triage.elastic.pull import Window

    return Window(pd.Timestamp(START - 60, unit="s", tz="UTC"),
                  pd.Timestamp(START + 3660, unit="s", tz="UTC"), "benchmark hour")


def run_triage(url: str, slices: int, per_slice: int) -> dict:
    from triage.elastic.pull import pull_events

    settings = _settings(url, max_slices=slices, docs_per_slice=per_slice)
    started = time.perf_counter()
    result = pull_events(settings, _window())
    seconds = time.perf_counter() - started
    return {"docs": int(len(result.events)), "expected": result.expected, "seconds": seconds,
            "cpu_s": _cpu_s(),
            "peak_mb": _peak_rss_mb(), "worker_peak_mb": _peak_rss_mb("children"),
            "slices": [i.slices for i in result.indices],
            "problems": [str(i.problem) for i in result.problems]}


def run_scan(url: str) -> dict:
    from elasticsearch import helpers

    from triage.elastic.client import connect
    from triage.elastic.convert import DocumentConverter
    from triage.elastic.pull import window_query

    settings = _settings(url)
    client = connect(settings)
    includes = DocumentConverter(settings, "app").includes
    patterns = ",".join(settings.indices.log_layers().values())
    started = time.perf_counter()
    docs = 0
    for _hit in helpers.scan(client, index=patterns, query={"query": window_query(settings, _window())},
                             size=settings.page_size, scroll="5m", source_includes=includes):
        docs += 1
    return {"docs": docs, "seconds": time.perf_counter() - started, "peak_mb": _peak_rss_mb(),
            "cpu_s": _cpu_s()}


def _child(kind: str, args: argparse.Namespace) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--url", args.url,
                          "--slices", str(args.slices), "--docs-per-slice", str(args.docs_per_slice)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--url", default=os.environ.get("TRIAGE_ES_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--slices", type=int, default=4, help="triage's max_slices per layer")
    parser.add_argument("--docs-per-slice", type=int, default=20_000,
                        help="triage's docs_per_slice (a layer is sliced above this)")
    parser.add_argument("--repeat", type=int, default=3, help="alternated runs of each")
    parser.add_argument("--skip-index", action="store_true", help="reuse the indices of a --keep run")
    parser.add_argument("--keep", action="store_true", help="leave the indices in place")
    parser.add_argument("--child", choices=("triage", "scan"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = (run_triage(args.url, args.slices, args.docs_per_slice) if args.child == "triage"
                  else run_scan(args.url))
        print(json.dumps(result))
        return
    if not args.skip_index:
        seconds = index(args.url, args.docs)
        print(f"indexed {args.docs:,} documents in {seconds:.1f} s ({args.docs / seconds:,.0f}/s)")
    runs: dict[str, list[dict]] = {"triage": [], "scan": []}
    for _ in range(args.repeat):  # alternated, so both see the same load on a shared machine
        for kind in ("scan", "triage"):
            runs[kind].append(_child(kind, args))
    mine = min(runs["triage"], key=lambda r: r["seconds"])
    scan = min(runs["scan"], key=lambda r: r["seconds"])
    if mine["docs"] != scan["docs"] or mine["problems"]:
        raise SystemExit(f"the two pulls disagree: triage {mine}, scan {scan}")
    rate = {name: r["docs"] / r["seconds"] for name, r in (("triage", mine), ("scan", scan))}
    median = {k: sorted(r["seconds"] for r in v)[len(v) // 2] for k, v in runs.items()}
    print(f"best of {args.repeat} alternated runs each (load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"{'':24}{'triage pull':>16}{'helpers.scan':>16}")
    print(f"{'documents':24}{mine['docs']:>16,}{scan['docs']:>16,}")
    print(f"{'seconds (best)':24}{mine['seconds']:>16.1f}{scan['seconds']:>16.1f}")
    print(f"{'seconds (median)':24}{median['triage']:>16.1f}{median['scan']:>16.1f}")
    print(f"{'documents/s (best)':24}{rate['triage']:>16,.0f}{rate['scan']:>16,.0f}")
    cpu = {k: 1e6 * min(r["cpu_s"] for r in v) / mine["docs"] for k, v in runs.items()}
    print(f"{'client CPU µs/document':24}{cpu['triage']:>16.1f}{cpu['scan']:>16.1f}")
    print(f"{'peak RSS (MB)':24}{mine['peak_mb']:>16,.0f}{scan['peak_mb']:>16,.0f}")
    print(f"{'  slice worker peak':24}{mine['worker_peak_mb']:>16,.0f}{'-':>16}")
    print(f"triage / helpers.scan = {rate['triage'] / rate['scan']:.2f}x best, "
          f"{median['scan'] / median['triage']:.2f}x median "
          f"(slices per layer: {mine['slices']})")
    if not args.keep:
        from triage.elastic.client import connect

        settings = _settings(args.url)
        connect(settings).indices.delete(index=",".join(settings.index_names().values()),
                                         ignore_unavailable=True)


if __name__ == "__main__":
    main()
