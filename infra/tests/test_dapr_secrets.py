"""Secret stores on a real daprd: environment variables (embedded set) and a local file (local set)."""

from dapr.clients import DaprClient

pytest_plugins = ["infra.dapr.pytest_plugin"]


def test_env_secret_store(dapr_sidecar, monkeypatch):
    monkeypatch.setenv("DACA_SUPPORT_TOKEN", "s3cret")  # daprd inherits the environment
    sidecar = dapr_sidecar("secrets-env", components="embedded")
    with DaprClient(sidecar.grpc_address) as client:
        secret = client.get_secret("secretstore", "DACA_SUPPORT_TOKEN").secret
    assert secret == {"DACA_SUPPORT_TOKEN": "s3cret"}


def test_file_secret_store(local_services, dapr_sidecar):
    sidecar = dapr_sidecar("secrets-file", components="local")  # the set also holds Redis etc.
    with DaprClient(sidecar.grpc_address) as client:
        secret = client.get_secret("secretstore", "postgres:url").secret
    assert secret == {"postgres:url": "postgresql://daca:daca@127.0.0.1:5432/daca"}
