"""${{ values.name }}: a FastAPI service."""

from importlib.metadata import version

__version__ = version("${{ values.name }}")
