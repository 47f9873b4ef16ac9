"""PACS access: DICOMweb (QIDO-RS / WADO-RS / STOW-RS with dicomweb-client) and DIMSE (pynetdicom).

- :mod:`.profile`: server profiles (URL or AE/host/port, basic or bearer auth from the environment or
  the keyring, TLS verification) and the errors they raise;
- :mod:`.cache`: retrieved instances on disk, size-bounded, evicted oldest first, written atomically;
- :mod:`.query`: what a search finds and asks for (study and instance hits, the query, non-image classes)
  and the :class:`~.query.Archive` protocol, shared by both archives so neither imports the other;
- :mod:`.dicomweb`: search, retrieve, store, the GazeX SRs of a study, and :class:`~.dicomweb.DicomWebSource`;
- :mod:`.documents`: the SR and Encapsulated PDF datasets of a reading;
- :mod:`.outbox`: results that could not be sent, kept on disk and retried;
- :mod:`.dimse`: C-ECHO / C-FIND / C-GET / C-STORE for archives without DICOMweb.

Nothing here imports requests, dicomweb-client or pynetdicom at import time.
"""

from __future__ import annotations

from gazex_viewer.core.errors import GazeXError


class PacsError(GazeXError):
    """A PACS that cannot be reached, refuses, or answers something unusable (one line: where and why)."""
