"""Station reporting: records, indicators, tables and the yearly ledger.

* **Records** (:mod:`~casework.reporting.records`): the station, its projects, volunteers and
  teams, partner organisations and community activities, recorded as events in the station's
  journal by the helpers of :mod:`~casework.reporting.recording`.
* **Dataset** (:mod:`~casework.reporting.dataset`): cases and journals, read from a store or
  from memory; the read side never writes.
* **Indicators** (:mod:`~casework.reporting.indicators`, counts in
  :mod:`~casework.reporting.measures`): each defined once, each returning a
  :class:`~casework.reporting.table.Table`.
* **Ledger** (:mod:`~casework.reporting.ledger`): the yearly report, :class:`YearReport`.
* **Projections** (:mod:`~casework.reporting.projections`): fact tables kept beside the events
  and caught up from a tracking position; :meth:`Projection.dataset` reads them as a dataset.
* **District** (:mod:`~casework.reporting.district`): several stations read together.
* **Privacy** (:mod:`~casework.reporting.privacy`): registers without personal fields by
  default, keyed pseudonyms, age bands.
* **Labels** (:mod:`~casework.reporting.labels`): every displayed text in 中文 and English.

Stores keep station journals with their default codec, which registers these records
(:func:`register_types` adds them to a codec built some other way).
"""

from casework.reporting import labels
from casework.reporting.codec import REPORTING_TYPES, register_types
from casework.reporting.dataset import Dataset
from casework.reporting.district import District
from casework.reporting.indicators import (
    activities_by_kind,
    case_flow,
    cases_by_state,
    completion,
    monthly,
    outcomes,
    person_times,
    sessions_per_case,
    time_in_state,
    volunteer_hours,
)
from casework.reporting.labels import Label
from casework.reporting.ledger import LEDGER_ROWS, YearReport
from casework.reporting.measures import MEASURES, Measure
from casework.reporting.period import Period
from casework.reporting.privacy import (
    activity_register,
    age_band,
    case_register,
    pseudonymise,
    volunteer_register,
)
from casework.reporting.projections import Projection, ProjectionBehind
from casework.reporting.recording import (
    EVENT_TYPES,
    record_activity,
    record_volunteer_hours,
    register,
)
from casework.reporting.records import (
    Activity,
    ActivityKind,
    PartnerOrganisation,
    PartnerRole,
    PlannedOutputs,
    Project,
    ServiceArea,
    Station,
    Volunteer,
    VolunteerHours,
    VolunteerService,
    VolunteerTeam,
)
from casework.reporting.table import Table

__all__ = [
    "EVENT_TYPES",
    "LEDGER_ROWS",
    "MEASURES",
    "REPORTING_TYPES",
    "Activity",
    "ActivityKind",
    "Dataset",
    "District",
    "Label",
    "Measure",
    "PartnerOrganisation",
    "PartnerRole",
    "Period",
    "PlannedOutputs",
    "Project",
    "Projection",
    "ProjectionBehind",
    "ServiceArea",
    "Station",
    "Table",
    "Volunteer",
    "VolunteerHours",
    "VolunteerService",
    "VolunteerTeam",
    "YearReport",
    "activities_by_kind",
    "activity_register",
    "age_band",
    "case_flow",
    "case_register",
    "cases_by_state",
    "completion",
    "labels",
    "monthly",
    "outcomes",
    "person_times",
    "pseudonymise",
    "record_activity",
    "record_volunteer_hours",
    "register",
    "register_types",
    "sessions_per_case",
    "time_in_state",
    "volunteer_hours",
    "volunteer_register",
]
