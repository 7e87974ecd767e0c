"""Real Dapr for the course: pinned binaries, components, and a harness that runs apps with sidecars.

See infra/dapr/README.md. The CLI is `python -m infra.dapr` (mounted as `daca dapr`); the pytest
fixtures are in `infra.dapr.pytest_plugin`.
"""

from infra.dapr.binaries import DAPR_VERSION, DaprBinaries, DaprBinariesMissing, ensure, find
from infra.dapr.harness import COMPONENT_SETS, ControlPlane, DaprError, Sidecar

__all__ = [
    "COMPONENT_SETS",
    "DAPR_VERSION",
    "ControlPlane",
    "DaprBinaries",
    "DaprBinariesMissing",
    "DaprError",
    "Sidecar",
    "ensure",
    "find",
]
