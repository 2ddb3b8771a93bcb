"""Planning a change: every move and rewrite of a lifecycle verb (promote, deprecate,
retire), computed in memory as a `Plan` before anything is written.

It owns the plan record and its diff, the stable layouts, the old-to-new path maps, the
repository-wide rewrite, the shims left at old import paths, the links a retirement must
not leave dead, and ``codemods/``: one LibCST command per module, and their runner.

May import: ``_errors``, ``repository``.
"""
