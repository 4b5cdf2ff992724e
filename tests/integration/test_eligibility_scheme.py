"""Re-evaluating a whole scheme after a rule change reads facts in bulk and agrees with the
one-holder decision (issue 6); SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from skillcard.errors import PermissionDenied
from skillcard.services import eligibility
from skillcard.services.eligibility_bulk import reevaluate_scheme
from tests.mycard_support import qualify_ann


def test_whole_scheme_matches_the_single_decisions(mycard, uow_factory):
    codes = ("NVQ3_ELECTROTECHNICAL", "AM2S", "BS7671_2018")
    qualify_ann(uow_factory, mycard, codes, dt.date(2018, 1, 1))
    result = reevaluate_scheme(
        uow=uow_factory(read_only=True),
        who=mycard.principals["ecs_admin"],
        scheme_code="ECS",
        code="INSTALLATION_ELECTRICIAN",
    )
    assert (result.holders, result.eligible) == (2, 1)  # Ann and Bob hold ECS cards; Cy CPCS
    assert result.unmet["needs an HSE test pass (taken within the last 2 years)"] == 1
    for key, expected in (("ann", True), ("bob", False)):
        single = eligibility.check_eligibility(
            uow=uow_factory(),
            who=mycard.principals["ecs_admin"],
            cardholder_id=mycard.holders[key],
            scheme_code="ECS",
            code="INSTALLATION_ELECTRICIAN",
        )
        assert single.eligible is expected
    with pytest.raises(PermissionDenied):
        reevaluate_scheme(
            uow=uow_factory(),
            who=mycard.principals["cpcs_admin"],
            scheme_code="ECS",
            code="INSTALLATION_ELECTRICIAN",
        )
