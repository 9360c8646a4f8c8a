"""The ${{ values.name }} library."""

from importlib.metadata import version

__version__ = version("${{ values.name }}")

__all__ = ["__version__"]
