"""`python -m graders` is the `daca` command."""

from graders.cli import main

main()
