#!/usr/bin/env python3
"""Disk faults against a real `parley serve`: a full disk, a failing fdatasync, and unreadable, missing or damaged
segments, each on real files with real AWS clients (boto3), checking that nothing acknowledged is lost.

Usage: faults.py --parley PATH --work DIR [--scenario NAME ...] [--fill tmpfs|fsize|both]

Scenarios (all by default):

disk-full      The disk fills while customers chat. Writes then fail with InternalServerException 500 naming the
               cause ("No space left on device", or "File too large" under a file-size limit); reads (GetTranscript,
               DescribeContact) still answer; /ping stays ok (a full disk stops no writer). When space returns the
               same process accepts writes again, without a restart. Then the disk fills again and the server gets
               SIGTERM while it is full: it must stop (its shutdown checkpoint cannot be written; the log is the
               truth). After space returns and a restart, every acknowledged contact and message is there exactly
               once, `parley log verify` passes and replaying the log gives the live state hash.
               The full disk is a size-limited tmpfs mounted on the data directory in a private mount namespace
               (`--fill tmpfs`, needs `unshare -m` and mount: root, or CAP_SYS_ADMIN), or a file-size limit
               (RLIMIT_FSIZE, set on the running server with prlimit; `--fill fsize`, needs nothing). `both` (the
               default) runs the tmpfs form when it can and always the fsize form.
sync-failure   fdatasync starts failing with EIO (an LD_PRELOAD library, Tools/faults/parley_faults.c). The write
               whose sync failed is answered 500 "fdatasync failed ... the writer stopped"; every later write is
               refused, also after the disk works again (the page cache may have dropped the data: nothing may be
               acknowledged as if it were safe); /ping answers 503 "failed" with the reason; reads still answer.
               After a restart without the fault, every acknowledged write is there, verify and replay pass.
segments       With small segments (several on disk): a sealed segment that cannot be read (open fails with EIO),
               one that is missing, and one with a damaged byte. `parley serve` refuses to start and
               `parley log verify` fails, each naming the segment; nothing is changed on disk, so once the segment
               is back the server starts and every acknowledged write is there.

Prints one line per step and exits 0 only if every check held; otherwise prints what failed and exits 1, leaving
DIR for inspection. Run by Tests/ParleyCLITests/DiskFaultTests.swift; see docs/reliability.md.
"""
import argparse
import errno
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.exceptions  # noqa: E402
from torture import Clients, Failure, Server, check_log_and_replay, run_parley, transcript  # noqa: E402

SUMMARY_OK = "every disk fault held"
TEXT = "text/plain"


class FaultServer(Server):
    """`parley serve` with a configuration of the scenario's, optional LD_PRELOAD faults, its stderr kept outside
    the data directory (which may be the full disk)."""

    def __init__(self, parley, data, work, name, config, environment=None):
        super().__init__(parley, data)
        self.stderr_path = os.path.join(work, name + "-serve.log")
        self.config_path = os.path.join(work, name + "-config.json")
        self.config = dict(config, throttling=False)
        self.environment = environment or {}

    def spawn(self):
        with open(self.config_path, "w") as handle:
            json.dump(self.config, handle)
        stderr = open(self.stderr_path, "ab")
        self.process = subprocess.Popen(
            [self.parley, "serve", "--config", self.config_path, "--data", self.data, "--port", "0", "--demo",
             "--durability", "always", "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=dict(os.environ, **self.environment),
        )
        stderr.close()

    def refuses_to_start(self, timeout=120):
        """Starts the server expecting it to exit non-zero before listening; (status, its standard error)."""
        offset = os.path.getsize(self.stderr_path) if os.path.exists(self.stderr_path) else 0
        self.spawn()
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise Failure("the server neither listened nor exited within %d s" % timeout)
        out = self.process.stdout.read()
        self.process.stdout.close()
        with open(self.stderr_path, "rb") as log:
            log.seek(offset)
            err = log.read().decode(errors="replace")
        if status == 0 or b'"listening"' in out:
            raise Failure("the server started (exit %s) although it should have refused: %s" % (status, out[:300]))
        return status, err

    def ping(self):
        """GET /ping: (status, decoded answer)."""
        try:
            with urllib.request.urlopen(self.http + "/ping", timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


class Chats:
    """What the server acknowledged: contacts, their connection tokens, and their messages."""

    def __init__(self, server):
        self.server = server
        self.clients = Clients(server)
        self.chats = {}  # contact id -> {"token": str, "messages": {id: content}, "name": str}
        self.serial = 0

    def reconnect(self, server):
        self.server = server
        self.clients = Clients(server)

    def start(self):
        """A chat, connected; raises the ClientError of a refused call."""
        self.serial += 1
        demo = self.server.demo
        name = "customer-%d" % self.serial
        started = self.clients.connect.start_chat_contact(
            InstanceId=demo["instanceId"], ContactFlowId=demo["inboundFlowId"],
            ParticipantDetails={"DisplayName": name},
        )
        chat = {"token": None, "messages": {}, "name": name}
        self.chats[started["ContactId"]] = chat
        connection = self.clients.participant.create_participant_connection(
            Type=["CONNECTION_CREDENTIALS"], ParticipantToken=started["ParticipantToken"], ConnectParticipant=True,
        )
        chat["token"] = connection["ConnectionCredentials"]["ConnectionToken"]
        return started["ContactId"]

    def send(self, contact_id, content):
        """SendMessage; the message is recorded once acknowledged. Raises the ClientError of a refusal."""
        chat = self.chats[contact_id]
        sent = self.clients.participant.send_message(ContentType=TEXT, Content=content, ConnectionToken=chat["token"])
        chat["messages"][sent["Id"]] = content
        return sent["Id"]

    def connected(self):
        return [contact_id for contact_id, chat in self.chats.items() if chat["token"]]

    def load(self, chats, messages):
        """`chats` new chats with `messages` messages each, every call acknowledged."""
        for _ in range(chats):
            contact_id = self.start()
            for number in range(messages):
                self.send(contact_id, "%s says %d" % (self.chats[contact_id]["name"], number))

    def check(self):
        """Every acknowledged contact exists and every acknowledged message is in its transcript exactly once."""
        problems = []
        demo = self.server.demo
        for contact_id, chat in self.chats.items():
            try:
                self.clients.connect.describe_contact(InstanceId=demo["instanceId"], ContactId=contact_id)
            except botocore.exceptions.ClientError as error:
                problems.append("acknowledged contact %s: DescribeContact answers %s" % (contact_id, error))
                continue
            if not chat["token"]:
                continue
            items = transcript(self.clients.participant, [chat["token"]])
            for message_id, content in chat["messages"].items():
                found = [item for item in items if item.get("Id") == message_id]
                if len(found) != 1 or found[0].get("Content") != content:
                    problems.append("contact %s: acknowledged message %s %r found %d times"
                                    % (contact_id, message_id, content, len(found)))
        if problems:
            raise Failure("after the fault: " + "; ".join(problems[:10]))
        return sum(len(chat["messages"]) for chat in self.chats.values())


def refusal(call):
    """Runs `call`, which must be refused with a 5xx: (error code, HTTP status, message)."""
    try:
        call()
    except botocore.exceptions.ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return error.response["Error"]["Code"], status, error.response["Error"].get("Message", "")
    raise Failure("a write was acknowledged although it should have been refused")


def step(text):
    print("  " + text, flush=True)


# MARK: - Disk full


class TmpfsFill:
    """The data directory is a small tmpfs (in this process's private mount namespace); a filler file takes what
    is left of it."""

    name = "tmpfs"
    cause = "No space left on device"
    blocks_every_file = True

    def __init__(self, data, size_mib):
        self.data = data
        self.filler = os.path.join(data, "filler")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0700" % size_mib, "parley-faults", data],
                       check=True)

    def fill(self, server):
        with open(self.filler, "ab") as handle:
            chunk = b"\xa5" * 65536
            try:
                while True:
                    handle.write(chunk)
                    handle.flush()
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
        # Blocks short of a whole chunk: fill them too.
        with open(self.filler, "ab", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\xa5" * 512)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise

    def free(self, server):
        os.remove(self.filler)

    def close(self):
        subprocess.run(["umount", "-l", self.data], check=False)


class FsizeFill:
    """A file-size limit (RLIMIT_FSIZE) on the running server at the size of its largest data file: every write past
    it fails with EFBIG (`parley serve` ignores SIGXFSZ)."""

    name = "fsize"
    cause = "File too large"
    blocks_every_file = False  # a file smaller than the limit (the shutdown checkpoint) can still be written

    def __init__(self, data, size_mib):
        self.data = data

    def fill(self, server):
        largest = 0
        for root, _, files in os.walk(self.data):
            for name in files:
                try:
                    largest = max(largest, os.path.getsize(os.path.join(root, name)))
                except OSError:
                    pass
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (largest, resource.RLIM_INFINITY))

    def free(self, server):
        if server.process.poll() is None:  # a restarted server starts without the limit
            resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def close(self):
        pass


def fill_until_refused(chats, contact_id, cause, limit=20000):
    """Sends messages until one is refused; the refusal must be a 500 naming `cause`. Returns the messages sent."""
    for number in range(limit):
        try:
            chats.send(contact_id, "filling the disk %d %s" % (number, "x" * 200))
        except botocore.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            message = error.response["Error"].get("Message", "")
            if status != 500 or cause not in message:
                raise Failure("on the full disk SendMessage answered %s %d %r, not a 500 naming %r"
                              % (code, status, message, cause))
            return number
    raise Failure("%d messages were acknowledged on a full disk" % limit)


def disk_full(parley, work, fill_kind):
    data = os.path.join(work, "disk-full-" + fill_kind.name)
    os.makedirs(data, exist_ok=True)
    fill = fill_kind(data, 24)
    # No preallocated zeros beyond 64 KiB, so that the log reaches the end of the space after a few hundred messages.
    server = FaultServer(parley, data, work, "disk-full-" + fill_kind.name, {"preallocationBytes": 65536})
    try:
        server.start()
        chats = Chats(server)
        chats.load(chats=4, messages=5)
        contact_id = chats.connected()[0]
        step("%s: 4 chats and 20 messages acknowledged; filling the disk" % fill.name)
        fill.fill(server)
        sent = fill_until_refused(chats, contact_id, fill.cause)
        step("%s: %d more messages fitted in the preallocated space, then SendMessage was refused 500 naming %r"
             % (fill.name, sent, fill.cause))
        code, status, message = refusal(lambda: chats.start())
        if status != 500 or fill.cause not in message:
            raise Failure("on the full disk StartChatContact answered %s %d %r" % (code, status, message))
        chats.chats = {key: chat for key, chat in chats.chats.items() if chat["token"] or chat["messages"]}
        items = transcript(chats.clients.participant, [chats.chats[contact_id]["token"]])
        ping_status, ping = server.ping()
        if ping_status != 200 or ping.get("status") != "ok":
            raise Failure("a full disk stopped the writer: /ping answers %d %s" % (ping_status, ping))
        said = server.stderr_tail(10)
        if "command failed" not in said or fill.cause not in said:
            raise Failure("the server did not log the refused writes with their cause: %s" % said[-600:])
        step("%s: StartChatContact refused too and both logged with the cause; GetTranscript still reads %d items; "
             "/ping is ok" % (fill.name, len(items)))
        fill.free(server)
        chats.send(contact_id, "space is back")
        chats.load(chats=2, messages=3)
        step("%s: space freed: the same process acknowledges writes again (no restart)" % fill.name)
        # Full again, then SIGTERM: the shutdown checkpoint cannot be written, the server must still stop.
        fill.fill(server)
        fill_until_refused(chats, contact_id, fill.cause)
        server.process.send_signal(15)
        try:
            status = server.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill9()
            raise Failure("on a full disk the server did not stop within 120 s of SIGTERM")
        said = server.stderr_tail(10)
        if status != 0 or (fill.blocks_every_file and "no checkpoint written at shutdown" not in said):
            raise Failure("SIGTERM on the full disk: exit %d, and the server said: %s" % (status, said[-600:]))
        step("%s: SIGTERM on the full disk: the server stopped (exit 0)%s" % (
            fill.name, ", logging that no checkpoint could be written" if fill.blocks_every_file else ""))
        fill.free(server)
        server.start()
        chats.reconnect(server)
        messages = chats.check()
        problems, live = check_log_and_replay(server, parley, data, full=True)
        if problems:
            raise Failure("; ".join(problems))
        step("%s: after a restart all %d contacts and %d acknowledged messages are there once; log verify passed; "
             "replay equals the live state hash at position %d" % (fill.name, len(chats.chats), messages,
                                                                   live["position"]))
    finally:
        server.ensure_dead()
        fill.close()


# MARK: - fdatasync failure


def build_fault_library(work):
    """Compiles Tools/faults/parley_faults.c with the C compiler at hand (cc, or the Swift toolchain's clang)."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "faults", "parley_faults.c")
    library = os.path.join(work, "parley_faults.so")
    compiler = shutil.which("cc") or shutil.which("clang") or shutil.which("gcc")
    if compiler is None:
        raise Failure("no C compiler (cc, clang or gcc) to build %s" % source)
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"], check=True)
    return library


def sync_failure(parley, work):
    data = os.path.join(work, "sync-failure")
    os.makedirs(data, exist_ok=True)
    library = build_fault_library(work)
    trigger = os.path.join(work, "sync-failure.trigger")
    server = FaultServer(parley, data, work, "sync-failure", {},
                         {"LD_PRELOAD": library, "PARLEY_FAULT_SYNC_TRIGGER": trigger})
    try:
        server.start()
        chats = Chats(server)
        chats.load(chats=3, messages=4)
        contact_id = chats.connected()[0]
        step("sync-failure: 3 chats and 12 messages acknowledged; fdatasync now fails with EIO")
        open(trigger, "w").close()
        code, status, message = refusal(lambda: chats.send(contact_id, "the sync of this one fails"))
        if status != 500 or "fdatasync failed" not in message:
            raise Failure("the write whose fdatasync failed was answered %s %d %r" % (code, status, message))
        step("sync-failure: the write was refused: %s %d %r" % (code, status, message[:140]))
        os.remove(trigger)
        for attempt in (lambda: chats.send(contact_id, "after the disk recovered"), lambda: chats.start()):
            code, status, message = refusal(attempt)
            if status != 500 or "writer stopped" not in message:
                raise Failure("after the failed sync a write was answered %s %d %r" % (code, status, message))
        chats.chats = {key: chat for key, chat in chats.chats.items() if chat["token"]}
        ping_status, ping = server.ping()
        if ping_status != 503 or ping.get("status") != "failed" or "fdatasync" not in json.dumps(ping):
            raise Failure("/ping after the failed sync answers %d %s" % (ping_status, ping))
        items = transcript(chats.clients.participant, [chats.chats[contact_id]["token"]])
        step("sync-failure: later writes are refused although fdatasync works again; /ping answers 503 failed; "
             "GetTranscript still reads %d items" % len(items))
        server.process.send_signal(15)
        status = server.process.wait(timeout=120)
        said = server.stderr_tail(40)
        if status == 0 or "stopped while the server ran" not in said or "command failed" not in said:
            raise Failure("after the failed sync the server exited %d and said: %s" % (status, said[-800:]))
        step("sync-failure: SIGTERM: the server stopped with exit %d, having logged the failed commands and why"
             % status)
        server.environment = {}
        server.start()
        chats.reconnect(server)
        messages = chats.check()
        problems, live = check_log_and_replay(server, parley, data, full=True)
        if problems:
            raise Failure("; ".join(problems))
        step("sync-failure: after a restart all %d acknowledged messages are there once; log verify passed; replay "
             "equals the live state hash at position %d" % (messages, live["position"]))
    finally:
        server.ensure_dead()


# MARK: - Segments


def segment_files(data):
    log = os.path.join(data, "log")
    return sorted(name for name in os.listdir(log) if name.endswith(".seg"))


def expect_refusal(server, parley, data, what, name, environment=None):
    """`parley serve` and `parley log verify` must both fail and name `name`."""
    status, err = server.refuses_to_start()
    if name not in err:
        raise Failure("with %s the server exited %d without naming %s: %s" % (what, status, name, err[-600:]))
    done = subprocess.run([parley, "log", "verify", data], capture_output=True, timeout=600,
                          env=dict(os.environ, **(environment or {})))
    said = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode == 0 or name not in said:
        raise Failure("with %s `parley log verify` exited %d: %s" % (what, done.returncode, said[-600:]))
    line = [text for text in err.splitlines() if name in text][-1].strip()
    step("segments: %s: serve exits %d and verify %d, naming it: %s" % (what, status, done.returncode, line[:220]))


def segments(parley, work):
    data = os.path.join(work, "segments")
    os.makedirs(data, exist_ok=True)
    library = build_fault_library(work)
    server = FaultServer(parley, data, work, "segments", {"segmentBytes": 65536, "preallocationBytes": 0})
    try:
        server.start()
        chats = Chats(server)
        while len(segment_files(data)) < 4:
            chats.load(chats=2, messages=20)
        server.stop()
        names = segment_files(data)
        victim = names[1]
        path = os.path.join(data, "log", victim)
        step("segments: %d chats on %d segments; the second is %s" % (len(chats.chats), len(names), victim))

        server.environment = {"LD_PRELOAD": build_fault_library(work), "PARLEY_FAULT_EIO_SUFFIX": "/" + victim}
        expect_refusal(server, parley, data, "an unreadable segment (open fails with EIO)", victim,
                       server.environment)
        server.environment = {}

        hidden = os.path.join(work, victim + ".away")
        os.rename(path, hidden)
        expect_refusal(server, parley, data, "a missing segment", victim)
        os.rename(hidden, path)

        # A damaged byte inside a sealed segment (not in the tail that open reads) is found by whatever reads it: a
        # start without a checkpoint replays through it; `parley log verify` reads every byte.
        original = open(path, "rb").read()
        damaged = bytearray(original)
        damaged[len(damaged) // 2] ^= 0x40
        with open(path, "wb") as handle:
            handle.write(damaged)
        checkpoints = os.path.join(data, "checkpoints")
        os.rename(checkpoints, checkpoints + ".away")
        expect_refusal(server, parley, data, "a damaged byte in a sealed segment (a start without a checkpoint)",
                       victim)
        os.rename(checkpoints + ".away", checkpoints)
        with open(path, "wb") as handle:
            handle.write(original)

        if segment_files(data) != names:
            raise Failure("the segments changed while the server refused: %s, not %s" % (segment_files(data), names))
        server.start()
        chats.reconnect(server)
        messages = chats.check()
        problems, live = check_log_and_replay(server, parley, data, full=True)
        if problems:
            raise Failure("; ".join(problems))
        step("segments: with the segment back the server starts; all %d acknowledged messages are there; verify and "
             "replay pass (position %d)" % (messages, live["position"]))
        del library
    finally:
        server.ensure_dead()


# MARK: - The run


def can_mount_tmpfs():
    """Whether this process may mount a tmpfs in a private mount namespace (it re-runs itself under unshare)."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         "d=$(mktemp -d) && mount -t tmpfs -o size=1m probe \"$d\" && umount \"$d\"; s=$?; rmdir \"$d\"; exit $s"],
        capture_output=True,
    )
    return probe.returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parley", required=True, help="the built parley executable")
    parser.add_argument("--work", required=True, help="a scratch directory (created; data directories go in it)")
    parser.add_argument("--scenario", action="append", choices=["disk-full", "sync-failure", "segments"],
                        help="run only these (repeatable; default: all)")
    parser.add_argument("--fill", choices=["tmpfs", "fsize", "both"], default="both",
                        help="how disk-full fills the disk (default: tmpfs when it can mount, and fsize)")
    parser.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    os.makedirs(arguments.work, exist_ok=True)
    arguments.work = os.path.abspath(arguments.work)
    arguments.parley = os.path.abspath(arguments.parley)
    scenarios = arguments.scenario or ["disk-full", "sync-failure", "segments"]

    fills = []
    if "disk-full" in scenarios:
        if arguments.fill in ("tmpfs", "both"):
            if arguments.in_namespace or can_mount_tmpfs():
                fills.append(TmpfsFill)
            elif arguments.fill == "tmpfs":
                print("FAILED: --fill tmpfs needs unshare -m and mount (root or CAP_SYS_ADMIN)", flush=True)
                return 1
            else:
                print("disk-full: no tmpfs here (unshare -m or mount refused): the file-size limit form only",
                      flush=True)
        if arguments.fill in ("fsize", "both"):
            fills.append(FsizeFill)
    if TmpfsFill in fills and not arguments.in_namespace:
        # The tmpfs is mounted in a private mount namespace: run the whole harness inside one.
        command = ["unshare", "-m", "--propagation", "private", sys.executable, os.path.abspath(__file__),
                   "--in-namespace"] + sys.argv[1:]
        return subprocess.run(command).returncode

    began = time.monotonic()
    try:
        for scenario in scenarios:
            print("%s:" % scenario, flush=True)
            if scenario == "disk-full":
                for fill in fills:
                    disk_full(arguments.parley, arguments.work, fill)
            elif scenario == "sync-failure":
                sync_failure(arguments.parley, arguments.work)
            else:
                segments(arguments.parley, arguments.work)
    except Failure as failure:
        print("FAILED: %s\n(%s is left for inspection)" % (failure, arguments.work), flush=True)
        return 1
    print("faults: %s (%s; fill: %s) in %.1f s" % (
        SUMMARY_OK, ", ".join(scenarios), "+".join(fill.name for fill in fills) or "-", time.monotonic() - began),
        flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
