"""Makes two AWS access keys on a moto server for tests/integration/verify.rs.

Usage: moto_keys.py ENDPOINT_URL FREE_ACTIONS

moto_server checks signatures against its IAM only after its first
FREE_ACTIONS requests (INITIAL_NO_AUTH_ACTION_COUNT). This script makes an
IAM user with a key that stays and one that is deleted, spends exactly the
remaining free requests, checks that moto now tells the two apart, and
prints both pairs as JSON. Keys whose id has characters AWS never uses
(0, 1, 8, 9: ids are base32) are set aside, as the detector would not
match them.
"""
import json
import re
import sys

import boto3
import botocore.exceptions

endpoint, free = sys.argv[1], int(sys.argv[2])
used = 0


def client(service, key_id="testing", secret="testing"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


iam = client("iam")


def call(fn, **kwargs):
    global used
    used += 1
    return fn(**kwargs)


ID = re.compile(r"^AKIA[A-Z2-7]{16}$")
SECRET = re.compile(r"^[A-Za-z0-9/+]{40}$")
keys = []
n = 0
while len(keys) < 2:
    n += 1
    if used + 2 > free - 2:
        sys.exit(f"no usable key within {free} free requests")
    user = f"leaky-{n}"
    call(iam.create_user, UserName=user)
    key = call(iam.create_access_key, UserName=user)["AccessKey"]
    if ID.match(key["AccessKeyId"]) and SECRET.match(key["SecretAccessKey"]):
        keys.append({"user": user, "id": key["AccessKeyId"], "secret": key["SecretAccessKey"]})
live, dead = keys
call(iam.delete_access_key, UserName=dead["user"], AccessKeyId=dead["id"])
while used < free:
    call(iam.list_users)

# Authentication is on now: the live pair works and the deleted one does not.
me = client("sts", live["id"], live["secret"]).get_caller_identity()
assert me["Arn"].endswith(":user/" + live["user"]), me
try:
    client("sts", dead["id"], dead["secret"]).get_caller_identity()
    sys.exit("moto accepted a deleted key")
except botocore.exceptions.ClientError as error:
    assert error.response["Error"]["Code"] == "InvalidClientTokenId", error.response
live["arn"] = me["Arn"]
live["account"] = me["Account"]
print(json.dumps({"live": live, "dead": dead}))
