"""Real Dapr for the course: pinned binaries, components, and a harness that runs apps with sidecars."""
