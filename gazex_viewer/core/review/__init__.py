"""The radiologist's review: the session and its event log, the ReviewStore seam and its stores, signing, sign-off and integrity."""
