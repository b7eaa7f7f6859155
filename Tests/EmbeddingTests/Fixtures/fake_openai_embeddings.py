#!/usr/bin/env python3
"""A tiny OpenAI-compatible embeddings server for EmbeddingTests (loopback only, stdlib only).

POST /v1/embeddings {"model", "input": [...]} -> {"data": [{"embedding", "index"}...]} (returned in reverse order,
with "index", to check the client orders by index). Requires "Authorization: Bearer test-key".
The embedding of a text is [len(utf8 bytes), 3, 4] (unnormalized, so the client must normalize).
Model names drive failures: "flaky-N" answers 503 then 429 (alternating) to the first N requests;
"broken" always answers 500; "bad-request" answers 400. GET /stats returns the request log.
Every request is appended to the JSON log file named by argv[1] (if given).
Prints "PORT <n>" on stdout once listening; exits when stdin closes or after 120 s.
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = []
FAILS = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/stats":
            with LOCK:
                self._send(200, {"requests": LOG})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        model = payload.get("model", "")
        inputs = payload.get("input", [])
        with LOCK:
            LOG.append({"path": self.path, "model": model, "count": len(inputs), "auth": self.headers.get("Authorization")})
            if len(sys.argv) > 1:
                with open(sys.argv[1] + ".tmp", "w") as f:
                    json.dump(LOG, f)
                os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        if self.path != "/v1/embeddings":
            return self._send(404, {"error": {"message": "no such route"}})
        if self.headers.get("Authorization") != "Bearer test-key":
            return self._send(401, {"error": {"message": "invalid api key"}})
        if model == "broken":
            return self._send(500, {"error": {"message": "internal"}})
        if model == "bad-request":
            return self._send(400, {"error": {"message": "bad input"}})
        if model.startswith("flaky-"):
            with LOCK:
                n = FAILS.get(model, 0)
                FAILS[model] = n + 1
            if n < int(model.split("-")[1]):
                if n % 2 == 0:
                    return self._send(503, {"error": {"message": "overloaded"}})
                return self._send(429, {"error": {"message": "slow down"}}, [("Retry-After", "0")])
        data = [{"object": "embedding", "index": i, "embedding": [float(len(t.encode())), 3.0, 4.0]} for i, t in enumerate(inputs)]
        self._send(200, {"object": "list", "model": model, "data": list(reversed(data)),
                         "usage": {"prompt_tokens": 0, "total_tokens": 0}})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    done = threading.Event()

    def wait_stdin():
        try:
            sys.stdin.read()
        finally:
            done.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    done.wait(120)
    server.shutdown()


if __name__ == "__main__":
    main()
