"""`serve_app`: a student's ASGI app served over real HTTP from inside the sandbox."""

import httpx
import pytest

from graders.course import find_root
from graders.labspec import Limits
from graders.sandbox.client import StudentCodeError, Zygote

APP = """
from contextlib import asynccontextmanager
from fastapi import FastAPI

@asynccontextmanager
async def lifespan(app):
    app.state.ready = True
    yield

app = FastAPI(lifespan=lifespan)

@app.get("/healthz")
def healthz():
    return {"status": "ok", "ready": app.state.ready}

@asynccontextmanager
async def broken(app):
    raise RuntimeError("no database")
    yield

failing = FastAPI(lifespan=broken)

def create_app():
    return app
"""


@pytest.fixture(scope="module")
def zygote():
    z = Zygote.start(["fastapi", "uvicorn"])
    yield z
    z.stop()


@pytest.fixture
def serve(zygote, tmp_path):
    source = tmp_path / "api.py"
    source.write_text(APP)
    # network allowed: otherwise the sandbox has its own network namespace, out of the tests' reach
    sandbox = zygote.open({"api.py": source}, Limits(timeout=20, network=True), hide=[str(find_root())])
    helpers = sandbox.request({"op": "import", "module": "graders.sandbox.helpers"}, 10, "import")["ref"]
    serve_app = sandbox.request({"op": "getattr", "ref": helpers, "name": "serve_app"}, 5, "serve_app")["ref"]

    def call(target, **kwargs):
        request = {"op": "call", "ref": serve_app, "args": [target], "kwargs": kwargs}
        url = sandbox.request(request, 15, "serve_app()")["ref"]
        return sandbox.request({"op": "value", "ref": url}, 5, "url")["value"]

    yield call
    sandbox.remove()


def test_the_app_answers_http_from_the_sandbox(serve):
    url = serve("api:app")
    assert url.startswith("http://127.0.0.1:")
    response = httpx.get(f"{url}/healthz", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok", "ready": True}
    assert httpx.get(f"{url}/nope", timeout=5).status_code == 404
    second = serve("api:create_app", factory=True)  # each call its own port
    assert second != url and httpx.get(f"{second}/healthz", timeout=5).status_code == 200


def test_a_failing_startup_or_a_bad_target_is_reported(serve):
    with pytest.raises(StudentCodeError, match="stopped while starting"):
        serve("api:failing")
    with pytest.raises(StudentCodeError, match="module:attribute"):
        serve("api")
    with pytest.raises(StudentCodeError, match="AttributeError"):
        serve("api:missing")


def test_the_server_ends_with_the_sandbox(zygote, tmp_path):
    source = tmp_path / "api.py"
    source.write_text(APP)
    sandbox = zygote.open({"api.py": source}, Limits(timeout=20, network=True), hide=[str(find_root())])
    helpers = sandbox.request({"op": "import", "module": "graders.sandbox.helpers"}, 10, "import")["ref"]
    fn = sandbox.request({"op": "getattr", "ref": helpers, "name": "serve_app"}, 5, "serve_app")["ref"]
    ref = sandbox.request({"op": "call", "ref": fn, "args": ["api:app"]}, 15, "serve_app()")["ref"]
    url = sandbox.request({"op": "value", "ref": ref}, 5, "url")["value"]
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    sandbox.remove()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/healthz", timeout=2)
