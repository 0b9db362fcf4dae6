#!/usr/bin/env python3
"""Stands in for systemd's notify socket in tests.

Usage: notify_receiver.py ADDRESS OUT. ADDRESS is a path or @abstract name, as in NOTIFY_SOCKET.
Prints "ready" once bound, then appends one line per datagram to OUT:
"pid=<sender pid, from the kernel> <message, newlines as |>". The pid is the kernel's
(SCM_CREDENTIALS), as systemd reads it, so a test can check who sent the message.
"""
import socket
import struct
import sys

address, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + address[1:] if address.startswith("@") else address)
print("ready", flush=True)
with open(out, "a", buffering=1) as f:
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = "?"
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = str(struct.unpack("iII", data[:12])[0])
        f.write("pid=%s %s\n" % (pid, msg.decode().replace("\n", "|")))
