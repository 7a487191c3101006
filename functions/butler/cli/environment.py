"""Where the staff tool connects, and what it says when it cannot.

The tool reads the variables the functions read (``butler.settings.ENVIRONMENT``: table
names, photo bucket) and those the AWS SDK reads (service address, region), so one block of
``export`` lines, printed by the local stack (``make dev``) or written once for AWS, is all
the configuration staff need; command-line options override each variable.

AWS errors reach staff as a Chinese message with exit code 3 (``UNAVAILABLE``), never as
the SDK's English text.
"""
from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from butler.settings import ENVIRONMENT as FUNCTION_ENVIRONMENT

UNAVAILABLE = 3  # exit code when a table or the photo bucket cannot be reached
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
LOCAL_REGION = "ap-east-1"  # the local stack's region (infra/local.py); moto keeps tables per region
ENDPOINT = "AWS_ENDPOINT_URL"  # botocore's: every service, unless a service-specific one is set
REGION = "AWS_DEFAULT_REGION"
SITE_URL = "SITE_URL"  # to print complete photo and survey links

# What the tool reads, in the order the export block lists it.
VARIABLES = (
    *(FUNCTION_ENVIRONMENT[field] for field in ("repairs_table", "complaints_table", "surveys_table",
                                                "photos_bucket")),
    SITE_URL, ENDPOINT, REGION,
)


def export_block(values: Mapping[str, str]) -> str:
    """The ``export`` lines to paste into a shell, for the variables of ``VARIABLES`` that
    ``values`` (an environment) sets."""
    return "\n".join(f"export {name}={shlex.quote(values[name])}" for name in VARIABLES if values.get(name))


def connect(endpoint_url: str | None, region: str | None) -> str | None:
    """Point the AWS SDKs at ``endpoint_url`` (default: ``AWS_ENDPOINT_URL``) and ``region``
    for this process; returns the endpoint in use (None: AWS itself)."""
    if region:
        os.environ[REGION] = os.environ["AWS_REGION"] = region
    if endpoint_url:
        # Service-specific variables win over the general one in botocore: set them all.
        for name in (ENDPOINT, "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
            os.environ[name] = endpoint_url
    endpoint = endpoint_url or os.environ.get(ENDPOINT) or None
    if endpoint and urlsplit(endpoint).hostname in LOCAL_HOSTS:
        # The local stack (moto) takes any credentials; it keeps its tables in one region.
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
        if not os.environ.get(REGION):
            os.environ[REGION] = LOCAL_REGION
    return endpoint


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what caused it (PynamoDB wraps botocore's errors in ``cause``)."""
    seen: list[BaseException] = []
    todo: list[Any] = [error]
    while todo:
        current = todo.pop(0)
        if isinstance(current, BaseException) and current not in seen:
            seen.append(current)
            todo += [getattr(current, "cause", None), current.__cause__, current.__context__]
    return seen


def error_code(error: BaseException) -> str:
    """AWS's error code (``ResourceNotFoundException``), or the SDK's error class name."""
    for cause in _causes(error):
        response = getattr(cause, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code"):
            return str(response["Error"]["Code"])
        code = getattr(cause, "cause_response_code", None)
        if code:
            return str(code)
    return type(_causes(error)[-1]).__name__


CONNECTION = ("EndpointConnectionError", "ConnectionClosedError", "ConnectTimeoutError", "ReadTimeoutError",
              "ProxyConnectionError", "SSLError", "HTTPClientError")
CREDENTIALS = ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
               "UnauthorizedSSOTokenError", "TokenRetrievalError")
DENIED = ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
          "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
          "InvalidClientTokenId")
MISSING = ("ResourceNotFoundException", "TableNotFoundException", "TableDoesNotExist", "NoSuchBucket")


def unavailable_message(error: BaseException, endpoint: str | None, what: str) -> str:
    """A Chinese message for an AWS error: what could not be reached and what to check.
    ``what`` names the tables (or bucket) the command used."""
    names = {type(c).__name__ for c in _causes(error)}
    code = error_code(error)
    if code == "NoSuchBucket":
        what = "照片存储桶"
    where = f"服务地址 {endpoint}" if endpoint else "AWS"
    if names & set(CONNECTION) or code in CONNECTION:
        local = (endpoint and urlsplit(endpoint).hostname in LOCAL_HOSTS)
        hint = ("本地演示环境请先运行 make dev，并把它打印的 export 设置粘贴到这个终端"
                if local else "请检查网络，以及 --endpoint-url 或环境变量 AWS_ENDPOINT_URL")
        return f"无法连接{where}，{what}没有读写：{hint}。"
    if names & set(CREDENTIALS) or code in CREDENTIALS:
        return f"没有可用的 AWS 凭证，{what}没有读写：请配置凭证（aws configure、AWS_PROFILE 或 SSO 登录）。"
    if "NoRegionError" in names:
        return f"没有设置 AWS 区域，{what}没有读写：请用 --region 或环境变量 AWS_DEFAULT_REGION 指定。"
    if code in DENIED:
        return f"AWS 拒绝了访问{what}（凭证无效、已过期或没有权限）：请检查凭证和区域。"
    if code in MISSING:
        return (f"在{where}{' ' if endpoint else ''}找不到{what}：请检查表名或存储桶名（选项或环境变量，见 butler-staff -h 的“连接哪里”）"
                f"和区域。")
    return f"访问{what}时出错，没有完成：请稍后再试；一直出错时请把错误代码 {code} 告诉系统管理员。"
