"""The film view: the film area (``area``), canvas, its graphics items (``items``), overlays, region editing, the
trajectory player, corner text, the metadata strip, window presets."""
