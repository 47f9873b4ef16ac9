"""A reading and what it holds: the report, findings with boxes, the trajectory, labels, the GazeX output protocol, validation. The floor every other core concept stands on.

- :mod:`.document`: the Reading and its review record (re-exports :mod:`.parts` and :mod:`.document_json`);
- :mod:`.parts`: the value types a reading is built from (image, producer, sentence, label, finding, box, point);
- :mod:`.document_json`: fast JSON decoding of reading documents (orjson, column-wise trajectories);
- :mod:`.identity`: which film a reading was made on (the unknown pixel hash, the one matching rule);
- :mod:`.frames`: how a reading's coordinates and clock map onto the open film (Qt-free).
"""
