"""Expert gaze: importing scanpaths, fixation clustering, agreement between readings, zones, trainee recording and scoring, two readings compared and the GazeSearch study.

- :mod:`.importers`: the import front door (REFLACX :mod:`.reflacx`, EGD-CXR :mod:`.egd`, GazeSearch
  :mod:`.gazesearch`, over the shared readers and expert-reading builder of :mod:`.recordings`);
- :mod:`.agreement`: agreement between two readings, over :mod:`.scanpath` (what is compared),
  :mod:`.icc` (ICC of key frames) and :mod:`.scanpath_metrics` (maps, strings, MultiMatch, zones);
- :mod:`.comparison`: two readings of one film compared, as the viewer and ``gazex-viewer compare`` show it;
- :mod:`.trainee`: a trainee's marks and sentences, their reading and its score against a reference.
"""
