"""Pure Python + numpy: radiographs, readings, report text, review, export, gaze import, metrics.

Never imports Qt, torch or transformers (checked by import-linter contracts in ``setup.cfg``).
"""
