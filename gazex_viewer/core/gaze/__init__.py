"""Expert gaze: importing scanpaths, fixation clustering, agreement between readings, zones, trainee recording and scoring, two readings compared (comparison.py) and the GazeSearch study."""
