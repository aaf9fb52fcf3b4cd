"""python -m apps: the same as the `diagnose` command."""

from apps.cli import main

main()
