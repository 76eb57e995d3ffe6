#!/usr/bin/env python3
"""Soak and faults (not CI): replicas of the release build on one MariaDB +
Redis + MongoDB, fixed-rate load with a retry storm, periodic SIGKILL of one
replica, then checks.

Load: every minute, fresh encrypted WeCom callbacks (signed then, from
`pmc-webhook simulate --write-requests`) and signed status callbacks for new
messages (sent, delivered, read, in a random order). Every request is sent 3
times, the copies to random replicas, as WeCom's retries and a load balancer
would. Every --kill-every seconds one replica (never replica 0, which is
watched) is killed with SIGKILL and restarted on its data directory.

Afterwards:
  - every acknowledged callback is stored: its dedupe key is in some replica's
    event log, and claimed exactly once in MySQL (dedupe_claims);
  - exactly once: no callback produced two interactions across replicas;
  - every message's final status is right (read) for every recipient;
  - replica 0's RSS is flat after warm-up (slope of a least-squares line over
    the second half, MB per 10 min) and its open file descriptors do not grow.

    bench/soak.py [--minutes 30] [--rate 30] [--replicas 2] [--kill-every 300]
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release" / "pmc-webhook"
TOKEN = "soak-token-read-write-000000000001"
STATUS_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_status(webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(STATUS_SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Replica:
    def __init__(self, index: int, env_file: Path, work: Path):
        self.index = index
        self.env_file = env_file
        self.data = work / f"replica-{index}"
        self.data.mkdir()
        self.port = free_port()
        self.process = None
        self.lock = threading.Lock()
        self.start()

    def start(self):
        log = open(self.data / "service.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN), "--env-file", str(self.env_file), "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"replica {self.index} did not start")

    def kill_and_restart(self, pause: float):
        with self.lock:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            time.sleep(pause)
            self.start()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def send(replicas, method, path, body: bytes, headers: dict) -> bool:
    """One attempt, to a random replica; falls over to the others as a load
    balancer would when one refuses connections."""
    order = random.sample(replicas, len(replicas))
    for replica in order:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=10)
            connection.request(method, path, body=body, headers=headers)
            status = connection.getresponse().status
            connection.close()
            return status in (200, 202)
        except OSError:
            continue
    return False


def api(replica, path):
    request = urllib.request.Request(f"http://127.0.0.1:{replica.port}{path}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def rss_and_fds(pid: int):
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def slope_per_10_min(samples):
    """Least-squares slope (MB per 10 min) over the second half of (t, value)."""
    half = samples[len(samples) // 2:]
    if len(half) < 3:
        return 0.0
    n = len(half)
    mean_t = sum(t for t, _ in half) / n
    mean_v = sum(v for _, v in half) / n
    var = sum((t - mean_t) ** 2 for t, _ in half)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in half)
    return cov / var * 600 if var else 0.0


def mysql(env, query):
    out = subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-P", env["MYSQL_PORT"], "-u", env["MYSQL_USER"],
         f"-p{env['MYSQL_PASSWORD']}", env["MYSQL_DATABASE"], "-N", "-B", "-e", query],
        check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=30, help="distinct requests per second (each sent 3×; ≤ ~34)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=300)
    parser.add_argument("--senders", type=int, default=16)
    args = parser.parse_args()
    if not BIN.exists():
        sys.exit(f"build first: cargo build --release (no {BIN})")
    work = Path(tempfile.mkdtemp(prefix="pmc-soak-"))
    print(f"work dir {work}")
    subprocess.run([str(ROOT / "tests/backends/up.sh"), str(work / "backends"), "24306", "27379", "28117"],
                   check=True, stdout=subprocess.DEVNULL)
    backend_env = {}
    for line in (work / "backends/env").read_text().splitlines():
        for pair in line.removeprefix("export ").split():
            name, _, value = pair.partition("=")
            backend_env[name] = value
    env_file = work / "soak.env"
    env_file.write_text((ROOT / "config/demo.env").read_text() + "\n" + "\n".join(
        [f"{k}={v}" for k, v in backend_env.items()]
        + ["PMC_STORAGE=external", f"PMC_API_TOKENS=rw:{TOKEN}", "PMC_CALLBACK_IPS=127.0.0.1", "LOG_LEVEL=warn",
           f"STATUS_WEBHOOK_SECRET={STATUS_SECRET}"]) + "\n")
    replicas = [Replica(i, env_file, work) for i in range(args.replicas)]
    watched = replicas[0]
    stop = threading.Event()
    samples = []
    acknowledged, sent = set(), set()
    messages = []
    counts = {"attempts": 0, "ok": 0, "kills": 0}
    lock = threading.Lock()

    def sampler():
        started = time.time()
        while not stop.is_set():
            rss, fds = rss_and_fds(watched.process.pid)
            samples.append((time.time() - started, rss, fds))
            stop.wait(10)

    def killer():
        victims = replicas[1:]
        while victims and not stop.wait(args.kill_every):
            victim = random.choice(victims)
            victim.kill_and_restart(pause=3)
            counts["kills"] += 1
            print(f"  SIGKILL + restart of replica {victim.index}", flush=True)

    threading.Thread(target=sampler, daemon=True).start()
    threading.Thread(target=killer, daemon=True).start()
    deadline = time.time() + args.minutes * 60
    minute = 0
    while time.time() < deadline:
        minute += 1
        chunk = work / f"requests-{minute}.txt"
        # 30 app callback types per round; a fifth of the load is status callbacks. System events
        # ("sys", CreateTime = now + round) dedupe on sender and second, as WeCom's do: more than
        # ~55 rounds would give the next chunk, made 60 s later, the same keys (true duplicates
        # that the exactly-once check would miscount), so a chunk has at most 55 rounds.
        rounds = max(1, min(55, int(args.rate * 60 * 0.8 / 30)))
        subprocess.run([str(BIN), "--env-file", str(ROOT / "config/demo.env"), "simulate", "--count", str(rounds),
                        "--write-requests", str(chunk)], check=True, stdout=subprocess.DEVNULL)
        work_items = []
        for line in chunk.read_text().splitlines():
            path, body = line.split("\t", 1)
            work_items.append(("cb", path, body.encode(), {"Content-Type": "text/xml"}))
        for n in range(int(args.rate * 60 * 0.2 / 3)):
            message = f"soak-{minute}-{n}"
            messages.append(message)
            for status in random.sample(["sent", "delivered", "read"], 3):
                body = json.dumps({"message_id": message, "recipient": "alice", "status": status}).encode()
                webhook_id = f"{message}-{status}"
                work_items.append(("st", "/api/v1/webhooks/status", body, {
                    "Content-Type": "application/json", "webhook-id": webhook_id,
                    "webhook-timestamp": "{ts}", "webhook-signature": "{sig}"}))
        random.shuffle(work_items)
        per_second = len(work_items) / 60
        queue = list(enumerate(work_items))
        queue_lock = threading.Lock()
        chunk_started = time.time()

        def sender():
            while True:
                with queue_lock:
                    if not queue:
                        return
                    index, item = queue.pop()
                due = chunk_started + index / per_second
                if due > time.time():
                    time.sleep(due - time.time())
                kind, path, body, headers = item
                key = path
                ok = False
                for _ in range(3):  # the retry storm: every request three times
                    if kind == "st":
                        ts = int(time.time())
                        headers = dict(headers, **{"webhook-timestamp": str(ts),
                                                   "webhook-signature": sign_status(headers["webhook-id"], ts, body)})
                        key = headers["webhook-id"]
                    ok = send(replicas, "POST", path, body, headers) or ok
                    with lock:
                        counts["attempts"] += 1
                with lock:
                    sent.add(key)
                    if ok:
                        acknowledged.add(key)
                        counts["ok"] += 1

        threads = [threading.Thread(target=sender) for _ in range(args.senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rss, fds = rss_and_fds(watched.process.pid)
        print(f"minute {minute}: {len(work_items)} distinct requests, {counts['attempts']} attempts so far, "
              f"replica 0 RSS {rss:.0f} MB, {fds} fds", flush=True)
    stop.set()

    print("load done; waiting for every replica to apply what it stored …", flush=True)
    for replica in replicas:
        for _ in range(600):
            actors = api(replica, "/api/v1/actors")
            if actors.get("pending_units", 1) == 0 and actors.get("checkpoint") == actors.get("event_log_head"):
                break
            time.sleep(1)
    failures = []
    # Nothing lost, stored once: dedupe keys in the logs vs claims in MySQL.
    keys, instances = {}, {}
    for replica in replicas:
        instance = (replica.data / "instance_id").read_text().strip()
        db = sqlite3.connect(replica.data / "events.db")
        for event_id, key, callback_type in db.execute("SELECT id, dedupe_key, callback_type FROM events"):
            keys.setdefault(key, callback_type)
            instances[(instance, event_id)] = key
    claimed = {row[0] for row in mysql(backend_env, "SELECT key_hash FROM dedupe_claims")}
    unclaimed = [key for key in keys if hashlib.sha1(key.encode()).hexdigest() not in claimed]
    if unclaimed:
        failures.append(f"{len(unclaimed)} stored callbacks never claimed in MySQL, e.g. {unclaimed[:3]}")
    status_keys = {key for key in keys if keys[key] == "status.update"}
    lost_status = [key for key in acknowledged if key.startswith("soak-") and not any(key in k for k in status_keys)]
    if lost_status:
        failures.append(f"{len(lost_status)} acknowledged status callbacks not in any event log")
    callbacks_acknowledged = len([key for key in acknowledged if not key.startswith("soak-")])
    callbacks_stored = len([key for key in keys if keys[key] != "status.update"])
    if callbacks_stored < callbacks_acknowledged:
        failures.append(f"only {callbacks_stored} WeCom callbacks stored for {callbacks_acknowledged} acknowledged")
    # Exactly once: interactions per dedupe key.
    seen = {}
    for origin, event_id in mysql(backend_env, "SELECT origin, event_id FROM interactions"):
        key = instances.get((origin, int(event_id)))
        seen[key] = seen.get(key, 0) + 1
    twice = {key: n for key, n in seen.items() if n > 1}
    if twice:
        failures.append(f"{len(twice)} callbacks gave more than one interaction, e.g. {list(twice.items())[:3]}")
    # Every state right.
    wrong = [row for row in mysql(backend_env, "SELECT message_id, status FROM recipients WHERE message_id LIKE 'soak-%'")
             if row[1] != "read"]
    tracked = mysql(backend_env, "SELECT COUNT(*) FROM recipients WHERE message_id LIKE 'soak-%'")[0][0]
    if wrong:
        failures.append(f"{len(wrong)} recipients not read, e.g. {wrong[:3]}")
    if int(tracked) != len(messages):
        failures.append(f"{tracked} of {len(messages)} messages tracked")
    # Every sample, for a closer look at the trend than one slope gives.
    (work / "samples.csv").write_text(
        "seconds,rss_mb,fds\n" + "".join(f"{t:.0f},{rss:.1f},{fds}\n" for t, rss, fds in samples))
    rss_every_10_min = [round(rss) for t, rss, _ in samples if int(t) % 600 < 10]
    rss_slope = slope_per_10_min([(t, rss) for t, rss, _ in samples])
    fd_slope = slope_per_10_min([(t, fds) for t, _, fds in samples])
    for replica in replicas:
        replica.stop()
    subprocess.run([str(ROOT / "tests/backends/down.sh"), str(work / "backends")], check=False)
    print(json.dumps({
        "minutes": args.minutes, "replicas": args.replicas, "kills": counts["kills"],
        "distinct_requests": len(sent), "attempts": counts["attempts"], "acknowledged": len(acknowledged),
        "wecom_callbacks_stored": callbacks_stored, "wecom_callbacks_acknowledged": callbacks_acknowledged,
        "claims": len(claimed), "interactions": sum(seen.values()), "messages_read": len(messages) - len(wrong),
        "rss_mb_first_last": [round(samples[0][1]), round(samples[-1][1])] if samples else None,
        "rss_mb_every_10_min": rss_every_10_min,
        "rss_slope_mb_per_10min_second_half": round(rss_slope, 2),
        "samples": str(work / "samples.csv"),
        "fds_first_last": [samples[0][2], samples[-1][2]] if samples else None,
        "fd_slope_per_10min_second_half": round(fd_slope, 2),
        "failures": failures,
    }, indent=2))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
