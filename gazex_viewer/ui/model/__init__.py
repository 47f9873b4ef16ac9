"""Running a model: the job lifecycle (``jobs``), the model panel, the job runner, generation settings, server
settings, questions."""
