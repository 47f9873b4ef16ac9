"""Expert gaze: importing scanpaths, fixation clustering, agreement between readings, zones, trainee scoring and the GazeSearch study."""
