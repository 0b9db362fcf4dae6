#!/usr/bin/env python3
"""When a freshly started havirt agent is ready: agent-ready.py SOCKET PID EVENTS.

Asks SOCKET for a hello every 20 ms until it answers, then appends "<epoch ms> ready PID CPU_MS" to
EVENTS (CPU_MS: the user and system CPU time PID used until then, which tells a slow start-up
from a start-up that waited for a busy machine's CPUs): the moment engines can reach the agent again (what Type=notify's READY=1 marks under
systemd). Gives up silently when PID dies first or after 120 s. Started by supervise.sh.
"""
import json
import os
import socket
import sys
import time

sock_path, pid, events = sys.argv[1], int(sys.argv[2]), sys.argv[3]
end = time.monotonic() + 120


def hello():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(sock_path)
        s.sendall(b'{"id": 1, "op": "hello", "versions": [1]}\n')
        buf = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return False
            buf += chunk
            for line in buf.split(b"\n")[:-1]:
                if json.loads(line).get("id") == 1:
                    return True
            buf = buf.split(b"\n")[-1]
    except (OSError, ValueError):
        return False
    finally:
        s.close()


def cpu_ms():
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 // os.sysconf("SC_CLK_TCK")


def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


while time.monotonic() < end and alive():
    if hello():
        t = time.time() * 1000
        with open(events, "a") as f:
            f.write("%d ready %d %d\n" % (t, pid, cpu_ms()))
        break
    time.sleep(0.02)
