"""Every action a tracking view offers the resident (``resident_actions``, from the
workflows' resident actions) has a route behind it: in the route code, in the OpenAPI
document and in template.yaml (so API Gateway sends it to the function)."""
import json

import pytest

from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.web.routes import complaints, repairs
from butler.web.routes.docs import openapi_document
from infra.template import load_template, routes

KINDS = [(REPAIR_WORKFLOW, repairs), (COMPLAINT_WORKFLOW, complaints)]


@pytest.mark.parametrize("workflow, module", KINDS, ids=["repair", "complaint"])
def test_every_resident_action_of_the_workflow_has_a_route(workflow, module):
    offered = {a.code for a in workflow.actions if "resident" in a.roles}
    declared = {(r.method, r.path) for r in routes(load_template())}
    documented = json.loads(openapi_document())["paths"]

    assert set(module.RESIDENT_ROUTES) == offered
    for action, path in module.RESIDENT_ROUTES.items():
        assert ("POST", path) in declared, action
        assert "post" in documented.get(path, {}), action


def test_a_repair_offers_cancel_until_work_starts():
    offering = {s.code for s in REPAIR_WORKFLOW.states
                if "cancel" in [a.code for a in REPAIR_WORKFLOW.available(s.code, "resident")]}

    assert offering == {"reported", "dispatched", "surveyed"}
