"""Expert gaze: importing scanpaths, fixation clustering, agreement between readings, zones, trainee scoring and the GazeSearch study.

- :mod:`.importers`: the import front door (REFLACX :mod:`.reflacx`, EGD-CXR :mod:`.egd`, GazeSearch
  :mod:`.gazesearch`, over the shared readers and expert-reading builder of :mod:`.recordings`);
- :mod:`.agreement`: agreement between two readings, over :mod:`.scanpath` (what is compared),
  :mod:`.icc` (ICC of key frames) and :mod:`.scanpath_metrics` (maps, strings, MultiMatch, zones).
"""
