"""Golden paths: Backstage software templates run step by step by Celery workers.

This package must stay importable without Django: the templating sandbox starts a bare Python process that
imports ``scaffolder.templating`` and, of the rest of the project, only the Django-free ``portal.paths`` and
``portal.redaction``.
"""
