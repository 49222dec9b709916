"""Sub-commands of the ``crftagger`` command line (see :mod:`crftagger.cli`)."""
