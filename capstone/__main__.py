"""`python -m capstone`: the Helpdesk demo (see capstone/demo.py)."""

from capstone.demo import main

main()
