"""Run the atheris target for a fixed budget per group; print executions,
coverage and findings; exit 1 if anything was found.

    python -m fuzz.run --seconds 60          # the README's budget run
    python -m fuzz.run --seconds 20          # what .ci/run does

Each group (``detect``, ``events``, ``reports``, ``manifests``) runs in its own
process with a seed corpus made now from the repository's samples (and the real
third-party samples, where present), a fixed libFuzzer seed and the same time
budget. A finding (an invariant broken, an exception escaping, a 30 s input or
2 GB of memory) is saved under ``--artifacts`` and its traceback printed.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUP_NAMES = ("detect", "events", "reports", "manifests")


@dataclass
class GroupResult:
    group: str
    seeds: int
    executions: int
    exec_per_s: int
    coverage: int
    features: int
    corpus: int
    findings: list[str]
    log_tail: str


def write_seeds(group: str, folder: Path) -> int:
    """Seed inputs for ``group``: each sample head, behind the byte that selects its reader."""
    from fuzz.corpus import seeds_by_format
    from fuzz.target import group_ingestors, selector

    names = {ing.name for ing in group_ingestors(group)}
    count = 0
    for fmt, seeds in sorted(seeds_by_format().items()):
        if group != "detect" and fmt not in names:
            continue
        for index, (_, data) in enumerate(seeds):
            (folder / f"{fmt}-{index}").write_bytes(bytes([selector(group, fmt)]) + data)
            count += 1
    return count


def _stat(log: str, name: str) -> int:
    found = re.search(rf"stat::{name}:\s+(\d+)", log)
    return int(found.group(1)) if found else 0


def run_group(group: str, seconds: int, artifacts: Path) -> GroupResult:
    memory = "/dev/shm" if os.path.isdir("/dev/shm") else None  # the input is rewritten per run
    with tempfile.TemporaryDirectory(prefix=f"triage-corpus-{group}-") as corpus, \
            tempfile.TemporaryDirectory(prefix="triage-atheris-", dir=memory) as scratch:
        seeds = write_seeds(group, Path(corpus))
        artifacts.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "fuzz.target", "--group", group, "--scratch", scratch,
                   f"-max_total_time={seconds}",
                   "-seed=1", "-timeout=30", "-rss_limit_mb=2048", "-max_len=65536", "-print_final_stats=1",
                   f"-artifact_prefix={artifacts}/{group}-", corpus]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, errors="replace",
                              timeout=seconds + 300)
    log = done.stdout + done.stderr
    last = [line for line in log.splitlines() if " cov: " in line]
    cov = re.search(r"cov: (\d+) ft: (\d+) corp: (\d+)", last[-1]) if last else None
    findings = re.findall(r"Test unit written to (\S+)", log)
    if done.returncode != 0 and not findings:
        killed = {-14: "killed by SIGALRM: an input ran over libFuzzer's -timeout"}
        findings = [killed.get(done.returncode, f"exit status {done.returncode}")]
    return GroupResult(group, seeds, _stat(log, "number_of_executed_units"),
                       _stat(log, "average_exec_per_sec"), int(cov.group(1)) if cov else 0,
                       int(cov.group(2)) if cov else 0, int(cov.group(3)) if cov else 0,
                       findings, "\n".join(log.splitlines()[-40:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="budget per group (default 60)")
    parser.add_argument("--groups", nargs="*", default=list(GROUP_NAMES), choices=GROUP_NAMES)
    parser.add_argument("--artifacts", type=Path, default=REPO / "artifacts" / "fuzz",
                        help="where findings are saved (default artifacts/fuzz)")
    ns = parser.parse_args(argv)
    results = []
    print(f"{'group':<10}{'seeds':>7}{'seconds':>9}{'executions':>12}{'exec/s':>8}{'cov':>7}{'features':>10}"
          f"{'corpus':>8}{'findings':>10}", flush=True)
    for group in ns.groups:
        result = run_group(group, ns.seconds, ns.artifacts)
        results.append(result)
        print(f"{group:<10}{result.seeds:>7}{ns.seconds:>9}{result.executions:>12,}{result.exec_per_s:>8,}"
              f"{result.coverage:>7}{result.features:>10}{result.corpus:>8}{len(result.findings):>10}", flush=True)
    found = [r for r in results if r.findings]
    for result in found:
        print(f"\n== findings in {result.group}: {', '.join(result.findings)}\n{result.log_tail}")
    total = sum(r.executions for r in results)
    print(f"\n{total:,} executions in {len(results)} groups x {ns.seconds} s; "
          f"{sum(len(r.findings) for r in found)} finding(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
