"""Learning curve: accuracy with 0, 20, 50, 100, 200 confirmed labels.

The model is trained on generated builds (seed 7) whose category mix leaves out
cache, network, regression and unknown; confirmed labels and the test set come
from other seeds with a mix that stresses exactly those. For each number of
labels the script prints the accuracy of the model alone, of the rules alone,
and of the final label (rules + model + confirmed look-alikes, combined the way
``triage run`` does). Every build is made by the seeded generator and run
through the whole pipeline (ingest, correlate, rules, features).

    python benchmarks/learning_curve.py            # about 4 minutes on 2 cores
    python benchmarks/learning_curve.py --train-builds 20 --pool-builds 60 --test-builds 30
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from triage.classify.combine import Opinion, combine  # noqa: E402
from triage.learn.assess import Learned  # noqa: E402
from triage.learn.labels import ConfirmedLabel  # noqa: E402
from triage.learn.store import StoredModel, new_info  # noqa: E402
from triage.learn.train import CONFIRMED_WEIGHT, Example, fit, generated_examples  # noqa: E402
from triage.model import Category  # noqa: E402

TRAIN_MIX = {"auth": 1, "dependency": 1, "config": 1, "flaky-timing": 1, "data": 1, "traffic": 1}
EVAL_MIX = {"auth": 1, "dependency": 1, "config": 1, "flaky-timing": 1, "data": 1, "traffic": 1,
            "cache": 2, "network": 2, "regression": 2, "unknown": 2}
STEPS = (0, 20, 50, 100, 200)


def rule_opinions(features: dict) -> list[Opinion]:
    """The rules' votes as recorded in the features (rule ids start with their category)."""
    return [Opinion(Category(name[5:].split(".")[0]), value, name[5:])
            for name, value in features.items() if name.startswith("rule=")]


def final_label(features: dict, learned: Learned) -> str:
    opinions, _ = learned.assess(features)
    return combine(rule_opinions(features) + opinions).category.value


def as_label(example: Example) -> ConfirmedLabel:
    build, suite, test = example.key.split("::", 2)
    return ConfirmedLabel(build=build, suite=suite, test=test, category=example.category,
                          features=example.features)


def accuracy(predicted: list[str], truth: list[str]) -> float:
    return sum(p == t for p, t in zip(predicted, truth)) / len(truth)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-builds", type=int, default=40)
    parser.add_argument("--pool-builds", type=int, default=160, help="builds the confirmed labels come from")
    parser.add_argument("--test-builds", type=int, default=60)
    args = parser.parse_args()
    started = time.perf_counter()
    train = generated_examples(args.train_builds, seed=7, mix=TRAIN_MIX)
    pool = generated_examples(args.pool_builds, seed=101, mix=EVAL_MIX)
    test = generated_examples(args.test_builds, seed=202, mix=EVAL_MIX)
    made = time.perf_counter() - started
    truth = [e.category for e in test]
    rules_only = accuracy([e.rules_category for e in test], truth)
    print(f"generated and analysed {args.train_builds + args.pool_builds + args.test_builds} builds in {made:.0f} s: "
          f"{len(train)} training failures ({dict(sorted(Counter(e.category for e in train).items()))}), "
          f"{len(pool)} confirmable, {len(test)} test ({dict(sorted(Counter(truth).items()))})")
    print()
    print("| confirmed labels | model alone | rules alone | final label (rules + model + labels) |")
    print("|---:|---:|---:|---:|")
    for step in STEPS:
        if step > len(pool):
            print(f"| {step} | (only {len(pool)} confirmable failures generated) | | |")
            continue
        confirmed = [Example(e.features, e.category, "confirmed", e.key, weight=CONFIRMED_WEIGHT)
                     for e in pool[:step]]
        model = fit(train + confirmed, seed=7)
        learned = Learned(StoredModel(model, new_info(1, "", 0, step, {}, 7)), [as_label(e) for e in confirmed])
        alone = accuracy(list(model.predict([e.features for e in test])), truth)
        final = accuracy([final_label(e.features, learned) for e in test], truth)
        print(f"| {step} | {alone:.3f} | {rules_only:.3f} | {final:.3f} |")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
