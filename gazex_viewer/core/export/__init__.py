"""What leaves the workstation: report files, DICOM SR, PDF (signed), training data, teaching videos."""
