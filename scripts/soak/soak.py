"""make bench-soak: signed WhatsApp webhooks at a sustained rate against the release daemon (`balcao serve`, its own
process, fresh data directory, free loopback port) with zero-latency fakes of the Graph API and the LLM.

    python scripts/soak/soak.py --binary .build/release/balcao [--seconds 600] [--rate 40] [--output bench-results/soak.json]

The daemon, the fakes and their configuration are the browser tests' (Tests/Browser/harness.py); only the quiet period
is 0 s, as in bench-webhook, so every message is one turn. The fakes run in a child process of their own, so the load
generator and the fakes do not share one interpreter lock.

Load: customers from a fixed pool (each writes again every pool/rate seconds, so the database grows by messages, not
only by new customers), about 1 % of deliveries sent twice (Meta retries), and a `delivered` status webhook for every
reply the fake Graph API accepted. Measured: accepted/s, webhook latency (request to 200), message-to-reply latency
(request start to the fake Graph API receiving the reply), the daemon's RSS (/proc), the SQLite file and WAL sizes,
and lost and duplicated replies (every customer gets exactly as many replies as the distinct messages it sent).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
sys.path.insert(0, str(REPOSITORY / "Tests" / "Browser"))
sys.path.insert(0, str(REPOSITORY / "scripts" / "fuzz"))

import harness  # noqa: E402
from run import seed_document  # noqa: E402  (make fuzz's: one indexed policy text the answers come from)


# -- the fakes, in a child process -------------------------------------------------------------------------------------

class TimedGraphAPI(harness.FakeGraphAPI):
    """The harness's fake Graph API, also noting when each reply arrived (CLOCK_MONOTONIC is machine-wide)."""

    def __init__(self):
        self.replies: list[tuple[str, float, str]] = []
        super().__init__()

    def accept(self, payload):
        status, answer = super().accept(payload)
        if status == 200 and isinstance(payload, dict) and "status" not in payload:
            with self.lock:
                self.replies.append((payload.get("to"), time.monotonic(), answer["messages"][0]["id"]))
                self.requests.clear()  # the soak keeps only the replies: tens of thousands of bodies would add up
        return status, answer


def fakes_process(connection) -> None:
    llm, graph = harness.FakeLLM(), TimedGraphAPI()

    def forget_prompts():
        while True:
            time.sleep(5)
            with llm.lock:
                llm.requests.clear()

    threading.Thread(target=forget_prompts, daemon=True).start()
    connection.send({"llm": llm.base_url, "graph": graph.base_url, "graph_port": graph.port, "token": graph.access_token})
    sent = 0
    while True:
        command = connection.recv()
        if command == "replies":
            with graph.lock:
                fresh = graph.replies[sent:]
            sent += len(fresh)
            connection.send(fresh)
        elif command == "stop":
            llm.stop()
            graph.stop()
            connection.send("stopped")
            return


class FakesHandle:
    """What the daemon's configuration needs of the fakes (harness.Daemon reads base_url and access_token)."""

    def __init__(self, url: str, token: str = ""):
        self.base_url = url
        self.access_token = token


class SoakDaemon(harness.Daemon):
    """The harness's daemon with a quiet period of 0 s (each message is one turn, as in bench-webhook)."""

    def write_config(self) -> None:
        super().write_config()
        text = self.config_path.read_text()
        self.config_path.write_text(text.replace("quiet_period_seconds = 0.3", "quiet_period_seconds = 0"))


# -- measurements ------------------------------------------------------------------------------------------------------

def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * (len(ordered) - 1) + 0.5))]


def text_body(customer: str, message_id: str, text: str) -> bytes:
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": harness.DISPLAY_PHONE_NUMBER, "phone_number_id": harness.PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": customer}],
            "messages": [{"from": customer, "id": message_id, "timestamp": str(int(time.time())), "type": "text",
                          "text": {"body": text}}]}}]}],
    }).encode()


def status_body(customer: str, message_id: str) -> bytes:
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": harness.DISPLAY_PHONE_NUMBER, "phone_number_id": harness.PHONE_NUMBER_ID},
            "statuses": [{"id": message_id, "status": "delivered", "timestamp": str(int(time.time())),
                          "recipient_id": customer, "conversation": {"id": "soak", "origin": {"type": "service"}},
                          "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"}}]}}]}],
    }).encode()


class Client:
    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, body: bytes) -> int:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": harness.sign(body)}
        for attempt in range(2):
            try:
                self.connection.request("POST", "/webhooks/whatsapp", body=body, headers=headers)
                response = self.connection.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    return 0
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=40, help="customer messages per second")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=None, help="seconds after which the baseline RSS is read")
    parser.add_argument("--duplicates", type=float, default=0.01, help="share of deliveries sent twice")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--output", default="bench-results/soak.json")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    rng = random.Random(seed)
    warmup = args.warmup if args.warmup is not None else min(60.0, args.seconds / 10)

    parent_end, child_end = multiprocessing.Pipe()
    fakes = multiprocessing.get_context("fork").Process(target=fakes_process, args=(child_end,), daemon=True)
    fakes.start()
    endpoints = parent_end.recv()
    daemon = SoakDaemon(binary=Path(args.binary), llm=FakesHandle(endpoints["llm"]),
                        graph=FakesHandle(endpoints["graph"], endpoints["token"]), log_level="warning")
    daemon.start()
    seed_document(daemon)  # without a passage to answer from, a customer is handed to a person after two misses
    pid = daemon.process.pid
    database = Path(daemon.data_dir) / "balcao.sqlite"
    wal = Path(str(database) + "-wal")
    rss_boot = rss_kib(pid)
    print(f"soak: {args.seconds:.0f} s at {args.rate:g} messages/s from {args.customers} customers, "
          f"{args.connections} connections, seed {seed}; daemon pid {pid} on {daemon.base_url}", flush=True)

    total = int(args.seconds * args.rate)
    lock = threading.Lock()
    next_slot = [0]
    webhook_latencies: list[float] = []
    status_latencies: list[float] = []
    sent_at: dict[str, list[float]] = {}          # customer -> request start of each distinct message, in order
    non_200: dict[int, int] = {}
    accepted = [0]
    duplicates_sent = [0]
    statuses_sent = [0]
    status_queue: list[tuple[str, str]] = []
    started = time.monotonic()
    stop_status = threading.Event()

    def worker(index: int) -> None:
        client = Client(daemon.port)
        local_rng = random.Random(seed * 1000 + index)
        while True:
            with lock:
                slot = next_slot[0]
                next_slot[0] += 1
            if slot >= total:
                return
            due = started + slot / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            customer = f"55119{slot % args.customers:08d}"
            body = text_body(customer, f"wamid.SOAK.{seed}.{slot}", f"Qual o prazo para devolução? ({slot})")
            with lock:
                sent_at.setdefault(customer, []).append(0.0)
                position = len(sent_at[customer]) - 1
            begin = time.monotonic()
            with lock:
                sent_at[customer][position] = begin
            status = client.post(body)
            elapsed = time.monotonic() - begin
            with lock:
                webhook_latencies.append(elapsed)
                if status == 200:
                    accepted[0] += 1
                else:
                    non_200[status] = non_200.get(status, 0) + 1
            if local_rng.random() < args.duplicates:
                again = client.post(body)   # the same bytes again: must not be answered twice
                with lock:
                    duplicates_sent[0] += 1
                    if again != 200:
                        non_200[again] = non_200.get(again, 0) + 1

    replies: list[tuple[str, float, str]] = []

    def status_sender() -> None:
        client = Client(daemon.port)
        while not stop_status.is_set() or status_queue:
            with lock:
                batch = status_queue[:]
                status_queue.clear()
            if not batch:
                time.sleep(0.05)
                continue
            for customer, message_id in batch:
                begin = time.monotonic()
                status = client.post(status_body(customer, message_id))
                with lock:
                    status_latencies.append(time.monotonic() - begin)
                    statuses_sent[0] += 1
                    if status != 200:
                        non_200[status] = non_200.get(status, 0) + 1

    def collect_replies() -> None:
        parent_end.send("replies")
        fresh = parent_end.recv()
        replies.extend(fresh)
        with lock:
            status_queue.extend((to, message_id) for to, _, message_id in fresh)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.connections)]
    status_thread = threading.Thread(target=status_sender, daemon=True)
    for thread in threads:
        thread.start()
    status_thread.start()

    samples: list[dict] = []
    rss_warm = None
    last_print = started
    while any(thread.is_alive() for thread in threads):
        time.sleep(1)
        collect_replies()
        now = time.monotonic()
        elapsed = now - started
        if daemon.process.poll() is not None:
            print(f"the daemon exited with {daemon.process.returncode} after {elapsed:.0f} s")
            break
        rss = rss_kib(pid)
        samples.append({"t": round(elapsed, 1), "rss_kib": rss, "sqlite_bytes": file_size(database),
                        "wal_bytes": file_size(wal), "accepted": accepted[0], "replies": len(replies)})
        if rss_warm is None and elapsed >= warmup:
            rss_warm = rss
        if now - last_print >= 30:
            last_print = now
            print(f"  {elapsed:5.0f} s: {accepted[0]} accepted, {len(replies)} replies, RSS {rss / 1024:.1f} MiB, "
                  f"db {file_size(database) / 2**20:.1f} MiB, WAL {file_size(wal) / 2**20:.1f} MiB", flush=True)
    load_seconds = time.monotonic() - started
    sent_messages = next_slot[0] if next_slot[0] < total else total

    # Let the last replies arrive (bounded), then settle a few seconds more for any duplicate.
    expected = sum(len(times) for times in sent_at.values())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(replies) < expected and daemon.process.poll() is None:
        time.sleep(0.5)
        collect_replies()
    time.sleep(3)
    collect_replies()
    stop_status.set()
    status_thread.join(timeout=60)
    time.sleep(1)
    alive = daemon.process.poll() is None
    rss_end = rss_kib(pid) if alive else 0
    sqlite_bytes, wal_bytes = file_size(database), file_size(wal)

    # Lost and duplicated: per customer, replies beyond the messages sent are duplicates, fewer are lost.
    by_customer: dict[str, list[float]] = {}
    for to, at, _ in replies:
        by_customer.setdefault(to, []).append(at)
    lost = duplicated = 0
    reply_latencies: list[float] = []
    for customer, starts in sent_at.items():
        got = sorted(by_customer.get(customer, []))
        lost += max(0, len(starts) - len(got))
        duplicated += max(0, len(got) - len(starts))
        for start, at in zip(starts, got):
            reply_latencies.append(at - start)
    strangers = sum(len(v) for k, v in by_customer.items() if k not in sent_at)
    duplicated += strangers

    status = daemon.stop()
    parent_end.send("stop")
    parent_end.recv()
    fakes.join(timeout=10)

    rss_base = rss_warm or rss_boot
    growth = (rss_end - rss_base) / rss_base * 100 if rss_base and rss_end else float("nan")
    rate = accepted[0] / load_seconds
    p50, p99 = percentile(webhook_latencies, 50) * 1000, percentile(webhook_latencies, 99) * 1000
    r50, r99 = percentile(reply_latencies, 50) * 1000, percentile(reply_latencies, 99) * 1000
    s99 = percentile(status_latencies, 99) * 1000

    print()
    print(f"soak: {load_seconds:.0f} s, target {args.rate:g} messages/s, {args.customers} customers, "
          f"{duplicates_sent[0]} duplicate deliveries, {statuses_sent[0]} status webhooks, zero-latency fakes, {args.binary}")
    print("| accepted/s | webhook p50 ms | webhook p99 ms | message→reply p50 ms | message→reply p99 ms | RSS start MiB | "
          "RSS end MiB | RSS growth | SQLite MiB | WAL MiB | lost | duplicated | non-200 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {rate:.1f} | {p50:.2f} | {p99:.2f} | {r50:.1f} | {r99:.1f} | {rss_base / 1024:.1f} | {rss_end / 1024:.1f} | "
          f"{growth:+.1f} % | {sqlite_bytes / 2**20:.1f} | {wal_bytes / 2**20:.1f} | {lost} | {duplicated} | "
          f"{sum(non_200.values())} |")
    print(f"RSS at boot {rss_boot / 1024:.1f} MiB; the start figure is read after {warmup:.0f} s of load. "
          f"Messages {sent_messages}, replies {len(replies)}, status webhook p99 {s99:.2f} ms. Daemon exit status {status}.")

    goals = [
        {"goal": "RSS growth from start (after warm-up) to end (%)", "measured": round(growth, 2), "target": 10,
         "met": bool(growth <= 10)},
        {"goal": "webhook p99 latency (ms)", "measured": round(p99, 3), "target": 50, "met": bool(p99 <= 50)},
        {"goal": "lost replies", "measured": lost, "target": 0, "met": lost == 0},
        {"goal": "duplicated replies", "measured": duplicated, "target": 0, "met": duplicated == 0},
        {"goal": "every delivery accepted (non-200 count)", "measured": sum(non_200.values()), "target": 0,
         "met": not non_200},
        {"goal": "sustained the offered rate (accepted/s ÷ target messages/s)", "measured": round(rate / args.rate, 3),
         "target": 0.98, "met": bool(rate / args.rate >= 0.98)},
        {"goal": "daemon alive at the end and stopped cleanly by SIGTERM", "measured": status, "target": 0,
         "met": alive and status == 0},
    ]
    report = {
        "seconds": round(load_seconds, 1), "target_rate": args.rate, "customers": args.customers,
        "connections": args.connections, "seed": seed, "messages": sent_messages,
        "duplicate_deliveries": duplicates_sent[0], "status_webhooks": statuses_sent[0],
        "accepted": accepted[0], "accepted_per_s": rate, "non_200": {str(k): v for k, v in non_200.items()},
        "webhook_p50_ms": p50, "webhook_p99_ms": p99, "webhook_max_ms": max(webhook_latencies, default=0) * 1000,
        "status_webhook_p99_ms": s99,
        "reply_p50_ms": r50, "reply_p99_ms": r99, "replies": len(replies), "lost": lost, "duplicated": duplicated,
        "rss_boot_kib": rss_boot, "rss_start_kib": rss_base, "rss_end_kib": rss_end, "rss_growth_percent": growth,
        "warmup_seconds": warmup, "sqlite_bytes": sqlite_bytes, "wal_bytes": wal_bytes,
        "daemon_exit_status": status, "samples": samples, "goals": goals,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"wrote {output}")
    for goal in goals:
        print(f"  {'met' if goal['met'] else 'NOT MET'}: {goal['goal']}: {goal['measured']} (target {goal['target']})")
    shutil.rmtree(daemon.scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
