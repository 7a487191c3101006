"""The one route that opens a case: validate the body, create the case once per
Idempotency-Key, answer 201. Each kind of case supplies its model and its ``create``."""

from typing import Annotated, Any, Callable

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from butler.settings import load_settings
from butler.web.cases import created_once


def intake_route(router: Router, path: str, request_model: type[BaseModel],
                 create: Callable[[Any], dict], name: str, **doc: Any) -> Callable:
    def route(body):
        return created_once(router, body.model_dump(), lambda: create(body), load_settings())

    # The resolver validates and documents the body from this annotation.
    route.__annotations__ = {"body": Annotated[request_model, Body(embed=False)]}
    route.__name__ = route.__qualname__ = name
    return router.post(path, **doc)(route)
