"""Locust headless against the gateway with the scripted LLM, on real Dapr (embedded profile).

Reports requests/s and p50/p99 turn latency at each number of concurrent conversations, the
active conversation actors (from Dapr's metadata API) and the gateway's memory per active actor.
The gateway process is pinned to one core, so the figures are per core.

    python -m capstone.bench --users 50 200 --seconds 30
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from capstone.launcher import run_helpdesk

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _active_actors(dapr_http: str) -> int:
    metadata = httpx.get(f"{dapr_http}/v1.0/metadata", timeout=10).json()
    actors = metadata.get("actorRuntime", {}).get("activeActors") or metadata.get("actors") or []
    return sum(int(a.get("count", 0)) for a in actors if a.get("type") == "ConversationActor")


def _locust(host: str, users: int, seconds: int, folder: Path) -> dict[str, float]:
    prefix = folder / f"u{users}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--only-summary",
            "-u",
            str(users),
            "-r",
            str(max(users // 5, 1)),
            "-t",
            f"{seconds}s",
            "--host",
            host,
            "--csv",
            str(prefix),
        ],
        check=True,
        capture_output=True,
    )
    with open(f"{prefix}_stats.csv") as stats:
        total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    return {
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, run_helpdesk() as helpdesk:
        gateway = helpdesk.processes["gateway"].pid
        os.sched_setaffinity(gateway, {0})
        dapr_http = helpdesk.sidecars["gateway"]
        idle_mb = _rss_mb(gateway)
        print(f"gateway pinned to one core; idle RSS {idle_mb:.0f} MiB")
        print(
            f"{'conversations':>13} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'requests':>9} {'failed':>7} "
            f"{'actors':>7} {'MiB/actor':>9}"
        )
        for users in args.users:
            result = _locust(helpdesk.gateway_url, users, args.seconds, Path(tmp))
            actors = _active_actors(dapr_http)
            per_actor = (_rss_mb(gateway) - idle_mb) / actors if actors else 0.0
            print(
                f"{users:>13} {result['rps']:>7.1f} {result['p50']:>7.0f} {result['p99']:>7.0f} "
                f"{result['requests']:>9} {result['failures']:>7} {actors:>7} {per_actor:>9.3f}"
            )


if __name__ == "__main__":
    main()
