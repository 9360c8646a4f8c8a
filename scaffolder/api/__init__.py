"""The scaffolder's REST API, shaped like Backstage's (``/api/scaffolder/v2/``)."""
