"""The model of the target repository: what promote reads before it decides anything.

It owns the repository itself (`Repo`: files, git state, the rule that nothing is written
outside the plan), its configuration (``[tool.fledge.promote]``) and the version it
develops, its features and what is known of each, its code style, the usage data of its
features, and its docs: Markdown pages, the links between them, and the navigation formats
(mkdocs ``nav``, Hugging Face's doc-builder ``_toctree.yml``, those plugins contribute).

Everything above reads this model; nothing here knows about checks, plans or reports.

May import: ``_errors``, ``_plugin_hooks``.
"""
