"""How the viewer looks: the dark theme's style sheet, the window title, and each finding's number and colour.

Owns every look shared by more than one view: :data:`STYLE` (the QSS of the main window and its dialogs),
:data:`APP_TITLE`, the finding colour :data:`PALETTE` with :data:`NEGATIVE_COLOUR`, and :func:`finding_styles`,
which numbers and colours a reading's findings the same way on the film, in the report, the player bar and the
review list. No widgets live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from gazex_viewer.core.reading.document import Finding, Reading

#: the name in every window title ("film — GazeX Viewer")
APP_TITLE = "GazeX Viewer"

#: the dark theme: the main window and every dialog it opens (``dialog.setStyleSheet(STYLE)``)
STYLE = """
QMainWindow, QWidget { background:#1e252c; color:#dde4ea; }
QLabel, QCheckBox { background:transparent; }
QCheckBox::indicator { width:12px; height:12px; border:1px solid #7d91a5; border-radius:2px; background:#141a20; }
QCheckBox::indicator:checked { background:#4f9be0; border-color:#9cc8f0; }
QRadioButton { background:transparent; }
QRadioButton::indicator { width:11px; height:11px; border:1px solid #7d91a5; border-radius:6px; background:#141a20; }
QRadioButton::indicator:checked { background:#4f9be0; border-color:#9cc8f0; }
QDockWidget::title { background:#26303a; padding:4px; font-weight:bold; }
QLabel#metadataStrip { background:#141a20; color:#c8d3de; padding:4px 8px; border-bottom:1px solid #2f3a45; }
QLabel#emptyTitle { font-size:20pt; font-weight:bold; color:#e6edf3; }
QPushButton { background:#2f3b47; border:1px solid #46586a; border-radius:4px; padding:4px 10px; }
QPushButton:hover { background:#3a4a5a; }
QPushButton:disabled { color:#6b7885; border-color:#334150; }
QToolButton { background:#2f3b47; border:1px solid #46586a; border-radius:4px; padding:2px 6px; }
QPlainTextEdit { background:#141a20; border:1px solid #2f3a45; }
QProgressBar { background:#141a20; border:1px solid #2f3a45; border-radius:3px; text-align:center; height:16px; }
QProgressBar::chunk { background:#3d7ab8; }
QStatusBar { background:#141a20; color:#c8d3de; }
QScrollArea { background:#1e252c; }
QComboBox, QSpinBox { background:#2f3b47; border:1px solid #46586a; border-radius:3px; padding:1px 4px; }
QMenuBar { background:#1a2026; }
QMenu { background:#26303a; }
QMenu::item:selected { background:#3d7ab8; }
QTableWidget { background:#1e252c; gridline-color:#2f3a45; }
QHeaderView::section { background:#26303a; padding:3px; border:0; }
QTabBar { background:#141a20; }
QTabBar::tab { background:#1a2129; color:#93a1ae; padding:6px 16px; border:1px solid #2f3a45;
  border-bottom:0; border-top-left-radius:4px; border-top-right-radius:4px; margin-right:2px; }
QTabBar::tab:selected { background:#26303a; color:#eef3f7; font-weight:bold; border-top:2px solid #4f9be0; }
QTabBar::tab:hover:!selected { color:#dde4ea; background:#222b34; }
QFrame#panelRule { color:#2f3a45; max-height:1px; }
QMainWindow::separator { background:#2f3a45; width:3px; height:3px; }
QMainWindow::separator:hover { background:#4f9be0; }
QToolTip { background:#26303a; color:#e6edf3; border:1px solid #46586a; }
QPushButton:focus { border:2px solid #ffc857; padding:3px 9px; }
QToolButton:focus { border:2px solid #ffc857; padding:1px 5px; }
QComboBox:focus, QSpinBox:focus, QLineEdit:focus, QPlainTextEdit:focus, QTableWidget:focus,
QListWidget:focus, QTreeWidget:focus { border:1px solid #ffc857; }
QScrollArea#reportSentences { border:2px solid transparent; }
QScrollArea#reportSentences:focus { border:2px solid #ffc857; }
QGraphicsView#filmCanvas { border:2px solid #000000; }
QGraphicsView#filmCanvas:focus { border:2px solid #ffc857; }
"""

#: region / sentence colours, chosen to stay readable on a dark film
PALETTE: tuple[str, ...] = (
    "#4fc3f7",
    "#ffb74d",
    "#81c784",
    "#f06292",
    "#ba68c8",
    "#fff176",
    "#4db6ac",
    "#e57373",
    "#9575cd",
    "#aed581",
)
#: colour of pertinent negatives ("no pneumothorax"): nothing to hunt for on the film
NEGATIVE_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class FindingStyle:
    """How one finding is shown everywhere: its sentence number and colour."""

    number: int
    colour: str
    negative: bool


def finding_styles(reading: Reading | None) -> dict[str, FindingStyle]:
    """Sentence number (1-based, report order) and colour for every finding of a reading."""
    styles: dict[str, FindingStyle] = {}
    if reading is None:
        return styles
    order: list[Finding] = []
    seen: set[str] = set()
    for s in reading.sentences:
        f = reading.finding_for_sentence(s.id)
        if f is not None and f.id not in seen:
            order.append(f)
            seen.add(f.id)
    order += [f for f in reading.findings if f.id not in seen]
    colour_index = 0
    for number, f in enumerate(order, start=1):
        if f.is_pertinent_negative:
            colour = NEGATIVE_COLOUR
        else:
            colour = PALETTE[colour_index % len(PALETTE)]
            colour_index += 1
        styles[f.id] = FindingStyle(number, colour, f.is_pertinent_negative)
    return styles


# -- the side panel's width (the film gets the rest) ------------------------------------------------------
#: the right-hand tabs' width at start (the film gets the rest)
DOCK_WIDTH = 430
#: the side panel takes about this share of a wide window, within DOCK_WIDTH .. DOCK_MAX_WIDTH
DOCK_SHARE = 0.27
DOCK_MAX_WIDTH = 1100


def dock_width_for(window_width: int) -> int:
    """The side panel's width for a window this wide: 27 % of it, at least DOCK_WIDTH, at most DOCK_MAX_WIDTH."""
    return int(max(DOCK_WIDTH, min(DOCK_MAX_WIDTH, round(window_width * DOCK_SHARE))))
