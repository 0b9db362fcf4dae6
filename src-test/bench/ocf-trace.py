#!/usr/bin/python3
"""Runs one action of the OCF wrapper (ocf:havirt:KVMGuest) with a timestamp on each of its steps,
for the first-start breakdown of docs/benchmarks.md: interpreter and imports, every request to
the agent, every helper command. The OCF_RESKEY_* environment is the caller's, as under
Pacemaker.

    ocf-trace.py /path/to/ocf/KVMGuest ACTION
"""
import importlib.machinery
import importlib.util
import os
import sys
import time

T0 = time.monotonic()


def mark(what, began):
    sys.stderr.write("TRACE %7.1f ms  %-40s %6.1f ms\n"
                     % ((time.monotonic() - T0) * 1000, what, (time.monotonic() - began) * 1000))


def main(path, action):
    began = time.monotonic()
    loader = importlib.machinery.SourceFileLoader("KVMGuest", path)
    spec = importlib.util.spec_from_loader("KVMGuest", loader)
    ocf = importlib.util.module_from_spec(spec)
    loader.exec_module(ocf)
    mark("import the wrapper", began)
    b = time.monotonic()
    import havirt_client  # the wrapper put its directory on sys.path; it imports it itself later
    mark("import its client (json, socket)", b)
    call = havirt_client.Agent.call

    def traced_call(self, op, **fields):
        b = time.monotonic()
        try:
            r = call(self, op, **fields)
        finally:
            mark("request %s" % op, b)
        return r
    havirt_client.Agent.call = traced_call
    connect = havirt_client.Agent._connect

    def traced_connect(self):
        b = time.monotonic()
        connect(self)
        mark("connect to the agent", b)
    havirt_client.Agent._connect = traced_connect
    # The wrapper imports subprocess when it needs it (and older ones at once): patch the module.
    import subprocess
    run = subprocess.run

    def traced_run(args, *a, **k):
        b = time.monotonic()
        try:
            return run(args, *a, **k)
        finally:
            mark("run %s" % " ".join(args), b)
    subprocess.run = traced_run
    b = time.monotonic()
    rc = ocf.main([path, action])
    mark("action %s, exit %d" % (action, rc), b)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
