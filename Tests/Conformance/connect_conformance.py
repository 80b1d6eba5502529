#!/usr/bin/env python3
"""A complete chat through a running Parley server, driven by boto3's own `connect` and `connectparticipant` clients.

Usage: connect_conformance.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY QUERY_SOCKET

botocore builds every request from Amazon's service models, signs control-plane calls with SigV4 and parses every
answer and error with the models, so a URI, a field name, a type, a status or an error shape that differs from
Amazon's fails here. The agent side uses Parley's agent desktop API (Amazon's agent desktop is not a public API).

It checks, in order:
- SigV4: unsigned, unknown-key, wrong-secret and stale requests are refused with Amazon's error types;
- CreateInstance / DescribeInstance / ListInstances;
- building the contact center with the SDK: hours of operation, a queue, a disconnect flow and an inbound flow,
  a routing profile, a user with a password, agent statuses and PutUserStatus;
- StartChatContact, the customer's and the agent's participant connections, messages both ways, typing and read
  receipts, transcript paging from both sides;
- the agent accepting the offer through the agent API; the agent leaving, the disconnect flow waiting, the customer
  returning and being routed back to the same agent;
- GetCurrentMetricData, GetMetricDataV2, DescribeContact (the contact record's queue, agent and times), the
  contact trace records of both segments in Amazon's CTR shape (from the query socket),
  Get/UpdateContactAttributes, SearchContacts, StopContact;
- error cases: unknown instance, unknown contact, unknown flow, a stopped contact, invalid parameters.
Exits 0 when every check passes; otherwise prints the failed check and exits 1.
Run by Tests/ParleyServerTests/ConnectConformanceTests.swift.
"""
import datetime
import http.client
import json
import socket
import sys
import time
import urllib.request
from unittest import mock

import boto3
import botocore.auth
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def error_code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("the call was expected to fail")


def client(service, endpoint, key, secret, **extra):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **extra),
    )


class Agent:
    """The agent desktop API of Parley (HTTP + JSON, a bearer session token)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.token = None
        self.after = 0

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(request, timeout=60) as answer:
            text = answer.read()
            return json.loads(text) if text else {}

    def login(self, username, password):
        self.token = self.call("POST", "/agent/v1/login", {"Username": username, "Password": password})["SessionToken"]

    def next_contact_entry(self, state, contact_id=None):
        """Waits on the feed (long-poll, bounded) for a CONTACT entry in `state`."""
        for _ in range(10):
            page = self.call("GET", "/agent/v1/events?after=%d&waitSeconds=5" % self.after)
            for entry in page["Events"]:
                self.after = max(self.after, entry["Sequence"])
                if entry["Kind"] == "CONTACT" and entry["State"] == state:
                    if contact_id is None or entry.get("ContactId") == contact_id:
                        return entry
        raise AssertionError("no %s entry on the agent's feed" % state)


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the query socket (what `curl --unix-socket` does)."""

    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def query(socket_path, target):
    connection = UnixConnection(socket_path)
    connection.request("GET", target)
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    expect(answer.status == 200, "GET %s: %d %s" % (target, answer.status, body[:200]))
    return json.loads(body)


def inbound_flow(queue_arn, disconnect_flow_id):
    return json.dumps(
        {
            "Version": "2019-10-30",
            "StartAction": "greet",
            "Metadata": {"name": "conformance inbound"},
            "Actions": [
                {
                    "Identifier": "greet",
                    "Type": "MessageParticipant",
                    "Parameters": {"Text": "Welcome."},
                    "Transitions": {"NextAction": "hooks", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "hooks"}]},
                },
                {
                    "Identifier": "hooks",
                    "Type": "UpdateContactEventHooks",
                    "Parameters": {"EventHooks": {"CustomerRemaining": disconnect_flow_id}},
                    "Transitions": {"NextAction": "queue", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "queue"}]},
                },
                {
                    "Identifier": "queue",
                    "Type": "UpdateContactTargetQueue",
                    "Parameters": {"QueueId": queue_arn},
                    "Transitions": {"NextAction": "transfer", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "end"}]},
                },
                {
                    "Identifier": "transfer",
                    "Type": "TransferContactToQueue",
                    "Parameters": {},
                    "Transitions": {
                        "NextAction": "end",
                        "Errors": [
                            {"ErrorType": "QueueAtCapacity", "NextAction": "end"},
                            {"ErrorType": "NoMatchingError", "NextAction": "end"},
                        ],
                    },
                },
                {"Identifier": "end", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
            ],
        }
    )


DISCONNECT_FLOW = json.dumps(
    {
        "Version": "2019-10-30",
        "StartAction": "wait",
        "Metadata": {"name": "conformance disconnect"},
        "Actions": [
            {
                "Identifier": "wait",
                "Type": "Wait",
                "Parameters": {"TimeoutSeconds": "900", "Events": ["CustomerReturned"]},
                "Transitions": {
                    "NextAction": "bye",
                    "Conditions": [
                        {"NextAction": "to-agent", "Condition": {"Operator": "Equals", "Operands": ["CustomerReturned"]}},
                        {"NextAction": "bye", "Condition": {"Operator": "Equals", "Operands": ["WaitCompleted"]}},
                    ],
                    "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}],
                },
            },
            {
                "Identifier": "to-agent",
                "Type": "UpdateContactTargetQueue",
                "Parameters": {"AgentId": "$.PreviousContact.AgentId"},
                "Transitions": {"NextAction": "transfer", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "bye"}]},
            },
            {
                "Identifier": "transfer",
                "Type": "TransferContactToQueue",
                "Parameters": {},
                "Transitions": {
                    "NextAction": "bye",
                    "Errors": [
                        {"ErrorType": "QueueAtCapacity", "NextAction": "bye"},
                        {"ErrorType": "NoMatchingError", "NextAction": "bye"},
                    ],
                },
            },
            {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        ],
    }
)


def check_signatures(endpoint, key, secret):
    unsigned = boto3.client(
        "connect", endpoint_url=endpoint, region_name=REGION, config=Config(signature_version=UNSIGNED)
    )
    expect(
        error_code(lambda: unsigned.list_instances()) == ("MissingAuthenticationTokenException", 403),
        "an unsigned call is refused",
    )
    unknown = client("connect", endpoint, "AKIDNOTKNOWNTOPARLEY", secret)
    expect(
        error_code(lambda: unknown.list_instances()) == ("UnrecognizedClientException", 403),
        "an unknown access key is refused",
    )
    wrong = client("connect", endpoint, key, secret + "-wrong")
    expect(
        error_code(lambda: wrong.list_instances()) == ("InvalidSignatureException", 403),
        "a wrong secret is refused",
    )

    stale_now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)

    class Stale(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return stale_now

        @classmethod
        def now(cls, tz=None):
            return stale_now if tz is None else stale_now.replace(tzinfo=tz)

    signed = client("connect", endpoint, key, secret)
    with mock.patch.object(botocore.auth.datetime, "datetime", Stale):
        code = error_code(lambda: signed.list_instances())
    expect(code == ("InvalidSignatureException", 403), "a stale signature is refused: %r" % (code,))


def main(endpoint, key, secret, socket_path):
    check_signatures(endpoint, key, secret)
    connect = client("connect", endpoint, key, secret)
    participant = client("connectparticipant", endpoint, "unused", "unused")

    # Instances.
    created = connect.create_instance(
        IdentityManagementType="CONNECT_MANAGED", InstanceAlias="conformance", InboundCallsEnabled=True,
        OutboundCallsEnabled=False,
    )
    instance_id, instance_arn = created["Id"], created["Arn"]
    described = connect.describe_instance(InstanceId=instance_id)["Instance"]
    expect(described["InstanceAlias"] == "conformance" and described["InstanceStatus"] == "ACTIVE", "DescribeInstance")
    expect(isinstance(described["CreatedTime"], datetime.datetime), "CreatedTime is a timestamp")
    listed = connect.list_instances()["InstanceSummaryList"]
    expect(instance_id in [summary["Id"] for summary in listed], "ListInstances")
    expect(
        error_code(lambda: connect.describe_instance(InstanceId="00000000-0000-0000-0000-000000000000"))
        == ("ResourceNotFoundException", 404),
        "an unknown instance",
    )

    # The contact center, built with the SDK.
    days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
    hours = connect.create_hours_of_operation(
        InstanceId=instance_id, Name="Always", TimeZone="UTC",
        Config=[{"Day": day, "StartTime": {"Hours": 0, "Minutes": 0}, "EndTime": {"Hours": 23, "Minutes": 59}} for day in days],
    )
    queue = connect.create_queue(
        InstanceId=instance_id, Name="Support", Description="Customers who chat", MaxContacts=10,
        HoursOfOperationId=hours["HoursOfOperationId"],
    )
    queue_id, queue_arn = queue["QueueId"], queue["QueueArn"]
    described_queue = connect.describe_queue(InstanceId=instance_id, QueueId=queue_id)["Queue"]
    expect(described_queue["Description"] == "Customers who chat" and described_queue["MaxContacts"] == 10, "DescribeQueue")
    disconnect = connect.create_contact_flow(
        InstanceId=instance_id, Name="Disconnect", Type="CONTACT_FLOW", Content=DISCONNECT_FLOW
    )
    inbound = connect.create_contact_flow(
        InstanceId=instance_id, Name="Inbound", Type="CONTACT_FLOW",
        Content=inbound_flow(queue_arn, disconnect["ContactFlowId"]),
    )
    flow_id = inbound["ContactFlowId"]
    flow = connect.describe_contact_flow(InstanceId=instance_id, ContactFlowId=flow_id)["ContactFlow"]
    expect(flow["Name"] == "Inbound" and json.loads(flow["Content"])["StartAction"] == "greet", "DescribeContactFlow")
    expect(
        error_code(lambda: connect.create_contact_flow(
            InstanceId=instance_id, Name="Broken", Type="CONTACT_FLOW", Content="{\"Actions\": 1}"
        ))[0] == "InvalidContactFlowException",
        "an invalid flow is refused",
    )
    profile = connect.create_routing_profile(
        InstanceId=instance_id, Name="Chat agents", Description="chat", DefaultOutboundQueueId=queue_id,
        QueueConfigs=[{"QueueReference": {"QueueId": queue_id, "Channel": "CHAT"}, "Priority": 1, "Delay": 0}],
        MediaConcurrencies=[{"Channel": "CHAT", "Concurrency": 2}],
    )
    user = connect.create_user(
        InstanceId=instance_id, Username="ana", Password="Conformance-1",
        IdentityInfo={"FirstName": "Ana", "LastName": "Agent"},
        PhoneConfig={"PhoneType": "SOFT_PHONE", "AutoAccept": False, "AfterContactWorkTimeLimit": 0},
        SecurityProfileIds=["agent"], RoutingProfileId=profile["RoutingProfileId"],
    )
    user_id = user["UserId"]
    expect(connect.describe_user(InstanceId=instance_id, UserId=user_id)["User"]["Username"] == "ana", "DescribeUser")
    expect(
        error_code(lambda: connect.create_user(
            InstanceId=instance_id, Username="weak", Password="weak", PhoneConfig={"PhoneType": "SOFT_PHONE"},
            SecurityProfileIds=["agent"], RoutingProfileId=profile["RoutingProfileId"],
        ))[0] == "InvalidParameterException",
        "a weak password is refused",
    )
    statuses = connect.list_agent_statuses(InstanceId=instance_id, AgentStatusTypes=["ROUTABLE"])
    available = statuses["AgentStatusSummaryList"][0]["Id"]

    agent = Agent(endpoint)
    agent.login("ana", "Conformance-1")
    connect.put_user_status(InstanceId=instance_id, UserId=user_id, AgentStatusId=available)

    # A chat: the customer starts it, the agent accepts the offer.
    chat = connect.start_chat_contact(
        InstanceId=instance_id, ContactFlowId=flow_id, ParticipantDetails={"DisplayName": "Customer"},
        InitialMessage={"ContentType": "text/plain", "Content": "Hello, I need help"}, Attributes={"tier": "gold"},
    )
    contact_id = chat["ContactId"]
    customer = participant.create_participant_connection(
        Type=["WEBSOCKET", "CONNECTION_CREDENTIALS"], ParticipantToken=chat["ParticipantToken"], ConnectParticipant=True
    )["ConnectionCredentials"]["ConnectionToken"]

    current = connect.get_current_metric_data(
        InstanceId=instance_id, Filters={"Queues": [queue_id], "Channels": ["CHAT"]},
        Groupings=["QUEUE"], CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}],
    )
    waiting = current["MetricResults"][0]["Collections"][0]["Value"]

    offer = agent.next_contact_entry("CONNECTING", contact_id)
    expect(offer["QueueId"] == queue_id, "the offer names the queue")
    expect(waiting in (0.0, 1.0), "CONTACTS_IN_QUEUE is a count: %r" % waiting)
    accepted = agent.call("POST", "/agent/v1/contacts/%s/accept" % contact_id)
    agent_connection = participant.create_participant_connection(
        Type=["CONNECTION_CREDENTIALS"], ParticipantToken=accepted["ParticipantToken"], ConnectParticipant=True
    )["ConnectionCredentials"]["ConnectionToken"]

    # Messages both ways, typing and read receipts.
    from_agent = participant.send_message(ContentType="text/plain", Content="Hi, I am Ana", ConnectionToken=agent_connection)
    participant.send_event(ContentType="application/vnd.amazonaws.connect.event.typing", ConnectionToken=customer)
    from_customer = participant.send_message(ContentType="text/plain", Content="My order is late", ConnectionToken=customer)
    participant.send_event(
        ContentType="application/vnd.amazonaws.connect.event.message.read",
        Content=json.dumps({"messageId": from_agent["Id"]}), ConnectionToken=customer,
    )
    participant.send_event(
        ContentType="application/vnd.amazonaws.connect.event.message.delivered",
        Content=json.dumps({"messageId": from_customer["Id"]}), ConnectionToken=agent_connection,
    )
    for token, role in ((customer, "customer"), (agent_connection, "agent")):
        transcript = participant.get_transcript(ConnectionToken=token, MaxResults=100, SortOrder="ASCENDING")["Transcript"]
        texts = [item.get("Content") for item in transcript if item["Type"] == "MESSAGE"]
        expect("Hi, I am Ana" in texts and "My order is late" in texts, "the %s's transcript: %r" % (role, texts))
        types = {item["Type"] for item in transcript}
        expect("EVENT" in types, "the %s's transcript has events" % role)
        read = [item for item in transcript if item.get("Id") == from_agent["Id"]][0]
        receipts = read.get("MessageMetadata", {}).get("Receipts", [])
        expect(any("ReadTimestamp" in receipt for receipt in receipts), "the read receipt: %r" % read)
    first = participant.get_transcript(ConnectionToken=customer, MaxResults=2, SortOrder="ASCENDING")
    expect(len(first["Transcript"]) == 2 and "NextToken" in first, "transcript paging")
    rest = participant.get_transcript(
        ConnectionToken=customer, MaxResults=100, SortOrder="ASCENDING", NextToken=first["NextToken"]
    )
    expect(first["Transcript"][-1]["Id"] != rest["Transcript"][0]["Id"], "the next page goes on")

    # The agent leaves: the disconnect flow waits; the customer returns and is routed back to the same agent.
    agent.call("POST", "/agent/v1/contacts/%s/end" % contact_id)
    participant.send_message(ContentType="text/plain", Content="Are you still there?", ConnectionToken=customer)
    second_offer = agent.next_contact_entry("CONNECTING")
    second_contact = second_offer["ContactId"]
    expect(second_contact != contact_id, "the return is a new contact segment")
    agent.call("POST", "/agent/v1/contacts/%s/clear" % contact_id)
    agent.call("POST", "/agent/v1/contacts/%s/accept" % second_contact)
    segment = connect.describe_contact(InstanceId=instance_id, ContactId=second_contact)["Contact"]
    expect(segment["InitialContactId"] == contact_id, "the segment continues the chat")
    expect(segment["PreviousContactId"] == contact_id, "the segment follows the first: %r" % segment)
    expect(segment["InitiationMethod"] == "DISCONNECT", "the return runs in the disconnect segment: %r" % segment)

    # Attributes, search and the contact record.
    connect.update_contact_attributes(InstanceId=instance_id, InitialContactId=contact_id, Attributes={"tier": "platinum"})
    attributes = connect.get_contact_attributes(InstanceId=instance_id, InitialContactId=contact_id)["Attributes"]
    expect(attributes["tier"] == "platinum", "UpdateContactAttributes: %r" % attributes)
    first_segment = connect.describe_contact(InstanceId=instance_id, ContactId=contact_id)["Contact"]
    expect(first_segment["Channel"] == "CHAT" and first_segment["InitiationMethod"] == "API", "DescribeContact")
    expect(first_segment["QueueInfo"]["Id"] == queue_id, "the contact's queue")
    expect(first_segment["AgentInfo"]["Id"] == user_id, "the contact's agent")
    expect(isinstance(first_segment["AgentInfo"]["ConnectedToAgentTimestamp"], datetime.datetime), "connected time")
    expect(isinstance(first_segment["DisconnectTimestamp"], datetime.datetime), "the first segment ended")
    found = connect.search_contacts(
        InstanceId=instance_id,
        TimeRange={"Type": "INITIATION_TIMESTAMP", "StartTime": datetime.datetime(2020, 1, 1), "EndTime": datetime.datetime(2100, 1, 1)},
        SearchCriteria={"AgentIds": [user_id], "Channels": ["CHAT"]},
    )
    expect(contact_id in [summary["Id"] for summary in found["Contacts"]], "SearchContacts finds the contact")

    # The customer leaves; the contact ends.
    participant.disconnect_participant(ConnectionToken=customer)
    expect(
        error_code(lambda: connect.stop_contact(InstanceId=instance_id, ContactId=second_contact))
        == ("ContactNotFoundException", 410),
        "StopContact on an ended contact",
    )
    ended = connect.describe_contact(InstanceId=instance_id, ContactId=second_contact)["Contact"]
    expect(isinstance(ended["DisconnectTimestamp"], datetime.datetime), "the returned segment ended")

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    v2 = connect.get_metric_data_v2(
        ResourceArn=instance_arn, StartTime=now - datetime.timedelta(hours=1), EndTime=now,
        Filters=[{"FilterKey": "QUEUE", "FilterValues": [queue_id]}], Groupings=["QUEUE"],
        Metrics=[{"Name": "CONTACTS_CREATED"}, {"Name": "CONTACTS_HANDLED"}],
    )
    values = {collection["Metric"]["Name"]: collection["Value"] for collection in v2["MetricResults"][0]["Collections"]}
    expect(values.get("CONTACTS_CREATED", 0) >= 1, "GetMetricDataV2 CONTACTS_CREATED: %r" % values)

    # The contact trace records, as Amazon exports them.
    position = query(socket_path, "/v1/status?instance=%s" % instance_id)["position"]
    ctr = query(socket_path, "/v1/ctrs/%s?instance=%s&atLeast=%d" % (contact_id, instance_id, position))
    expect(ctr["Channel"] == "CHAT" and ctr["InstanceARN"] == instance_arn, "the CTR's channel and instance")
    expect(ctr["Queue"]["ARN"] == queue_arn, "the CTR's queue: %r" % ctr["Queue"])
    expect(ctr["Agent"]["Username"] == "ana", "the CTR's agent: %r" % ctr["Agent"])
    expect(ctr["DisconnectReason"] == "AGENT_DISCONNECT", "the first segment ended with the agent: %r" % ctr["DisconnectReason"])
    expect(ctr["NextContactId"] == second_contact, "the CTR chain: %r" % ctr["NextContactId"])
    returned = query(socket_path, "/v1/ctrs/%s?instance=%s" % (second_contact, instance_id))
    expect(returned["PreviousContactId"] == contact_id, "the returned segment's previous contact")
    expect(returned["DisconnectReason"] == "CUSTOMER_DISCONNECT", "the returned segment ended with the customer")
    expect(returned["Agent"]["Username"] == "ana", "the returned segment went back to the same agent")

    # Error cases.
    expect(
        error_code(lambda: connect.describe_contact(InstanceId=instance_id, ContactId="5d7b3c1e-0000-4000-8000-000000000000"))
        == ("ResourceNotFoundException", 404),
        "an unknown contact",
    )
    expect(
        error_code(lambda: connect.start_chat_contact(
            InstanceId=instance_id, ContactFlowId="no-such-flow", ParticipantDetails={"DisplayName": "X"}
        ))[1] in (400, 404),
        "an unknown flow",
    )
    expect(
        error_code(lambda: connect.start_chat_contact(
            InstanceId="11111111-2222-3333-4444-555555555555", ContactFlowId=flow_id, ParticipantDetails={"DisplayName": "X"}
        )) == ("ResourceNotFoundException", 404),
        "an unknown instance",
    )
    print("every check passed")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:5])
    except AssertionError as failure:
        print("FAILED:", failure)
        sys.exit(1)
