"""Feature extractors and templates (installed as ``crftagger.features``)."""
