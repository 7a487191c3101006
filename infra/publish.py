"""After ``sam deploy``: upload the built site to the stack's bucket and invalidate CloudFront
(what ``make deploy`` runs last), or print one output of a stack.

    python -m infra.publish --stack butler --region ap-east-1            # build/site → bucket
    python -m infra.publish --stack butler-waf --region us-east-1 --output WebAclArn
    python -m infra.publish --stack butler-waf --region us-east-1 --edge-parameters

``--edge-parameters`` prints the main stack's parameter overrides from the edge stack
(infra/waf.yaml): its web ACL and CloudFront's log bucket. It refuses (exit 1) when the edge
stack has no web ACL, unless ALLOW_NO_WAF=1 is in the environment: without WAF nothing limits
one client or filters known attacks.

Only changed files are uploaded (compared by MD5 with the object's ETag); objects no longer
in the build are deleted (the bucket keeps old versions for 30 days). Cache headers: pages,
feeds and the service worker are revalidated on every visit, so a notice appears at once;
Material's fingerprinted assets are cached for a year.
"""
from __future__ import annotations

import argparse
import hashlib
import mimetypes
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from infra.template import ROOT

REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=3600"
TEXT_TYPES = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
              "application/xml", "image/svg+xml", "text/calendar", "text/plain", "application/rss+xml"}


@dataclass
class Published:
    uploaded: list[str] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)


def stack_output(cloudformation: Any, stack: str, key: str) -> str:
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == key:
            return output["OutputValue"]
    raise SystemExit(f"stack {stack} has no output {key}")


NO_WAF = ("the edge stack has no web ACL: the site would have no per-client limits and no managed rules. "
          "Deploy infra/waf.yaml with CreateWebAcl=true, or set ALLOW_NO_WAF=1 to deploy without it.")


def edge_parameters(outputs: dict[str, str], allow_no_waf: bool) -> list[str]:
    """The main stack's overrides from the edge stack's outputs; refuses a stack without WAF."""
    web_acl = outputs.get("WebAclArn", "")
    if not web_acl and not allow_no_waf:
        raise SystemExit(NO_WAF)
    return [f"WebAclArn={web_acl}", f"CloudFrontLogsBucket={outputs.get('LogsBucketDomain', '')}"]


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return {output["OutputKey"]: output.get("OutputValue", "") for output in outputs}


def content_type(key: str) -> str:
    if key.endswith((".ics", ".webmanifest")):
        kind = "text/calendar" if key.endswith(".ics") else "application/manifest+json"
    else:
        kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind in TEXT_TYPES else kind


def cache_control(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    if key.startswith("assets/") and len(name.split(".")) >= 3 and name.endswith((".css", ".js")):
        return IMMUTABLE  # Material's bundles carry a content hash: main.<hash>.min.css
    if key.endswith((".html", ".xml", ".ics", ".json")) or name == "sw.js":
        return REVALIDATE
    return SHORT


def _etags(s3: Any, bucket: str) -> dict[str, str]:
    tags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            tags[item["Key"]] = item["ETag"].strip('"')
    return tags


def publish_site(s3: Any, bucket: str, site_dir: Path) -> Published:
    result = Published()
    existing = _etags(s3, bucket)
    files = {path.relative_to(site_dir).as_posix(): path for path in sorted(site_dir.rglob("*")) if path.is_file()}
    for key, path in files.items():
        body = path.read_bytes()
        if existing.get(key) == hashlib.md5(body).hexdigest():  # noqa: S324 - S3's ETag, not security
            result.unchanged += 1
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type(key),
                      CacheControl=cache_control(key))
        result.uploaded.append(key)
    result.deleted = sorted(set(existing) - set(files))
    for start in range(0, len(result.deleted), 1000):
        batch = result.deleted[start:start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
    return result


def publish_not_found_page(s3: Any, bucket: str, site_dir: Path) -> None:
    """The site's 404.html into the bucket CloudFront falls back to for a missing page
    (template.yaml, NotFoundBucket), so it is the same page the site builds."""
    s3.put_object(Bucket=bucket, Key="404.html", Body=(site_dir / "404.html").read_bytes(),
                  ContentType=content_type("404.html"), CacheControl=REVALIDATE)


def invalidate(cloudfront: Any, distribution_id: str, published: Published) -> str | None:
    """One invalidation of everything, if anything changed (the first 1,000 paths a month are free)."""
    if not published.uploaded and not published.deleted:
        return None
    response = cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"publish-{time.time_ns()}"})
    return response["Invalidation"]["Id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish the built site to a deployed stack.")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--output", help="print this output of the stack and stop")
    parser.add_argument("--edge-parameters", action="store_true",
                        help="print the main stack's overrides from this edge stack's outputs and stop")
    args = parser.parse_args(argv)
    cloudformation = boto3.client("cloudformation", region_name=args.region)
    if args.output:
        print(stack_output(cloudformation, args.stack, args.output))
        return 0
    if args.edge_parameters:
        print(" ".join(edge_parameters(stack_outputs(cloudformation, args.stack),
                                       os.environ.get("ALLOW_NO_WAF") == "1")))
        return 0
    if not (args.site_dir / "index.html").is_file():
        raise SystemExit(f"{args.site_dir} has no index.html: run `make site` first")
    bucket = stack_output(cloudformation, args.stack, "SiteBucketName")
    s3 = boto3.client("s3", region_name=args.region)
    published = publish_site(s3, bucket, args.site_dir)
    publish_not_found_page(s3, stack_output(cloudformation, args.stack, "NotFoundBucketName"), args.site_dir)
    invalidation = invalidate(boto3.client("cloudfront"), stack_output(cloudformation, args.stack, "DistributionId"),
                              published)
    print(f"{len(published.uploaded)} uploaded, {published.unchanged} unchanged, {len(published.deleted)} deleted"
          + (f"; CloudFront invalidation {invalidation}" if invalidation else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
