"""What leaves the workstation: report files, DICOM SR, PDF (signed), training data, teaching videos.

- :mod:`.training_data`: the LLaMA-Factory dataset, over :mod:`.training_files` (finding and measuring
  films) and :mod:`.training_splits` (patient-safe splits).
"""
