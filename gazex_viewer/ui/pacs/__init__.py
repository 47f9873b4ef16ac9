"""The PACS: study browser, remote results, sending documents."""
