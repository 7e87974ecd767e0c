"""Load benchmark of the Helpdesk (a script, not a test): `python -m capstone.bench`."""
