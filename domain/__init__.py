"""The bottom layer: value types every other package may use (paper ids, paper records,
index versions on disk). Imports only the standard library."""
