"""The Cognito adapter of the invitation port (SPEC W1, issue 12) at the API level, with botocore's Stubber:
the user is created with the e-mail (trimmed, lower case) as username, ``custom:account_id`` and Cognito's
e-mail invitation, then put in the customers group; a user that exists already (a retry) is only put in the group."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from hourbank.ports.invitations import CognitoInviter
from hourbank.store.models import AccountModel

POOL = "us-east-1_TestPool"


@pytest.fixture
def cognito():
    client = boto3.client("cognito-idp", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


def account() -> AccountModel:
    return AccountModel(
        "acc_01invite",
        name="Invite Co",
        email=" Owner@Invite.Example ",
        plan="member",
        plan_version="x",
        currency="USD",
        created_at="2026-11-01T00:00:00+00:00",
    )


def test_a_customer_is_created_with_their_account_and_put_in_the_customers_group(cognito):
    client, stub = cognito
    stub.add_response(
        "admin_create_user",
        {"User": {"Username": "owner@invite.example"}},
        {
            "UserPoolId": POOL,
            "Username": "owner@invite.example",
            "DesiredDeliveryMediums": ["EMAIL"],
            "UserAttributes": [
                {"Name": "email", "Value": "owner@invite.example"},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:account_id", "Value": "acc_01invite"},
            ],
        },
    )
    stub.add_response(
        "admin_add_user_to_group",
        {},
        {"UserPoolId": POOL, "Username": "owner@invite.example", "GroupName": "customers"},
    )
    CognitoInviter(POOL, client).invite(account())
    stub.assert_no_pending_responses()


def test_a_user_that_exists_already_is_only_put_in_the_group(cognito):
    client, stub = cognito
    stub.add_client_error("admin_create_user", "UsernameExistsException", "User account already exists")
    stub.add_response(
        "admin_add_user_to_group",
        {},
        {"UserPoolId": POOL, "Username": "owner@invite.example", "GroupName": "customers"},
    )
    CognitoInviter(POOL, client).invite(account())
    stub.assert_no_pending_responses()


def test_no_user_pool_is_a_configuration_error():
    with pytest.raises(RuntimeError, match="USER_POOL_ID"):
        CognitoInviter("")


def test_the_pool_signs_in_an_address_typed_in_any_case():
    """The invitation's username is the lower-cased address; the customer types it as they like ("Owner@…"), so
    the pool must compare usernames case-insensitively - Cognito's default, with no UsernameConfiguration, is
    case-sensitive."""
    from devstack.template import load_template

    pool = load_template()["Resources"]["UserPool"]["Properties"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool.get("UsernameConfiguration") == {"CaseSensitive": False}


# -- SPEC W1: contacts (issue 24) - invited again with Cognito's RESEND, removed with AdminDeleteUser ----------


def contact(resend: bool = False):
    from hourbank.ports.invitations import ContactInvitation

    return ContactInvitation("acc_01invite", "Invite Co", "Dana", " Dana@Invite.Example ", resend=resend, sent=2)


def test_a_contact_is_created_in_the_customers_group_with_the_account_id_W1(cognito):
    client, stub = cognito
    stub.add_response(
        "admin_create_user",
        {"User": {"Username": "dana@invite.example"}},
        {
            "UserPoolId": POOL,
            "Username": "dana@invite.example",
            "DesiredDeliveryMediums": ["EMAIL"],
            "UserAttributes": [
                {"Name": "email", "Value": "dana@invite.example"},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:account_id", "Value": "acc_01invite"},
            ],
        },
    )
    stub.add_response(
        "admin_add_user_to_group", {}, {"UserPoolId": POOL, "Username": "dana@invite.example", "GroupName": "customers"}
    )
    CognitoInviter(POOL, client).invite_contact(contact())
    stub.assert_no_pending_responses()


def test_an_invitation_is_sent_again_with_resend_and_refused_once_signed_in_W1(cognito):
    from hourbank.ports.invitations import AlreadySignedIn

    client, stub = cognito
    resend = {
        "UserPoolId": POOL,
        "Username": "dana@invite.example",
        "MessageAction": "RESEND",
        "DesiredDeliveryMediums": ["EMAIL"],
    }
    stub.add_response("admin_create_user", {"User": {"Username": "dana@invite.example"}}, resend)
    CognitoInviter(POOL, client).invite_contact(contact(resend=True))
    stub.add_client_error("admin_create_user", "UnsupportedUserStateException", "confirmed", expected_params=resend)
    with pytest.raises(AlreadySignedIn, match="has already signed in"):
        CognitoInviter(POOL, client).invite_contact(contact(resend=True))
    stub.assert_no_pending_responses()


def test_a_removed_contact_s_user_is_deleted_and_a_second_removal_is_harmless_W1(cognito):
    client, stub = cognito
    params = {"UserPoolId": POOL, "Username": "dana@invite.example"}
    stub.add_response("admin_delete_user", {}, params)
    stub.add_client_error("admin_delete_user", "UserNotFoundException", "gone", expected_params=params)
    CognitoInviter(POOL, client).remove_user(" Dana@Invite.Example ")
    CognitoInviter(POOL, client).remove_user("dana@invite.example")
    stub.assert_no_pending_responses()


def test_the_accounts_function_may_delete_users_of_its_own_pool_only_W1():
    from devstack.template import load_template

    policies = load_template()["Resources"]["AccountsApiFunction"]["Properties"]["Policies"]
    cognito = [
        s
        for p in policies
        if isinstance(p, dict)
        for s in p.get("Statement", [])
        if any(str(a).startswith("cognito-idp:") for a in s["Action"])
    ]
    actions = {a for s in cognito for a in s["Action"]}
    assert actions == {"cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminDeleteUser"}
    assert all(s["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]} for s in cognito), cognito
