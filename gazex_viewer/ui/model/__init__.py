"""Running a model: the model panel, the job runner, generation settings, server settings, questions."""
