"""The report view: sentences linked to their regions (``panel``), one row per sentence (``rows``)."""
