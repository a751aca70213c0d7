"""`python -m jobtui` runs the command line."""

from jobtui.cli import main

main()
