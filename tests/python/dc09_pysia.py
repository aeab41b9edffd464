#!/usr/bin/env python3
"""An independent SIA DC-09 sender built on pysiaalarm (PyPI) for the bridge's tests.

Frames are assembled here and checked with pysiaalarm: its CRC-16 (`SIAEvent._crc_calc`), its
AES-CBC crypter (`SIAEvent._get_crypter`, pycryptodome, zero IV, the key's ASCII bytes as
pysiaalarm uses them), and its parser (`SIAEvent.from_line`) must accept every frame we send
as valid before it goes out. pysiaalarm's own test-frame helper writes the length field
wrongly, so the length is computed here as "%04X" % len(body) (body = from the opening quote
to the byte before CR), and an R (receiver) field is always included.

Replies are parsed with a regex written from the DC-09 text (pysiaalarm only parses panel
messages) and checked with pysiaalarm's CRC and crypter.

Input (stdin, JSON):
  {"host": "127.0.0.1", "port": 12000, "proto": "tcp" | "udp",
   "frames": [{"name": "...", "token": "ADM-CID" | "SIA-DCS" | "NULL", "account": "1234",
               "seq": 1, "content": "#1234|1110 01 003", "key": "AAAAAAAAAAAAAAAA"?,
               "skew": 0?, "corrupt_crc": false?}]}
Output (stdout): one JSON object per frame with the reply's type, sequence, account, whether
its CRC/length are right, whether it was encrypted, and its decrypted timestamp.
"""
import json
import re
import socket
import sys
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from pysiaalarm import SIAAccount
from pysiaalarm.event import SIAEvent

RESP = re.compile(
    r'^(?P<crc>[0-9A-F]{4})(?P<len>[0-9A-F]{4})(?P<body>"(?P<enc>\*)?(?P<type>ACK|NAK|DUH)"'
    r"(?P<seq>\d{4})(?P<rcv>R[0-9A-F]{1,6})?(?P<line>L[0-9A-F]{1,6})"
    r"(?:#(?P<acct>[0-9A-F]{3,16})|A0)\[(?P<rest>.*))$"
)


def crc(text):
    return SIAEvent._crc_calc(text)


def crypter(account, key):
    acc = SIAAccount(account, key)
    ns = SimpleNamespace(sia_account=acc)
    return lambda: SIAEvent._get_crypter(ns)


def build(spec):
    token = spec["token"]
    account = spec["account"]
    key = spec.get("key")
    ts = datetime.now(timezone.utc) + timedelta(seconds=spec.get("skew", 0))
    stamp = ts.strftime("_%H:%M:%S,%m-%d-%Y")
    inner = spec.get("content", "") + "]" + stamp
    head = '"%s%s"%04dR%sL%s#%s[' % (
        "*" if key else "",
        token,
        spec["seq"],
        spec.get("receiver", "1"),
        spec.get("prefix", "1"),
        account,
    )
    if key:
        ns = SimpleNamespace(_get_crypter=crypter(account, key))
        # pysiaalarm pads on the left with '0's to whole blocks: "000|<data>]_<ts>".
        body = head + SIAEvent.encrypt_content(ns, "|" + inner)
    else:
        body = head + inner
    c = crc(body)
    if spec.get("corrupt_crc"):
        c = "%04X" % ((int(c, 16) + 1) % 0x10000)
    line = c + ("%04X" % len(body)) + body
    # pysiaalarm must accept what we send (CRC, format, decryption, content).
    if token in ("ADM-CID", "SIA-DCS", "NULL") and not spec.get("corrupt_crc"):
        accounts = {account: SIAAccount(account, key)}
        ev = SIAEvent.from_line(line, accounts)
        assert ev.valid_message, "pysiaalarm rejects our CRC"
        assert int(ev.length, 16) == len(ev.full_message), "length field"
    return ("\n" + line + "\r").encode("ascii")


def parse_reply(raw, spec):
    text = raw.decode("ascii", "replace").strip("\n\r")
    m = RESP.match(text)
    if not m:
        return {"type": "unparsed", "raw": text}
    body = m.group("body")
    out = {
        "type": m.group("type"),
        "seq": int(m.group("seq")),
        "account": m.group("acct"),
        "receiver": m.group("rcv"),
        "line": m.group("line"),
        "crc_ok": m.group("crc") == crc(body),
        "length_ok": int(m.group("len"), 16) == len(body),
        "encrypted": bool(m.group("enc")),
        "raw": text,
    }
    rest = m.group("rest")
    if m.group("enc"):
        plain = crypter(spec["account"], spec["key"])().decrypt(bytes.fromhex(rest)).decode("ascii", "replace")
        # pad, '|' (or none, as pysiaalarm writes it), then ']' and the timestamp
        rest = plain[plain.index("]"):] if "]" in plain else plain
        out["decrypted"] = True
    tsm = re.search(r"_(\d\d:\d\d:\d\d,\d\d-\d\d-\d{4})$", rest)
    if tsm:
        ts = datetime.strptime(tsm.group(1), "%H:%M:%S,%m-%d-%Y").replace(tzinfo=timezone.utc)
        out["timestamp"] = ts.isoformat()
        out["timestamp_skew_s"] = round((ts - datetime.now(timezone.utc)).total_seconds())
    return out


def main():
    scenario = json.load(sys.stdin)
    addr = (scenario["host"], scenario["port"])
    udp = scenario.get("proto") == "udp"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    sock.settimeout(10)
    if not udp:
        sock.connect(addr)
    for spec in scenario["frames"]:
        frame = build(spec)
        if udp:
            sock.sendto(frame, addr)
            raw, _ = sock.recvfrom(4200)
        else:
            sock.sendall(frame)
            raw = b""
            while not raw.endswith(b"\r"):
                chunk = sock.recv(4200)
                if not chunk:
                    break
                raw += chunk
        result = parse_reply(raw, spec)
        result["name"] = spec.get("name", "")
        print(json.dumps(result), flush=True)
    sock.close()


if __name__ == "__main__":
    main()
