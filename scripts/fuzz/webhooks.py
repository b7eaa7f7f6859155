"""The webhook fuzzer: mutates the real WhatsApp fixtures (../shared/whatsapp/fixtures), signs each body with the app
secret as Meta does, POSTs it to /webhooks/whatsapp and checks what the daemon answers.

Findings:
- any 5xx but the documented 503 for a storage failure (`disk_full`, `read_only`, `database_busy`), and any status a
  signed delivery should never get (a correctly signed body within the size limit is acknowledged with 200 whatever it
  holds: Meta would retry a 4xx for days);
- a wrong status for a badly signed one (it must be 401/403, never 200);
- the daemon not answering /healthz, or exiting;
- a canary (a valid text from a fresh customer, sent between the mutants, each delivered twice as Meta's retries are)
  answered zero times or more than once by the fake Graph API.

Everything comes from one seeded `random.Random`, printed at the start, so a run replays with `--seed`.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import http.client
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

# Strings that break naive code: every Unicode category the protocol may carry, escapes, control characters.
NASTY_STRINGS = [
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\t\r\n\x0b\x0c",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",                        # right-to-left override
    "\u200b\u200c\u200d\ufeff",                # zero-width characters, BOM
    "e\u0301\u0301\u0301\u0301\u0301\u0301",   # stacked combining marks
    "Z̴̡̪̫͍̱̯̦̣͔̳̠̥̄̿̓͑̂͒̍̒̕a̸̧̛͎̳͙̜̤̞̺͂̊̐̅̾̀̍l̴̨̻̭̳̞̐g̵̢̡̘͎͓̹̙̗̾͛̊o̸̱̱̼̻̟̔̀̄̈́̚",
    "👩‍👩‍👧‍👦🏳️‍🌈🇧🇷",                           # ZWJ sequences, flags
    "\U0001f600" * 50,
    "ação informação coração",
    "日本語のテキスト",
    "مرحبا بالعالم",
    "\ud800",                                  # a lone surrogate (valid JSON escape, invalid Unicode)
    "\udfff\ud800",
    "%s%n%x%d",
    "'; DROP TABLE messages; --",
    "\" OR 1=1 --",
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "atendente",                               # the handoff keyword
    "HUMANO",
    "wamid." + "A" * 200,
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "null",
    "true",
    "0x10",
    "１２３４",                                 # full-width digits
]

NASTY_NUMBERS = [0, -1, 1, 2**31, 2**53 + 1, 2**63, 2**64, 2**70, -(2**63) - 1, 1e308, -1e308, 1.5, 5e-324, 10**40]


@dataclass
class Counts:
    inputs: int = 0
    signed: int = 0
    unsigned: int = 0
    canaries: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)
    server_errors: int = 0
    wrong_status: int = 0
    crashes: int = 0
    lost: int = 0
    duplicated: int = 0
    findings: list[str] = field(default_factory=list)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def load_fixtures(directory: Path) -> list[tuple[str, object]]:
    """Every fixture that is a JSON webhook envelope (the `api/` folder holds Graph API responses, not webhooks)."""
    fixtures = []
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_bytes())
        except ValueError:
            continue
        if isinstance(document, dict) and "entry" in document:
            fixtures.append((path.name, document))
    if not fixtures:
        raise SystemExit(f"no webhook fixtures in {directory}")
    return fixtures


class TooBig(Exception):
    """A mutated tree that would take more memory to walk or encode than a fuzzing run should spend."""


def weight_exceeds(node: object, budget: int) -> bool:
    """Whether `node`, walked as json.dumps and `Mutator.slots` walk it (shared references counted each time they
    occur), weighs more than `budget` (string characters, plus a few units and the depth per node). Stops as soon as it does, so a
    tree of repeated repetitions is never expanded: one such mutant (an array item repeated 200 times, three times
    over, around a 60,000-character string) took the fuzzer past the CI machine's memory and the kernel killed it."""
    total = 0
    stack = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        total += 8 + depth                                        # slots() holds a path as long as the depth
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                total += len(key) if isinstance(key, str) else 8
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        if total > budget:
            return True
    return False


class Mutator:
    """Structure-aware and byte-level mutations of a fixture, from one seeded generator."""

    # Heaviest tree a mutation may leave (see weight_exceeds): a few times the body limit, so over-limit bodies are
    # still produced (and cut down in `mutant`) without materializing hundreds of megabytes.
    TREE_BUDGET = 8 * 1024 * 1024

    def __init__(self, rng: random.Random, max_body_bytes: int):
        self.rng = rng
        self.max_body_bytes = max_body_bytes
        self.serial = 0

    # -- random values -------------------------------------------------------------------------------------------------

    def string(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.rng.choice(NASTY_STRINGS)
        if r < 0.8:
            alphabet = [chr(self.rng.randrange(0x20, 0x7f)) for _ in range(8)] + [
                chr(self.rng.choice([self.rng.randrange(0x80, 0x800), self.rng.randrange(0x800, 0xd800),
                                     self.rng.randrange(0xe000, 0x10000), self.rng.randrange(0x10000, 0x110000),
                                     self.rng.randrange(0, 0x20)])) for _ in range(8)]
            return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randrange(1, 300)))
        if r < 0.96:
            return self.rng.choice("aé日😀 ") * self.rng.choice([1000, 4096, 4097, 10_000, 60_000])
        # A huge string: near (or past) the body limit.
        return "x" * self.rng.choice([self.max_body_bytes // 2, self.max_body_bytes - 2000, self.max_body_bytes + 10])

    def value(self, depth: int = 0) -> object:
        kind = self.rng.randrange(9 if depth < 3 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return self.rng.choice([True, False])
        if kind == 2:
            return self.rng.choice(NASTY_NUMBERS)
        if kind in (3, 4, 5):
            return self.string()
        if kind == 6:
            return [self.value(depth + 1) for _ in range(self.rng.randrange(0, 4))]
        if kind == 7:
            return {self.string()[:40]: self.value(depth + 1) for _ in range(self.rng.randrange(0, 4))}
        return self.nested(self.rng.choice([10, 100, 600]))

    def nested(self, depth: int) -> object:
        node: object = self.rng.choice(["leaf", 1, None, {}])
        for _ in range(depth):
            node = [node] if self.rng.random() < 0.5 else {"a": node}
        return node

    # -- tree walking --------------------------------------------------------------------------------------------------

    @staticmethod
    def slots(node: object, path: tuple = ()) -> list[tuple]:
        """Every path to a value inside `node` (dict keys and list indices)."""
        found = []
        if isinstance(node, dict):
            for key, child in node.items():
                found.append(path + (key,))
                found += Mutator.slots(child, path + (key,))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                found.append(path + (index,))
                found += Mutator.slots(child, path + (index,))
        return found

    @staticmethod
    def parent(root: object, path: tuple) -> object:
        node = root
        for step in path[:-1]:
            node = node[step]
        return node

    def fresh_ids(self, document: object) -> None:
        """New message ids (so the mutant is processed, not dropped as a duplicate of an earlier one)."""
        self.serial += 1
        for value in self.values_of(document):
            for message in value.get("messages", []) if isinstance(value.get("messages"), list) else []:
                if isinstance(message, dict) and "id" in message:
                    message["id"] = f"wamid.FUZZ{self.serial:08d}.{self.rng.randrange(10**9)}"
            for status in value.get("statuses", []) if isinstance(value.get("statuses"), list) else []:
                if isinstance(status, dict) and "id" in status and self.rng.random() < 0.5:
                    status["id"] = f"wamid.FUZZSTATUS{self.serial:08d}"

    @staticmethod
    def values_of(document: object):
        if not isinstance(document, dict) or not isinstance(document.get("entry"), list):
            return
        for entry in document["entry"]:
            if isinstance(entry, dict) and isinstance(entry.get("changes"), list):
                for change in entry["changes"]:
                    if isinstance(change, dict) and isinstance(change.get("value"), dict):
                        yield change["value"]

    def mutate_tree(self, document: object) -> object:
        document = copy.deepcopy(document)
        if self.rng.random() < 0.85:
            self.fresh_ids(document)
        for _ in range(self.rng.choice([1, 1, 1, 2, 3, 5])):
            slots = self.slots(document)
            if not slots:
                break
            path = self.rng.choice(slots)
            parent = self.parent(document, path)
            key = path[-1]
            op = self.rng.randrange(10)
            if op in (0, 1, 2):                                   # change the type or the value
                parent[key] = self.value()
            elif op == 3:                                         # drop the field
                del parent[key]
            elif op == 4 and isinstance(parent, dict):            # an extra field
                parent[self.rng.choice(["extra", "\u0000", "é" * 50, "id", "type", "messages"]) + str(self.rng.randrange(3))] = self.value()
            elif op == 5:                                         # nest it one or more levels deeper
                for _ in range(self.rng.choice([1, 2, 50])):
                    parent[key] = [parent[key]] if self.rng.random() < 0.5 else {"value": parent[key]}
            elif op == 6 and isinstance(parent, list):            # repeat an array item
                parent.extend([parent[key]] * self.rng.choice([1, 10, 200]))
            elif op == 7 and isinstance(parent[key], str):        # a nasty string in place of a string
                parent[key] = self.string()
            elif op == 8 and isinstance(parent[key], str):        # the string as a number, or a number as a string
                parent[key] = self.rng.choice(NASTY_NUMBERS)
            else:                                                 # empty container
                parent[key] = self.rng.choice([[], {}, "", None])
            if weight_exceeds(document, self.TREE_BUDGET):
                raise TooBig
        return document

    def encode(self, document: object) -> bytes:
        """JSON text as Meta sends it (\\u escapes) or as raw UTF-8; lone surrogates are kept as escapes or bytes."""
        ascii_only = self.rng.random() < 0.6
        text = json.dumps(document, ensure_ascii=ascii_only, separators=self.rng.choice([(",", ":"), (", ", ": ")]))
        if not ascii_only:
            return text.encode("utf-8", "surrogatepass")
        if self.rng.random() < 0.3:
            text = text.replace("/", "\\/")                       # Meta escapes slashes
        return text.encode()

    def mutate_bytes(self, body: bytes) -> bytes:
        op = self.rng.randrange(12)
        if op == 0:
            return body[: self.rng.randrange(len(body))] if body else body
        if op == 1:
            data = bytearray(body)
            for _ in range(self.rng.randrange(1, 8)):
                if data:
                    data[self.rng.randrange(len(data))] = self.rng.randrange(256)
            return bytes(data)
        if op == 2:
            at = self.rng.randrange(len(body) + 1)
            return body[:at] + self.rng.choice([b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x00", b"\x80"]) + body[at:]
        if op == 3:
            return b"\xef\xbb\xbf" + body                        # UTF-8 byte-order mark
        if op == 4:
            return self.rng.choice([b"", b" ", b"null", b"[]", b"{}", b"0", b'"x"', b"true", b"{", b"]", b"\x00" * 64,
                                    b"<xml/>", b"NaN", b"Infinity", b'{"object":NaN}', b'{"object":"whatsapp_business_account","entry":Infinity}'])
        if op == 5:
            return body + self.rng.choice([b"garbage", b"{}", b",", b"\n\n", b"\x00"])
        if op == 6:                                               # deep nesting, past any parser's recursion limit
            depth = self.rng.choice([512, 513, 1000, 10_000, 100_000])
            opener, closer = self.rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
            return b'{"object":"whatsapp_business_account","entry":' + opener * depth + b"1" + closer * depth + b"}"
        if op == 7:                                               # duplicated keys
            return body.replace(b'"messages":', b'"messages":[],"messages":', 1)
        if op == 8:                                               # a body at or just past the limit
            pad = self.max_body_bytes - len(body) + self.rng.choice([-1, 0, 1, 5000])
            return body[:-1] + b',"pad":"' + b"p" * max(0, pad - 9) + b'"}' if body.endswith(b"}") else body
        if op == 9:                                               # many messages in one delivery
            try:
                document = json.loads(body)
                value = next(self.values_of(document))
                if isinstance(value.get("messages"), list) and value["messages"]:
                    # As many as fit in a few times the body limit: copies of a message that holds a huge string
                    # took 500 MB (the run was killed for memory on the CI machine).
                    count = min(self.rng.choice([50, 500]), max(2, 4 * self.max_body_bytes // max(1, len(body))))
                    value["messages"] = [dict(value["messages"][0], id=f"wamid.MANY{self.serial}.{i}") for i in range(count)]
                return json.dumps(document).encode()
            except (ValueError, StopIteration, TypeError, AttributeError):
                return body
        if op == 10:                                              # numbers JSON cannot hold exactly
            return body.replace(b'"timestamp":"', b'"timestamp":1e400,"t":"', 1)
        return body.replace(b'"', b"'", 1)                       # a quote JSON does not accept

    def mutant(self, fixture: object) -> bytes:
        """A mutated body; one that grew far past the size limit (repeated huge items) is cut down to just past it,
        which tests the same refusal without sending hundreds of megabytes."""
        for _ in range(100):
            try:
                body = self._mutant(fixture)
                break
            except (RecursionError, TooBig):
                # Nesting stacked past Python's own encoder limit (the daemon's raw-bytes nesting case covers that
                # depth), or repetitions that would not fit in memory: draw another mutant instead of ending the run.
                continue
        else:
            body = self.encode(copy.deepcopy(fixture))
        if len(body) > self.max_body_bytes + 65536:
            body = body[: self.max_body_bytes + self.rng.randrange(1, 65536)]
        return body

    def _mutant(self, fixture: object) -> bytes:
        r = self.rng.random()
        if r < 0.55:
            return self.encode(self.mutate_tree(fixture))
        if r < 0.8:
            return self.mutate_bytes(self.encode(self.mutate_tree(fixture)))
        base = copy.deepcopy(fixture)
        self.fresh_ids(base)
        return self.mutate_bytes(self.encode(base))


def regressions(fixtures: list[tuple[str, object]]) -> list[tuple[str, bytes]]:
    """The fuzzer's worst finds, sent first on every run (each is a text message fixture with one field changed)."""
    base = dict(fixtures)["text_message.json"]

    def with_timestamp(value: object, tag: str) -> tuple[str, bytes]:
        document = copy.deepcopy(base)
        message = document["entry"][0]["changes"][0]["value"]["messages"][0]
        message["id"] = f"wamid.REGRESSION.{tag}.{time.time_ns()}"
        message["timestamp"] = value
        return f"timestamp {value!r}", json.dumps(document).encode()

    return [
        # 2^63 seconds: a date the database stored as "" and could not read back; the conversation's turn failed
        # forever and held up every later customer's (all canaries after it were lost).
        with_timestamp(2**63, "int63"),
        with_timestamp("9223372036854775808", "string63"),
        with_timestamp("1e300", "1e300"),
        with_timestamp(253402300800, "year10000"),
        with_timestamp("253402300799", "year9999"),          # the last second kept: stored and read back
        with_timestamp(-1, "negative"),
    ]


def canary_body(customer: str, message_id: str, phone_number_id: str, text: str) -> bytes:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": "Canário"}, "wa_id": customer}],
            "messages": [{"from": customer, "id": message_id, "timestamp": str(int(time.time())), "type": "text",
                          "text": {"body": text}}]}}]}],
    }
    return json.dumps(payload).encode()


class Poster:
    """One keep-alive connection to the daemon; reconnects when the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                self.connection.request("POST", path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest,
                    http.client.ResponseNotReady):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            return connection.getresponse().status
        finally:
            connection.close()


# The documented 503 of a delivery that could not be stored (Meta retries it): StorageError's codes.
STORAGE_CODES = (b'"disk_full"', b'"read_only"', b'"database_busy"', b'"storage_failed"')


def run(*, daemon, graph, seed: int, count: int, app_secret: str, phone_number_id: str, fixtures_dir: Path,
        max_body_bytes: int, canary_every: int = 25, settle_seconds: float = 3.0, reply_timeout: float = 120,
        log=print) -> Counts:
    rng = random.Random(seed)
    mutator = Mutator(rng, max_body_bytes)
    fixtures = load_fixtures(fixtures_dir)
    counts = Counts()
    poster = Poster(daemon.port)
    canaries: dict[str, str] = {}                # customer -> its text
    pending_retries: list[tuple[bytes, str]] = []
    saved = Path(daemon.scratch) / "webhook-findings"

    def finding(kind: str, body: bytes, detail: str) -> None:
        saved.mkdir(parents=True, exist_ok=True)
        name = saved / f"{kind}-{len(counts.findings):03d}.bin"
        name.write_bytes(body)
        counts.findings.append(f"{kind}: {detail} (body {len(body)} bytes saved as {name})")
        log(f"  FINDING {kind}: {detail} — body {body[:160]!r}… saved as {name}")

    def alive(context: str) -> bool:
        if daemon.process.poll() is not None:
            counts.crashes += 1
            finding("crash", context.encode(), f"the daemon exited with {daemon.process.returncode} after {context}")
            return False
        try:
            status = poster.get("/healthz")
        except OSError as error:
            status = f"{type(error).__name__}: {error}"
        if status != 200:
            counts.crashes += 1
            finding("unresponsive", context.encode(), f"/healthz answered {status} after {context}")
            return False
        return True

    def deliver(body: bytes, signature: str | None, kind: str) -> int | None:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        try:
            status, answer = poster.post("/webhooks/whatsapp", body, headers)
        except OSError as error:
            if daemon.process.poll() is not None or not alive(f"a {kind} delivery"):
                return None
            finding("connection", body, f"{type(error).__name__}: {error} on a {kind} delivery")
            return None
        counts.status_counts[status] = counts.status_counts.get(status, 0) + 1
        if status >= 500 and not (status == 503 and any(code in answer for code in STORAGE_CODES)):
            counts.server_errors += 1
            finding("5xx", body, f"{status} {answer[:300]!r} on a {kind} delivery")
        return status

    def send_canary() -> None:
        index = counts.canaries
        counts.canaries += 1
        customer = f"559900{seed % 10000:04d}{index:06d}"
        text = rng.choice(["Qual o prazo para devolução?", "Vocês entregam no sábado?", "Olá, bom dia!"]) + f" #{index}"
        body = canary_body(customer, f"wamid.CANARY.{seed}.{index}", phone_number_id, text)
        canaries[customer] = text
        status = deliver(body, sign(body, app_secret), "canary")
        if status is not None and status != 200:
            counts.wrong_status += 1
            finding("canary-refused", body, f"a valid canary delivery got {status}")
        pending_retries.append((body, customer))       # Meta retries: the same bytes again, later

    log(f"webhook fuzzer: seed {seed}, {count} mutated deliveries, {len(fixtures)} fixtures, a canary every {canary_every}")
    started = time.monotonic()
    for name, body in regressions(fixtures):
        counts.inputs += 1
        counts.signed += 1
        status = deliver(body, sign(body, app_secret), f"regression ({name})")
        if status is not None and status != 200:
            counts.wrong_status += 1
            finding("status", body, f"regression ({name}) got {status}, expected 200")
    for index in range(count):
        if index % canary_every == 0:
            send_canary()
        if pending_retries and rng.random() < 0.08:
            body, _ = pending_retries.pop(rng.randrange(len(pending_retries)))
            deliver(body, sign(body, app_secret), "canary retry")
        name, fixture = rng.choice(fixtures)
        body = mutator.mutant(fixture)
        counts.inputs += 1
        r = rng.random()
        if r < 0.9:
            counts.signed += 1
            status = deliver(body, sign(body, app_secret), f"signed {name} mutant")
            if status is not None and status < 500:
                expected = 413 if len(body) > max_body_bytes else 200
                if status != expected:
                    counts.wrong_status += 1
                    finding("status", body, f"signed {name} mutant of {len(body)} bytes got {status}, expected {expected}")
        else:
            counts.unsigned += 1
            signature = rng.choice([None, "", "sha256=", "sha256=" + "0" * 64, sign(body, app_secret + "x"),
                                    sign(body, app_secret).upper(), sign(body, app_secret).replace("sha256=", "sha1="),
                                    sign(body + b" ", app_secret), "sha256=" + "é" * 64, sign(body, app_secret) + "00"])
            status = deliver(body, signature, f"badly signed {name} mutant")
            if status is not None and status < 500 and status not in (401, 403, 413):
                # An uppercase hex digest is the one variant a lenient check may accept.
                if not (status == 200 and signature == sign(body, app_secret).upper()):
                    counts.wrong_status += 1
                    finding("signature", body, f"a delivery signed {signature!r:.40} got {status}, expected 401/403")
        if daemon.process.poll() is not None:
            alive(f"input {index} (a {name} mutant)")
            break
        if index % 50 == 49 and not alive(f"input {index}"):
            break
    for body, _ in pending_retries:
        deliver(body, sign(body, app_secret), "canary retry")
    sent_seconds = time.monotonic() - started
    log(f"  {counts.inputs} mutants and {counts.canaries} canaries sent in {sent_seconds:.1f} s; statuses {dict(sorted(counts.status_counts.items()))}")

    if daemon.process.poll() is None and alive("the last input"):
        # Every canary answered once: wait for all, then a little longer for any second reply.
        deadline = time.monotonic() + reply_timeout
        while time.monotonic() < deadline:
            replied = replies_by_customer(graph, canaries)
            if all(replied.get(customer, 0) >= 1 for customer in canaries):
                break
            time.sleep(0.25)
        time.sleep(settle_seconds)
        replied = replies_by_customer(graph, canaries)
        for customer, text in canaries.items():
            got = replied.get(customer, 0)
            if got == 0:
                counts.lost += 1
                finding("lost", text.encode(), f"canary {customer} ({text!r}) was never answered")
            elif got > 1:
                counts.duplicated += 1
                finding("duplicated", text.encode(), f"canary {customer} ({text!r}) was answered {got} times")
        alive("the canaries' replies")
    return counts


def replies_by_customer(graph, customers) -> dict[str, int]:
    """Accepted text sends per recipient, among `customers` (mark-as-read calls are not replies)."""
    counted: dict[str, int] = {}
    with graph.lock:
        for record in graph.requests:
            payload = record.get("json")
            if record.get("status") != 200 or not isinstance(payload, dict) or "status" in payload:
                continue
            to = payload.get("to")
            if to in customers:
                counted[to] = counted.get(to, 0) + 1
    return counted
