"""``python -m phantom.devnet up | down | status``."""

from phantom.devnet.cli import main

main()
