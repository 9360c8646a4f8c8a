"""The golden-path task engine: a task is a run of the kind ``scaffolder.task`` (:mod:`.runner`).

The run engine (``portal.runs``) claims, heartbeats, retries and logs; :mod:`.runner` runs the
template's steps, :mod:`.context` is what an action sees, :mod:`.workspace` the task's folder on the
worker, :mod:`.rendering` the sandboxed ``${{ }}`` rendering and :mod:`.request_files` the files a
dry-run request sends.
"""
