"""`make deploy`'s last step against moto: the built site goes to the bucket with the right
types and cache headers, a second run uploads only what changed and removes what is gone,
and CloudFront is invalidated only when something changed."""
import boto3
import pytest

from infra import moto_server
from infra.publish import IMMUTABLE, REVALIDATE, invalidate, publish_site

REGION = "ap-east-1"


@pytest.fixture(scope="module")
def endpoint():
    server, url = moto_server.start()
    yield url
    server.stop()


@pytest.fixture
def bucket(endpoint):
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    yield s3
    for item in s3.list_objects_v2(Bucket="site").get("Contents", []):
        s3.delete_object(Bucket="site", Key=item["Key"])
    s3.delete_bucket(Bucket="site")


def _site(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_site_is_uploaded_with_types_and_cache_headers(bucket, tmp_path):
    site = _site(tmp_path, {"index.html": "<h1>翠湖</h1>", "sw.js": "self", "events/all.ics": "BEGIN:VCALENDAR",
                            "assets/stylesheets/main.4b1f.min.css": "a{}", "assets/images/logo.png": "png"})

    published = publish_site(bucket, "site", site)

    assert sorted(published.uploaded) == sorted(["index.html", "sw.js", "events/all.ics",
                                                 "assets/stylesheets/main.4b1f.min.css", "assets/images/logo.png"])
    head = {key: bucket.head_object(Bucket="site", Key=key) for key in published.uploaded}
    assert head["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert head["index.html"]["CacheControl"] == REVALIDATE and head["sw.js"]["CacheControl"] == REVALIDATE
    assert head["events/all.ics"]["ContentType"] == "text/calendar; charset=utf-8"
    assert head["assets/stylesheets/main.4b1f.min.css"]["CacheControl"] == IMMUTABLE
    assert head["assets/images/logo.png"]["ContentType"] == "image/png"
    assert bucket.get_object(Bucket="site", Key="index.html")["Body"].read().decode() == "<h1>翠湖</h1>"


def test_a_second_run_uploads_what_changed_and_deletes_what_is_gone(bucket, tmp_path, endpoint):
    site = _site(tmp_path, {"index.html": "v1", "notices/a.html": "a", "notices/b.html": "b"})
    publish_site(bucket, "site", site)
    (site / "notices" / "b.html").unlink()
    (site / "index.html").write_text("v2", encoding="utf-8")
    cloudfront = boto3.client("cloudfront", endpoint_url=endpoint, region_name="us-east-1")
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"},
    })["Distribution"]["Id"]

    second = publish_site(bucket, "site", site)
    third = publish_site(bucket, "site", site)

    assert (second.uploaded, second.unchanged, second.deleted) == (["index.html"], 1, ["notices/b.html"])
    assert sorted(o["Key"] for o in bucket.list_objects_v2(Bucket="site")["Contents"]) == ["index.html", "notices/a.html"]
    assert invalidate(cloudfront, distribution, second) is not None
    assert (third.uploaded, third.deleted) == ([], []) and invalidate(cloudfront, distribution, third) is None
    (batch,) = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    paths = cloudfront.get_invalidation(DistributionId=distribution, Id=batch["Id"])["Invalidation"]
    assert paths["InvalidationBatch"]["Paths"]["Items"] == ["/*"]
