"""A client for the havirt agent's socket: JSON lines, requests answered by id, events skipped.

Shared by the engine integrations (the OCF agent, the VCS-style entry points). Standard library
only, so no JVM and nothing to install starts per call.
"""
import json
import socket
import time


class Unreachable(Exception):
    pass


class Agent:
    """One connection to the agent: JSON lines, requests answered by id, events skipped."""

    def __init__(self, path, until):
        self.until = until
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(max(0.1, until - time.monotonic()))
            self.sock.connect(path)
        except OSError as e:
            raise Unreachable("cannot reach the havirt agent at %s (%s): is it running?"
                              " (systemctl status havirt)" % (path, e))
        self.buf = b""
        self.next_id = 1

    def call(self, op, **fields):
        req = dict(fields, id=self.next_id, op=op)
        self.next_id += 1
        try:
            self.sock.sendall((json.dumps(req) + "\n").encode())
            while True:
                while b"\n" not in self.buf:
                    left = self.until - time.monotonic()
                    if left <= 0:
                        raise Unreachable("the havirt agent did not answer %s in time" % op)
                    self.sock.settimeout(left)
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise Unreachable("the havirt agent closed the connection")
                    self.buf += chunk
                line, self.buf = self.buf.split(b"\n", 1)
                msg = json.loads(line)
                if "event" not in msg and msg.get("id") == req["id"]:
                    return msg
        except (OSError, ValueError) as e:
            raise Unreachable("lost the connection to the havirt agent: %s" % e)
