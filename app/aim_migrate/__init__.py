"""aim-migrate: a dual-track PostgreSQL migration runner."""

__version__ = "0.1.0"
