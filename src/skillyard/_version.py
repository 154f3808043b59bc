"""The package version, alone so that any layer can read it without importing the façade."""

__version__ = "0.1.0"
