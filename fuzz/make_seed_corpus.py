#!/usr/bin/env python3
"""Writes the hand-made seed corpora of the fuzz targets.

    fuzz/make_seed_corpus.py [TARGET...]

Each seed goes to fuzz/corpus/<target>/<sha1 of its content> (libFuzzer's
own naming, so nightly merges never duplicate a seed). Existing files are
left alone; the script only adds. The trailer bytes at the end of each seed
are documented at the top of the target's .cc file.
"""
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

ETAG = '"3f9a0c1b2d4e5f60-17"'
XUID1, XUID2, XUID3 = "2533274790412345", "2533274790498765", "2533274790400001"
SCID = "00000000-0000-0000-0000-000076029b4d"
URL = f"/serviceconfigs/{SCID}/sessionTemplates/lobby/sessions/s1"
SECRET = b"sessionrig-fuzz-secret-0123456789"  # sessiond_request_fuzzer.cc kSecret


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---- Session documents -------------------------------------------------------

SPEC_DOC = {
    "contractVersion": 107, "changeNumber": 3,
    "correlationId": "06365b64-3067-8039-ecee-3608af3d02fc",
    "constants": {"system": {"version": 1, "maxMembersCount": 8, "visibility": "open",
                             "sessionEmptyTimeout": 0}, "custom": {"mode": "ctf"}},
    "properties": {"system": {"joinRestriction": "followed", "closed": False},
                   "custom": {"map": "dunes"}},
    "membersInfo": {"first": 0, "next": 2, "count": 2, "accepted": 2, "active": 1},
    "members": {
        "0": {"constants": {"system": {"index": 0, "xuid": XUID1}, "custom": {}},
              "properties": {"system": {"active": True}, "custom": {}},
              "gamertag": "PlayerOne", "next": 1},
        "1": {"constants": {"system": {"index": 1, "xuid": XUID2}, "custom": {}},
              "properties": {"system": {}, "custom": {}}, "reserved": True, "next": 2}}}

FULL_DOC = {
    "contractVersion": 107, "branch": "5c5c4a3e-2b0e-4d7f-9e77-0f0c1a2b3c4d",
    "changeNumber": 17, "correlationId": "06365b64-3067-8039-ecee-3608af3d02fc",
    "searchHandle": "sh-1", "startTime": "2024-05-01T12:00:00.123Z",
    "nextTimer": "2024-05-01T12:05:00+02:00",
    "constants": {"system": {
        "version": 1, "maxMembersCount": 16, "visibility": "open",
        "initiators": [XUID1], "capabilities": {"connectivity": True, "gameplay": True,
                                                "large": False, "crossPlay": True},
        "reservedRemovalTimeout": 30000, "inactiveRemovalTimeout": None,
        "readyRemovalTimeout": 180000, "sessionEmptyTimeout": 0,
        "cloudCompute": {"crossSandbox": True}},
        "custom": {"mode": "ctf", "rules": {"score": 3, "ratio": 0.5}}},
    "properties": {"system": {
        "keywords": ["ranked", "eu"], "turn": [0], "joinRestriction": "local",
        "readRestriction": "followed", "closed": False, "locked": True,
        "host": "0", "owners": [0], "matchmaking": {"targetSessionConstants": {}}},
        "custom": {"map": "dunes", "tokens": ["a", "b"]}},
    "membersInfo": {"first": 3, "next": 9, "count": 3, "accepted": 2, "active": 1},
    "members": {
        "3": {"constants": {"system": {"index": 3, "xuid": XUID1, "initialize": True},
                            "custom": {"team": "red"}},
              "properties": {"system": {"active": True, "ready": True,
                                        "secureDeviceAddress": "AAECAwQ="},
                             "custom": {"skill": 1200}},
              "gamertag": "PlayerOne", "activeTitleId": "1297290269",
              "joinTime": "2024-05-01T12:00:01Z", "roles": {"lfg": {"confirmed": True}},
              "next": 5},
        "5": {"constants": {"system": {"index": 5, "xuid": XUID2}},
              "properties": {"system": {"active": False}},
              "gamertag": "Two", "activeTitleId": 1297290269, "next": 8},
        "8": {"constants": {"system": {"index": 8, "xuid": XUID3}},
              "reserved": True, "next": 9}},
    "servers": {"game": {"constants": {"system": {}}}},
    "roleTypes": {"lfg": {"roles": {"confirmed": {"target": 2}}}}}


def with_members(doc, members, info):
    d = json.loads(json.dumps(doc))
    d["members"] = members
    d["membersInfo"] = info
    return d


LOOP_DOC = with_members(SPEC_DOC, {
    "0": {"constants": {"system": {"index": 0, "xuid": XUID1}}, "next": 1},
    "1": {"constants": {"system": {"index": 1, "xuid": XUID2}}, "next": 0}},
    {"first": 0, "next": 2, "count": 2})
NULL_MEMBER_DOC = with_members(SPEC_DOC, {"0": None}, {"first": 0, "next": 1})
NO_FIRST_DOC = with_members(SPEC_DOC, {"0": {"next": 1}}, {"next": 1})
XUID_OVERFLOW_DOC = with_members(SPEC_DOC, {
    "0": {"constants": {"system": {"index": 0, "xuid": "99999999999999999999"}}, "next": 1}},
    {"first": 0, "next": 1})
LONG_GAMERTAG_DOC = with_members(SPEC_DOC, {
    "0": {"constants": {"system": {"index": 0, "xuid": XUID1}},
          "gamertag": "ThisGamertagIsFarTooLong", "next": 1}},
    {"first": 0, "next": 1})
# What the shipped SDK reads that sessionrig must read the same way.
FIDELITY_DOC = with_members(dict(SPEC_DOC, constants={"system": {
    "maxMembersCount": 8, "metrics": {"latency": True, "bandwidthDown": False,
                                      "bandwidthUp": True, "custom": True, "future": 1}},
    "custom": {}}), {
    "0": {"constants": {"system": {"index": 0, "xuid": XUID1, "team": "blue"},
                        "custom": {"matchmakingResult": {"initialTeam": "red"}}},
          "properties": {"system": {"active": True}}, "turn": True,
          "gamertag": "ABCDEFGHIJKLM\u20ac", "next": 1}},
    {"first": 0, "next": 1, "count": 1, "accepted": 1, "active": 1})
LARGE_ME_DOC = with_members(dict(SPEC_DOC, constants={"system": {
    "maxMembersCount": 1000, "capabilities": {"large": True}}}), {
    "me": {"constants": {"system": {"index": 417, "xuid": XUID1}},
           "properties": {"system": {"active": True}}, "gamertag": "Me"}},
    {"first": 0, "next": 640, "count": 512, "accepted": 512, "active": 500})
NULL_NUMBERS_DOC = dict(SPEC_DOC, changeNumber=None, constants={"system": {
    "version": None, "maxMembersCount": None, "inactiveRemovalTimeout": None,
    "readyRemovalTimeout": 7000}, "custom": {"kept": True}})
COUNT_MISMATCH_DOC = '{"contractVersion":107,"membersInfo":{"first":0,"next":2,"count":2}}'
DEEP_DOC = '{"contractVersion":107,"properties":{"custom":{"deep":' + "[" * 40 + "]" * 40 + "}}}"
DUP_KEY_DOC = '{"contractVersion":107,"changeNumber":1,"changeNumber":2}'
BAD_UTF8_DOC = b'{"contractVersion":107,"branch":"\xc3\x28"}'
EMPTY_MEMBERS_DOC = '{"contractVersion":107,"membersInfo":{"first":0,"next":0},"members":{}}'
ESCAPES_DOC = ('{"branch":"\\u00e9\\ud83d\\ude00\\/\\"","constants":{"custom":'
               '{"n":-0.0,"big":18446744073709551616,"f":1.5e300,"neg":-9223372036854775808}}}')


def http_response(status, reason, headers, body=b"", chunked_sizes=None):
    if isinstance(body, str):
        body = body.encode()
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
    if chunked_sizes is not None:
        lines.append("Transfer-Encoding: chunked")
        out = []
        rest = body
        for n in chunked_sizes:
            piece, rest = rest[:n], rest[n:]
            out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        if rest:
            out.append(b"%x;ext=1\r\n" % len(rest) + rest + b"\r\n")
        out.append(b"0\r\nX-Trailer: 1\r\n\r\n")
        payload = b"".join(out)
    else:
        if status not in (204, 304):
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8"), ("ETag", ETAG)]


def doc_bytes(doc):
    if isinstance(doc, bytes):
        return doc
    return (doc if isinstance(doc, str) else compact(doc)).encode()


def write_result_seeds():
    # Trailer: [slice lengths, last first][slice count][flags]
    plain = b"\x00\x00"
    tight = b"\x00\x01"
    sliced = b"\x05\x20\x07\x03\x00"  # three slices 7, 32, 5 bytes
    spec = doc_bytes(SPEC_DOC)
    full = doc_bytes(FULL_DOC)
    seeds = [
        http_response(200, "OK", JSON_HEADERS, spec) + plain,
        http_response(200, "OK", JSON_HEADERS + [("Server", "sessiond")], full) + sliced,
        http_response(201, "Created", JSON_HEADERS, spec, chunked_sizes=[10, 100]) + sliced,
        http_response(412, "Precondition Failed", JSON_HEADERS, spec) + plain,
        http_response(412, "Precondition Failed", [("Content-Type", "text/plain")],
                      "precondition failed: the session does not exist\n") + plain,
        http_response(412, "Precondition Failed", []) + plain,
        http_response(204, "No Content", [("Server", "sessiond")]) + plain,
        http_response(400, "Bad Request", [("Content-Type", "text/plain; charset=utf-8")],
                      "invalid request body: kJsonSyntax: invalid JSON at byte 1: expected a key\n") + plain,
        http_response(401, "Unauthorized", [("WWW-Authenticate", "XBL3.0")], "no token\n") + plain,
        http_response(403, "Forbidden", JSON_HEADERS, spec) + plain,
        http_response(404, "Not Found", [("Content-Type", "text/plain")], "no such resource\n")
        + plain,
        http_response(409, "Conflict", [("Content-Type", "text/plain")],
                      "session full: 8 of 8 members\n") + plain,
        http_response(429, "Too Many Requests",
                      [("Retry-After", "1"), ("Content-Type", "application/json")],
                      '{"code":429,"message":"throttled"}') + plain,
        http_response(503, "Service Unavailable", [("Retry-After", "1")]) + plain,
        http_response(500, "Internal Server Error", [("Content-Type", "text/plain")], "x\n")
        + plain,
        http_response(200, "OK", [("Content-Type", "application/json"), ("ETag", 'W/"weak"')],
                      spec) + plain,
        http_response(200, "OK", [("Content-Type", "application/json")], spec) + plain,
        http_response(200, "OK", JSON_HEADERS + [("etag", '"other"')], spec) + plain,
        http_response(200, "OK", [("Content-Type", "text/html"), ("ETag", ETAG)], spec) + plain,
        http_response(200, "OK", [("Content-Type", 'application/json; charset="ISO-8859-1"'),
                                  ("ETag", ETAG)], spec) + plain,
        http_response(200, "OK", JSON_HEADERS, DEEP_DOC) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(LOOP_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(NULL_MEMBER_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(NO_FIRST_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(XUID_OVERFLOW_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(LONG_GAMERTAG_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, DUP_KEY_DOC) + plain,
        http_response(200, "OK", JSON_HEADERS, BAD_UTF8_DOC) + plain,
        http_response(200, "OK", JSON_HEADERS, ESCAPES_DOC) + plain,
        http_response(200, "OK", JSON_HEADERS, "") + plain,
        http_response(200, "OK", JSON_HEADERS, "[1,2,3]") + plain,
        http_response(200, "OK", JSON_HEADERS, spec) + tight,
        b"HTTP/1.1 100 Continue\r\n\r\n" + http_response(200, "OK", JSON_HEADERS, spec) + plain,
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json;\r\n charset=utf-8\r\nETag: "
         + ETAG.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(spec) + spec + plain),
        (b"HTTP/2 200\r\ncontent-type: application/json\r\netag: " + ETAG.encode() + b"\r\n\r\n"
         + spec + plain),
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: " + ETAG.encode()
         + b"\r\n\r\n" + doc_bytes(EMPTY_MEMBERS_DOC) + plain),
        http_response(200, "OK", JSON_HEADERS, doc_bytes(FIDELITY_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(LARGE_ME_DOC)) + plain,
        http_response(412, "Precondition Failed", JSON_HEADERS, doc_bytes(LARGE_ME_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, doc_bytes(NULL_NUMBERS_DOC)) + plain,
        http_response(200, "OK", JSON_HEADERS, COUNT_MISMATCH_DOC) + plain,
    ]
    return seeds


def session_document_seeds():
    plain = b"\x00"
    # Trailer with bit0: [list, string, members, bytes/16, items, string, depth][flags]
    tight = bytes([2, 16, 3, 64, 8, 24, 6]) + b"\x01"
    docs = [SPEC_DOC, FULL_DOC, LOOP_DOC, NULL_MEMBER_DOC, NO_FIRST_DOC, XUID_OVERFLOW_DOC,
            LONG_GAMERTAG_DOC, FIDELITY_DOC, LARGE_ME_DOC, NULL_NUMBERS_DOC, COUNT_MISMATCH_DOC,
            DEEP_DOC, DUP_KEY_DOC, BAD_UTF8_DOC, EMPTY_MEMBERS_DOC,
            ESCAPES_DOC, "{}", "null", '{"members":[]}',
            '{"membersInfo":{"first":4294967296}}']
    seeds = [doc_bytes(d) + plain for d in docs]
    seeds += [doc_bytes(SPEC_DOC) + tight, doc_bytes(FULL_DOC) + tight]
    return seeds


# ---- Deltas (session_merge_fuzzer, sessiond_request_fuzzer) ------------------

CREATE = {"constants": {"system": {"maxMembersCount": 4, "visibility": "open",
                                   "sessionEmptyTimeout": 0}, "custom": {"mode": "ctf"}},
          "properties": {"system": {"joinRestriction": "none"}, "custom": {"map": "dunes"}},
          "members": {"me": {"constants": {"system": {"xuid": XUID1, "initialize": True}},
                             "properties": {"system": {"active": True}, "custom": {}}}}}
CREATE_FULL = {"constants": {"system": {"version": 1, "maxMembersCount": 8, "visibility": "open",
                                        "initiators": [XUID1],
                                        "capabilities": {"gameplay": True, "large": False},
                                        "reservedRemovalTimeout": 30000,
                                        "inactiveRemovalTimeout": None,
                                        "readyRemovalTimeout": 180000,
                                        "sessionEmptyTimeout": 60000},
                             "custom": {"mode": "ctf"}},
               "properties": {"system": {"keywords": ["eu"], "turn": [0], "owners": [0],
                                         "joinRestriction": "followed",
                                         "readRestriction": "local", "closed": False,
                                         "locked": False, "host": "0",
                                         "matchmaking": {"status": "searching"}},
                              "custom": {"map": "dunes"}},
               "members": {"me": {"constants": {"system": {"xuid": XUID1, "initialize": True},
                                                "custom": {"team": "red"}},
                                  "properties": {"system": {"active": True, "ready": True,
                                                            "secureDeviceAddress": "AAECAwQ="},
                                                 "custom": {"skill": 1200}},
                                  "roles": {"lfg": {"confirmed": True}}},
                           "reserve_0": {"constants": {"system": {"xuid": XUID2}}}},
               "servers": {"game": {"constants": {"system": {}}}}}
CREATE_ONE = {"constants": {"system": {"maxMembersCount": 1}},
              "members": {"me": {"constants": {"system": {"xuid": XUID1}}}}}
JOIN2 = {"members": {"me": {"constants": {"system": {"xuid": XUID2}},
                            "properties": {"system": {"active": True}}}}}
RESERVE = {"members": {"reserve_0": {"constants": {"system": {"xuid": XUID3}}},
                       "reserve_1": {"constants": {"system": {"xuid": XUID2, "initialize": True},
                                                   "custom": {"team": "red"}}}}}
LEAVE = {"members": {"me": None}}
PROPS = {"properties": {"system": {"keywords": ["ranked"], "turn": [0], "closed": True,
                                   "host": None},
                        "custom": {"map": None, "score": {"red": 1}}},
         "servers": {"game": {"constants": {}}}}
APPEND = {"properties": {"custom": {"list": ["t1", "t2"]}}}
CONST_CHANGE = {"constants": {"system": {"maxMembersCount": 8}}}
LARGE = {"constants": {"system": {"maxMembersCount": 1000, "capabilities": {"large": True}}}}
BY_INDEX = {"members": {"0": {"properties": {"system": {"active": False}}}}}
# Within sessiond's type checks but not the client's: refused (400), nothing stored.
TURN_OVER_U32 = {"properties": {"system": {"turn": [4294967296], "owners": [0]}}}
LONG_KEYWORD = {"properties": {"system": {"keywords": ["eu", "k" * 5000]}}}
BAD_VERSION = {"constants": {"system": {"version": -1}}}
BAD_INITIATORS = {"constants": {"system": {"initiators": ["abc"]}}}
XUID_OVER_U64 = {"members": {"me": {"constants": {"system": {"xuid": "99999999999999999999"}}}}}
# After CREATE (custom "map"), properties.custom grown to 4096 keys over two
# writes, then one more (400).
CUSTOM_4000 = {"properties": {"custom": {f"c{i}": 1 for i in range(4000)}}}
CUSTOM_95 = {"properties": {"custom": {f"c{i}": 1 for i in range(4000, 4095)}}}
CUSTOM_ONE_MORE = {"properties": {"custom": {"one_more": 1}}}

STORED = {
    "contractVersion": 107, "branch": "b", "changeNumber": 5, "correlationId": "c",
    "startTime": "2024-05-01T12:00:00.000Z",
    "constants": {"system": {"maxMembersCount": 3, "reservedRemovalTimeout": 30000,
                             "inactiveRemovalTimeout": 0, "readyRemovalTimeout": 180000,
                             "sessionEmptyTimeout": 0}, "custom": {}},
    "properties": {"system": {}, "custom": {}},
    "membersInfo": {"first": 1, "next": 4, "count": 2, "accepted": 1, "active": 1},
    "members": {
        "1": {"constants": {"system": {"index": 1, "xuid": XUID1, "initialize": False},
                            "custom": {}},
              "properties": {"system": {"active": True}, "custom": {}},
              "joinTime": "2024-05-01T12:00:00.000Z", "next": 3},
        "3": {"constants": {"system": {"index": 3, "xuid": XUID3, "initialize": False},
                            "custom": {}},
              "properties": {"system": {}, "custom": {}}, "reserved": True, "next": 4}},
    "servers": {}}


def merge_seeds():
    rs = b"\x1e"

    def seq(*parts):
        return rs.join(doc_bytes(p) for p in parts)

    # Trailer: [remove index if bit1][callers hi][callers lo][flags]; callers: 2 bits per
    # write, write 0 in the low bits. 1 = XUID1, 2 = XUID2, 3 = XUID3, 0 = none.
    def trailer(flags, callers, remove=None):
        t = b"" if remove is None else bytes([remove])
        return t + bytes([callers >> 8, callers & 0xFF, flags])

    seeds = [
        seq(CREATE) + trailer(0, 0),
        seq(CREATE) + trailer(0, 1),
        seq(CREATE_FULL, JOIN2, LEAVE) + trailer(0, 0b01_10_01),
        seq(CREATE, JOIN2, PROPS, APPEND, LEAVE) + trailer(0, 0b00_01_01_10_01),
        seq(CREATE, RESERVE, JOIN2, CONST_CHANGE) + trailer(0, 0b10_10_01_01),
        seq(CREATE, JOIN2, LEAVE, LEAVE, CREATE) + trailer(0, 0b01_10_01_10_01),
        seq(CREATE, RESERVE, JOIN2) + trailer(0x10, 0b10_01_01),  # server cap 1
        seq(LARGE, CREATE) + trailer(0x20, 0),
        seq(CREATE, BY_INDEX, "[1]", "{}") + trailer(0, 0b01_01_01_01),
        seq(STORED, JOIN2, LEAVE) + trailer(1, 0b01_10 << 2),
        seq(STORED, RESERVE) + trailer(3, 0b01 << 2, remove=3),
        seq(STORED, "{}") + trailer(3, 0, remove=1),
        seq(CREATE, TURN_OVER_U32, LONG_KEYWORD, XUID_OVER_U64, JOIN2)
        + trailer(0, 0b10_00_01_01_01),  # no caller for XUID_OVER_U64: "me" is its xuid
        seq(BAD_VERSION, BAD_INITIATORS, CREATE) + trailer(0, 0b01_01_01),
        seq(CREATE, CUSTOM_4000, CUSTOM_95, CUSTOM_ONE_MORE) + trailer(0, 0b01_01_01_01),
    ]
    return seeds


# Dev tokens expire: seeds carry one that is valid until 2100 (sessiond's
# auth.h: "<expiry>.<hex HMAC-SHA256(secret, "<xuid>:<expiry>")>"), one that
# expired in 2023, and one of the format before expiry existed.
TOKEN_EXPIRY = 4102444800  # 2100-01-01T00:00:00Z


def dev_auth(xuid, expiry=TOKEN_EXPIRY):
    mac = hmac.new(SECRET, f"{xuid}:{expiry}".encode(), hashlib.sha256).hexdigest()
    return f"XBL3.0 x={xuid};{expiry}.{mac}"


def old_format_auth(xuid):
    token = hmac.new(SECRET, xuid.encode(), hashlib.sha256).hexdigest()
    return f"XBL3.0 x={xuid};{token}"


def http_request(method, target, headers, body=None, version="1.1"):
    if isinstance(body, (dict, list)):
        body = compact(body)
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {target} HTTP/{version}", "Host: 127.0.0.1:7000"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def put(xuid, body, extra=(), dev=False, target=URL):
    auth = dev_auth(xuid) if dev else f"XBL3.0 x={xuid};fuzz-token"
    headers = [("Authorization", auth), ("x-xbl-contract-version", "107"),
               ("Content-Type", "application/json; charset=utf-8")] + list(extra)
    return http_request("PUT", target, headers, body)


def get(xuid, extra=(), dev=False):
    auth = dev_auth(xuid) if dev else f"XBL3.0 x={xuid};fuzz-token"
    return http_request("GET", URL, [("Authorization", auth), ("x-xbl-contract-version", "107")]
                        + list(extra))


def request_seeds():
    none, dev = b"\x00", b"\x01"
    chunked_body = compact(CREATE).encode()
    chunked = (f"PUT {URL} HTTP/1.1\r\nHost: h\r\nAuthorization: XBL3.0 x={XUID1};t\r\n"
               "x-xbl-contract-version: 107\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunked += b"%x\r\n" % 20 + chunked_body[:20] + b"\r\n"
    chunked += b"%x\r\n" % (len(chunked_body) - 20) + chunked_body[20:] + b"\r\n0\r\n\r\n"
    seeds = [
        put(XUID1, CREATE, [("If-None-Match", "*")]) + none,
        put(XUID1, CREATE_FULL) + put(XUID2, JOIN2) + get(XUID3) + none,
        put(XUID1, CREATE, [("If-None-Match", "*")], dev=True) + dev,
        put(XUID1, CREATE) + get(XUID1) + none,
        put(XUID1, CREATE) + put(XUID2, JOIN2, [("If-Match", '"nope"')]) + get(XUID2) + none,
        put(XUID1, CREATE) + put(XUID2, JOIN2, [("If-Match", "*")]) + put(XUID1, RESERVE)
        + put(XUID1, PROPS) + put(XUID2, LEAVE) + put(XUID1, LEAVE) + none,
        put(XUID1, CREATE) + put(XUID1, CONST_CHANGE) + put(XUID1, BY_INDEX) + none,
        put(XUID1, CREATE_ONE) + put(XUID2, JOIN2) + b"\x40",  # one member per session: 409
        put(XUID1, CREATE) + put(XUID1, CREATE, target=URL.replace("s1", "s2")) + b"\x10",
        put(XUID1, RESERVE) + put(XUID1, CREATE) + b"\x04",  # sweep a day later
        get(XUID1) + get(XUID1, [("If-None-Match", '"a", W/"b"')]) + none,
        get(XUID1, dev=True) + dev,
        get(XUID1) + dev,  # bad token under dev auth: 401
        http_request("GET", URL, [("Authorization", dev_auth(XUID1, 1700000000)),
                                  ("x-xbl-contract-version", "107")]) + dev,  # expired: 401
        http_request("PUT", URL, [("Authorization", old_format_auth(XUID1)),
                                  ("x-xbl-contract-version", "107")], CREATE) + dev,  # no expiry: 401
        put(XUID1, "{not json") + none,
        put(XUID1, CREATE, [("Content-Type", "text/plain")]) + none,
        put(XUID1, CREATE, [("If-Match", "unquoted")]) + none,
        http_request("GET", "/healthz", []) + none,
        http_request("GET", "/admin/faults", []) + none,
        http_request("PUT", "/admin/faults", [("Content-Type", "application/json")],
                     {"inject": ["latency=fixed:5ms", "malformed=bad_etag:1"]})
        + put(XUID1, CREATE) + none,
        http_request("PUT", "/admin/faults", [], ["malformed=truncated:1", "error=503:0"])
        + put(XUID1, CREATE) + http_request("DELETE", "/admin/faults", []) + none,
        http_request("PUT", "/admin/faults", [], ["error=500:1,retry_after=2s"])
        + get(XUID1) + none,
        http_request("PUT", "/admin/faults", [], {"inject": ["stall=at:0ms,for:10ms"]}) + b"\x02",
        http_request("DELETE", URL, [("x-xbl-contract-version", "107")]) + none,
        http_request("GET", "/serviceconfigs/x/sessionTemplates/y/sessions/" + "z" * 3000, [])
        + none,
        http_request("GET", URL, [("x-xbl-contract-version", "107"),
                                  ("x-xbl-contract-version", "105")]) + none,
        http_request("GET", URL, [("x-xbl-contract-version", "99")]) + none,
        http_request("GET", URL, [("x-xbl-contract-version", "104")], version="1.0") + none,
        put(XUID1, CREATE, [("Expect", "100-continue"), ("Connection", "close")]) + none,
        chunked + none,
        http_request("GET", "/nowhere?x=1", []) + none,
        put(XUID1, CREATE) + put(XUID1, TURN_OVER_U32) + put(XUID1, LONG_KEYWORD)
        + put("99999999999999999999", {"members": {"me": {}}}) + get(XUID1) + none,
        # An xuid with a leading zero, its token valid: 401 (was a 500).
        put("0123", {"members": {"me": {"constants": {"system": {"initialize": True}}}}}) + none,
        put("0123", {"members": {"me": {}}}, dev=True) + dev,
        put(XUID1, BAD_VERSION, [("If-None-Match", "*")]) + put(XUID1, BAD_INITIATORS)
        + get(XUID1) + none,
        put(XUID1, CREATE) + put(XUID1, CUSTOM_4000) + put(XUID1, CUSTOM_95)
        + put(XUID1, CUSTOM_ONE_MORE) + get(XUID1) + none,
    ]
    return seeds


def transport_seeds():
    # Trailer: [chunk lengths, last first][chunk count][cancel_at][flags]; flags bit0 reset,
    # bit1 cancel after chunk cancel_at, bits 4-6 write mode (3: SynchronizedUpdate).
    def trailer(chunks=(), cancel_at=0, flags=0x30):
        return bytes(reversed(chunks)) + bytes([len(chunks), cancel_at, flags])

    spec = doc_bytes(SPEC_DOC)
    ok = http_response(200, "OK", JSON_HEADERS, spec)
    seeds = [
        ok + trailer(),
        ok + trailer((1, 9, 40, 7, 200)),  # status line, headers and body cut across reads
        http_response(201, "Created", JSON_HEADERS, spec, chunked_sizes=[5, 50, 3]) + trailer((60, 3)),
        http_response(412, "Precondition Failed", JSON_HEADERS, spec) + trailer((30,)),
        http_response(204, "No Content", []) + trailer(flags=0x10),
        http_response(400, "Bad Request", [("Content-Type", "text/plain")], "bad\n") + trailer(),
        http_response(503, "Service Unavailable", [("Retry-After", "1")]) + trailer(),
        ok[: len(ok) // 2] + trailer((20,)),  # truncated body, then close
        ok[: len(ok) // 2] + trailer((20,), flags=0x31),  # truncated, then reset
        ok + trailer((40, 40), cancel_at=1, flags=0x32),  # cancelled mid-response
        b"HTTP/1.1 100 Continue\r\n\r\n" + ok + trailer((25,)),
        http_response(200, "OK", JSON_HEADERS, doc_bytes(FULL_DOC)) + trailer((100, 100, 100)),
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: " + ETAG.encode()
         + b"\r\nConnection: close\r\n\r\n" + spec + trailer()),  # body until close
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n123456"
         + trailer()),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + trailer(),
        b"garbage\r\n\r\n" + trailer(),
        b"" + trailer(),
        ok + trailer(flags=0x70),  # invalid write mode: no request is sent
        http_response(200, "OK", JSON_HEADERS, doc_bytes(LOOP_DOC)) + trailer((64,)),
    ]
    return seeds


def write(target, seeds):
    out_dir = os.path.join(HERE, "corpus", target)
    os.makedirs(out_dir, exist_ok=True)
    added = 0
    for s in seeds:
        path = os.path.join(out_dir, hashlib.sha1(s).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(s)
            added += 1
    print(f"{target}: {len(seeds)} seeds, {added} new")


GENERATORS = {
    "write_result_fuzzer": write_result_seeds,
    "session_document_fuzzer": session_document_seeds,
    "session_merge_fuzzer": merge_seeds,
    "sessiond_request_fuzzer": request_seeds,
    "transport_fuzzer": transport_seeds,
}

if __name__ == "__main__":
    targets = sys.argv[1:] or list(GENERATORS)
    for t in targets:
        write(t, GENERATORS[t]())
