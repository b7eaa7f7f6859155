"""The real `balcao` daemon as a child process, with fake external APIs speaking their real wire formats.

Used by the browser tests (Tests/Browser) and the admin benchmark (scripts/admin). Nothing of Balcão is stubbed: the
daemon is the real executable on a loopback port with a temporary data directory; only the two remote services are
replaced, each by a small HTTP server on 127.0.0.1:

- FakeLLM: an OpenAI-compatible `POST /v1/chat/completions` (as Sources/BalcaoTesting/FakeLLM.swift) that answers by
  quoting the first passage of the prompt.
- FakeGraphAPI: the WhatsApp Cloud API `POST /{version}/{phone_number_id}/messages` (as
  Sources/BalcaoTesting/FakeGraphAPI.swift): checks the bearer token, records every request, answers like Meta.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED = REPOSITORY.parent / "shared"

APP_SECRET = "browser-test-app-secret"
VERIFY_TOKEN = "browser-test-verify"
ACCESS_TOKEN = "browser-test-access-token"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "15550783881"
API_TOKEN = "browser-test-api-token"

SETUP_CODE = re.compile(r"admin setup code: ([A-Z0-9-]{8,})")


def free_port() -> int:
    """A loopback port the OS had free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 with an OS-chosen port, served from a background thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        handler.fake = self  # type: ignore[attr-defined]
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _LLMHandler(_Handler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self._body()
        fake: FakeLLM = self.fake  # type: ignore[attr-defined]
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error", "code": 404}})
            return
        try:
            request = json.loads(body)
            messages = request["messages"]
        except (ValueError, KeyError, TypeError):
            self._send_json(400, {"error": {"message": "malformed request", "type": "invalid_request_error", "code": 400}})
            return
        with fake.lock:
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "json": request})
        text = fake.answer(messages)
        prompt_tokens = sum(4 + (len(m.get("content", "").encode()) + 3) // 4 for m in messages) + 3
        completion_tokens = (len(text.encode()) + 3) // 4
        self._send_json(200, {
            "id": f"chatcmpl-fake-{len(fake.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or "fake-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        })


class FakeLLM(_FakeServer):
    """An OpenAI-compatible chat server that answers by quoting the first passage it was given."""

    def __init__(self):
        super().__init__(_LLMHandler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @staticmethod
    def answer(messages: list[dict]) -> str:
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        # Balcão's prompt lists the passages as "[n] <document, page>" followed by the passage's text: quote the first.
        lines = [line.strip() for line in prompt.splitlines()]
        starts = [i for i, line in enumerate(lines) if re.match(r"\[1\] ", line)]
        passage = next((line for line in lines[starts[0] + 1:] if line), None) if starts else None
        if not passage:
            return "Não encontrei essa informação nos documentos."
        quote = re.split(r"(?<=[.;])\s", passage)[0][:240]
        return f"Segundo o documento: “{quote}” [1]"


BUSINESS_ACCOUNT_ID = "102290129340398"

# Templates as `GET /{waba_id}/message_templates` lists them (Meta's wire format): two approved, one rejected.
TEMPLATES = [
    {"name": "retomar_atendimento", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY", "id": "1402118360641700",
     "parameter_format": "POSITIONAL",
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Retomando seu atendimento"},
                    {"type": "BODY", "text": "Olá, {{1}}! Aqui é da loja, sobre a sua mensagem: {{2}}. Responda para continuarmos."}]},
    {"name": "pedido_pronto", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY", "id": "1402118360641701",
     "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "Seu pedido {{1}} está pronto para retirada."}]},
    {"name": "promo_natal", "language": "pt_BR", "status": "REJECTED", "category": "MARKETING", "id": "1402118360641703",
     "parameter_format": "POSITIONAL", "components": [{"type": "BODY", "text": "Promoção!"}]},
]


class _GraphHandler(_Handler):
    def do_GET(self):  # noqa: N802
        fake: FakeGraphAPI = self.fake  # type: ignore[attr-defined]
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if self.headers.get("Authorization") != f"Bearer {fake.access_token}":
            self._send_json(401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}})
        elif len(parts) == 3 and parts[1] == BUSINESS_ACCOUNT_ID and parts[2] == "message_templates":
            self._send_json(200, {"data": TEMPLATES, "paging": {"cursors": {"before": "QVFIU0", "after": "QVFIU1"}}})
        else:
            self._send_json(404, {"error": {"message": "Unknown path components", "type": "OAuthException", "code": 2500}})

    def do_POST(self):  # noqa: N802
        body = self._body()
        fake: FakeGraphAPI = self.fake  # type: ignore[attr-defined]
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if len(parts) not in (2, 3) or parts[-1] != "messages":
            self._send_json(404, {"error": {"message": "Unknown path components", "type": "OAuthException", "code": 2500}})
            return
        phone = parts[-2]
        record = {"path": self.path, "phone_number_id": phone, "headers": dict(self.headers), "body": body}
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        record["json"] = payload
        if self.headers.get("Authorization") != f"Bearer {fake.access_token}":
            record["status"] = 401
            with fake.lock:
                fake.requests.append(record)
            self._send_json(401, {"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                                            "type": "OAuthException", "code": 190, "fbtrace_id": "AFakeTrace190"}},
                            {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'})
            return
        status, answer = fake.accept(payload)
        record["status"] = status
        with fake.lock:
            fake.requests.append(record)
        self._send_json(status, answer)


class FakeGraphAPI(_FakeServer):
    """The WhatsApp Cloud API's send endpoint, answering as Meta does."""

    def __init__(self, access_token: str = ACCESS_TOKEN, api_version: str = "v25.0"):
        self.access_token = access_token
        self.api_version = api_version
        self._next_id = 1
        super().__init__(_GraphHandler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.api_version}"

    def accept(self, payload: object) -> tuple[int, dict]:
        def invalid(details: str) -> tuple[int, dict]:
            return 400, {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
                                   "error_data": {"messaging_product": "whatsapp", "details": details},
                                   "fbtrace_id": "AFakeTrace100"}}

        if not isinstance(payload, dict):
            return invalid("The request body is not a JSON object")
        if payload.get("messaging_product") != "whatsapp":
            return invalid("The parameter messaging_product is required.")
        if "status" in payload:
            if payload.get("status") != "read" or not payload.get("message_id"):
                return invalid("status must be read and message_id is required")
            return 200, {"success": True}
        to = payload.get("to")
        if not to:
            return invalid("The parameter to is required.")
        if payload.get("type", "text") == "text":
            text = (payload.get("text") or {}).get("body")
            if not text:
                return invalid("The parameter text['body'] is required.")
            if len(text) > 4096:
                return invalid("Param text['body'] must be at most 4096 characters long.")
        elif payload.get("type") == "interactive":
            interactive = payload.get("interactive") or {}
            body = (interactive.get("body") or {}).get("text") or ""
            buttons = (interactive.get("action") or {}).get("buttons") or []
            titles = [(b.get("reply") or {}).get("title") or "" for b in buttons]
            if interactive.get("type") == "list":
                action = interactive.get("action") or {}
                rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
                if not body or not 1 <= len(action.get("button") or "") <= 20 or not 1 <= len(rows) <= 10 \
                        or not all(1 <= len(row.get("title") or "") <= 24 for row in rows):
                    return invalid("interactive list: a body, a button of 1 to 20 characters and 1 to 10 rows")
            elif interactive.get("type") != "button" or not 1 <= len(body) <= 1024 or not 1 <= len(buttons) <= 3 \
                    or not all(1 <= len(t) <= 20 for t in titles):
                return invalid("interactive: a body of 1 to 1024 characters and 1 to 3 buttons titled in 1 to 20 characters")
        with self.lock:
            message_id = f"wamid.FAKE{self._next_id:06d}"
            self._next_id += 1
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": message_id}]}

    def sent_texts(self, to: str | None = None) -> list[str]:
        """What the customer reads of every accepted send (mark-as-read calls excluded), to one customer when given:
        `text.body`, or `interactive.body.text` of a message with reply buttons."""
        with self.lock:
            texts = []
            for r in self.requests:
                payload = r.get("json")
                if r.get("status") != 200 or not isinstance(payload, dict) or (to is not None and payload.get("to") != to):
                    continue
                if payload.get("type", "text") == "text" and "text" in payload:
                    texts.append(payload["text"]["body"])
                elif payload.get("type") == "interactive":
                    texts.append(((payload.get("interactive") or {}).get("body") or {}).get("text", ""))
            return texts

    def wait_for_text(self, predicate=lambda text: True, to: str | None = None, skip: int = 0,
                      timeout: float = 20) -> str | None:
        """The first text sent (to `to`, after the first `skip` of them) that `predicate` accepts, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for text in self.sent_texts(to)[skip:]:
                if predicate(text):
                    return text
            time.sleep(0.1)
        return None


def sign(body: bytes, app_secret: str = APP_SECRET) -> str:
    """The `X-Hub-Signature-256` value Meta sends: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def text_webhook(text: str, customer: str = "5511999990001", name: str = "Maria", message_id: str | None = None,
                 sent_at: float | None = None) -> bytes:
    """A `messages` webhook for one customer text, shaped like /work/shared/whatsapp/fixtures/text_message.json."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
                    "contacts": [{"profile": {"name": name}, "wa_id": customer}],
                    "messages": [{
                        "from": customer,
                        "id": message_id or f"wamid.browser-{time.time_ns()}",
                        "timestamp": str(int(time.time() if sent_at is None else sent_at)),
                        "type": "text",
                        "text": {"body": text},
                    }],
                },
            }],
        }],
    }
    return json.dumps(payload).encode()


@dataclass
class Daemon:
    """`balcao serve` on a free loopback port with its own data directory and configuration file."""

    binary: Path
    llm: FakeLLM | None = None
    graph: FakeGraphAPI | None = None
    data_dir: Path | None = None
    port: int = 0
    extra_config: str = ""
    # Tools that drive the API hard (schemathesis, make score-retrieval) run without the token's request budget.
    api_requests_per_minute: int = 0
    log_level: str = "info"
    process: subprocess.Popen | None = None
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="balcao-browser-")))

    def __post_init__(self):
        if self.data_dir is None:
            self.data_dir = self.scratch / "data"
        if not self.port:
            self.port = free_port()
        self.log_path = self.scratch / "daemon.log"
        self.config_path = self.scratch / "balcao.toml"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        llm = ""
        if self.llm:
            llm = f'base_url = "{self.llm.base_url}"\nmodel = "fake-model"\napi_key = "fake-key"\ntimeout_seconds = 10\n'
        whatsapp = ""
        if self.graph:
            whatsapp = (f'verify_token = "{VERIFY_TOKEN}"\napp_secret = "{APP_SECRET}"\n'
                        f'access_token = "{self.graph.access_token}"\ngraph_base_url = "{self.graph.base_url}"\n'
                        "quiet_period_seconds = 0.3\n"
                        f'business_account_id = "{BUSINESS_ACCOUNT_ID}"\n')
        self.config_path.write_text(
            "[server]\n"
            f'host = "127.0.0.1"\nport = {self.port}\napi_token = "{API_TOKEN}"\n'
            f"api_requests_per_minute = {self.api_requests_per_minute}\n"
            "[storage]\n"
            f'data_dir = "{self.data_dir}"\ningestion_workers = 1\n'
            "[embedding]\n"
            'provider = "none"\n'
            f"[llm]\n{llm}"
            f"[whatsapp]\n{whatsapp}"
            f"{self.extra_config}"
        )

    def start(self, timeout: float = 120) -> "Daemon":
        self.write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BALCAO_")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "serve", "--config", str(self.config_path), "--log-level", self.log_level],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.scratch, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"balcao exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"balcao did not answer /healthz within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def setup_code(self, timeout: float = 10) -> str | None:
        """The one-time code the daemon logs while no user exists (`admin setup code: CODE`), or None."""
        deadline = time.monotonic() + timeout
        while True:
            found = SETUP_CODE.findall(self.log())
            if found:
                return found[-1]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def stop(self, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def post_webhook(self, body: bytes, signature: str | None = None) -> int:
        """POSTs a webhook body with Meta's signature (or `signature` as given) and returns the HTTP status."""
        request = urllib.request.Request(
            f"{self.base_url}/webhooks/whatsapp", data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "X-Hub-Signature-256": signature if signature is not None else sign(body)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class AdminClient:
    """A signed-in admin session over plain HTTP (keep-alive, cookies, the CSRF token of the last page), for the
    benchmark and for checks that need no browser."""

    CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"|name="csrf-token"\s+content="([^"]+)"')

    def __init__(self, base_url: str):
        import http.client
        import urllib.parse
        parsed = urllib.parse.urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        """One request; returns (status, headers as a dict with lowercase names, body bytes, wall-clock ms)."""
        import http.client
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            begun = time.perf_counter()
            try:
                self._connection.request(method, path, body=body, headers=all_headers)
                response = self._connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._connection.close()
                if attempt:
                    raise
        wall = (time.perf_counter() - begun) * 1000
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie = pair.partition("=")
                if cookie and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = cookie.strip()
                else:
                    self.cookies.pop(key.strip(), None)
        lowered = {name.lower(): value for name, value in response.getheaders()}
        if "text/html" in lowered.get("content-type", ""):
            found = self.CSRF.search(data.decode("utf-8", "replace"))
            if found:
                self.csrf = found.group(1) or found.group(2)
        return response.status, lowered, data, wall

    def get(self, path: str):
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]):
        import urllib.parse
        if self.csrf and "csrf_token" not in fields:
            fields = {**fields, "csrf_token": self.csrf}
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def first_run(self, setup_code: str, username: str, password: str) -> int:
        """Creates the first owner through /admin/setup; returns the status of the POST (303 on success)."""
        self.get("/admin/setup")
        status, _, _, _ = self.post_form("/admin/setup", {"setup_code": setup_code, "username": username, "password": password})
        return status

    def sign_in(self, username: str, password: str) -> int:
        self.get("/admin/login")
        status, _, _, _ = self.post_form("/admin/login", {"username": username, "password": password})
        return status


SERVER_TIMING = re.compile(r"(?:^|,)\s*app;dur=([0-9.]+)")


def server_ms(headers: dict[str, str]) -> float | None:
    """The `app;dur=` figure of a Server-Timing header, in milliseconds."""
    found = SERVER_TIMING.search(headers.get("server-timing", ""))
    return float(found.group(1)) if found else None
