"""Plans: the organisation and Deficit Recovery Plans. Imports the shared kernel (recovery/) only,
never monitoring or reporting (import contracts in pyproject.toml)."""
