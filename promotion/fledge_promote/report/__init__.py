"""``promote report``: the evidence for promoting or removing each experimental feature.

It owns the git history read once, the paths a feature had over time, the upkeep a feature
costs against its stable parent, the evidence gathered per feature, the order of the rows,
the output formats (table, JSON, Markdown), and the report's command line.

May import: ``_errors``, ``repository``.
"""
