"""Clients of the outside services that several apps talk to, configured in one place.

``github``: the PyGithub client, GitHub's hosts and the classification of its errors, for the catalog,
the scaffolder and every later app that reads or writes GitHub.
"""
