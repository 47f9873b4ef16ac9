"""The film: decoding DICOM/PNG/JPEG into a Radiograph, display LUTs, window presets, image sources, the model's input rendering."""
