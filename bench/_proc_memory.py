"""Memory of a child process as /proc shows it (Linux), for the scale benches."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS, USS (private clean + dirty), anonymous memory and peak RSS (VmHWM) of one
    process, in MB. USS counts the index pages only this worker has read, which the page
    cache holds and can drop; anonymous memory is the worker's own."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    peak = next(int(line.split()[1]) / 1024 for line in
                Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmHWM:"))
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields["Private_Clean"] + fields["Private_Dirty"], "anon": fields["Anonymous"],
            "peak_rss": peak}


def sampled_peaks(proc: subprocess.Popen) -> dict[str, float]:
    """Wait for proc, reading /proc/PID/status every 20 ms: the peaks (MB) of its anonymous
    memory (its own) and of its file-backed RSS (mostly mapped index pages), each its own
    maximum."""
    peaks = {"peak_anon_mb": 0.0, "peak_file_mb": 0.0}
    fields = {"RssAnon": "peak_anon_mb", "RssFile": "peak_file_mb"}
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                name = line.split(":", 1)[0]
                if name in fields:
                    peaks[fields[name]] = max(peaks[fields[name]], int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.02)
    return peaks
