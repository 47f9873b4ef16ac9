"""What a review session refuses: an action that is not allowed, a sign-off with findings undecided, a signed reading."""

from __future__ import annotations

from gazex_viewer.core.errors import GazeXError


class ReviewError(GazeXError):
    """A review action that is not allowed (unknown finding, signed reading, hidden AI draft)."""


class ReviewIncompleteError(ReviewError):
    """Sign-off refused because findings are still undecided."""

    def __init__(self, path: str | None, undecided: list[str]) -> None:
        self.undecided = list(undecided)
        super().__init__(
            path,
            f"cannot sign: {len(undecided)} finding(s) still undecided ({', '.join(undecided)})",
        )


class ReadingSignedError(ReviewError):
    """A change to a signed (frozen) reading; start a new version instead."""
