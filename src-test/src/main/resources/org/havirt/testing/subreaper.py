#!/usr/bin/env python3
"""Runs a command under a child subreaper that reaps at once, as systemd does on a real host.

libvirtd reports a guest's end only once its qemu process is gone, zombie included; qemu is
daemonized, so its zombie goes to the nearest subreaper, else PID 1. A container's PID 1 may reap
late (seen here: about 1.3 s), which would be measured as libvirt's detection latency.

Usage: subreaper.py COMMAND [ARG...]. The command dies with us (SIGKILL as parent-death signal);
SIGTERM, SIGINT and SIGHUP are passed on; we exit with the command's status.
SUBREAPER_DELAY_MS=N makes us a late reaper instead, N ms per orphan, for tests of that case.
"""
import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("subreaper: prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(ctypes.get_errno()))
parent = os.getpid()
main = os.fork()
if main == 0:
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # we died before the signal was armed
        os._exit(1)
    os.execvp(sys.argv[1], sys.argv[1:])

for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, lambda sig, _frame: os.kill(main, sig))
delay = float(os.environ.get("SUBREAPER_DELAY_MS", "0")) / 1000
while True:
    if delay:
        orphan = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT).si_pid
        if orphan != main:
            time.sleep(delay)
            os.waitpid(orphan, 0)
            continue
    pid, status = os.wait()
    if pid == main:
        code = os.waitstatus_to_exitcode(status)
        sys.exit(code if code >= 0 else 128 - code)
