#!/usr/bin/env bash
# Installs the tools capstone/tests/test_manifests.py needs, pinned. Idempotent; CI runs:
#   bash capstone/k8s/tools.sh   (tests look in ~/.cache/daca/bin; so does infra/scripts/test.sh)
# Needs Go >= 1.22 (kustomize is built from the Go module proxy; no GitHub download) and pip.
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.4.3}"
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
BIN="${DACA_BIN:-$HOME/.cache/daca/bin}"

mkdir -p "$BIN"
if ! "$BIN/kustomize" version >/dev/null 2>&1 || [ "$(cat "$BIN/.kustomize-version" 2>/dev/null)" != "$KUSTOMIZE_VERSION" ]; then
  GOBIN="$BIN" go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"
  echo "$KUSTOMIZE_VERSION" > "$BIN/.kustomize-version"
fi
python3 -m pip install --quiet "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}"
# checkov pins old versions of shared libraries (packaging, botocore): it gets a venv of its own
VENV="$(dirname "$BIN")/checkov-${CHECKOV_VERSION}"
if ! "$VENV/bin/checkov" --version >/dev/null 2>&1; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "checkov==${CHECKOV_VERSION}"
fi
ln -sf "$VENV/bin/checkov" "$BIN/checkov"
echo "kustomize ${KUSTOMIZE_VERSION} in $BIN; kubernetes-validate ${KUBERNETES_VALIDATE_VERSION}; checkov ${CHECKOV_VERSION}"
