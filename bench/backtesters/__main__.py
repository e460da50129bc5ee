"""``python -m bench.backtesters``: run the speed race and print the table."""

from bench.backtesters import main

main()
