"""GazeX Viewer: a workstation for verifying GazeX AI drafts of chest X-ray reports.

Layers (see ``../shared/DESIGN.md``): ``core`` (pure Python + numpy), ``inference``
(model backends, imports torch lazily), ``ui`` (the only place that imports Qt).
"""

__version__ = "0.1.0"
