"""The film view: canvas, overlays, region editing, the trajectory player, corner text."""
