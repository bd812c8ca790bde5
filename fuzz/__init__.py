"""Coverage-guided fuzzing of the format detector and every ingestor (atheris)."""
