"""``python -m hall`` is the ``hall`` command."""

from hall.cli import main

main()
