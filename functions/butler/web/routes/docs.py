"""The OpenAPI document of the public API, generated from the route code."""
import json
from functools import lru_cache

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from butler.web.errors import JSON_TYPE

router = Router()

TITLE = "物业管家服务台 API"
VERSION = "1.0.0"


@lru_cache(maxsize=1)
def openapi_document() -> str:
    # Built on the first request, with everything it needs (powertools' OpenAPI models
    # alone take about 100 ms to import: docs/cold-start.md), then kept: it is static.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from butler.web.app import create_app
    from butler.web.routes import complaints, repairs, surveys

    app = create_app(repairs.router, complaints.router, surveys.router)
    document = json.loads(app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="社区网站背后的服务台接口：报修，咨询、投诉和建议，进度查询，以及季度满意度调查。出错时返回 {\"error\": {code, message, fields}}。",
        security_schemes={"trackingToken": HTTPBearer(description="提交时返回的查询码")},
    ))
    return json.dumps(without_default_validation_shape(document), ensure_ascii=False, indent=2)


POWERTOOLS_SHAPES = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def without_default_validation_shape(document: dict) -> dict:
    """The resolver documents a 422 in its own shape on every route; ours answer validation
    errors in the error shape (routes that can answer 422 declare it), so the default is
    dropped where it is left, and its schemas with it."""
    default = {"$ref": "#/components/schemas/HTTPValidationError"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema") == default:
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for name in POWERTOOLS_SHAPES:
        if f"#/components/schemas/{name}\"" not in text:
            schemas.pop(name, None)
    return document


@router.get("/api/openapi.json", summary="OpenAPI 文档", include_in_schema=False)
def openapi_json():
    return Response(status_code=200, content_type=JSON_TYPE, body=openapi_document())
