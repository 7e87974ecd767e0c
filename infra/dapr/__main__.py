from infra.dapr.cli import app

app(prog_name="python -m infra.dapr")
