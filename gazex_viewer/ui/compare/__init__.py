"""The compare mode: two readings side by side and their agreement plot."""
