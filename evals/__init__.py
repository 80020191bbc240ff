"""Accuracy evaluation (`make eval`): extractors scored on real inputs and on the project's own corpora."""
