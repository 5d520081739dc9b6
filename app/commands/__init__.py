"""One module per `cuebridge` command; app/main.py puts them on the command line."""
