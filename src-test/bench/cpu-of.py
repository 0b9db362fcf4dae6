#!/usr/bin/env python3
"""Runs a command N times and prints, per run, its wall time, the CPU time (user + system) it
and its children used, and its exit code: "wall_ms cpu_ms exit". The CPU time comes from
getrusage(RUSAGE_CHILDREN), so it counts every process the command started (virsh, python, ...),
in microseconds, not clock ticks. Usage: cpu-of.py N COMMAND [ARG...]"""
import resource
import subprocess
import sys
import time


def main():
    n = int(sys.argv[1])
    cmd = sys.argv[2:]
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.monotonic()
        code = subprocess.call(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        wall = time.monotonic() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print("%.3f %.3f %d" % (wall * 1000, cpu * 1000, code), flush=True)


if __name__ == "__main__":
    main()
