"""Confirmed labels for the history builds, as release engineers would have left them.

A seeded share of the history's failures (each cause's tests in its builds)
gets the category the generator knows, written in the learn store's format
(``triage.learn.labels``: one JSON object per line). The generator does not run
the classifier, so the labels carry no signature and no features: ``triage run``
shows them in each failure's history, and the learned classifier, which only
uses labels with features, is not changed by them.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

from triage.learn.labels import ConfirmedLabel
from triage.synth.history import CAUSES, HistoryBuild
from triage.synth.world import Rand

LABEL_SHARE = 0.7  # of a cause's failures, how many someone confirmed
PEOPLE = ("amira.k", "jonas.w", "release-oncall")


def history_labels(builds: list[HistoryBuild]) -> list[ConfirmedLabel]:
    """The confirmed labels of ``builds``, oldest build first (deterministic)."""
    rnd = Rand("triage-synth/labels")
    started = {b.build: b.facts["started_at"] for b in builds}
    labels: list[ConfirmedLabel] = []
    for cause in CAUSES:
        for position, number in enumerate(cause.builds):
            build = str(number)
            for key in sorted(cause.modes):
                if build not in started or rnd.random() >= LABEL_SHARE:
                    continue
                suite, _, test = key.partition("::")
                when = (datetime.strptime(started[build], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                        + timedelta(minutes=rnd.randint(40, 18 * 60)))
                labels.append(ConfirmedLabel(build=build, suite=suite, test=test, category=cause.category,
                                             note=cause.name, who=PEOPLE[rnd.randrange(len(PEOPLE))],
                                             when=when.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return sorted(labels, key=lambda label: (label.when, label.key))


def labels_jsonl(labels: list[ConfirmedLabel]) -> str:
    """``labels`` as the learn store's file content (``labels/labels.jsonl``)."""
    return "".join(json.dumps(asdict(label), sort_keys=True, ensure_ascii=False) + "\n" for label in labels)
