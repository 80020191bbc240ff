"""The domain and its use cases. Imports no framework: standard library and rapidfuzz only."""
