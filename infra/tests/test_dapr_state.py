"""State API against a real daprd: etag concurrency and transactions, on every state store we ship."""

import uuid

import pytest
from dapr.clients import DaprClient
from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._request import TransactionalStateOperation, TransactionOperationType
from dapr.clients.grpc._state import Concurrency, StateOptions

pytest_plugins = ["infra.dapr.pytest_plugin"]

STORES = [
    pytest.param(("embedded", "statestore"), id="embedded-inmemory"),
    pytest.param(("local", "statestore"), id="local-redis"),
    pytest.param(("local", "statestore-postgres"), id="local-postgres"),
]
FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)


@pytest.fixture(params=STORES)
def store(request, dapr_sidecar):
    components, name = request.param
    if components == "local":
        request.getfixturevalue("local_services")
    sidecar = dapr_sidecar("state-app", components=components)
    with DaprClient(sidecar.grpc_address) as client:
        yield client, name


def test_etag_rejects_a_stale_write(store):
    client, name = store
    key = f"order-{uuid.uuid4().hex}"
    client.save_state(name, key, "placed")
    first = client.get_state(name, key)
    assert first.data == b"placed" and first.etag

    client.save_state(name, key, "paid", etag=first.etag, options=FIRST_WRITE)
    with pytest.raises(DaprGrpcError) as stale:
        client.save_state(name, key, "cancelled", etag=first.etag, options=FIRST_WRITE)
    assert "etag" in str(stale.value).lower()
    assert client.get_state(name, key).data == b"paid"

    with pytest.raises(DaprGrpcError):
        client.delete_state(name, key, etag=first.etag)
    client.delete_state(name, key, etag=client.get_state(name, key).etag)
    assert client.get_state(name, key).data == b""


def test_transaction_applies_all_operations(store):
    client, name = store
    a, b = (f"{k}-{uuid.uuid4().hex}" for k in "ab")
    client.save_state(name, b, "to delete")
    client.execute_state_transaction(name, operations=[
        TransactionalStateOperation(key=a, data="created"),
        TransactionalStateOperation(key=b, data="", operation_type=TransactionOperationType.delete),
    ])
    assert client.get_state(name, a).data == b"created"
    assert client.get_state(name, b).data == b""


def test_transaction_with_a_stale_etag_changes_nothing(store):
    client, name = store
    a, b = (f"{k}-{uuid.uuid4().hex}" for k in "ab")
    client.save_state(name, a, "v1")
    stale = client.get_state(name, a).etag
    client.save_state(name, a, "v2")
    with pytest.raises(DaprGrpcError):
        client.execute_state_transaction(name, operations=[
            TransactionalStateOperation(key=b, data="new"),
            TransactionalStateOperation(key=a, data="v3", etag=stale),
        ])
    assert client.get_state(name, a).data == b"v2"
    if _is_redis(client, name):
        # Redis runs the operations in MULTI/EXEC, which does not roll back: the first upsert
        # stays. In-memory and PostgreSQL transactions are all-or-nothing.
        return
    assert client.get_state(name, b).data == b""


def _is_redis(client, name):
    components = client.get_metadata().registered_components
    return any(c.name == name and c.type == "state.redis" for c in components)
