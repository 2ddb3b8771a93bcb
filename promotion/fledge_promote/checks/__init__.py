"""Readiness checks: the protocol a check follows, the built-in checks, which checks run,
the test runs and recorded results they read, and the output formats of their verdicts.

A check reads the repository model and returns pass, fail, skip or error with a message and
a fix; the runner keeps one broken check from stopping the others.

May import: ``_errors``, ``_plugin_hooks``, ``repository``.
"""
