#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine, idempotent: the project and its dev tools,
# Redis/PostgreSQL/RabbitMQ, the pinned Dapr binaries, Chromium, and the manifest checkers.
set -euo pipefail
cd "$(dirname "$0")/../.."
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'
bash infra/services/up.sh                    # Redis, PostgreSQL, RabbitMQ on loopback
python3 -m infra.dapr install                # daprd, placement, scheduler (built with Go if missing)
if ! command -v chromium >/dev/null 2>&1; then  # the chat page's browser test
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
bash capstone/k8s/tools.sh                   # kustomize, kubernetes-validate, checkov
