"""The Helpdesk API that this lab puts in a container (given; not graded).

A placeholder for lab 9's FastAPI service: the image serves `api:app` with uvicorn on port 8000,
and `/healthz` is what the container's health check asks. Replace this file (and add lab 9's other
modules) with your lab 9 solution; the Dockerfile copies the whole project, so it needs no change.
"""

from fastapi import FastAPI

app = FastAPI(title="Helpdesk API")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process is up and answering."""
    return {"status": "ok"}
