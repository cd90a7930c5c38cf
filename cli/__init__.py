"""Commands of the `papersift` CLI, one module per area; each has `register(group)`."""
