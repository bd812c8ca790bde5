"""Rule regexes: the ``regex`` engine with a per-match timeout (what triage uses)
against google-re2 (linear time, the peer), side by side.

    python benchmarks/regex_engines.py

Compiles every ``|re`` pattern of the built-in rules with both engines, matches
each against the messages of sample build 1234 (all of them, as the rules see
them), and times one pathological pattern, ``(a|aa)+$``, on 40 ``a`` and a ``b``.
Prints patterns each engine accepts, matches per second and the pathological
case's time; needs ``pip install google-re2``.
"""
from __future__ import annotations

import time
from pathlib import Path

import regex

REPO = Path(__file__).resolve().parents[1]


def rule_patterns() -> list[str]:
    from triage.classify.rules import load_rules

    found = []
    for rule in load_rules():
        for selection in rule.selections.values():
            for alternative in selection.alternatives:
                found += [str(v) for m in alternative if "re" in m.modifiers for v in m.values]
    return sorted(set(found))


def messages() -> list[str]:
    import triage
    events = triage.load_build("1234", REPO / "sample_data").events
    return [str(m) for m in events["message"].dropna()]


def time_engine(compiled: list, texts: list[str], search) -> float:
    start = time.perf_counter()
    for pattern in compiled:
        for text in texts:
            search(pattern, text)
    return time.perf_counter() - start


def main() -> None:
    import re2

    patterns, texts = rule_patterns(), messages()
    ours = [regex.compile(p) for p in patterns]
    peer, refused = [], []
    for p in patterns:
        try:
            peer.append(re2.compile(p))
        except Exception as exc:  # noqa: BLE001 - report every pattern re2 refuses
            refused.append((p, exc))
    ours_s = time_engine(ours, texts, lambda c, t: c.search(t, timeout=0.05))
    peer_s = time_engine(peer, texts, lambda c, t: c.search(t))
    calls = len(patterns) * len(texts)
    print(f"{len(patterns)} rule patterns x {len(texts)} messages of build 1234 = {calls:,} searches")
    print(f"{'engine':<28}{'patterns':>10}{'searches/s':>14}")
    print(f"{'regex + 50 ms timeout':<28}{len(ours):>10}{calls / ours_s:>14,.0f}")
    print(f"{'google-re2 (peer)':<28}{len(peer):>10}{len(peer) * len(texts) / peer_s:>14,.0f}")
    print(f"ratio regex/re2 time per search: {(ours_s / calls) / (peer_s / (len(peer) * len(texts))):.2f}")
    for p, exc in refused:
        print(f"  re2 refuses {p!r}: {exc}")
    evil, text = "(a|aa)+$", "a" * 40 + "b"
    start = time.perf_counter()
    try:
        regex.compile(evil).search(text, timeout=0.05)
        outcome = "finished"
    except TimeoutError:
        outcome = "stopped by the timeout"
    print(f"(a|aa)+$ on 40 a's + b: regex {time.perf_counter() - start:.3f} s ({outcome}); ", end="")
    start = time.perf_counter()
    re2.compile(evil).search(text)
    print(f"re2 {time.perf_counter() - start:.6f} s")


if __name__ == "__main__":
    main()
