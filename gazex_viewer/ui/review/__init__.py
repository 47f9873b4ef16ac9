"""Review mode: the radiologist's decisions on an AI draft, the impression, sign-off, audit and export.

controller.py: the workflow (handed the Workspace, the ActionRegistry and the Shell; the Review menu, hooks);
views.py: the film and the report following the review (observers of ``Workspace.review_changed``);
stored.py: the film's stored reviews, the new-draft question, export and audit; panel.py: the Review tab's
composition and the banners; rows.py: state badges and one finding's row; decisions.py: accept, reject, undo;
editor.py: the edit and add areas; signoff.py: impressions, read first, sign, new version; labels.py, key_safety.py,
signing_key.py and the dialogs (audit_dialog.py, export_dialog.py, stored_reviews_dialog.py). What the review leaves
of the draft, in words, is core's (core/review/reviewed_view.py).
"""
