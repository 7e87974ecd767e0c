"""`python -m capstone.gateway --port 8000`: the gateway app (run it with its Dapr sidecar)."""

import argparse

import uvicorn

from capstone.gateway.app import create_app

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--port", type=int, default=8000)
parser.add_argument("--seed", action="store_true", help="add the demo customers and orders")
parser.add_argument("--notifications", action="store_true", help="also consume the pub/sub events")
args = parser.parse_args()
uvicorn.run(
    create_app(seed=args.seed, notifications=args.notifications),
    host="127.0.0.1",
    port=args.port,
    log_level="warning",
)
