"""The OpenAPI document of the public API, generated from the route code."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from butler.web.errors import JSON_TYPE

router = Router()

TITLE = "物业管家服务台 API"
VERSION = "1.0.0"


def openapi_document() -> str:
    from butler.web.app import create_app
    from butler.web.routes import complaints, repairs, surveys

    app = create_app(repairs.router, complaints.router, surveys.router)
    return app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description="社区网站背后的服务台接口：报修，咨询、投诉和建议，进度查询，以及季度满意度调查。出错时返回 {\"error\": {code, message, fields}}。",
        security_schemes={"trackingToken": HTTPBearer(description="提交时返回的查询码")},
    )


@router.get("/api/openapi.json", summary="OpenAPI 文档", include_in_schema=False)
def openapi_json():
    return Response(status_code=200, content_type=JSON_TYPE, body=openapi_document())
