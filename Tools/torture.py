#!/usr/bin/env python3
"""The kill -9 torture harness: a real `parley serve`, real AWS clients, and SIGKILL at random moments.

Usage: torture.py --parley PATH --data DIR --cycles N [--seed S] [--customers C] [--duration-ms MS]
                  [--no-agent] [--sample K] [--full-replay-every N]

It starts `parley serve --data DIR --port 0 --demo --durability always` (the demo instance is the home instance,
so its log is DIR/log) and, for every cycle:

1. drives load from several threads for a random time (100-800 ms): simulated customers start chats with boto3's
   `connect` client (StartChatContact, SigV4 with the demo access key from the listening line), connect and write
   with `connectparticipant` (CreateParticipantConnection, SendMessage, SendEvent, DisconnectParticipant), and the
   demo agent uses the agent desktop API (logs in once per run, sets itself Available, accepts offers, connects,
   writes, leaves and clears chats);
2. records in memory every call answered with success (acknowledged): contacts started (and their initial
   messages), connection tokens, messages (id, content, sender), disconnects, accepted offers, agents leaving, the
   agent's session and status, and the highest `x-parley-position` answered;
3. `kill -9`s the server while the threads are still sending, waits for it to die, sometimes (15 %) starts it and
   kills it again 0-150 ms later (opening the log, cutting the torn tail, firing deadlines), restarts it on the same
   data directory with the same flags, and checks that
   a. the recovered log position is at least every acknowledged position;
   b. every acknowledged contact exists (DescribeContact); every acknowledged disconnect, agent accept and agent
      end is reflected in it (DisconnectTimestamp, AgentInfo) and in the transcript (participant.left);
   c. every acknowledged message is in its chat's transcript exactly once, with its content and sender
      (GetTranscript with a connection token of the chat, every page through NextToken);
   d. the agent's acknowledged session still opens the desk, with the acknowledged status;
   (b and c for this cycle's chats, those disconnected before the last stop, a sample of older ones, and every
   chat of the run in the last cycle);
4. disconnects the customers still present (acknowledged too, checked after the next restart); sometimes (15 %)
   sends SIGTERM and SIGKILL 0-15 ms later (a kill during the shutdown and its checkpoint) and checks again after a
   restart;
5. reads the live state hash (`GET /v1/status?hash=true` on the query socket: the hash of the snapshot at its
   `position` P) and checks that `parley replay DIR --until T` ends at P with the same state hash (`stateHash`),
   T being the timestamp of record P (`parley log dump`): deadlines may commit events while the hash is computed,
   and the engine stamps events with strictly increasing timestamps. The replay runs while the server still holds
   the log (it only reads it), so its newest checkpoint is one an earlier stop wrote; it reads the whole log
   (`--no-checkpoints`) in every cycle up to 100, then in every 10th and the last (`--full-replay-every`), and
   otherwise that checkpoint and the tail after it. Then it stops the server with SIGTERM (it must exit 0) and
   checks that `parley log verify DIR` exits 0.

Calls cut off by a kill (connection refused or reset, no answer) are not acknowledged and may be lost; an answer of
500 is a failure. Random choices derive from the seed (per cycle and thread); where a kill lands in the server's
work naturally varies from run to run. Prints one line per cycle and a summary; exits 0 only if every check held,
otherwise prints what was lost or differed (with the seed and the cycle) and exits 1, leaving DIR for inspection.
Run by Tests/ParleyCLITests/TortureTests.swift (20 cycles) and `make torture` (1000); see docs/reliability.md.
"""
import argparse
import http.client
import json
import os
import queue
import random
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import boto3
import botocore.exceptions
from botocore.config import Config

REGION = "us-east-1"
SUMMARY_OK = "every acknowledged contact, message, disconnect and accept survived"
# Errors that only mean the server died under the call (refused, reset, closed, no answer): not acknowledged.
TRANSPORT_ERRORS = (botocore.exceptions.BotoCoreError, http.client.HTTPException, OSError)


class Failure(Exception):
    """A check that did not hold: the run stops and reports it."""


# MARK: - The server process


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the query socket (what `curl --unix-socket` does)."""

    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.socket_path)


class Server:
    """One `parley serve` process on the data directory, started and ended by the harness."""

    def __init__(self, parley, data):
        self.parley = parley
        self.data = data
        self.process = None
        self.listening = None
        self.stderr_path = os.path.join(data, "torture-serve.log")

    def spawn(self):
        stderr = open(self.stderr_path, "ab")
        # Amazon's per-instance rates would turn most of the load into ThrottlingException: off for this harness.
        config = os.path.join(self.data, "torture-config.json")
        with open(config, "w") as handle:
            json.dump({"throttling": False}, handle)
        self.process = subprocess.Popen(
            [self.parley, "serve", "--config", config, "--data", self.data, "--port", "0", "--demo",
             "--durability", "always", "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
        )
        stderr.close()

    def start(self):
        """Starts the server and waits (at most 120 s) for its listening line; returns the seconds it took."""
        began = time.monotonic()
        self.spawn()
        lines = queue.Queue()

        def read_stdout(stream):
            for line in stream:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read_stdout, args=(self.process.stdout,), daemon=True).start()
        try:
            line = lines.get(timeout=120)
        except queue.Empty:
            self.kill9()
            raise Failure("the server printed no listening line within 120 s; see %s" % self.stderr_path)
        if line is None:
            self.process.wait()
            raise Failure(
                "the server exited with %s before listening:\n%s" % (self.process.returncode, self.stderr_tail())
            )
        self.listening = json.loads(line)
        if self.listening.get("event") != "listening" or "demo" not in self.listening:
            raise Failure("unexpected listening line: %s" % line.decode(errors="replace").strip())
        return time.monotonic() - began

    def kill_while_starting(self, delay):
        """Starts the server and kills it `delay` seconds later: opening the log, recovering, or just listening."""
        self.spawn()
        time.sleep(delay)
        self.kill9()
        self.process.stdout.close()

    def kill_while_stopping(self, delay):
        """SIGTERM, then SIGKILL `delay` seconds later unless it had stopped (then it must have exited 0)."""
        self.process.send_signal(signal.SIGTERM)
        time.sleep(delay)
        if self.process.poll() is None:
            self.kill9()
            return True
        if self.process.returncode != 0:
            raise Failure("the server exited %s after SIGTERM:\n%s" % (self.process.returncode, self.stderr_tail()))
        return False

    @property
    def http(self):
        return self.listening["http"]

    @property
    def socket(self):
        return self.listening["socket"]

    @property
    def demo(self):
        return self.listening["demo"]

    def kill9(self):
        """SIGKILL, then waits for the process to be gone."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """SIGTERM (graceful shutdown); the server must exit 0 within 120 s."""
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise Failure("the server did not stop within 120 s of SIGTERM")
        if status != 0:
            raise Failure("the server exited %s after SIGTERM:\n%s" % (status, self.stderr_tail()))

    def ensure_dead(self):
        if self.process is not None and self.process.poll() is None:
            self.kill9()

    def query(self, target):
        """GET target on the query socket; the decoded JSON answer."""
        connection = UnixConnection(self.socket)
        try:
            connection.request("GET", target)
            answer = connection.getresponse()
            body = answer.read()
        except OSError as error:
            raise Failure("GET %s on the query socket %s: %s\n%s" % (target, self.socket, error, self.stderr_tail()))
        finally:
            connection.close()
        if answer.status != 200:
            raise Failure("GET %s on the query socket: %d %s" % (target, answer.status, body[:300]))
        return json.loads(body)

    def stderr_tail(self, lines=20):
        try:
            with open(self.stderr_path, "rb") as log:
                return b"".join(log.readlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""


def run_parley(parley, arguments):
    """Runs `parley ARGUMENTS` to completion: (status, stdout, stderr)."""
    done = subprocess.run([parley] + arguments, capture_output=True, timeout=600)
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


# MARK: - What the server acknowledged


@dataclass
class Message:
    """An acknowledged message: the id SendMessage answered, what was sent, and by whom."""

    id: str
    content: str
    role: str


@dataclass
class Chat:
    """One chat as its clients saw it: only what the server answered with success."""

    contact_id: str
    cycle: int
    participant_token: str
    initial_message: str = None
    customer_token: str = None
    agent_token: str = None
    messages: list = field(default_factory=list)
    customer_left: bool = False
    agent_accepted: bool = False
    agent_left: bool = False
    # Set by the harness between cycles: disconnected after the checks, or found ended (nothing to disconnect).
    tidied: bool = False
    closed: bool = False


class Ledger:
    """Every acknowledged call of the run, shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.chats = {}
        # The demo agent across cycles: its acknowledged session (login), status, and feed position.
        self.agent_session = None
        self.agent_status = None
        self.agent_after = 0
        self.agent_tried = set()
        self.order = []
        self.position = 0
        self.counts = {}
        self.errors = {}

    def note_position(self, position):
        if position is not None:
            with self.lock:
                self.position = max(self.position, int(position))

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def error(self, what):
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def add_chat(self, chat):
        with self.lock:
            self.chats[chat.contact_id] = chat
            self.order.append(chat.contact_id)
            self.counts["contacts"] = self.counts.get("contacts", 0) + 1

    def update(self, contact_id, change, what=None):
        with self.lock:
            change(self.chats[contact_id])
            if what:
                self.counts[what] = self.counts.get(what, 0) + 1


def position_of(answer):
    return answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-parley-position")


class Clients:
    """boto3 clients for one server (the port changes with every start), made on the main thread."""

    session = None

    def __init__(self, server):
        if Clients.session is None:
            Clients.session = boto3.session.Session()
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30,
                        max_pool_connections=32)
        demo = server.demo
        self.connect = Clients.session.client(
            "connect", endpoint_url=server.http, region_name=REGION, config=config,
            aws_access_key_id=demo["accessKeyId"], aws_secret_access_key=demo["secretAccessKey"],
        )
        self.participant = Clients.session.client(
            "connectparticipant", endpoint_url=server.http, region_name=REGION, config=config,
            aws_access_key_id="unused", aws_secret_access_key="unused",
        )


def classify(error):
    """The error's name for the per-cycle counts: Amazon's error code, or the transport failure."""
    if isinstance(error, botocore.exceptions.ClientError):
        return "%s %s" % (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"])
    if isinstance(error, urllib.error.HTTPError):
        return "agent %s %s" % (error.code, error.headers.get("x-amzn-ErrorType", ""))
    return "transport"


def is_server_error(error):
    """An answer of 500 (InternalServiceException): the server must never give one, even under a kill."""
    if isinstance(error, botocore.exceptions.ClientError):
        return error.response["ResponseMetadata"]["HTTPStatusCode"] >= 500 and \
            error.response["Error"]["Code"] == "InternalServiceException"
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 and error.headers.get("x-amzn-ErrorType", "") == "InternalServiceException"
    return False


# MARK: - Load


class Load:
    """The threads of one cycle: customers and the demo agent, until `stop` is set (the kill)."""

    def __init__(self, server, clients, ledger, cycle, seed, customers, agent):
        self.server = server
        self.clients = clients
        self.ledger = ledger
        self.cycle = cycle
        self.seed = seed
        self.stop = threading.Event()
        self.problems = []
        self.threads = [
            threading.Thread(target=self.guard, args=(self.customer, index), daemon=True)
            for index in range(customers)
        ]
        if agent:
            self.threads.append(threading.Thread(target=self.guard, args=(self.agent, customers), daemon=True))

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        """Tells the threads to stop (after the kill) and waits for them."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
            if thread.is_alive():
                raise Failure("a load thread did not stop within 120 s of the kill")

    def guard(self, body, worker):
        try:
            body(worker, random.Random("%s/%d/%d" % (self.seed, self.cycle, worker)))
        except Exception as error:  # a bug in the harness itself: report it instead of losing the thread
            self.problems.append("worker %d crashed: %r" % (worker, error))

    def attempt(self, what, call):
        """Runs `call`; its answer, or None if it failed (not acknowledged)."""
        try:
            return call()
        except TRANSPORT_ERRORS + (botocore.exceptions.ClientError,) as error:
            if is_server_error(error):
                self.problems.append("%s answered %s" % (what, classify(error)))
            self.ledger.error("%s: %s" % (what, classify(error)))
            return None

    def customer(self, worker, rng):
        """A customer after another: starts a chat, connects, writes, sometimes leaves."""
        demo = self.server.demo
        connect, participant = self.clients.connect, self.clients.participant
        serial = 0
        while not self.stop.is_set():
            serial += 1
            name = "c%d-w%d-%d" % (self.cycle, worker, serial)
            initial = "hello from %s" % name if rng.random() < 0.5 else None
            request = {
                "InstanceId": demo["instanceId"], "ContactFlowId": demo["inboundFlowId"],
                "ParticipantDetails": {"DisplayName": name},
            }
            if initial:
                request["InitialMessage"] = {"ContentType": "text/plain", "Content": initial}
            started = self.attempt("StartChatContact", lambda: connect.start_chat_contact(**request))
            if started is None:
                continue
            contact_id = started["ContactId"]
            self.ledger.add_chat(Chat(contact_id, self.cycle, started["ParticipantToken"], initial_message=initial))
            self.ledger.note_position(position_of(started))
            if rng.random() < 0.08:
                continue  # a customer who never connects (the connect window ends the chat)
            connection = self.attempt("CreateParticipantConnection", lambda: participant.create_participant_connection(
                Type=["CONNECTION_CREDENTIALS"], ParticipantToken=started["ParticipantToken"], ConnectParticipant=True,
            ))
            if connection is None:
                continue
            token = connection["ConnectionCredentials"]["ConnectionToken"]
            self.ledger.update(contact_id, lambda chat: setattr(chat, "customer_token", token), "connections")
            self.ledger.note_position(position_of(connection))
            for number in range(rng.randint(1, 6)):
                if self.stop.is_set():
                    break
                if rng.random() < 0.2:
                    typing = self.attempt("SendEvent", lambda: participant.send_event(
                        ContentType="application/vnd.amazonaws.connect.event.typing", ConnectionToken=token,
                    ))
                    if typing is not None:
                        self.ledger.note_position(position_of(typing))
                        self.ledger.count("events")
                content = "%s message %d %08x" % (name, number, rng.getrandbits(32))
                sent = self.attempt("SendMessage", lambda: participant.send_message(
                    ContentType="text/plain", Content=content, ConnectionToken=token,
                ))
                if sent is not None:
                    message = Message(sent["Id"], content, "CUSTOMER")
                    self.ledger.update(contact_id, lambda chat: chat.messages.append(message), "messages")
                    self.ledger.note_position(position_of(sent))
                if rng.random() < 0.3:
                    time.sleep(rng.random() * 0.02)
            if rng.random() < 0.5 and not self.stop.is_set():
                left = self.attempt("DisconnectParticipant", lambda: participant.disconnect_participant(
                    ConnectionToken=token,
                ))
                if left is not None:
                    self.ledger.update(contact_id, lambda chat: setattr(chat, "customer_left", True), "disconnects")
                    self.ledger.note_position(position_of(left))

    def agent_call(self, method, path, body=None, token=None):
        """One agent desktop call: (answer, position); raises on any failure."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server.http + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
            return (json.loads(text) if text else {}), answer.headers.get("x-parley-position")

    def agent(self, worker, rng):
        """The demo agent: logs in (once per run), becomes Available, accepts offers, writes, and leaves some chats."""
        demo = self.server.demo
        participant = self.clients.participant
        ledger = self.ledger
        if ledger.agent_session is None:
            logged_in = self.attempt("agent login", lambda: self.agent_call(
                "POST", "/agent/v1/login", {"Username": demo["agentUsername"], "Password": demo["agentPassword"],
                                            "InstanceId": demo["instanceId"]},
            ))
            if logged_in is None:
                return
            ledger.agent_session = logged_in[0]["SessionToken"]
            ledger.count("logins")
            ledger.note_position(logged_in[1])
        session = ledger.agent_session
        statuses = self.attempt("agent statuses", lambda: self.agent_call("GET", "/agent/v1/statuses", token=session))
        if statuses is None:
            return
        available = [status for status in statuses[0]["AgentStatuses"] if status["Type"] == "ROUTABLE"][0]
        put = self.attempt("agent status", lambda: self.agent_call(
            "PUT", "/agent/v1/status", {"AgentStatusId": available["AgentStatusId"]}, token=session,
        ))
        if put is None:
            return
        ledger.agent_status = available["AgentStatusId"]
        ledger.note_position(put[1])
        me = self.attempt("agent me", lambda: self.agent_call("GET", "/agent/v1/me", token=session))
        if me is None:
            return
        for slot in me[0]["Slots"]:
            # Free the slots the last cycles left: chats the agent is still in, and after-contact work.
            if slot["State"] == "CONNECTED" and not self.stop.is_set():
                self.leave(slot["ContactId"], session)
            elif slot["State"] == "ENDED" and not self.stop.is_set():
                self.clear(slot["ContactId"], session)
        while not self.stop.is_set():
            page = self.attempt("agent events", lambda: self.agent_call(
                "GET", "/agent/v1/events?after=%d&waitSeconds=1" % ledger.agent_after, token=session,
            ))
            if page is None:
                return
            ledger.agent_after = max(ledger.agent_after, page[0]["Last"])
            for entry in page[0]["Events"]:
                contact_id = entry.get("ContactId")
                if entry["Kind"] != "CONTACT" or entry["State"] != "CONNECTING" or contact_id in ledger.agent_tried:
                    continue
                ledger.agent_tried.add(contact_id)
                if self.stop.is_set() or contact_id not in ledger.chats:
                    continue  # an offer of a chat whose start was not acknowledged: leave it ringing
                self.handle_offer(contact_id, session, participant, rng)

    def handle_offer(self, contact_id, session, participant, rng):
        accepted = self.attempt("agent accept", lambda: self.agent_call(
            "POST", "/agent/v1/contacts/%s/accept" % contact_id, token=session,
        ))
        if accepted is None:
            return
        self.ledger.update(contact_id, lambda chat: setattr(chat, "agent_accepted", True), "accepts")
        self.ledger.note_position(accepted[1])
        connection = self.attempt(
            "agent CreateParticipantConnection",
            lambda: participant.create_participant_connection(
                Type=["CONNECTION_CREDENTIALS"], ParticipantToken=accepted[0]["ParticipantToken"],
                ConnectParticipant=True,
            ),
        )
        if connection is None:
            return
        token = connection["ConnectionCredentials"]["ConnectionToken"]
        self.ledger.update(contact_id, lambda chat: setattr(chat, "agent_token", token))
        self.ledger.note_position(position_of(connection))
        content = "agent to %s %08x" % (contact_id[:8], rng.getrandbits(32))
        sent = self.attempt("agent SendMessage", lambda: participant.send_message(
            ContentType="text/plain", Content=content, ConnectionToken=token,
        ))
        if sent is not None:
            message = Message(sent["Id"], content, "AGENT")
            self.ledger.update(contact_id, lambda chat: chat.messages.append(message), "messages")
            self.ledger.note_position(position_of(sent))
        if rng.random() < 0.6 and not self.stop.is_set():
            self.leave(contact_id, session)

    def leave(self, contact_id, session):
        """The agent leaves the chat, then clears its after-contact work."""
        ended = self.attempt("agent end", lambda: self.agent_call(
            "POST", "/agent/v1/contacts/%s/end" % contact_id, token=session,
        ))
        if ended is None:
            return
        if contact_id in self.ledger.chats:
            self.ledger.update(contact_id, lambda chat: setattr(chat, "agent_left", True), "agent leaves")
        self.ledger.note_position(ended[1])
        self.clear(contact_id, session)

    def clear(self, contact_id, session):
        cleared = self.attempt("agent clear", lambda: self.agent_call(
            "POST", "/agent/v1/contacts/%s/clear" % contact_id, token=session,
        ))
        if cleared is not None:
            self.ledger.count("clears")
            self.ledger.note_position(cleared[1])


# MARK: - Checks


PARTICIPANT_LEFT = "application/vnd.amazonaws.connect.event.participant.left"


def transcript(participant, tokens):
    """The chat's whole transcript (ascending, every page) read with the first token that is accepted."""
    last_error = None
    for token in tokens:
        items, next_token = [], None
        try:
            while True:
                request = {"ConnectionToken": token, "MaxResults": 100, "SortOrder": "ASCENDING"}
                if next_token:
                    request["NextToken"] = next_token
                page = participant.get_transcript(**request)
                items += page["Transcript"]
                next_token = page.get("NextToken")
                if not next_token:
                    return items
        except botocore.exceptions.ClientError as error:
            last_error = error
    raise Failure("no connection token of the chat reads its transcript: %s" % last_error)


def check_chat(clients, demo, chat):
    """What is wrong with one acknowledged chat after the restart (a list of problems)."""
    problems = []
    where = "contact %s (cycle %d)" % (chat.contact_id, chat.cycle)
    try:
        contact = clients.connect.describe_contact(InstanceId=demo["instanceId"], ContactId=chat.contact_id)["Contact"]
    except botocore.exceptions.ClientError as error:
        return ["%s: acknowledged StartChatContact, but DescribeContact answers %s" % (where, classify(error))]
    if chat.customer_left and "DisconnectTimestamp" not in contact:
        problems.append("%s: acknowledged DisconnectParticipant, but the contact has no DisconnectTimestamp" % where)
    if chat.agent_accepted and contact.get("AgentInfo", {}).get("Id") != demo["agentUsername"]:
        problems.append("%s: acknowledged accept, but AgentInfo is %r" % (where, contact.get("AgentInfo")))
    if chat.agent_left and "DisconnectTimestamp" not in contact:
        problems.append("%s: acknowledged agent end, but the contact has no DisconnectTimestamp" % where)
    tokens = [token for token in (chat.customer_token, chat.agent_token) if token]
    if not tokens:
        return problems
    try:
        items = transcript(clients.participant, tokens)
    except Failure as failure:
        return problems + ["%s: %s" % (where, failure)]
    by_id = {}
    for item in items:
        by_id.setdefault(item.get("Id"), []).append(item)
    for message in chat.messages:
        found = by_id.get(message.id, [])
        if not found:
            problems.append("%s: acknowledged %s message %s %r is not in the transcript"
                            % (where, message.role, message.id, message.content))
        elif len(found) > 1:
            problems.append("%s: message %s appears %d times" % (where, message.id, len(found)))
        elif found[0].get("Content") != message.content or found[0].get("ParticipantRole") != message.role:
            problems.append("%s: message %s reads %r from %s, acknowledged %r from %s" % (
                where, message.id, found[0].get("Content"), found[0].get("ParticipantRole"), message.content,
                message.role))
    if chat.initial_message and chat.customer_token:
        if not any(item.get("Content") == chat.initial_message for item in items):
            problems.append("%s: the initial message %r is not in the transcript" % (where, chat.initial_message))
    left = {item.get("ParticipantRole") for item in items if item.get("ContentType") == PARTICIPANT_LEFT}
    if chat.customer_left and "CUSTOMER" not in left:
        problems.append("%s: acknowledged DisconnectParticipant, but no participant.left of the customer" % where)
    if chat.agent_left and "AGENT" not in left:
        problems.append("%s: acknowledged agent end, but no participant.left of the agent" % where)
    return problems


def check_agent(server, ledger):
    """The acknowledged agent login still opens the desk, with the acknowledged status."""
    request = urllib.request.Request(server.http + "/agent/v1/me", method="GET")
    request.add_header("Authorization", "Bearer " + ledger.agent_session)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            me = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return ["the acknowledged agent session is refused after the restart: %s %s"
                % (error.code, error.read()[:200])]
    if ledger.agent_status is not None and me.get("AgentStatusId") != ledger.agent_status:
        return ["the agent's acknowledged status %s reads %s after the restart"
                % (ledger.agent_status, me.get("AgentStatusId"))]
    return []


def check_acknowledged(server, clients, ledger, cycle, rng, sample, everything):
    """Checks the recent chats and `sample` older ones (all of them if `everything`); (problems, chats checked)."""
    problems = []
    recovered = server.listening["position"]
    if recovered < ledger.position:
        problems.append("the recovered log position %d is before the acknowledged position %d"
                        % (recovered, ledger.position))
    if ledger.agent_session is not None:
        problems += check_agent(server, ledger)
    with ledger.lock:
        order = list(ledger.order)
    # This cycle's chats and those disconnected by `tidy` before the last graceful stop, then a sample of the rest.
    current = [contact_id for contact_id in order
               if ledger.chats[contact_id].cycle == cycle or ledger.chats[contact_id].tidied]
    chosen = set(current)
    older = [contact_id for contact_id in order if contact_id not in chosen]
    if not everything and len(older) > sample:
        older = rng.sample(older, sample)
    chosen = current + older
    for contact_id in chosen:
        problems += check_chat(clients, server.demo, ledger.chats[contact_id])
        ledger.chats[contact_id].tidied = False
    return problems, len(chosen)


def tidy(clients, ledger):
    """Disconnects the customers still present, so active chats do not pile up across cycles."""
    with ledger.lock:
        present = [chat for chat in ledger.chats.values()
                   if chat.customer_token and not chat.customer_left and not chat.closed]
    for chat in present:
        try:
            answer = clients.participant.disconnect_participant(ConnectionToken=chat.customer_token)
        except botocore.exceptions.ClientError:
            chat.closed = True  # the chat ended without the customer (the flow, a timer): nothing to disconnect
            continue
        chat.tidied = True
        ledger.update(chat.contact_id, lambda item: setattr(item, "customer_left", True), "tidied")
        ledger.note_position(position_of(answer))


def check_log_and_replay(server, parley, data, full):
    """Live state hash, `replay` up to the live position, SIGTERM, `log verify`; (problems, live status).

    The hash is computed from the snapshot at `position`; deadlines may commit events after it (while the hash is
    computed), so the replay stops at the timestamp of the record at `position` (`--until`, to the microsecond: the
    engine stamps events with strictly increasing timestamps). It runs while the server still holds the log (replay
    only reads it), so that the newest checkpoint before that instant is one an earlier stop wrote, not the one this
    stop writes: a full replay reads the whole log (`--no-checkpoints`), the other one that checkpoint and the tail
    after it (the recovery after the kill included)."""
    live = server.query("/v1/status?hash=true")
    position = live["position"]
    status, out, err = run_parley(parley, ["log", "dump", data, "--from", str(position), "--limit", "1"])
    record = json.loads(out.splitlines()[0]) if status == 0 and out.strip() else {}
    if record.get("sequence") != position:
        server.stop()
        return ["parley log dump %s --from %d: no record %d: %s%s" % (data, position, position, out[:300], err)], live
    replay = ["replay", data, "--until", record["timestamp"]] + (["--no-checkpoints"] if full else [])
    replay_status, replay_out, replay_err = run_parley(parley, replay)
    server.stop()
    status, out, err = run_parley(parley, ["log", "verify", data])
    if status != 0:
        return ["parley log verify %s exited %d: %s%s" % (data, status, out.strip(), err.strip())], live
    if replay_status != 0:
        return ["parley %s exited %d: %s" % (" ".join(replay), replay_status, replay_err.strip()[-2000:])], live
    replayed = json.loads(replay_out)
    live["checkpoint"] = replayed.get("checkpoint")
    if replayed["position"] != position:
        return ["parley %s ended at position %d, not at the live position %d"
                % (" ".join(replay), replayed["position"], position)], live
    if replayed["stateHash"] != live["stateHash"]:
        differing = sorted(name for name, digest in live["stateHash"]["projections"].items()
                           if replayed["stateHash"]["projections"].get(name) != digest)
        return ["at position %d the replayed state hash %s differs from the live one %s (projections: %s; %s)" % (
            position, replayed["stateHash"]["combined"], live["stateHash"]["combined"],
            ", ".join(differing) or "the set of projections", " ".join(replay))], live
    return [], live


# MARK: - The run


def describe(counts):
    """The acknowledged calls of `counts`, for the cycle lines and the summary."""
    names = [("contacts", "contacts"), ("connections", "connections"), ("messages", "messages"),
             ("events", "typing events"), ("disconnects", "disconnects"), ("accepts", "accepts"),
             ("agent leaves", "agent leaves"), ("logins", "agent logins"), ("tidied", "disconnects after the checks")]
    return ", ".join("%d %s" % (counts.get(key, 0), label) for key, label in names if counts.get(key, 0))


def replay_kind(live):
    """How the cycle's replay started: from the first record, or from which checkpoint."""
    checkpoint = live.get("checkpoint")
    if not checkpoint:
        return "full"
    return "checkpoint %d +" % int(os.path.basename(checkpoint).split("-")[1].split(".")[0])


def full_replay_due(cycle, cycles, every):
    """Whether this cycle replays the whole log (`--no-checkpoints`) rather than from the newest checkpoint."""
    if every is not None:
        return cycle % every == 0 or cycle == cycles
    return cycle <= 100 or cycle % 10 == 0 or cycle == cycles


class Run:
    """The state of the run: the arguments, the server, what was acknowledged."""

    def __init__(self, arguments):
        self.arguments = arguments
        self.parley = os.path.abspath(arguments.parley)
        self.data = os.path.abspath(arguments.data)
        self.ledger = Ledger()
        self.server = Server(self.parley, self.data)

    def restart_and_check(self, cycle, everything, after):
        """Starts the server and checks what was acknowledged; (start seconds, recovered position, chats checked)."""
        took = self.server.start()
        recovered = self.server.listening["position"]
        clients = Clients(self.server)
        sample = random.Random("%d/sample/%d/%s" % (self.arguments.seed, cycle, after))
        problems, checked = check_acknowledged(
            self.server, clients, self.ledger, cycle, sample, self.arguments.sample, everything
        )
        if problems:
            raise Failure("cycle %d: after the kill -9 %s and restart:\n  %s" % (cycle, after, "\n  ".join(problems)))
        return took, recovered, checked

    def cycle(self, number):
        """One cycle (the server is running when it begins, and again when it ends unless it was the last)."""
        arguments, server, ledger = self.arguments, self.server, self.ledger
        choices = random.Random("%d/cycle/%d" % (arguments.seed, number))
        duration = arguments.duration_ms if arguments.duration_ms is not None else choices.randint(100, 800)
        kill_starting = choices.random() < 0.15
        kill_stopping = choices.random() < 0.15
        starting_delay = choices.randint(0, 150) / 1000
        stopping_delay = choices.randint(0, 15) / 1000
        last = number == arguments.cycles
        before = dict(ledger.counts)
        kills = ["load"]

        load = Load(
            server, Clients(server), ledger, number, arguments.seed, arguments.customers, not arguments.no_agent
        )
        load.start()
        time.sleep(duration / 1000)
        server.kill9()
        load.finish()
        if load.problems:
            raise Failure("cycle %d: %s" % (number, "; ".join(load.problems)))
        if kill_starting:
            server.kill_while_starting(starting_delay)
            kills.append("start +%d ms" % (starting_delay * 1000))
        took, recovered, checked = self.restart_and_check(number, last, "under load")
        tidy(Clients(server), ledger)
        if kill_stopping:
            # SIGTERM and SIGKILL a moment later: the kill lands in the shutdown (draining, the checkpoint) or
            # after it finished; either way everything acknowledged, the disconnects just made too, must be back.
            killed = server.kill_while_stopping(stopping_delay)
            kills.append("stop +%d ms%s" % (stopping_delay * 1000, "" if killed else " (had exited)"))
            self.restart_and_check(number, False, "during the shutdown")

        full = full_replay_due(number, arguments.cycles, arguments.full_replay_every)
        problems, live = check_log_and_replay(server, self.parley, self.data, full)
        if problems:
            raise Failure("cycle %d: %s" % (number, "\n  ".join(problems)))
        if not last:
            server.start()
        gained = {name: ledger.counts.get(name, 0) - before.get(name, 0) for name in ledger.counts}
        return "load %d ms, acked %s; kill -9 at %s; restart %.2f s, recovered position %d; checked %d chats; " \
            "verify ok; %s replay = live %s at %d" % (
                duration, describe(gained), ", ".join(kills), took, recovered, checked,
                replay_kind(live), live["stateHash"]["combined"][:12], live["position"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parley", required=True, help="the built parley executable")
    parser.add_argument("--data", required=True, help="the data directory (created if missing, reused if present)")
    parser.add_argument("--cycles", type=int, required=True, help="kill -9 / restart cycles")
    parser.add_argument("--seed", type=int, default=1, help="the seed of every random choice")
    parser.add_argument("--customers", type=int, default=4, help="concurrent customer threads")
    parser.add_argument("--duration-ms", type=int, default=None,
                        help="load time before each kill (default: random 100-800 ms per cycle)")
    parser.add_argument("--no-agent", action="store_true", help="customers only")
    parser.add_argument("--sample", type=int, default=25, help="older chats re-checked per cycle")
    parser.add_argument("--full-replay-every", type=int, default=None, metavar="N",
                        help="replay the whole log every N cycles and in the last one, otherwise from the newest "
                             "checkpoint before the live position (default: every cycle up to 100, then every 10th)")
    arguments = parser.parse_args()
    if arguments.cycles < 1 or arguments.customers < 1 or (arguments.full_replay_every or 1) < 1:
        parser.error("--cycles, --customers and --full-replay-every must be positive")

    run = Run(arguments)
    os.makedirs(run.data, exist_ok=True)
    if len(os.path.join(run.data, "parley.sock").encode()) > 107:
        print("FAILED: the data directory path is too long for the query socket (107 bytes)")
        return 1
    reproduce = " ".join(shlex.quote(argument) for argument in ["python3"] + sys.argv)
    print("torture: %d cycles, seed %d, %d customers%s, data %s" % (
        arguments.cycles, arguments.seed, arguments.customers, "" if arguments.no_agent else " + the demo agent",
        run.data), flush=True)
    began = time.monotonic()
    timings = []
    server = run.server
    try:
        server.start()
        for number in range(1, arguments.cycles + 1):
            cycle_began = time.monotonic()
            line = run.cycle(number)
            timings.append(time.monotonic() - cycle_began)
            print("cycle %d/%d: %s; %.1f s" % (number, arguments.cycles, line, timings[-1]), flush=True)
    except Failure as failure:
        server.ensure_dead()
        print("FAILED (seed %d): %s" % (arguments.seed, failure), flush=True)
        print("reproduce: %s   (on a fresh directory; %s is left for inspection)" % (reproduce, run.data), flush=True)
        return 1
    except Exception:
        server.ensure_dead()
        print("FAILED (seed %d): the harness stopped on an unexpected error:\n%s" % (
            arguments.seed, traceback.format_exc()), flush=True)
        print("reproduce: %s   (on a fresh directory; %s is left for inspection)" % (reproduce, run.data), flush=True)
        return 1
    except BaseException:
        server.ensure_dead()
        raise
    print("torture: %d kill -9 cycles in %.1f s (per cycle: min %.1f s, mean %.1f s, max %.1f s); %s: %s; "
          "log verify passed and replay equalled the live state hash after every cycle" % (
              arguments.cycles, time.monotonic() - began, min(timings), sum(timings) / len(timings), max(timings),
              SUMMARY_OK, describe(run.ledger.counts)), flush=True)
    refused = sorted(run.ledger.errors.items(), key=lambda item: -item[1])
    print("calls not acknowledged: %s" % (", ".join("%s ×%d" % item for item in refused[:12]) or "none"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
