"""Evaluation set with gold paragraph citations, and the harness that scores the system."""
