"""The run kinds of the golden paths (``portal.runs``): a task runs a software template."""

from portal.runs import register
from scaffolder.engine.runner import TemplateRun

register(TemplateRun())
