#!/usr/bin/env python3
"""The participant service of a running Parley server, called through boto3's own `connectparticipant` client.

Usage: participant_conformance.py ENDPOINT PARTICIPANT_TOKEN CONTACT_ID

botocore builds every request from Amazon's service model and parses every answer and error with it, so a field
name, a type or an error shape that differs from Amazon's fails here. Exits 0 when every check passes; otherwise
prints the failed check and exits 1. Run by Tests/ParleyServerTests/ParticipantConformanceTests.swift.
"""
import sys

import boto3
from botocore.exceptions import ClientError


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def error_code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("the call was expected to fail")


def main(endpoint, participant_token, contact_id):
    client = boto3.client(
        "connectparticipant",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="parley",
        aws_secret_access_key="parley",
    )
    connection = client.create_participant_connection(
        Type=["WEBSOCKET", "CONNECTION_CREDENTIALS"], ParticipantToken=participant_token, ConnectParticipant=True
    )
    expect(connection["Websocket"]["Url"].startswith("ws://"), "Websocket.Url")
    expect(connection["Websocket"]["ConnectionExpiry"].endswith("Z"), "Websocket.ConnectionExpiry")
    token = connection["ConnectionCredentials"]["ConnectionToken"]
    expect(connection["ConnectionCredentials"]["Expiry"].endswith("Z"), "ConnectionCredentials.Expiry")

    # boto3 fills ClientToken itself (an idempotency token in the model).
    sent = client.send_message(ContentType="text/plain", Content="Hello from boto3", ConnectionToken=token)
    expect(len(sent["Id"]) > 0 and sent["AbsoluteTime"].endswith("Z"), "SendMessage answer")
    again = client.send_message(
        ContentType="text/plain", Content="Hello again", ConnectionToken=token, ClientToken="boto3-retry"
    )
    retried = client.send_message(
        ContentType="text/plain", Content="Hello again", ConnectionToken=token, ClientToken="boto3-retry"
    )
    expect(retried["Id"] == again["Id"], "a retried ClientToken answers the same message")
    typing = client.send_event(ContentType="application/vnd.amazonaws.connect.event.typing", ConnectionToken=token)
    expect(len(typing["Id"]) > 0, "SendEvent answer")

    page = client.get_transcript(ConnectionToken=token, MaxResults=100, SortOrder="ASCENDING", ScanDirection="BACKWARD")
    expect(page["InitialContactId"] == contact_id, "GetTranscript InitialContactId")
    contents = [item.get("Content") for item in page["Transcript"] if item["Type"] == "MESSAGE"]
    expect("Hello from boto3" in contents, "the message is in the transcript: %r" % contents)
    expect(contents.count("Hello again") == 1, "the retried message is in the transcript once")
    mine = [item for item in page["Transcript"] if item.get("Id") == sent["Id"]][0]
    expect(mine["ParticipantRole"] == "CUSTOMER" and mine["AbsoluteTime"].endswith("Z"), "the item's fields")

    small = client.get_transcript(ConnectionToken=token, MaxResults=1)
    expect(len(small["Transcript"]) == 1 and "NextToken" in small, "GetTranscript pages with NextToken")
    following = client.get_transcript(ConnectionToken=token, MaxResults=1, NextToken=small["NextToken"])
    expect(following["Transcript"][0]["Id"] != small["Transcript"][0]["Id"], "NextToken moves on")

    expect(
        error_code(lambda: client.send_message(ContentType="image/png", Content="x", ConnectionToken=token))
        == ("ValidationException", 400),
        "an unsupported content type is a ValidationException",
    )
    expect(
        error_code(lambda: client.send_message(ContentType="text/plain", Content="x", ConnectionToken="forged"))
        == ("AccessDeniedException", 403),
        "a forged connection token is an AccessDeniedException",
    )

    client.disconnect_participant(ConnectionToken=token)
    ended = client.get_transcript(ConnectionToken=token, MaxResults=100)
    expect(
        any(item["ContentType"].endswith("chat.ended") for item in ended["Transcript"]),
        "the ended chat's transcript shows chat.ended",
    )
    print("participant conformance: every check passed")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:4])
    except AssertionError as failure:
        print("participant conformance failed: %s" % failure, file=sys.stderr)
        sys.exit(1)
