"""What the File menu opens into the workspace: films, folders of films, saved readings; and the inspection video.

Owns :class:`Documents`: loading a film (a failure is told and the open film stays), the folder walk (next /
previous image, an unreadable image stepped over), command-line and dropped paths, a reading JSON opened over
the open film or next to its own, and the rule for a reading made on another image (asked first, then shown
with a warning). Opening changes the :class:`~gazex_viewer.ui.workspace.Workspace`; the views follow its
signals. The review is told through :class:`ReviewHooks` so its unsaved work is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.files import read_reading_file
from gazex_viewer.ui.style import APP_TITLE, finding_styles

if TYPE_CHECKING:
    from gazex_viewer.ui.model.jobs import ModelJobs
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["Documents", "ReviewHooks"]

#: suffixes opened as images when the core loader's list is not importable yet
_FALLBACK_IMAGE_SUFFIXES = (".dcm", ".dicom", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


class ReviewHooks(Protocol):
    """What opening tells the review (:class:`~gazex_viewer.ui.review.controller.ReviewController`)."""

    def commit_pending(self) -> list[str]:
        """Record what was typed or drawn but not yet saved, before the film or reading is replaced."""
        ...

    def film_opened(self) -> None:
        """A new film is open (resume its stored review)."""
        ...

    def reading_shown(self, reading: Reading) -> None:
        """``reading`` is shown: open or resume its review."""
        ...


def image_suffixes() -> tuple[str, ...]:
    """The file suffixes offered in Open film (lower case)."""
    try:
        from gazex_viewer.core.imaging.files import IMAGE_SUFFIXES

        return tuple(s.lower() for s in IMAGE_SUFFIXES)
    except ImportError:
        return _FALLBACK_IMAGE_SUFFIXES


class Documents:
    """Opens films and readings into ``workspace``.

    Parameters
    ----------
    workspace
        Set here: the radiograph, the reading and the playback clock.
    shell
        Errors, questions, the status line and the title.
    review
        Told before and after (:class:`ReviewHooks`).
    jobs
        A running model job is cancelled when another film opens (its result would be stale).
    show_drawn
        Draws a reading over the film (canvas, layers, the player's time); called after the workspace holds it.
    """

    def __init__(
        self,
        workspace: Workspace,
        shell: Shell,
        review: ReviewHooks,
        jobs: ModelJobs,
        *,
        show_drawn: Callable[[Reading], None],
    ) -> None:
        self.workspace = workspace
        self.shell = shell
        self.review = review
        self.jobs = jobs
        self._draw = show_drawn
        #: the reading's file (None: made by the model or a mode)
        self.reading_path: Path | None = None
        self.folder_images: list[Path] = []
        self.folder_index = -1
        #: opens two films together (one study's PA and lateral are hung side by side); set by the window
        self.open_pair: Callable[[list[Path]], bool] | None = None

    # -- films ---------------------------------------------------------------------------------------------
    def open_paths(self, paths: Iterable[str | os.PathLike[str]]) -> bool:
        """Open command-line or dropped paths: images, folders and reading JSON files."""
        images: list[Path] = []
        readings: list[Path] = []
        for p in map(Path, paths):
            if p.suffix.lower() == ".json":
                readings.append(p)
            else:
                images.append(p)
        ok = True
        if len(images) == 2 and self.open_pair is not None and all(p.is_file() for p in images):
            ok = self.open_pair(images)
        elif images:
            first = images[0]
            ok = self.open_folder(first) if first.is_dir() else self.open_image(first)
        for r in readings:
            ok = self.open_reading(r) and ok
        return ok

    def open_folder(self, folder: Path) -> bool:
        """Open the first image of a folder; next/previous walk the folder."""
        try:
            from gazex_viewer.core.imaging.files import find_images

            found = list(find_images(folder))
        except GazeXError as err:
            self.shell.show_error("Cannot open folder", str(err))
            return False
        except Exception as err:  # noqa: BLE001 (never a crash on bad input)
            self.shell.show_error("Cannot open folder", f"{folder}: {err}")
            return False
        if not found:
            self.shell.show_error("Cannot open folder", f"{folder}: no images in this folder")
            return False
        # the first image that opens is shown; the folder list keeps the ones that did not
        failed: list[str] = []
        for candidate in found:
            if self.open_image(candidate, folder_images=found, errors=failed):
                if failed:
                    self.shell.show_error("Some images could not be opened", "\n".join(failed))
                return True
        self.shell.show_error(
            "Cannot open folder", f"{folder}: none of its {len(found)} images could be opened\n" + "\n".join(failed)
        )
        return False

    def open_image(
        self,
        path: str | os.PathLike[str],
        *,
        folder_images: list[Path] | None = None,
        errors: list[str] | None = None,
    ) -> bool:
        """Load and show a radiograph; on failure show the reason and keep the current film.

        With ``errors`` the failure is appended there (one line) instead of shown.
        """
        path = Path(path)
        self.shell.show_status(f"Loading {path.name}…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from gazex_viewer.core.imaging.files import load_radiograph

            radiograph = load_radiograph(path)
        except Exception as err:  # noqa: BLE001 (a GazeXError names the file; anything else: never a crash)
            QApplication.restoreOverrideCursor()
            self.shell.clear_status()
            text = str(err) if isinstance(err, GazeXError) else f"{path}: {err.__class__.__name__}: {err}"
            if errors is not None:
                errors.append(" ".join(text.split()))
            else:
                self.shell.show_error("Cannot open film", text)
            return False
        QApplication.restoreOverrideCursor()
        # the review of the film being left keeps what was typed or drawn but not yet recorded
        self.review.commit_pending()
        # a new film makes any running job stale
        if self.jobs.running:
            self.jobs.cancel_model()
        self.workspace.set_reading(None)
        self.reading_path = None
        self.workspace.set_radiograph(radiograph)  # the views follow (film, corners, strip, presets, panels)
        if folder_images is None:
            try:
                from gazex_viewer.core.imaging.files import find_images

                folder_images = list(find_images(path.parent))
            except Exception:  # noqa: BLE001 (a folder that cannot be listed: this film alone)
                folder_images = [path]
        self.folder_images = [Path(p) for p in folder_images]
        resolved = [p.resolve() for p in self.folder_images]
        self.folder_index = resolved.index(path.resolve()) if path.resolve() in resolved else -1
        where = (
            f" ({self.folder_index + 1} of {len(self.folder_images)} in folder)"
            if self.folder_index >= 0 and len(self.folder_images) > 1
            else ""
        )
        self.shell.set_title(f"{radiograph.name} — {APP_TITLE}")
        self.shell.show_status(f"Opened {path}{where}", 5000)
        S.set_value("paths/last_dir", path.parent)
        self.review.film_opened()
        return True

    def next_image(self) -> None:
        """File > Next image in folder."""
        self._step_image(1)

    def previous_image(self) -> None:
        """File > Previous image in folder."""
        self._step_image(-1)

    def _step_image(self, step: int) -> None:
        if not self.folder_images or self.folder_index < 0:
            self.shell.show_status("No folder: open a film first", 4000)
            return
        i = self.folder_index + step
        if not 0 <= i < len(self.folder_images):
            self.shell.show_status("Last image in the folder" if step > 0 else "First image in the folder", 4000)
            return
        # an image that cannot be opened is reported and stepped over (else it would block the walk)
        while 0 <= i < len(self.folder_images):
            if self.open_image(self.folder_images[i], folder_images=self.folder_images):
                return
            i += step

    # -- readings ------------------------------------------------------------------------------------------
    def open_reading(self, path: str | os.PathLike[str]) -> bool:
        """Open a saved reading (model, expert or reviewed) over the open film, or next to its own film."""
        path = Path(path)
        reading = read_reading_file(path, self.shell.show_error, "Cannot open reading")
        if reading is None:
            return False
        if self.workspace.radiograph is None:
            candidate = path.parent / reading.image.file_name
            if reading.image.file_name and candidate.is_file():
                if not self.open_image(candidate):
                    return False
            else:
                self.shell.show_error(
                    "Open the film first",
                    f"{path}: its film {reading.image.file_name!r} is not next to it; open the film, then the reading",
                )
                return False
        return self.show_reading(reading, source=path)

    def show_reading(self, reading: Reading, *, source: Path | None = None) -> bool:
        """Show a reading over the open film, warning first when it was made on another image."""
        rg = self.workspace.radiograph
        if rg is None:
            self.shell.show_error("No film open", "Open the film this reading belongs to first.")
            return False
        if reading.producer.coordinate_frame == "gazesearch-224":
            from gazex_viewer.ui.film.overlay import reading_for_film

            reading, _frame = reading_for_film(reading, rg)  # scaled to the film, saying so in its warnings
        from gazex_viewer.core.reading.identity import pixel_hash_known, pixel_match

        mine = str(getattr(rg, "pixel_sha256", "") or "")
        #: expert recordings imported without their image carry an all-zero ("unknown") hash
        hash_known = pixel_hash_known(reading.image.pixel_sha256)
        same_size = (reading.image.width, reading.image.height) == (rg.width, rg.height)
        problem = ""
        if pixel_match(reading.image.pixel_sha256, mine) == "differs":
            problem = f"belongs to {reading.image.file_name!r}, whose pixels differ from the open film."
        elif not hash_known and not same_size:
            problem = f"was recorded on a {reading.image.width} × {reading.image.height} image ({reading.image.file_name!r})."
        if problem:
            size_note = (
                ""
                if same_size
                else f" It was made on a {reading.image.width} × {reading.image.height} image; "
                f"this film is {rg.width} × {rg.height}."
            )
            if hash_known and not same_size:
                problem += size_note
            elif not hash_known:
                problem += f" This film is {rg.width} × {rg.height}."
            ok = self.shell.ask_yes_no(
                "Reading made on another image",
                f"{source or 'This reading'} {problem} Its regions may not match this film. Show it anyway?",
            )
            if not ok:
                return False
            reading.warnings = [
                *reading.warnings,
                "shown over a film that differs from the image this reading was made on",
            ]
        self.review.commit_pending()  # the review being replaced keeps its typed, unsaved work
        self.reading_path = source
        # the workspace first: the report and the panels follow, and a mode still showing the old reading
        # sees it replaced when the player's clock moves
        self.workspace.set_reading(reading)
        self.shell.selection.clear()
        player = self.shell.controller
        player.set_playback(TrajectoryPlayback(reading.trajectory))
        self.workspace.set_playback(player.playback)
        self.shell.player_bar.set_sentence_spans(finding_styles(reading))
        self._draw(reading)
        self.shell.show_status(
            f"Reading: {len(reading.sentences)} sentences, {len(reading.trajectory)} key frames"
            + (f", {len(reading.warnings)} warning(s)" if reading.warnings else ""),
            6000,
        )
        self.review.reading_shown(reading)
        return True

    # -- dialogs -------------------------------------------------------------------------------------------
    def start_dir(self) -> str:
        """Where file dialogs start: the last film's folder, else home."""
        p = S.get_path("paths/last_dir")
        return str(p) if p is not None and p.is_dir() else str(Path.home())

    def open_file_dialog(self) -> None:
        """File > Open file… (two films of one study selected together: PA and lateral side by side)."""
        suffixes = " ".join(f"*{s}" for s in image_suffixes())
        paths, _ = QFileDialog.getOpenFileNames(
            self.shell.dialog_parent(), "Open film", self.start_dir(), f"Radiographs ({suffixes});;All files (*)"
        )
        if len(paths) == 2 and self.open_pair is not None:
            self.open_pair([Path(p) for p in paths])
        elif paths:
            self.open_image(paths[0])

    def open_folder_dialog(self) -> None:
        """File > Open folder…"""
        path = QFileDialog.getExistingDirectory(self.shell.dialog_parent(), "Open folder of films", self.start_dir())
        if path:
            self.open_folder(Path(path))

    def open_reading_dialog(self) -> None:
        """File > Open saved reading…"""
        path, _ = QFileDialog.getOpenFileName(
            self.shell.dialog_parent(), "Open saved reading", self.start_dir(), "Readings (*.json);;All files (*)"
        )
        if path:
            self.open_reading(path)

    def open_pacs_dialog(self) -> None:
        """File > Open from PACS…: search the archive, open a study's film (retrieved into the cache)."""
        from gazex_viewer.ui.pacs.study_browser import StudyBrowserDialog

        dialog = StudyBrowserDialog(self.shell.dialog_parent())
        if dialog.exec() and dialog.film_path is not None:
            if self.open_image(dialog.film_path) and dialog.gazex_result is not None:  # an earlier GazeX result
                self.show_reading(dialog.gazex_result.reading)

    def export_video(self, path: str | os.PathLike[str] | None = None) -> bool:
        """File > Export inspection video: the film with the animated trajectory at the player's speed (MP4)."""
        from gazex_viewer.core.export.teaching_video import write_inspection_video

        rg, reading = self.workspace.radiograph, self.workspace.reading
        if rg is None or reading is None or not reading.trajectory:
            self.shell.show_error("No inspection to export", "Open a film and a reading with a trajectory first.")
            return False
        if path is None:
            start = str(Path(self.start_dir()) / f"{Path(rg.name).stem}-inspection.mp4")
            chosen, _ = QFileDialog.getSaveFileName(
                self.shell.dialog_parent(), "Export inspection video", start, "MP4 video (*.mp4)"
            )
            if not chosen:
                return False
            path = chosen
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = write_inspection_video(
                rg.render(), reading, Path(path), speed=self.shell.controller.playback.speed
            )
        except GazeXError as err:
            QApplication.restoreOverrideCursor()
            self.shell.show_error("Cannot export the video", str(err))
            return False
        QApplication.restoreOverrideCursor()
        self.shell.show_status(f"Wrote {result.path.name}: {result.seconds:.1f} s of video", 6000)
        return True
