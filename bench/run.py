#!/usr/bin/env python3
"""Warden against nginx and against going direct, all on loopback, in one run.

Starts bench_upstream (the fake LLM API), nginx as a plain reverse proxy, and
Warden with four policy set-ups; measures every target with bench_load,
interleaved, over several rounds; prints medians as tables with ratios to
nginx and to direct, checks the targets of issue 8, and writes the report
(with machine, versions and commit) to bench/results/. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name → the policy section of Warden's config (None: not Warden)
POLICIES = {
    "noop": "policy: { type: noop }",
    "all_caps": "policy: { type: all_caps }",
    "tool_filter": """policy:
  type: tool_filter
  deny:
    - { tool: Bash, argument_pattern: 'rm\\s+-rf' }
    - "mcp__*"
""",
    "chain": """policy:
  type: chain
  policies:
    - type: tool_filter
      deny:
        - { tool: Bash, argument_pattern: 'rm\\s+-rf' }
        - "mcp__*"
    - type: blocked_content
      patterns: [ 'sk-ant-[A-Za-z0-9_-]{20,}' ]
    - type: string_replacement
      replacements:
        - { find: "ACME Corp", replace: "the customer" }
""",
}

# name → (shape, connections, pace_ms): the closed-loop runs of every round.
SCENARIOS = {
    "text64": ("text", 64, 0),      # Anthropic SSE, 50 text deltas, unpaced
    "tool64": ("tool", 64, 0),      # Anthropic tool_use SSE, 50 input_json_delta pieces
    "openai64": ("openai", 64, 0),  # OpenAI SSE
    "json64": ("json", 64, 0),      # non-streaming
    "text1": ("text", 1, 0),        # one connection: the overhead alone
    "paced64": ("text", 64, 20),    # 64 streams paced like a model, 20 ms per delta
}
HOLD_LEVELS = (1000, 5000, 10000)
HOLD_TARGETS = ("direct", "nginx", "warden-noop")


def hold_pace(level):
    """20 ms per delta up to 1,000 streams, then slower so that all streams
    together stay at 50,000 deltas/s: beyond that this 2-core machine's
    loopback saturates even going direct (bench/README.md)."""
    return max(20, level * 20 // 1000)


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Target:
    def __init__(self, name, port, pids, proc=None):
        self.name, self.port, self.pids, self.proc = name, port, pids, proc
        self.recorder_tid = None  # Warden's recording thread, watched on its own


def cpu_ticks(path):
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def thread_id(pid, name):
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() == name:
                return int(tid)
    return None


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="warden-bench-")
        self.procs = []
        self.threads = args.threads or os.cpu_count()
        self.tools = os.path.join(args.build, "bench", "tools")
        self.warden = os.path.join(args.build, "src", "warden")

    def spawn(self, argv, **kw):
        out = open(os.path.join(self.work, os.path.basename(argv[0]) + ".log"), "ab")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=out, **kw)
        self.procs.append(proc)
        return proc

    def start_upstream(self):
        port = free_port()
        proc = self.spawn([os.path.join(self.tools, "bench_upstream"), "--port", str(port),
                           "--threads", "1"])
        wait_port(port, proc)
        return Target("direct", port, [proc.pid], proc)

    def start_nginx(self, upstream_port):
        port = free_port()
        root = os.path.join(self.work, "nginx")
        os.makedirs(root, exist_ok=True)
        conf = os.path.join(root, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes {self.threads};
worker_rlimit_nofile {resource.getrlimit(resource.RLIMIT_NOFILE)[1]};
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 20000; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  upstream llm {{ server 127.0.0.1:{upstream_port}; keepalive 1024; }}
  server {{
    listen 127.0.0.1:{port} backlog=16384;
    location / {{
      proxy_pass http://llm;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 600s;
    }}
  }}
}}
""")
        proc = self.spawn(["nginx", "-c", conf, "-p", root])
        wait_port(port, proc)
        time.sleep(0.3)  # the workers
        workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)],
                                                  capture_output=True, text=True).stdout.split()]
        return Target("nginx", port, workers, proc)

    def start_warden(self, policy, upstream_port):
        port = free_port()
        data = os.path.join(self.work, "warden-" + policy)
        os.makedirs(data, exist_ok=True)
        conf = os.path.join(data, "warden.yaml")
        with open(conf, "w") as f:
            f.write(f"""listen: 127.0.0.1:{port}
threads: {self.threads}
data_dir: {data}
log_level: warn
providers:
  anthropic: {{ dialect: anthropic, base_url: "http://127.0.0.1:{upstream_port}" }}
  openai: {{ dialect: openai, base_url: "http://127.0.0.1:{upstream_port}/v1" }}
{POLICIES[policy]}""")
        proc = self.spawn([self.warden, "serve", "--config", conf])
        wait_port(port, proc)
        target = Target("warden-" + policy, port, [proc.pid], proc)
        target.idle_rss_kb = rss_kb(proc.pid)
        target.recorder_tid = thread_id(proc.pid, "warden-record")
        return target

    def load(self, target, shape, connections, pace_ms, duration, warmup, ramp=4000):
        argv = [os.path.join(self.tools, "bench_load"), "--url", f"http://127.0.0.1:{target.port}",
                "--shape", shape, "--connections", str(connections), "--pace-ms", str(pace_ms),
                "--duration", str(duration), "--warmup", str(warmup), "--ramp", str(ramp)]
        for pid in target.pids:
            argv += ["--watch-pid", str(pid)]
        # /proc/TID/stat counts the whole process: the recorder's own share
        # comes from /proc/PID/task/TID/stat, over the whole run.
        rec_path = (f"/proc/{target.pids[0]}/task/{target.recorder_tid}/stat"
                    if target.recorder_tid else None)
        before = (cpu_ticks(rec_path), cpu_ticks(f"/proc/{target.pids[0]}/stat")) if rec_path else None
        done = subprocess.run(argv, capture_output=True, text=True,
                              timeout=duration + warmup + 120)
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"bench_load failed on {target.name}: {done.stderr[-2000:]}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
        # The process totals, and apart from them the recorder thread's share.
        run["cpu_us"] = sum(run["watch"][str(p)]["cpu_us"] for p in target.pids)
        run["recorder_cpu_us"] = 0
        if before:
            rec = cpu_ticks(rec_path) - before[0]
            whole = cpu_ticks(f"/proc/{target.pids[0]}/stat") - before[1]
            run["recorder_cpu_us"] = run["cpu_us"] * rec / whole if whole else 0
        run["rss_start_kb"] = sum(run["watch"][str(p)]["rss_start_kb"] for p in target.pids)
        run["rss_peak_kb"] = sum(run["watch"][str(p)]["rss_peak_kb"] for p in target.pids)
        return run

    def stop_one(self, target):
        target.proc.send_signal(signal.SIGTERM)
        target.proc.wait(timeout=30)

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(run):
    requests = max(run["requests"], 1)
    return {
        "rps": run["rps"],
        "errors": run["errors"],
        "requests": run["requests"],
        "cpu_us_per_req": run["cpu_us"] / requests,
        "recorder_us_per_req": run["recorder_cpu_us"] / requests,
        "ttfb_p50": run["ttfb_us"]["p50"], "ttfb_p99": run["ttfb_us"]["p99"],
        "delta_p50": run["first_delta_us"]["p50"], "delta_p99": run["first_delta_us"]["p99"],
        "total_p50": run["latency_us"]["p50"], "total_p99": run["latency_us"]["p99"],
        "first_error": run.get("first_error", ""),
    }


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(argv):
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (done.stdout + done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    commit = version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "fd_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        "nginx": version(["nginx", "-v"]), "compiler": version(["c++", "--version"]),
        "commit": commit + ("+dirty" if dirty else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def fmt(value, unit=""):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.1f}{unit}" if abs(value) >= 10 else f"{value:.2f}{unit}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "–"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(meta, med, holds, idle, targets, args):
    out = [f"# Warden benchmark, {meta['date']}", "",
           f"Commit `{meta['commit']}`; {meta['cores']} cores ({meta['cpu']}), {meta['memory_gb']} GiB, "
           f"Linux {meta['kernel']}; {meta['nginx']}; {meta['compiler']}; fd hard limit {meta['fd_limit']}. "
           f"All on 127.0.0.1: bench_upstream (1 thread), nginx ({args.threads_used} workers, "
           f"proxy_buffering off), Warden ({args.threads_used} I/O threads, recording to SQLite on, "
           f"its default), bench_load (1 thread). Medians of {args.rounds} interleaved rounds of "
           f"{args.duration} s each (after {args.warmup} s warm-up).", ""]

    def get(target, scenario, key):
        return med.get((target, scenario), {}).get(key)

    out += ["## Throughput at 64 connections (requests/s; ratio to nginx)", ""]
    rows = []
    for t in targets:
        row = [t]
        for s in ("text64", "tool64", "openai64", "json64"):
            v = get(t, s, "rps")
            row.append(f"{fmt(v)} ({ratio(v, get('nginx', s, 'rps'))})")
        rows.append(row)
    out += [table(["target", "Anthropic text SSE", "Anthropic tool_use SSE", "OpenAI SSE",
                   "non-streaming JSON"], rows), ""]

    out += ["## CPU per request (µs of the target's processes; ratio to nginx)", "",
            "Direct is the upstream's own CPU; the others are the proxy's alone. For Warden, "
            "the part in brackets after the ratio is its recording thread's share (SQLite).", ""]
    rows = []
    for t in targets:
        row = [t]
        for s in ("text64", "tool64", "openai64", "json64"):
            v = get(t, s, "cpu_us_per_req")
            rec = get(t, s, "recorder_us_per_req")
            row.append(f"{fmt(v)} ({ratio(v, get('nginx', s, 'cpu_us_per_req'))})"
                       + (f" [rec. {fmt(rec)}]" if rec else ""))
        rows.append(row)
    out += [table(["target", "text SSE", "tool_use SSE", "OpenAI SSE", "JSON"], rows), ""]

    for scenario, title in (("text1", "1 connection, unpaced text stream"),
                            ("paced64", "64 connections, streams paced at 20 ms per delta")):
        out += [f"## Latency: {title} (µs; added over direct in brackets)", ""]
        rows = []
        for t in targets:
            row = [t]
            for key in ("ttfb_p50", "ttfb_p99", "delta_p50", "delta_p99", "total_p50", "total_p99"):
                v, d = get(t, scenario, key), get("direct", scenario, key)
                row.append(fmt(v) if t == "direct" or v is None or d is None
                           else f"{fmt(v)} (+{fmt(v - d)})")
            rows.append(row)
        out += [table(["target", "TTFB p50", "TTFB p99", "first delta p50", "first delta p99",
                       "total p50", "total p99"], rows), ""]

    out += ["## Concurrent paced streams (50 deltas each, closed loop; Warden restarted fresh)", "",
            "Paced at 20 ms per delta up to 1,000 streams, then slower so that the total stays "
            "at 50,000 deltas/s (the pace column).", ""]
    rows = []
    for (t, level), h in sorted(holds.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        direct = holds.get(("direct", level))
        added = (h["total_p99"] - direct["total_p99"]) if direct and t != "direct" else None
        per_k = ((h["rss_peak_kb"] - h["rss_start_kb"]) / max(h["peak_streams"], 1)
                 if t != "direct" else None)
        rows.append([t, f"{level:,}", f"{h['pace_ms']} ms", f"{h['peak_streams']:,}", h["errors"],
                     fmt(h["cpu_us_per_req"] / 50, " µs"),
                     fmt(h["total_p99"] / 1000, " ms"),
                     "–" if added is None else fmt(added / 1000, " ms"),
                     "–" if per_k is None else fmt(per_k, " KiB"), h.get("note", "")])
    out += [table(["target", "streams asked", "pace", "held at peak", "errors", "CPU per delta",
                   "stream time p99",
                   "added p99", "RSS per open stream", "note"], rows), ""]

    out += ["## Memory", "", table(["target", "RSS idle (fresh process)"],
                                   [[t, fmt(kb / 1024, " MiB")] for t, kb in idle.items()]), ""]

    failed = [(key, r) for key, r in med.items() if r["errors"]]
    if failed:
        out += ["## Errors in the runs above", ""]
        out += [f"- {t} {s}: {fmt(r['errors'])} errors (median), e.g. {r['first_error'][:120]}"
                for (t, s), r in failed]
        out += [""]
    checks = targets_met(med, holds, idle)
    out += ["## Targets (issue 8)", "", table(["target", "measured", "met"], checks), ""]
    return "\n".join(out), checks


def targets_met(med, holds, idle):
    def get(t, s, k):
        return med.get((t, s), {}).get(k)

    checks = []

    def check(name, value, ok):
        checks.append([name, value, "yes" if ok else "**no**"])

    n = get("nginx", "text64", "rps")
    for policy, floor in (("noop", 0.8), ("all_caps", 0.6)):
        w = get("warden-" + policy, "text64", "rps")
        if w and n:
            check(f"{policy}: streaming throughput ≥ {floor}× nginx", f"{w / n:.2f}×", w / n >= floor)
    w, ng = get("warden-noop", "text1", "delta_p99"), get("nginx", "text1", "delta_p99")
    if w is not None and ng is not None:
        check("noop: p99 first delta at 1 connection ≤ nginx + 0.1 ms",
              f"{fmt(w)} µs vs {fmt(ng)} µs (+{fmt(w - ng)} µs)", w <= ng + 100)
    w, ng = get("warden-noop", "text64", "cpu_us_per_req"), get("nginx", "text64", "cpu_us_per_req")
    if w and ng:
        check("noop: CPU per streamed request ≤ 1.5× nginx", f"{w / ng:.2f}×", w / ng <= 1.5)
    held = [lvl for (t, lvl), h in holds.items() if t == "warden-noop" and h["errors"] == 0
            and h["peak_streams"] >= lvl * 0.99]
    best = max(held) if held else 0
    check("10,000 concurrent paced streams, zero errors", f"{best:,} held with zero errors",
          best >= 10000)
    top = holds.get(("warden-noop", best)), holds.get(("direct", best))
    if top[0] and top[1]:
        added = (top[0]["total_p99"] - top[1]["total_p99"]) / 1000
        check(f"+p99 stream time ≤ 5 ms (at {best:,})", f"+{added:.2f} ms", added <= 5)
    if "warden-noop" in idle:
        mb = idle["warden-noop"] / 1024
        check("RSS idle ≤ 50 MB", f"{mb:.1f} MiB", mb <= 50)
    per = [((h["rss_peak_kb"] - h["rss_start_kb"]) / max(h["peak_streams"], 1), lvl)
           for (t, lvl), h in holds.items() if t == "warden-noop" and h["peak_streams"] > 0]
    if per:
        kb, lvl = per[-1] if len(per) == 1 else max(per, key=lambda p: p[1])
        check("RSS ≤ 20 KiB per open stream", f"{kb:.1f} KiB (at {lvl:,})", kb <= 20)
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--threads", type=int, default=0, help="Warden I/O threads = nginx workers")
    parser.add_argument("--hold", default=",".join(map(str, HOLD_LEVELS)),
                        help="concurrent paced stream levels ('' to skip)")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, holds of 1,000")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.hold = 1, 2, "1000"
    bench = Bench(args)
    args.threads_used = bench.threads
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it

    meta = machine()
    results, holds, idle = {}, {}, {}
    try:
        upstream = bench.start_upstream()
        targets = [upstream, bench.start_nginx(upstream.port)]
        for policy in args.policies.split(","):
            targets.append(bench.start_warden(policy, upstream.port))
            idle[targets[-1].name] = targets[-1].idle_rss_kb
        scenarios = [s for s in args.scenarios.split(",") if s]
        for rnd in range(args.rounds):
            for scenario in scenarios:
                shape, conns, pace = SCENARIOS[scenario]
                # A different order each round, so no target always runs first.
                order = targets[rnd % len(targets):] + targets[:rnd % len(targets)]
                for target in order:
                    run = bench.load(target, shape, conns, pace, args.duration, args.warmup)
                    s = summarize(run)
                    results.setdefault((target.name, scenario), []).append(s)
                    log(f"round {rnd + 1} {scenario:9} {target.name:18} {s['rps']:9.0f} req/s "
                        f"errors {s['errors']} cpu {s['cpu_us_per_req']:.0f} µs/req "
                        f"first delta p99 {s['delta_p99']} µs")
        # Concurrent streams against fresh processes, so that RSS grows from idle.
        hold_targets = [t for t in targets if t.name in HOLD_TARGETS and t.name != "warden-noop"]
        for t in targets:
            if t.name.startswith("warden-"):
                bench.stop_one(t)
        if "warden-noop" in HOLD_TARGETS:
            hold_targets.append(bench.start_warden("noop", upstream.port))
        for level in [int(x) for x in args.hold.split(",") if x]:
            pace = hold_pace(level)
            for target in hold_targets:
                ramp_s = level / 2000
                run = bench.load(target, "text", level, pace, max(args.duration, 75 * pace / 1000),
                                 ramp_s + 2, ramp=2000)
                h = summarize(run)
                h.update(peak_streams=run["peak_streams"], pace_ms=pace,
                         rss_start_kb=run["rss_start_kb"], rss_peak_kb=run["rss_peak_kb"])
                if h["errors"]:
                    h["note"] = (run.get("first_error") or json.dumps(run["error_kinds"]))[:80]
                holds[(target.name, level)] = h
                log(f"hold {level} {target.name:18} peak {h['peak_streams']} errors {h['errors']} "
                    f"p99 {h['total_p99']} µs rss {h['rss_start_kb']}→{h['rss_peak_kb']} KiB")
    finally:
        bench.stop()

    med = {key: {k: median([r[k] for r in runs]) if k != "first_error" else runs[-1][k]
                 for k in runs[0]} for key, runs in results.items()}
    names = [t.name for t in targets]
    text, checks = report(meta, med, holds, idle, names, args)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = os.path.join(args.out, f"{stamp}-{meta['commit'].replace('+', '-')}")
    with open(base + ".md", "w") as f:
        f.write(text + "\n")
    with open(base + ".json", "w") as f:
        json.dump({"machine": meta, "args": vars(args),
                   "runs": {f"{t}/{s}": r for (t, s), r in results.items()},
                   "holds": {f"{t}/{lvl}": h for (t, lvl), h in holds.items()},
                   "idle_rss_kb": idle}, f, indent=1)
    log(f"report written to {base}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
