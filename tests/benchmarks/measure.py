"""Measure one job in a fresh process: wall time and peak memory (RSS), repeated for a median.

Each run is a child process, so the peak resident memory it reports is that job's own (plus
the interpreter and imports, which every user also pays), not what earlier runs left behind.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Measurement:
    name: str
    seconds: list[float]
    peak_mb: list[float]
    extra: dict[str, object]

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_mb(self) -> float:
        return statistics.median(self.peak_mb)


CHILD = """
import json, resource, sys, time
from tests.benchmarks import jobs
job = getattr(jobs, sys.argv[1])
args = json.loads(sys.argv[2])
prepared = jobs.prepare(sys.argv[1], args)
start = time.perf_counter()
extra = job(prepared, **args) or {}
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024, "extra": extra}))
"""


def measure(name: str, job: str, repeat: int = 3, **kwargs: object) -> Measurement:
    """Run ``jobs.<job>(**kwargs)`` ``repeat`` times, each in a fresh interpreter."""
    seconds: list[float] = []
    peaks: list[float] = []
    extra: dict[str, object] = {}
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, job, json.dumps(kwargs)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(f"benchmark {name} failed:\n{out.stderr}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        seconds.append(result["seconds"])
        peaks.append(result["peak_mb"])
        extra = result["extra"]
    return Measurement(name, seconds, peaks, extra)
