#!/usr/bin/env python3
"""Health-probe latency while the emit API is loaded and a webhook spools for a
dead receiver (item 6 of "Nothing lost, nothing crashes"). A benchmark, not a
test: it prints figures and asserts nothing.

    tests/plugins/endpoint-webhook/health_latency.py BUILD_DIR [--rate 2000] [--seconds 20]

Starts BUILD_DIR's araldo with endpoint-http -> endpoint-webhook (spool: true,
url: a port that refuses; --schedule "[0s, 1s, 2s]" writes dead letters too),
POSTs `rate` messages a second from sender threads on kept-alive
connections, and GETs /_health/ every 100 ms on its own connection, timing
each probe from send to the last byte of the reply.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--schedule", default="[0s, 1h]",
                    help="retry-schedule of the webhook; [0s, 1s, 2s] also writes dead letters during the run")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (config, stderr, data)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="araldo-health-")
    dead = free_port()
    cfg = os.path.join(work, "araldo.yaml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  server-port: 0
  log-level: warn
  data-dir: "{work}/data"
plugins:
  araldo.endpoints.endpoint:
    - {{name: emit, id: endpoint-http, path: /emit}}
    - {{name: hook, id: endpoint-webhook, url: "http://127.0.0.1:{dead}/hook", spool: true,
        queue-size: 100000, retry-schedule: {args.schedule}}}
routes:
  emit: [hook]
""")
    binary = os.path.join(args.build_dir, "core", "araldo")
    if not os.path.exists(binary):
        binary = os.path.join(args.build_dir, "araldo")
    err = open(os.path.join(work, "stderr"), "w+")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    proc = subprocess.Popen([binary, "-c", cfg, "--log-level", "info"], stderr=err, stdout=subprocess.DEVNULL, env=env)
    port = None
    for _ in range(200):
        err.seek(0)
        m = re.search(r" listening on [^ ]*:(\d+) ", err.read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)
    if port is None:
        proc.kill()
        sys.exit("araldo did not start")

    stop = threading.Event()
    counts = {"202": 0, "503": 0, "other": 0}
    lock = threading.Lock()

    def read_replies(sock, buf, n):
        """Reads n HTTP replies off a pipelined connection; returns their statuses and the rest."""
        statuses = []
        while len(statuses) < n:
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
                continue
            head = buf[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v)
            total = head_end + 4 + length
            while len(buf) < total:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            statuses.append(int(head.split(" ", 2)[1]))
            buf = buf[total:]
        return statuses, buf

    # Each sender writes a batch of pipelined POSTs every 10 ms (one write),
    # then reads their replies: Python keeps up with thousands a second so.
    def sender(share):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tick = 0.01
        per_tick = max(1, round(share * tick))
        next_at = time.monotonic()
        buf = b""
        i = 0
        while not stop.is_set():
            batch = []
            for _ in range(per_tick):
                body = ('{"type":"load","n":%d,"pad":"%s"}' % (i, "x" * 200)).encode()
                batch.append(b"POST /emit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                i += 1
            sock.sendall(b"".join(batch))
            statuses, buf = read_replies(sock, buf, per_tick)
            with lock:
                for st in statuses:
                    key = str(st) if st in (202, 503) else "other"
                    counts[key] += 1
            next_at += tick
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    threads = [threading.Thread(target=sender, args=(args.rate / args.senders,)) for _ in range(args.senders)]
    for t in threads:
        t.start()

    probe = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        probe.request("GET", "/_health/")
        r = probe.getresponse()
        r.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(max(0, 0.1 - (time.perf_counter() - t0)))
    stop.set()
    for t in threads:
        t.join()

    metrics = http.client.HTTPConnection("127.0.0.1", port)
    metrics.request("GET", "/metrics")
    text = metrics.getresponse().read().decode()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)

    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    sent = sum(counts.values())
    print(f"probes: {len(latencies)}  max {latencies[-1]:.2f} ms  p99 {p99:.2f} ms  "
          f"p50 {latencies[len(latencies) // 2]:.2f} ms")
    print(f"posted: {sent} in {args.seconds:.0f} s ({sent / args.seconds:.0f}/s): "
          f"202 {counts['202']}, 503 {counts['503']}, other {counts['other']}")
    for name in ("araldo_webhook_dead_letters_total", "araldo_webhook_writer_busy_total",
                 "araldo_messages_dropped_total", "araldo_webhook_spool_sync"):
        for line in text.splitlines():
            if line.startswith(name):
                print("  " + line)
    if args.keep:
        print("work folder: " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
