"""The film: decoding DICOM/PNG/JPEG into a Radiograph, display LUTs, window presets, image sources, the model's input rendering.

- ``radiograph``: the film (Radiograph, WindowPreset, RadiographMetadata, ImageIdentity, FilmSource)
- ``source``: the ImageSource seam (name, identity, header, open)
- ``files``: films on disk (load_radiograph, FileSource, is_image_file, find_images)
- ``dicom``: DICOM headers, spacing, presets, radiograph_from_dataset
- ``codecs``: decoder order, SOF/SIZ size checks, frame-1 decode
- ``bitmap``: PNG/JPEG with Pillow
- ``display``: LUT arithmetic (dcmtk's); ``window_presets``: named windows
- ``dicom_transfer``, ``dicom_jpeg12``, ``dicom_overlays``: deflated/native layout, 12-bit JPEG, overlay planes
- ``film_annotations``: corner texts and orientation markers; ``model_input``: the model's input rendering
"""
