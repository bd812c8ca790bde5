"""Grouping accuracy on Loghub-2k systems read in place from ../shared/data/loghub-2k.

The floors are what the miner reaches today with its one configuration
(benchmarks/loghub_ga.py prints every system); a change that loses accuracy fails here.
"""
import random

import pytest

from triage.mine import mine
from triage.mine.evaluate import grouping_accuracy, loghub_systems, read_loghub
from triage.errors import UsageError


@pytest.fixture(scope="module")
def loghub(shared_dir):
    root = shared_dir / "data" / "loghub-2k"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return root


def test_grouping_accuracy_definition():
    # Group {0,1} matches truth A exactly; {2,3} mixes B and C; {4} is C split off.
    assert grouping_accuracy([1, 1, 2, 2, 3], ["A", "A", "B", "C", "C"]) == pytest.approx(2 / 5)
    assert grouping_accuracy(["x", "y"], ["A", "A"]) == 0.0
    assert grouping_accuracy([], []) == 1.0
    with pytest.raises(ValueError):
        grouping_accuracy([1], [])


@pytest.mark.parametrize("system, floor", [("HDFS", 1.0), ("OpenSSH", 0.955)])
def test_ga_floor_on_corrected_labels(loghub, system, floor):
    log = read_loghub(loghub, system)
    assert len(log.messages) == 2000
    predicted = [t.id for t in mine(log.messages).assignments]
    assert grouping_accuracy(predicted, log.truth) >= floor


def test_same_ids_for_shuffled_real_logs(loghub):
    messages = read_loghub(loghub, "OpenSSH").messages
    expected = {m: t.id for m, t in zip(messages, mine(messages).assignments)}
    shuffled = messages[:]
    random.Random(7).shuffle(shuffled)
    assert {m: t.id for m, t in zip(shuffled, mine(shuffled).assignments)} == expected


def test_every_system_has_corrected_labels(loghub):
    assert len(loghub_systems(loghub)) == 16


def test_missing_data_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not a folder"):
        loghub_systems(tmp_path / "nope")
    with pytest.raises(UsageError, match="HDFS_2k.log_structured_corrected.csv not found"):
        read_loghub(tmp_path, "HDFS")
