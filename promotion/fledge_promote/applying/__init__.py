"""Carrying out a plan all or nothing: the journal written before the first change, the
changes, the git commands recorded in the journal, and ``--recover`` after a killed run.

Every write promote makes to the target repository goes through here. The journal is read
back as untrusted data (``_journal``): checked whole, every path confined to the
repository, before ``--recover`` acts on it. Afterwards, an
editable install of the target whose entry points moved is reinstalled, so the environment
sees what the repository now holds.

May import: ``_errors``, ``repository``, ``planning``.
"""
