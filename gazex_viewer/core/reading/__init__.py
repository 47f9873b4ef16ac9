"""A reading and what it holds: the report, findings with boxes, the trajectory, labels, the GazeX output protocol, validation. The floor every other core concept stands on."""
