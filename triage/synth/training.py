"""Varied incident builds for training and evaluating the learned classifier.

``generate_training_builds(out, count, seed, mix)`` writes ``count`` canary
builds under ``out/builds/`` (plus the staging baseline 1230 they compare
with) and returns what each failing test truly is. Each build is one of the
sample incidents re-simulated under its own build id, so ids, latencies,
background traffic and which shop faults coincide all change with the seed;
``mix`` weighs how often each category's incident is chosen.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from triage.synth import incidents, scenarios
from triage.synth.sample import write_sample_data
from triage.synth.scenarios import Built
from triage.synth.shop_suite import FAULTS

# Every category the generator can make an incident for (CONTRACT §2 labels).
CATEGORIES = ("auth", "dependency", "config", "flaky-timing", "cache", "data", "traffic",
              "network", "regression", "unknown")
EVEN_MIX: dict[str, float] = {category: 1.0 for category in CATEGORIES}
SHOP_FAULT_COMPANION = 0.3  # chance each other shop fault is live in a shop build too

_INCIDENTS: dict[str, Callable[[str], Built]] = {
    "cache": incidents.build_1235, "data": incidents.build_1236, "traffic": incidents.build_1237,
    "network": incidents.build_1238, "regression": incidents.build_1239, "unknown": incidents.build_1240,
}


@dataclass(frozen=True)
class TrainingBuild:
    """One generated build: its id and the true category of each failing test."""

    build: str
    truth: dict[str, str]  # "<suite>::<test name>" -> category


def parse_mix(text: str) -> dict[str, float]:
    """``"auth=2,cache=0.5"`` -> weights; categories not named get weight 0.

    Raises ValueError naming the valid categories for an unknown one or a bad weight.
    """
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        if name not in CATEGORIES:
            raise ValueError(f"unknown category {name!r} in mix; choose from {', '.join(CATEGORIES)}")
        try:
            mix[name] = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"weight for {name!r} must be a number, got {weight!r}") from None
    return mix


def plan_builds(count: int, seed: int, mix: dict[str, float] | None = None) -> list[tuple[str, str]]:
    """(build id, main category) for ``count`` builds, drawn with ``seed`` from ``mix``."""
    weights = {c: w for c, w in (mix or EVEN_MIX).items() if w > 0 and c in CATEGORIES}
    if not weights:
        raise ValueError(f"the mix gives no category a positive weight; choose from {', '.join(CATEGORIES)}")
    rnd = random.Random(f"triage-training/{seed}")
    names = sorted(weights)
    chosen = rnd.choices(names, weights=[weights[n] for n in names], k=count)
    return [(f"g{seed}-{i:04d}", category) for i, category in enumerate(chosen)]


def simulate(build: str, category: str) -> Built:
    """One build whose main incident is ``category``, seeded by ``build`` alone."""
    if category in _INCIDENTS:
        return _INCIDENTS[category](build)
    rnd = random.Random(f"triage-training-faults/{build}")
    faults = tuple(f for f in FAULTS if f == category or rnd.random() < SHOP_FAULT_COMPANION)
    world, sink, cases, start, end = scenarios.shop_build(build, "canary", "2026-11-20T10:00:07Z", faults)
    scenarios.emit(world, sink, scenarios.INGRESS_FILE, scenarios.KONG_FILE)
    sink.document("build.json", scenarios.build_json(build, "canary", start, end, runner="gha-runner-canary-07"))
    scenarios.add_env(sink, "canary")
    scenarios.add_env(sink, "staging")
    return Built(build, sink, scenarios.failing_truth(cases), summary=f"training: shop faults {', '.join(faults)}")


def generate_training_builds(out: Path, count: int, seed: int,
                             mix: dict[str, float] | None = None) -> list[TrainingBuild]:
    """Write ``count`` generated builds (and baseline 1230) under ``out/builds``.

    The same ``count``, ``seed`` and ``mix`` always give the same builds.
    Raises ValueError for a mix without any known category.
    """
    built = [simulate(build, category) for build, category in plan_builds(count, seed, mix)]
    write_sample_data(Path(out), [scenarios.build_1230()] + built)
    return [TrainingBuild(b.build, dict(b.truth)) for b in built]
