"""One module per command-line sub-command: ``add_arguments(parser)`` and ``run(args) -> int``.

These modules may use core, inference and (for ``gui`` only) ui; they import heavy libraries
inside ``run`` so that building the parser stays cheap.
"""
