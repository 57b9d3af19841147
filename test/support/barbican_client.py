"""Drives the v1 API with the real python-barbicanclient (Debian's python3-barbicanclient).

usage: /usr/bin/python3 barbican_client.py BASE_URL API_KEY PROJECT_ID

Authenticates as a Barbican deployment without Keystone would be reached: a token_endpoint
auth plugin sends the API key as X-Auth-Token, and the client sends X-Project-Id. Prints one
JSON object with what the client saw; the Jest test (v1BarbicanClient.test.ts) asserts on it.
"""

import base64
import json
import sys

from barbicanclient import client
from barbicanclient import exceptions
from keystoneauth1 import session
from keystoneauth1 import token_endpoint

BINARY = bytes([0, 1, 2, 0xB0, 0xFE, 0xFF])


def describe(secret):
    return {
        "secret_ref": secret.secret_ref,
        "name": secret.name,
        "status": secret.status,
        "secret_type": secret.secret_type,
        "algorithm": secret.algorithm,
        "bit_length": secret.bit_length,
        "mode": secret.mode,
        "content_types": secret.content_types,
        "created": secret.created.isoformat() if secret.created else None,
        "expiration": secret.expiration.isoformat() if secret.expiration else None,
    }


def failure(action):
    try:
        action()
    except exceptions.HTTPError as error:
        return {"status": error.status_code, "message": str(error)}
    return None


def main(base_url, api_key, project_id):
    auth = token_endpoint.Token(base_url, api_key)
    barbican = client.Client(session=session.Session(auth=auth), endpoint=base_url, project_id=project_id)
    out = {}

    # Create with a text payload, a binary payload, and none (then give it one with PUT).
    text = barbican.secrets.create(name="client-text", payload="s3cr3t text \u2713")
    out["text_ref"] = text.store()
    binary = barbican.secrets.create(name="client-binary", payload=BINARY)
    out["binary_ref"] = binary.store()
    empty = barbican.secrets.create(
        name="client-empty",
        algorithm="aes",
        bit_length=256,
        mode="cbc",
        secret_type="symmetric",
        expiration="2030-02-28T19:14:44.180394",
    )
    out["empty_ref"] = empty.store()
    out["empty_before"] = describe(barbican.secrets.get(out["empty_ref"]))
    barbican.secrets.update(out["empty_ref"], b"given-later")

    # Read back metadata and payloads, each through a fresh Secret object.
    out["text"] = describe(barbican.secrets.get(out["text_ref"]))
    out["text_payload"] = barbican.secrets.get(out["text_ref"]).payload
    out["binary"] = describe(barbican.secrets.get(out["binary_ref"]))
    out["binary_payload"] = base64.b64encode(barbican.secrets.get(out["binary_ref"]).payload).decode()
    out["empty_after"] = describe(barbican.secrets.get(out["empty_ref"]))
    out["empty_payload"] = base64.b64encode(barbican.secrets.get(out["empty_ref"]).payload).decode()
    out["second_put"] = failure(lambda: barbican.secrets.update(out["empty_ref"], b"again"))

    # List: paging, the total, the name filter, sort.
    out["page1"] = [s.name for s in barbican.secrets.list(limit=2, offset=0)]
    out["page2"] = [s.name for s in barbican.secrets.list(limit=2, offset=2)]
    out["total"] = barbican.secrets.total()
    out["by_name"] = [describe(s) for s in barbican.secrets.list(name="client-binary")]
    out["sorted"] = [s.name for s in barbican.secrets.list(sort="name:desc")]

    # User metadata, through the client's own HTTP adapter (python-barbicanclient 5.4 has no
    # metadata manager): the calls Barbican's API reference documents.
    uuid = out["text_ref"].rsplit("/", 1)[1]
    metadata = "secrets/{0}/metadata".format(uuid)
    http = barbican.client
    out["metadata_put"] = http.put(metadata, json={"metadata": {"Owner": "ada", "env": "prod"}}).json()
    out["metadata_post"] = http.post(metadata, json={"key": "team", "value": "keys"})
    out["metadata"] = http.get(metadata)
    out["metadatum"] = http.get(metadata + "/owner")
    out["metadatum_put"] = http.put(metadata + "/owner", json={"key": "owner", "value": "bob"}).json()
    out["metadatum_delete"] = http.delete(metadata + "/env").status_code
    out["metadata_after"] = http.get(metadata)

    # Errors arrive as the client's HTTP errors, with Barbican's title and description.
    out["bad_create"] = failure(
        lambda: barbican.secrets.create(name="bad", payload="x", payload_content_type="text/html").store()
    )
    barbican.secrets.delete(out["binary_ref"])
    out["after_delete"] = failure(lambda: barbican.secrets.get(out["binary_ref"]).name)
    out["names_after_delete"] = sorted(s.name for s in barbican.secrets.list())
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
