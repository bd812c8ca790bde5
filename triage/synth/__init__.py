"""Seeded generator of the sample builds and of benchmark failure windows.

``python -m triage.synth sample_data`` rewrites ``sample_data/`` byte for byte
(fixed seeds and base times, no wall clock, ids drawn from the seeded RNG);
``python -m triage.synth window OUT --events N --seed S`` writes a one-hour
benchmark window of exactly N log lines to ``OUT/builds/bench/``.

Layout: ``world`` (ids, clocks, services, the request model), ``formats``
(log lines as the real tools write them), ``traffic`` (a build's requests,
app lines and background), ``runner`` and ``reports`` (tests and their
reports), ``shop_suite``/``scenarios``/``incidents`` (the builds), ``envs``
(env/ manifests), ``writer`` (reproducible files), ``sample`` and ``window``
(the two entry points).
"""
from __future__ import annotations

from triage.synth.sample import build_all, generate_sample_data, write_sample_data
from triage.synth.window import WindowStats, generate_window

__all__ = ["WindowStats", "build_all", "generate_sample_data", "generate_window", "write_sample_data"]
