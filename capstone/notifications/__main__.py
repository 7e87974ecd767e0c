"""`python -m capstone.notifications --port 8001` (run it with its Dapr sidecar)."""

import argparse

import uvicorn

from capstone.notifications.app import create_app

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--port", type=int, default=8001)
args = parser.parse_args()
uvicorn.run(create_app(), host="127.0.0.1", port=args.port, log_level="warning")
