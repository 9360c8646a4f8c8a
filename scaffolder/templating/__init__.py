"""Templating for golden paths: the ``${{ }}`` expression engine, skeleton rendering, and the sandbox process.

The task engine renders step inputs, ``if:`` conditions, outputs and skeletons through the ``*_sandboxed``
functions; the in-process functions are for trusted templates and tests (see :mod:`.engine` for what they bound).
"""

from .engine import TemplateError, evaluate_condition, render_string, render_value
from .limits import DEFAULT_LIMITS, Limits
from .sandbox import evaluate_condition_sandboxed, render_skeleton_sandboxed, render_value_sandboxed
from .skeleton import render_skeleton

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "TemplateError",
    "evaluate_condition",
    "evaluate_condition_sandboxed",
    "render_skeleton",
    "render_skeleton_sandboxed",
    "render_string",
    "render_value",
    "render_value_sandboxed",
]
