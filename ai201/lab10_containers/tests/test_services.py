"""Tests for AI-201 lab 10, the compose file. Run them with `daca check 10`.

Graded statically: compose.yaml is loaded with PyYAML's safe loader and validated against the
Compose Specification's JSON schema in the grading sandbox; nothing is started. Run it yourself
with `docker compose up --build --wait` (see the README).
"""

import re

from graders import points, value

SECRET_NAME = re.compile(r"PASSW(?:OR)?D|SECRET|TOKEN|KEY", re.IGNORECASE)
# ${VAR}, ${VAR:?message}, ${VAR?message} or $VAR: a value supplied when compose runs. A default
# (${VAR:-value}) would put a literal back in the file, so it does not count.
INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}|\$[A-Za-z_][A-Za-z0-9_]*")
URL_PASSWORD = re.compile(r"://[^/:@\s]*:([^@\s]+)@")
POSTGRES_DATA = ("/var/lib/postgresql/data", "/var/lib/postgresql")


def _compose(student):
    parsed = value(student.helpers.parse_compose("compose.yaml"))
    services = parsed["data"].get("services")
    assert isinstance(services, dict) and services, "compose.yaml has no services yet"
    return parsed, services


def _repository(image):
    """`postgres` for postgres:16.4-alpine, docker.io/library/postgres@sha256:..., and so on."""
    return str(image).split("@")[0].rsplit("/", 1)[-1].split(":")[0]


def _pinned(image):
    image = str(image)
    if re.search(r"@sha256:[0-9a-f]{64}$", image):
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return bool(re.search(r"\d", tag)) and tag != "latest"


def _published(port, wanted="8000"):
    if isinstance(port, dict):
        return str(port.get("target")) == wanted and str(port.get("published", "")).split("-")[0] == wanted
    parts = str(port).split("/")[0].split(":")
    return len(parts) >= 2 and parts[-1] == wanted and parts[-2] == wanted


def _app(services):
    """The service built from the Dockerfile (`build:`); among several, `app` or the one on port 8000."""
    built = [n for n, s in services.items() if isinstance(s, dict) and "build" in s]
    assert built, "no service is built from your Dockerfile: give the app service `build: .`"
    if len(built) > 1:
        on_8000 = [n for n in built if any(_published(p) for p in services[n].get("ports") or [])]
        built = ["app"] if "app" in built else on_8000 or built
    return built[0]


def _service(services, repositories, what):
    names = [
        n
        for n, s in services.items()
        if isinstance(s, dict) and _repository(s.get("image", "")) in repositories
    ]
    assert names, f"no {what} service: add one with a pinned image, e.g. image: {what}:<version>"
    return names[0]


def _postgres(services):
    return _service(services, {"postgres", "postgresql"}, "postgres")


def _redis(services):
    return _service(services, {"redis", "valkey"}, "redis")


def _env(service):
    """A service's environment as a dict, from either the mapping or the list form."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = [str(item).partition("=") for item in env]
        return {k: (v if sep else None) for k, sep, v in pairs}
    return {str(k): (None if v is None else str(v)) for k, v in env.items()}


def _build_args(service):
    build = service.get("build")
    args = build.get("args") if isinstance(build, dict) else None
    return _env({"environment": args}) if args else {}


def _healthcheck(service):
    check = service.get("healthcheck") or {}
    test = check.get("test")
    if check.get("disable") or not test or test == ["NONE"]:
        return None
    return " ".join(test) if isinstance(test, list) else str(test)


@points(1)
def test_compose_follows_the_specification(student):
    """compose.yaml is valid under the Compose Specification's JSON schema and has services."""
    parsed = value(student.helpers.parse_compose("compose.yaml"))
    assert not parsed["schema_errors"], "compose.yaml breaks the Compose Specification:\n" + "\n".join(
        parsed["schema_errors"]
    )
    assert parsed["data"].get("services"), "compose.yaml has no services yet"


@points(2)
def test_app_postgres_and_redis_services(student):
    """Services for the app (built from the Dockerfile), Postgres and Redis; the images are pinned."""
    _, services = _compose(student)
    app, postgres, redis = _app(services), _postgres(services), _redis(services)
    for name in (postgres, redis):
        image = services[name]["image"]
        assert _pinned(image), (
            f"services.{name}: pin {image} to a version, e.g. {_repository(image)}:<version>"
        )
    image = services[app].get("image")
    assert image is None or _pinned(image), f"services.{app}: tag the built image with a version, not {image}"


@points(2)
def test_app_waits_for_healthy_postgres_and_redis(student):
    """The app depends_on postgres and redis with condition: service_healthy, and both have healthchecks."""
    _, services = _compose(student)
    app, postgres, redis = _app(services), _postgres(services), _redis(services)
    depends = services[app].get("depends_on") or {}
    assert isinstance(depends, dict), (
        f"services.{app}.depends_on is a list, which waits only for the containers to start; "
        "use the long form with condition: service_healthy"
    )
    for name in (postgres, redis):
        condition = (depends.get(name) or {}).get("condition")
        assert condition == "service_healthy", (
            f"services.{app}.depends_on.{name}.condition is {condition!r}; use service_healthy"
        )
        assert _healthcheck(services[name]), (
            f"services.{name} has no healthcheck, so it never becomes healthy"
        )


@points(1)
def test_postgres_data_lives_in_a_named_volume(student):
    """Postgres keeps its data directory in a named volume (declared under the top-level volumes:)."""
    parsed, services = _compose(student)
    postgres = _postgres(services)
    declared = set((parsed["data"].get("volumes") or {}).keys())
    for mount in services[postgres].get("volumes") or []:
        if isinstance(mount, dict):
            source, target = str(mount.get("source", "")), str(mount.get("target", ""))
        else:
            source, _, rest = str(mount).partition(":")
            target = rest.split(":")[0]
        if target.rstrip("/") in POSTGRES_DATA:
            assert source in declared, (
                f"services.{postgres} mounts {source or 'an anonymous volume'} on {target}: use a named "
                "volume declared under the top-level volumes: (a bind mount or anonymous volume is easy to lose)"
            )
            return
    raise AssertionError(
        f"services.{postgres} keeps its data in the container: mount a named volume on {POSTGRES_DATA[0]}"
    )


@points(2)
def test_no_secret_literals(student):
    """Passwords, keys and tokens come from ${VARIABLES} (.env), env_file or secrets, never literals."""
    _, services = _compose(student)
    found = []
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        for where, pairs in (("environment", _env(service)), ("build.args", _build_args(service))):
            for key, val in pairs.items():
                if not val:
                    continue
                if (
                    SECRET_NAME.search(key)
                    and not key.upper().endswith("_FILE")
                    and INTERPOLATION.sub("", val)
                ):
                    found.append(f"services.{name}.{where}.{key}")
                url = URL_PASSWORD.search(val)
                if url and INTERPOLATION.sub("", url.group(1)):
                    found.append(f"services.{name}.{where}.{key} (the password in the URL)")
    assert not found, (
        "literal secrets in compose.yaml (it is committed): "
        + ", ".join(found)
        + ". Write ${POSTGRES_PASSWORD} and put the value in .env, or use env_file / secrets"
    )


### BEGIN HIDDEN TESTS
@points(1)
def test_app_is_published_on_port_8000(student):
    """The app's port 8000 is published on the host's port 8000."""
    _, services = _compose(student)
    app = _app(services)
    ports = services[app].get("ports") or []
    assert any(_published(p) for p in ports), f"services.{app}.ports is {ports}; publish 8000:8000"


@points(1)
def test_healthchecks_ask_the_servers(student):
    """Postgres is checked with pg_isready and Redis with a PING, not with a command that always succeeds."""
    _, services = _compose(student)
    postgres, redis = _postgres(services), _redis(services)
    assert "pg_isready" in (_healthcheck(services[postgres]) or ""), (
        f"services.{postgres}: test with pg_isready"
    )
    assert "ping" in (_healthcheck(services[redis]) or "").lower(), (
        f"services.{redis}: test with redis-cli ping"
    )


### END HIDDEN TESTS
