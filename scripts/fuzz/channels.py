"""The other channels' fuzzers: mutated Instagram deliveries (Tests/InstagramTests/Fixtures, signed with Instagram's
app secret) to /webhooks/instagram, and mutated widget posts to /widget/v1/messages and /widget/v1/contact from an
allowed page and from others, with `webhooks.Mutator`'s structure-aware and byte-level mutations (`mutant`: nesting past
Python's own encoder, or repetitions that would not fit in memory, draw another mutant).

Findings: any 5xx but the documented storage 503; a signed Instagram delivery within the size limit answered anything
but 200 (Meta would retry it for days), a badly signed one answered 200; a widget post answered with a status its
endpoint does not document (202/204, 400, 403, 404, 413, 429); the daemon not answering /healthz, or exiting. What each
stored body did to the inbox is checked by the daemon's own tests; here it must only never take the service down.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from webhooks import STORAGE_CODES, Counts, Mutator, Poster, sign

WIDGET_STATUSES = {202, 204, 400, 403, 404, 413, 429}


def _fresh_mids(document: object, serial: int, rng: random.Random) -> None:
    """New message ids, so a mutant is stored and applied rather than dropped as a duplicate."""
    if not isinstance(document, dict) or not isinstance(document.get("entry"), list):
        return
    for entry in document["entry"]:
        for item in entry.get("messaging", []) if isinstance(entry, dict) and isinstance(entry.get("messaging"), list) else []:
            message = item.get("message") if isinstance(item, dict) else None
            if isinstance(message, dict) and "mid" in message:
                message["mid"] = f"aWdfFUZZ{serial:08d}.{rng.randrange(10**9)}"


def run(*, daemon, seed: int, count: int, instagram_secret: str, fixtures_dir: Path, max_body_bytes: int,
        widget_agent: str, widget_origin: str, log=print) -> dict[str, Counts]:
    rng = random.Random(seed ^ 0x1A57)
    mutator = Mutator(rng, max_body_bytes)
    poster = Poster(daemon.port)
    fixtures = [json.loads(path.read_text()) for path in sorted(fixtures_dir.glob("*.json"))]
    saved = Path(daemon.scratch) / "channel-findings"
    results = {"instagram": Counts(), "widget": Counts()}

    def finding(counts: Counts, kind: str, body: bytes, detail: str) -> None:
        saved.mkdir(parents=True, exist_ok=True)
        name = saved / f"{kind}-{len(counts.findings):03d}.bin"
        name.write_bytes(body)
        counts.findings.append(f"{kind}: {detail} (body {len(body)} bytes saved as {name})")
        log(f"  FINDING {kind}: {detail} — body {body[:160]!r}… saved as {name}")

    def alive(counts: Counts, context: str) -> bool:
        if daemon.process.poll() is not None:
            counts.crashes += 1
            finding(counts, "crash", context.encode(), f"the daemon exited with {daemon.process.returncode} after {context}")
            return False
        try:
            status = poster.get("/healthz")
        except OSError as error:
            status = f"{type(error).__name__}: {error}"
        if status != 200:
            counts.crashes += 1
            finding(counts, "unresponsive", context.encode(), f"/healthz answered {status} after {context}")
            return False
        return True

    def post(counts: Counts, path: str, body: bytes, headers: dict[str, str], kind: str) -> int | None:
        try:
            status, answer = poster.post(path, body, headers)
        except OSError as error:
            if alive(counts, f"a {kind}"):
                finding(counts, "connection", body, f"{type(error).__name__}: {error} on a {kind}")
            return None
        counts.inputs += 1
        counts.status_counts[status] = counts.status_counts.get(status, 0) + 1
        if status >= 500 and not (status == 503 and any(code in answer for code in STORAGE_CODES)):
            counts.server_errors += 1
            finding(counts, "5xx", body, f"{status} {answer[:300]!r} on a {kind}")
        return status

    # Instagram: signed mutants must be acknowledged (200), badly signed ones refused (401/403).
    instagram = results["instagram"]
    for index in range(count):
        document = copy.deepcopy(rng.choice(fixtures))
        _fresh_mids(document, index, rng)
        body = mutator.mutant(document)
        signed = rng.random() < 0.9
        signature = sign(body, instagram_secret) if signed else rng.choice([sign(body, "wrong"), "sha256=", "md5=abc", ""])
        status = post(instagram, "/webhooks/instagram", body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature},
                      "signed Instagram delivery" if signed else "badly signed Instagram delivery")
        if status is None:
            break
        expected = ({200, 413} if len(body) > max_body_bytes else {200}) if signed else {401, 403, 413}
        if status not in expected and not (status == 503 and signed):
            instagram.wrong_status += 1
            finding(instagram, "status", body, f"{status} for a {'signed' if signed else 'badly signed'} Instagram delivery")
        if index % 100 == 99 and not alive(instagram, f"{index + 1} Instagram deliveries"):
            break

    # The widget: posts from the allowed page and from others, mutated.
    widget = results["widget"]
    templates = [
        ("/widget/v1/messages", {"agent": widget_agent, "visitor": "f" * 32, "text": "Qual o prazo para devolução?"}),
        ("/widget/v1/messages", {"agent": widget_agent, "visitor": "e" * 32, "text": "Oi", "button": "balcao:handoff"}),
        ("/widget/v1/contact", {"agent": widget_agent, "visitor": "f" * 32, "name": "Maria", "contact": "maria@example.com"}),
    ]
    for index in range(count):
        path, document = rng.choice(templates)
        body = mutator.mutant(document)
        origin = widget_origin if rng.random() < 0.8 else rng.choice(["http://evil.test", "null", "", widget_origin + "/", "HTTP://X"])
        headers = {"Content-Type": rng.choice(["application/json", "text/plain", "application/x-www-form-urlencoded"])}
        if origin:
            headers["Origin"] = origin
        status = post(widget, path, body, headers, f"widget post to {path} from {origin or 'no origin'}")
        if status is None:
            break
        if status not in WIDGET_STATUSES and status != 503:
            widget.wrong_status += 1
            finding(widget, "status", body, f"{status} for a widget post to {path}")
        if index % 100 == 99 and not alive(widget, f"{index + 1} widget posts"):
            break
    alive(widget, "the channel fuzzers")
    return results
