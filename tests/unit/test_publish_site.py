"""The deployed site's configuration comes from the stack's outputs only, and the local sign-in is never
published (issue 12)."""

from __future__ import annotations

import json
import re

from devstack.template import load_template
from ops.publish_site import NEEDED, render_config, site_files


def test_config_js_is_written_from_the_stacks_outputs():
    outputs = {
        "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/dev/",
        "UserPoolId": "eu-west-1_AbC123",
        "UserPoolClientId": "client123",
        "AuthUrl": "https://hourbank-dev-1.auth.eu-west-1.amazoncognito.com",
        "WebsiteUrl": "https://d111.cloudfront.net",
        "WebBucketName": "b",
        "WebDistributionId": "E1",
    }
    text = render_config(outputs)
    api = re.search(r"HOURBANK_API_URL = (.+);", text).group(1)
    auth = json.loads(re.search(r"HOURBANK_AUTH = (.+);", text).group(1))
    assert json.loads(api) == "https://abc.execute-api.eu-west-1.amazonaws.com/dev"
    # oidc-client-ts reads the user pool's discovery document (issue 20 item 7): the pool is the authority,
    # the portal the redirect (the client's callback URL), the managed login's /logout the sign-out.
    assert auth == {
        "authority": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "clientId": "client123",
        "redirectUri": "https://d111.cloudfront.net/portal/",
        "logoutUrl": "https://hourbank-dev-1.auth.eu-west-1.amazoncognito.com/logout",
        "local": False,
    }


def test_every_output_the_script_needs_is_in_the_template():
    assert set(NEEDED) <= set(load_template()["Outputs"])


def test_the_published_site_has_the_portal_and_not_the_local_sign_in():
    from buildtools.web_build import ensure_built

    keys = {key for key, _ in site_files(ensure_built())}
    assert {"index.html", "paid.html", "portal/index.html", "style.css"} <= keys
    bundles = {k for k in keys if k.startswith("assets/") and k.endswith(".js")}
    assert {re.sub(r"-[\w-]+\.js$", "", k) for k in bundles} >= {"assets/order", "assets/paid", "assets/portal"}
    assert not any(k.startswith("src/") or k.endswith((".ts", ".tsx")) for k in keys)  # the build, not the sources
    assert "config.js" not in keys  # written from the outputs instead
    assert not any("local-auth" in k or "local_auth" in k for k in keys)


def test_site_callbacks_cors_and_invitation_follow_the_distribution():
    res = load_template()["Resources"]
    client = res["UserPoolClient"]["Properties"]
    site = "https://${WebDistribution.DomainName}"
    assert client["AllowedOAuthFlows"] == ["code"] and client["CallbackURLs"] == [{"Fn::Sub": f"{site}/portal/"}]
    assert client["LogoutURLs"] == [{"Fn::Sub": f"{site}/portal/"}]
    cors = res["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"]
    assert cors == [{"Fn::Sub": site}]
    config = res["WebDistribution"]["Properties"]["DistributionConfig"]
    assert "OriginAccessControlId" in config["Origins"][0]
    # S3's REST endpoint has no index documents: /portal/ needs the viewer-request function.
    [association] = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert "index.html" in res["WebIndexFunction"]["Properties"]["FunctionCode"]
    blocked = res["WebBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(blocked.values())
    schema = res["UserPool"]["Properties"]["Schema"]
    assert any(a["Name"] == "account_id" for a in schema)  # custom:account_id
