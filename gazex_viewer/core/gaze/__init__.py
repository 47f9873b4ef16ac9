"""Expert-gaze helpers beyond import: the GazeSearch agreement study (:mod:`.study`)."""
