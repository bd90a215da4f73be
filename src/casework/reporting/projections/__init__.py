"""Projections: flat fact tables derived from the events, kept beside them.

:class:`Projection` keeps, in the store's own database (SQLite and PostgreSQL tables; the
memory store in memory), one table per kind of fact (:data:`TABLES`): cases with their current
facts, state spells, sessions, assessments, consents, activities and volunteer hours, all as
corrected.  It follows the log from a tracking position: a catch-up reads only the events after
it, a rebuild from zero gives the same tables, and a reader never gets stale tables (it catches
up first, or refuses with :class:`ProjectionBehind`).

.. versionadded:: 0.2
"""

from casework.reporting.projections._facts import TABLES, Column, TableDef
from casework.reporting.projections._projection import CatchUp, Projection, ProjectionBehind

__all__ = ["TABLES", "CatchUp", "Column", "Projection", "ProjectionBehind", "TableDef"]
