"""Catalog ingestion: reading locations into entities.

``readers`` and ``github`` fetch bytes (files and globs on disk inside ``CATALOG_FILE_ROOTS``, http(s)
URLs on allowed hosts, GitHub files through PyGithub, GitHub organisation discovery); ``parsing``
splits a file into YAML documents with their line numbers; ``substitution`` resolves ``$text``,
``$json`` and ``$yaml``; ``processing`` walks a location (following ``Location`` entities) from a
``state.Snapshot`` of what is stored into a ``state.Plan`` of what changed; ``apply`` writes that
plan in one transaction (with ``pg``'s COPY fast paths on PostgreSQL); ``report`` turns it into job
log lines, command output and previews.
"""
