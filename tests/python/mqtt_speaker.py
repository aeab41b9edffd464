#!/usr/bin/env python3
"""A care speaker for the bridge's tests, on paho-mqtt (PyPI), speaking DESIGN §4's topics.

It connects with a persistent session and a retained last will `offline` on
{prefix}/{id}/status, publishes `online` there (retained), subscribes to {prefix}/{id}/commands
(QoS 1), publishes the given events on {prefix}/{id}/events (QoS 1, waiting for each PUBACK),
prints every command it receives and, with --ack, answers each with a `reminder-ack` event
carrying the command's delivery_id. Then it exits cleanly (--then exit) or waits to be killed
(--then hang: kill -9 makes the broker publish the last will).

It signs in with --username/--password (a speaker's device id and secret) and speaks TLS when
given --ca (the broker's certificate to trust). --no-will and --no-subscribe leave out the last
will and the subscription (to try publishing alone, e.g. on another speaker's topic).

Prints JSON lines: {"type": "connected"}, {"type": "published", "event_id": …},
{"type": "command", "payload": {…}}, {"type": "done"}; {"type": "refused", "reason": …} (exit 2)
when the broker does not let it in.
"""
import argparse
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt


def say(obj):
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--prefix", default="safetynet/v1/devices")
    ap.add_argument("--events", default="[]", help="JSON list of event payloads to publish")
    ap.add_argument("--expect-commands", type=int, default=0)
    ap.add_argument("--ack", action="store_true")
    ap.add_argument("--then", choices=["exit", "hang"], default="exit")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--username")
    ap.add_argument("--password")
    ap.add_argument("--ca", help="PEM certificate to trust: connect over TLS")
    ap.add_argument("--no-will", action="store_true")
    ap.add_argument("--no-subscribe", action="store_true")
    a = ap.parse_args()

    base = f"{a.prefix}/{a.id}"
    subscribed = threading.Event()
    enough = threading.Event()
    commands = []
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"speaker-{a.id}",
        clean_session=False,
        protocol=mqtt.MQTTv311,
    )
    if not a.no_will:
        client.will_set(f"{base}/status", "offline", qos=1, retain=True)
    if a.username is not None:
        client.username_pw_set(a.username, a.password)
    if a.ca:
        client.tls_set(ca_certs=a.ca)
    refused = threading.Event()
    connected = threading.Event()

    def on_connect(c, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            say({"type": "refused", "reason": str(reason_code)})
            refused.set()
            return
        connected.set()
        if a.no_subscribe:
            subscribed.set()
        else:
            c.subscribe(f"{base}/commands", qos=1)
            c.publish(f"{base}/status", "online", qos=1, retain=True)
        say({"type": "connected", "session_present": bool(flags.session_present)})

    def on_subscribe(c, userdata, mid, reason_codes, properties):
        subscribed.set()

    def on_message(c, userdata, msg):
        payload = json.loads(msg.payload)
        commands.append(payload)
        say({"type": "command", "topic": msg.topic, "payload": payload})
        if a.ack and payload.get("delivery_id"):
            ack = {
                "event_id": "ack-" + payload["delivery_id"],
                "kind": "reminder-ack",
                "data": {"delivery_id": payload["delivery_id"], "answer": "taken"},
            }
            c.publish(f"{base}/events", json.dumps(ack), qos=1)
        if len(commands) >= a.expect_commands:
            enough.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    try:
        client.connect(a.host, a.port, keepalive=5)
    except Exception as e:  # no TLS where TLS is required, a closed port, …
        say({"type": "refused", "reason": f"{type(e).__name__}: {e}"})
        sys.exit(2)
    client.loop_start()
    deadline = time.time() + a.timeout
    while not subscribed.is_set() and not refused.is_set() and time.time() < deadline:
        time.sleep(0.05)
    if refused.is_set():
        sys.exit(2)
    if not connected.is_set():
        say({"type": "refused", "reason": "no CONNACK (e.g. TLS required)"})
        sys.exit(2)
    if not subscribed.is_set():
        say({"type": "error", "error": "not subscribed"})
        sys.exit(1)
    for ev in json.loads(a.events):
        info = client.publish(f"{base}/events", json.dumps(ev, ensure_ascii=False), qos=1)
        info.wait_for_publish(a.timeout)
        say({"type": "published", "event_id": ev.get("event_id"), "acked": info.is_published()})
    if a.expect_commands == 0:
        enough.set()
    if not enough.wait(a.timeout):
        say({"type": "error", "error": f"got {len(commands)} of {a.expect_commands} commands"})
        sys.exit(1)
    time.sleep(0.5)  # let acks go out
    say({"type": "done"})
    if a.then == "hang":
        while True:
            time.sleep(1)
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
