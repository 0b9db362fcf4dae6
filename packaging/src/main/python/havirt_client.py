"""A client for the havirt agent's socket: JSON lines, requests answered by id, events skipped.

Shared by the engine integrations (the OCF agent, the VCS-style entry points). Standard library
only, so no JVM and nothing to install starts per call.

The agent daemon restarts now and then (a package upgrade, a crash, an admin): the client waits
for it within the action's own deadline. It retries connecting, with a short backoff, until the
deadline; a request that only reads (or that may safely be sent twice) is sent again on a new
connection when the old one is lost. A request that changes something and whose connection was
lost after it was sent has an unknown outcome: the client reconnects and raises OutcomeUnknown,
and the caller settles it with a fresh monitor, never by guessing.
"""
import json
import socket
import time

# Requests that read, or whose second copy changes nothing the first did not: resent after a
# lost connection (a second delete finds nothing to delete). online, offline, clean, migrate and
# action are not.
RESENDABLE = frozenset(["hello", "status", "monitor", "verify", "add", "modify", "clear", "delete"])

FIRST_BACKOFF = 0.05
MAX_BACKOFF = 0.5


class Unreachable(Exception):
    """The agent could not be reached, or did not answer, before the deadline."""


class OutcomeUnknown(Exception):
    """The connection was lost after a request that changes something was sent; the agent is
    reachable again, but whether the request ran is unknown."""


class Agent:
    """Requests to the agent until one deadline (time.monotonic() seconds), across restarts."""

    def __init__(self, path, until, sleep=time.sleep):
        self.path = path
        self.until = until
        self.sleep = sleep
        self.sock = None
        self.buf = b""
        self.next_id = 1
        self.reconnects = 0
        self._connect()

    def _left(self):
        return self.until - time.monotonic()

    def _connect(self):
        """Connects, retrying until the deadline: the agent may be restarting."""
        backoff = FIRST_BACKOFF
        last = None
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.settimeout(max(0.05, self._left()))
                s.connect(self.path)
                self.sock = s
                self.buf = b""
                return
            except OSError as e:
                s.close()
                last = e
            left = self._left()
            if left <= 0:
                raise Unreachable("cannot reach the havirt agent at %s before the deadline (%s):"
                                  " is it running? (systemctl status havirt)" % (self.path, last))
            self.sleep(min(backoff, left))
            backoff = min(MAX_BACKOFF, backoff * 2)

    def _reconnect(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.reconnects += 1
        self._connect()

    def call(self, op, **fields):
        """Sends one request and returns its reply (a dict)."""
        backoff = FIRST_BACKOFF
        while True:
            req = dict(fields, id=self.next_id, op=op)
            self.next_id += 1
            sent = False
            try:
                self.sock.sendall((json.dumps(req) + "\n").encode())
                sent = True
                reply = self._reply(req["id"], op)
            except _Busy as e:
                # Refused before it ran (too many connections, or the resource's previous entry
                # point still stuck in the backend): nothing happened, so wait and ask again.
                left = self._left()
                if left <= 0:
                    raise Unreachable("the havirt agent stayed busy: %s" % e)
                self.sleep(min(backoff, left))
                backoff = min(MAX_BACKOFF, backoff * 2)
                if e.closed:
                    self._reconnect()
                continue
            except (OSError, ValueError) as e:
                if self._left() <= 0:
                    raise Unreachable("lost the connection to the havirt agent: %s" % e)
                self._reconnect()
                if sent and op not in RESENDABLE:
                    raise OutcomeUnknown("the havirt agent went away while it ran %s (%s)" % (op, e))
                continue  # not sent, or safe to send again: once more on the new connection
            return reply

    def _reply(self, wanted, op):
        while True:
            while b"\n" not in self.buf:
                left = self._left()
                if left <= 0:
                    raise Unreachable("the havirt agent did not answer %s in time" % op)
                self.sock.settimeout(left)
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionResetError("the havirt agent closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" in msg:
                continue
            busy = (msg.get("error") or {}).get("code") == "busy"
            if busy and msg.get("id") is None:
                raise _Busy(msg["error"].get("message", ""), closed=True)  # connection refused
            if msg.get("id") == wanted:
                if busy:
                    raise _Busy(msg["error"].get("message", ""), closed=False)
                return msg


class _Busy(Exception):
    """The agent refused the request without running it; closed: it closes the connection too."""

    def __init__(self, message, closed):
        Exception.__init__(self, message)
        self.closed = closed
