"""routes: diagnostics of human-trafficking and migrant-smuggling routes."""

__version__ = "0.1.0"
