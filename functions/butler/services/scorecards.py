"""The quarterly scorecards (考核) from what is stored: every case of both tables and the
quarter's survey answers. For the staff tool only: reading every case is a Scan."""
from __future__ import annotations

from typing import Optional

from butler.domain.scorecards import Scorecards, scorecards
from butler.domain.staff import Roster
from butler.domain.surveys import Results, results
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository


def survey_results(surveys_table: str, quarter: str) -> Optional[Results]:
    """The quarter's survey results; None without a surveys table or a campaign that quarter."""
    if not surveys_table:
        return None
    from butler.repository.surveys import SurveyRepository
    from butler.services.surveys import tally_for

    tally = tally_for(SurveyRepository(surveys_table), quarter)
    return results(tally) if tally is not None else None


def quarter_scorecards(quarter: str, repairs: WorkOrderRepository, complaints: ComplaintRepository,
                       roster: Roster, survey: Optional[Results]) -> Scorecards:
    return scorecards(quarter, repairs.scan_all(), complaints.scan_all(), roster, survey)
