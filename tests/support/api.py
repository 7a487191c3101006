"""Call the handlers the way API Gateway does: routes from template.yaml, events from the
one builder in ``infra.apigw``."""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from infra import apigw
from infra.template import load_template, routes
from tests.support import privacy


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class ApiClient:
    def __init__(self) -> None:
        self.routes = routes(load_template())

    def call(self, method: str, path: str, *, json_body: Any = None, body: str | bytes | None = None,
             headers: dict[str, str] | None = None) -> ApiResponse:
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False)
            headers.setdefault("Content-Type", "application/json")
        found, event = apigw.event_for(self.routes, method, path, headers=headers, body=body)
        assert found is not None, f"no route in template.yaml for {method} {path}"
        module, attribute = found.route.handler.rsplit(".", 1)
        handler = getattr(importlib.import_module(module), attribute)
        result = handler(event, apigw.FakeLambdaContext(function_name=found.route.function))
        merged = dict(result.get("headers") or {})
        merged.update({k: ", ".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()})
        response = ApiResponse(result["statusCode"], merged, result.get("body") or "")
        if response.status == 201 and "token" in response.text:
            privacy.remember_token(response.json["token"])
        return response
