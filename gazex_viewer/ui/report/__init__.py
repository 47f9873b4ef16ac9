"""The report view: sentences linked to their regions."""
