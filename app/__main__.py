"""`python -m cuebridge.app`: the `cuebridge` command, for a checkout without the console script."""

from cuebridge.app.main import main

main()
