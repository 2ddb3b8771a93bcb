"""``include``'s parts below its planner (``planning/_include.py``): the outside prototype
as read from its source tree or installed distribution (``_prototype``), the texts include
writes from it (``_text``), the manifest written for a prototype that has none where the
target's features carry one (``_manifest``), and how the feature is found: an entry point
or its package's exports (``_register``).

(Inside ``planning``.)
"""
