#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (committed; run again after a contract,
route or key change). Deterministic: the same inputs give the same files.

  tests/fuzz/make_corpus.py            # rewrites the generated seeds (other files are kept)

Seeds are realistic inputs, valid and hostile: HTTP requests for gateway/routes.json (chunked,
pipelined, smuggling attempts, client-supplied identity headers), tokens signed with the fuzz key
(tests/fuzz/keys, kid fuzz-2026-01) and forged ones, JWKS documents, and one valid payload and
envelope per contracts/events schema plus poison messages. Tokens are valid at the fuzz targets'
fixed instant (2026-01-01T00:00:00Z). Signing uses the openssl command line (RS256 = PKCS#1 v1.5
over SHA-256, deterministic). Files are named gen-*; crashers added by hand keep other names.
"""
import base64
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = HERE / "corpus"
KEY = HERE / "keys" / "fuzz_signing_key.pem"
KID = "fuzz-2026-01"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z, fuzz_support.hpp kNowS
USER_ID = "01a20005-a515-70d2-acbc-ba6bcc3979c5"
ADMIN_ID = "01a20005-a515-70d2-acbc-0000000000ad"
SESSION_ID = "01a20005-a516-7000-8000-00000000005e"
ORDER_ID = "01a20006-8001-70a7-8b1d-9a9b5ecbd24c"
PRODUCT_ID = "01a20005-a48c-7103-b311-d1b0240c0d31"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sign(header, payload) -> str:
    """RS256 over header.payload with the fuzz key; header/payload are dicts or raw JSON text."""
    h = header if isinstance(header, str) else compact(header)
    p = payload if isinstance(payload, str) else compact(payload)
    signing_input = b64url(h.encode()) + "." + b64url(p.encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(KEY)], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


def jwk():
    text = subprocess.run(["openssl", "rsa", "-in", str(KEY), "-noout", "-modulus"], capture_output=True,
                          check=True, text=True).stdout
    modulus = bytes.fromhex(text.strip().split("=", 1)[1])
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": b64url(modulus), "e": "AQAB"}


RS256 = {"alg": "RS256", "typ": "JWT", "kid": KID}


def claims(**overrides):
    c = {"iss": "shopmesh", "sub": USER_ID, "aud": "shopmesh-api", "jti": "01a20005-a517-7000-8000-000000000001",
         "sid": SESSION_ID, "email": "ada@example.com", "role": "USER", "iat": NOW - 60, "exp": NOW + 900}
    c.update(overrides)
    return {k: v for k, v in c.items() if v is not None}


class Seeds:
    def __init__(self, target):
        self.dir = CORPUS / target
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("gen-*"):
            old.unlink()
        self.count = 0

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode()
        (self.dir / f"gen-{name}").write_bytes(data)
        self.count += 1


# ----------------------------------------------------------------------------------------- tokens

def tokens():
    alg_none = b64url(compact({"alg": "none", "typ": "JWT"}).encode()) + "." + b64url(compact(claims()).encode()) + "."
    valid = sign(RS256, claims())
    head, body, sig = valid.split(".")
    hs256_head = b64url(compact({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    return {
        "user": valid,
        "admin": sign(RS256, claims(sub=ADMIN_ID, role="ADMIN", email="admin@shopmesh.local")),
        "expired": sign(RS256, claims(iat=NOW - 4000, exp=NOW - 3000)),
        "not-yet-valid": sign(RS256, claims(nbf=NOW + 3600, exp=NOW + 7200)),
        "wrong-issuer": sign(RS256, claims(iss="evil")),
        "wrong-audience": sign(RS256, claims(aud="other-api")),
        "audience-list": sign(RS256, claims(aud=["other-api", "shopmesh-api"])),
        "missing-sub": sign(RS256, claims(sub=None)),
        "fractional-times": sign(RS256, claims(iat=NOW - 60.5, exp=NOW + 900.25)),
        "huge-exp": sign(RS256, claims(exp=1e300)),
        "unknown-kid": sign({"alg": "RS256", "typ": "JWT", "kid": "rotated-away"}, claims()),
        "no-kid": sign({"alg": "RS256", "typ": "JWT"}, claims()),
        "crit-header": sign({"alg": "RS256", "kid": KID, "crit": ["exp"]}, claims()),
        "duplicate-claim": sign(RS256, compact(claims())[:-1] + ',"role":"ADMIN"}'),
        "header-injection-claim": sign(RS256, claims(role="USER\r\nX-User-Role: ADMIN")),
        "alg-none": alg_none,
        "hs256": hs256_head + "." + body + "." + sig,
        "bad-signature": head + "." + body + "." + ("A" if sig[0] != "A" else "B") + sig[1:],
        "swapped-payload": head + "." + b64url(compact(claims(role="ADMIN")).encode()) + "." + sig,
        "padded": valid + "==",
        "two-parts": head + "." + body,
    }


def jwt_seeds(toks):
    s = Seeds("jwt_verify")
    for name, token in toks.items():
        s.add(name, token)
    s.add("empty-parts", "..")
    s.add("not-base64", "e30.e30.%%%")
    return s.count


def jwt_claims_seeds():
    s = Seeds("jwt_claims")
    s.add("user", compact(claims()))
    s.add("admin", compact(claims(sub=ADMIN_ID, role="ADMIN")))
    s.add("audience-list", compact(claims(aud=["a", "shopmesh-api"])))
    s.add("nbf-and-fractions", compact(claims(nbf=NOW - 10.5, iat=NOW - 20.75)))
    s.add("wrong-types", compact(claims(exp="tomorrow", iat=True)))
    s.add("negative-times", compact(claims(iat=-1, nbf=-5)))
    s.add("typ-at-jwt", compact({"alg": "RS256", "typ": "at+jwt", "kid": KID}) + "\n" + compact(claims()))
    s.add("alg-none-header", compact({"alg": "none", "kid": KID}) + "\n" + compact(claims()))
    s.add("header-with-crit", compact({"alg": "RS256", "kid": KID, "crit": []}) + "\n" + compact(claims()))
    s.add("duplicate-alg", '{"alg":"RS256","alg":"HS256","kid":"' + KID + '"}\n' + compact(claims()))
    s.add("nested-claims", compact(claims(role={"name": ["ADMIN", {"x": [1, 2, [3]]}]})))
    return s.count


def jwks_seeds():
    key = jwk()
    s = Seeds("jwks")
    s.add("fuzz-key", compact({"keys": [key]}))
    s.add("two-keys", compact({"keys": [key, dict(key, kid="fuzz-2026-02")]}))
    s.add("foreign-keys", compact({"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AA", "y": "AA"},
                                            dict(key, use="enc"), dict(key, alg="RS512"), dict(key, kid="")]}))
    s.add("short-modulus", compact({"keys": [dict(key, n=key["n"][:170])]}))
    s.add("bad-exponents", compact({"keys": [dict(key, e="AQ"), dict(key, e="Ag"), dict(key, e="AAAAAAAAAAAAAQAB")]}))
    s.add("padded-n", compact({"keys": [dict(key, n=key["n"] + "==")]}))
    s.add("wrong-types", compact({"keys": [dict(key, kid=7), dict(key, n=None), "RSA", []]}))
    s.add("no-keys", compact({"keys": {}}))
    return s.count


# ------------------------------------------------------------------------------------------ HTTP

def request(method, target, headers=(), body=None, version="HTTP/1.1", chunked=None):
    lines = [f"{method} {target} {version}", "Host: api.shop.example"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body is not None and chunked is None:
        lines.append(f"Content-Length: {len(body.encode())}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    if chunked is not None:
        return head + chunked
    return head + (body or "")


def chunk(*parts, trailer=""):
    out = "".join(f"{len(p.encode()):x}\r\n{p}\r\n" for p in parts)
    return out + "0\r\n" + trailer + "\r\n"


def gateway_seeds(toks):
    s = Seeds("gateway_request")
    bearer = lambda t: ("Authorization", f"Bearer {t}")
    order = compact({"items": [{"productId": PRODUCT_ID, "quantity": 2}]})
    json_ct = ("Content-Type", "application/json")
    s.add("get-products", request("GET", "/api/products?q=lamp&sort=-price&limit=5", [("Accept", "application/json")]))
    s.add("head-categories", request("HEAD", "/api/categories"))
    s.add("get-orders-user", request("GET", "/api/orders?page=2&limit=10", [bearer(toks["user"])]))
    s.add("post-order", request("POST", "/api/orders", [bearer(toks["user"]), json_ct, ("Idempotency-Key", "7f1c")],
                                order))
    s.add("post-order-chunked", request("POST", "/api/orders", [bearer(toks["user"]), json_ct,
                                                                ("Transfer-Encoding", "chunked")],
                                        chunked=chunk(order[:10], order[10:])))
    s.add("chunked-extensions-trailer",
          request("POST", "/api/cart/items", [bearer(toks["user"]), ("Transfer-Encoding", "chunked")],
                  chunked="5;name=value\r\n{\"a\":\r\n3\r\n1}\n\r\n0\r\nX-Trailer: yes\r\n\r\n"))
    s.add("expect-continue", request("PUT", "/api/auth/password", [bearer(toks["user"]), json_ct,
                                                                   ("Expect", "100-continue")],
                                     '{"currentPassword":"a","newPassword":"b"}'))
    s.add("admin-delete-user", request("DELETE", f"/api/users/{USER_ID}", [bearer(toks["admin"])]))
    s.add("admin-order-status", request("PATCH", f"/api/orders/{ORDER_ID}/status", [bearer(toks["admin"]), json_ct],
                                        '{"status":"SHIPPED"}'))
    s.add("user-on-admin-route", request("GET", "/api/users", [bearer(toks["user"])]))
    s.add("stock-admin", request("PATCH", f"/api/stock/{PRODUCT_ID}", [bearer(toks["user"]), json_ct], '{"delta":-1}'))
    s.add("login-rewrite", request("POST", "/api/users/login", [("Content-Type", "application/x-www-form-urlencoded")],
                                   "username=ada%40example.com&password=correct-horse-1"))
    s.add("register", request("POST", "/api/auth/register", [json_ct],
                              compact({"email": "ada@example.com", "password": "correct-horse-1", "name": "Ada"})))
    s.add("cors-preflight", request("OPTIONS", "/api/orders", [("Origin", "https://shop.example.com"),
                                                               ("Access-Control-Request-Method", "POST"),
                                                               ("Access-Control-Request-Headers",
                                                                "authorization, content-type")]))
    s.add("cors-preflight-foreign", request("OPTIONS", "/api/orders", [("Origin", "https://evil.example"),
                                                                       ("Access-Control-Request-Method", "DELETE"),
                                                                       ("Access-Control-Request-Headers", "x-a\tb")]))
    s.add("cors-get", request("GET", "/api/products/1", [("Origin", "http://localhost:3000")]))
    s.add("trace-and-request-id", request("GET", "/api/shipments?orderId=" + ORDER_ID, [
        bearer(toks["user"]), ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ("X-Request-Id", "req-123_abc.def")]))
    s.add("bad-trace-and-request-id", request("GET", "/api/notifications", [
        bearer(toks["user"]), ("traceparent", "ff-00000000000000000000000000000000-0000000000000000-zz"),
        ("X-Request-Id", "bad id with spaces")]))
    for name in ("expired", "not-yet-valid", "wrong-audience", "alg-none", "hs256", "bad-signature", "unknown-kid",
                 "swapped-payload", "header-injection-claim", "crit-header"):
        s.add(f"token-{name}", request("GET", "/api/cart", [bearer(toks[name])]))
    s.add("auth-malformed", request("GET", "/api/cart", [("Authorization", "Bearer  two parts")]))
    s.add("auth-basic", request("GET", "/api/cart", [("Authorization", "Basic YWRhOnB3")]))
    s.add("auth-on-public", request("GET", "/api/products", [bearer(toks["expired"])]))
    # Identity and forwarding headers a client must not be able to set.
    s.add("identity-headers", request("GET", "/api/orders", [
        bearer(toks["user"]), ("X-User-Id", ADMIN_ID), ("X-User-Role", "ADMIN"), ("x-user-email", "root@x"),
        ("X-Session-Id", "stolen"), ("X-Forwarded-For", "10.0.0.1"), ("Forwarded", "for=10.0.0.1"),
        ("Proxy-Authorization", "Basic x")]))
    s.add("identity-headers-anonymous", request("GET", "/api/products", [("X-User-Role", "ADMIN"),
                                                                         ("X-User-Id", ADMIN_ID)]))
    s.add("connection-nominated", request("GET", "/api/orders", [
        bearer(toks["user"]), ("Connection", "keep-alive, X-Api-Key, Authorization"), ("X-Api-Key", "k"),
        ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Upgrade", "websocket")]))
    s.add("xff-ipv6", request("GET", "/api/products", [("X-Forwarded-For", "2001:db8::1")]))
    s.add("xff-mapped", request("GET", "/api/products", [("X-Forwarded-For", "::ffff:192.0.2.1")]))
    # Framing: request smuggling attempts (CL.TE, TE.CL, TE.TE, duplicate lengths).
    smuggled = "GET /api/users HTTP/1.1\r\nHost: x\r\nX-User-Role: ADMIN\r\n\r\n"
    s.add("smuggle-cl-te", "POST /api/cart HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled)
    s.add("smuggle-te-cl", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           "Content-Length: 4\r\n\r\n5c\r\n" + smuggled + "\r\n0\r\n\r\n")
    s.add("smuggle-te-te", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n" + smuggled)
    s.add("smuggle-te-gzip", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                             "0\r\n\r\n" + smuggled)
    s.add("smuggle-te-case", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked \r\n\r\n"
                             "0\r\n\r\n" + smuggled)
    s.add("smuggle-te-obs-fold", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                                 "0\r\n\r\n" + smuggled)
    s.add("smuggle-xchunked", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
                              "0\r\n\r\n" + smuggled)
    s.add("duplicate-content-length", "POST /api/cart HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                      "Content-Length: 45\r\n\r\n" + smuggled)
    s.add("content-length-list", "POST /api/cart HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc")
    s.add("content-length-sign", "POST /api/cart HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc")
    s.add("space-before-colon", "POST /api/cart HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n"
                                "0\r\n\r\n")
    s.add("bare-lf", "GET /api/products HTTP/1.1\nHost: x\n\n")
    s.add("chunk-size-overflow", request("POST", "/api/cart", [("Transfer-Encoding", "chunked")],
                                         chunked="ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"))
    s.add("chunk-size-bad", request("POST", "/api/cart", [("Transfer-Encoding", "chunked")],
                                    chunked="0x5\r\nhello\r\n0\r\n\r\n"))
    s.add("chunk-missing-crlf", request("POST", "/api/cart", [("Transfer-Encoding", "chunked")],
                                        chunked="5\r\nhello0\r\n\r\n"))
    # Paths: dot segments, empty segments, encodings, absolute form.
    s.add("dot-segments", request("GET", "/api/products/../users"))
    s.add("dot-segment-encoded", request("GET", "/api/products/%2e%2e/users"))
    s.add("empty-segments", request("GET", "//api///products//?q=a//b"))
    s.add("absolute-form", request("GET", "http://evil.example/api/products"))
    s.add("asterisk-form", request("OPTIONS", "*"))
    s.add("no-slash", request("GET", "api/products"))
    s.add("builtins", request("GET", "/metrics", [("Authorization", "Bearer x")]) + request("GET", "/health") +
          request("GET", "/api/health") + request("GET", "/api/docs/index.html") +
          request("GET", "/api/auth/api-docs"))
    # Limits.
    s.add("headers-too-large", request("GET", "/api/products", [("X-Padding", "a" * 9000)]))
    s.add("body-too-large", "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n{")
    s.add("http10-no-host", "GET /api/products HTTP/1.0\r\n\r\n")
    s.add("http10-keep-alive", "GET /api/products HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                               "GET /api/categories HTTP/1.0\r\n\r\n")
    s.add("connection-close", request("GET", "/api/products", [("Connection", "close")]) + request("GET", "/api/x"))
    s.add("pipelined", request("GET", "/api/products") +
          request("POST", "/api/orders", [bearer(toks["user"]), json_ct], order) +
          request("DELETE", f"/api/cart/items/{PRODUCT_ID}", [bearer(toks["user"])]))
    s.add("header-injection", "GET /api/products HTTP/1.1\r\nHost: x\r\nX-A: b\rX-User-Role: ADMIN\r\n\r\n")
    s.add("nul-in-target", "GET /api/products\x00/../users HTTP/1.1\r\nHost: x\r\n\r\n")
    s.add("sqli-query", request("GET", "/api/products?q=%27%20OR%201%3D1--&sort=price;DROP%20TABLE%20x"))
    s.add("unknown-method", request("BREW", "/api/orders", [bearer(toks["user"])]))
    s.add("truncated-body", "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"items\":")
    return s.count


# ---------------------------------------------------------------------------------------- events

def schema_files():
    files = sorted(p for p in (REPO / "contracts" / "events").glob("*.v*.json"))
    def key(p):
        type_, version = p.name[:-len(".json")].rsplit(".v", 1)
        return (type_, int(version))
    return sorted(files, key=key)


def example(node, defs, name="", nulls=False, full=True):
    """A value valid under a schema node; `nulls` picks null for nullable fields, `full` fills optionals."""
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    types = node.get("type", "object")
    types = types if isinstance(types, list) else [types]
    if nulls and "null" in types:
        return None
    t = next(t for t in types if t != "null")
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][-1 if nulls else 0]
    if t == "object":
        props = node.get("properties", {})
        required = node.get("required", [])
        return {k: example(v, defs, k, nulls, full) for k, v in props.items() if full or k in required}
    if t == "array":
        return [example(node["items"], defs, name, nulls, full) for _ in range(max(node.get("minItems", 1), 1))]
    fmt = node.get("format")
    if t == "string":
        if fmt == "uuid":
            return PRODUCT_ID if "product" in name.lower() else ORDER_ID
        if fmt == "date-time":
            return "2026-01-01T00:00:00.000Z" if not nulls else "2025-12-31T23:59:59+01:00"
        return (name or "text") + (" é" if nulls else "")
    if t == "integer":
        return max(node.get("minimum", 1), 1) + (4 if nulls else 0)
    if t == "number":
        return 19.99 if fmt == "money" else 1.5
    if t == "boolean":
        return not nulls
    raise ValueError(f"no example for {node}")


def event_seeds():
    payloads = Seeds("event_payload")
    envelopes = Seeds("event_envelope")
    for index, path in enumerate(schema_files()):
        schema = json.loads(path.read_text())
        defs = schema.get("$defs", {})
        type_, version = schema["title"], schema["x-version"]
        stem = f"{index:02d}-{type_.lower()}-v{version}"
        for variant, nulls, full in (("full", False, True), ("minimal", True, False)):
            data = example(schema, defs, nulls=nulls, full=full)
            payloads.add(f"{stem}-{variant}", bytes([index]) + compact(data).encode())
            envelope = {"id": "01a20006-800f-70be-b830-41d8027b38b7", "type": type_, "version": version,
                        "occurredAt": "2026-01-01T00:00:00.000Z", "producer": "fuzz", "key": ORDER_ID,
                        "correlationId": "req-1", "causationId": None if nulls else ORDER_ID, "data": data}
            envelopes.add(f"{stem}-{variant}", compact(envelope))
    revoked = {"id": "01a20006-800f-70be-b830-41d8027b38b8", "type": "SESSION_REVOKED", "version": 1,
               "occurredAt": "2026-01-01T00:00:00.000Z", "producer": "auth", "key": USER_ID, "correlationId": "r",
               "causationId": None, "data": {"userId": USER_ID, "reason": "PASSWORD_CHANGED",
                                             "exceptSessionId": SESSION_ID, "revokedAt": "2025-12-31T23:59:00Z"}}
    envelopes.add("session-revoked-all-but-one", compact(revoked))
    envelopes.add("session-revoked-offset-time", compact(dict(revoked, data=dict(
        revoked["data"], sessionId=SESSION_ID, revokedAt="2026-01-01T00:59:00.5+01:00"))))
    envelopes.add("poison-garbage", b"\x00\xff\xfe{not json")
    envelopes.add("poison-wrong-schema", compact(dict(revoked, type="ORDER_CREATED")))
    envelopes.add("poison-unknown-type", compact(dict(revoked, type="ORDER_TELEPORTED")))
    envelopes.add("poison-unknown-version", compact(dict(revoked, version=7)))
    envelopes.add("poison-version-types", compact(dict(revoked, version="1")))
    envelopes.add("poison-nul-in-ids", compact(dict(revoked, causationId="a\u0000b", key="k\u0000")))
    envelopes.add("poison-data-not-object", compact(dict(revoked, data=[1, 2])))
    envelopes.add("catalog-product-updated", compact(dict(revoked, type="PRODUCT_UPDATED", data={})))
    return payloads.count + envelopes.count


def service_seeds():
    """Requests as a service receives them from the gateway or another service."""
    s = Seeds("service_request")
    mesh = [("X-User-Id", USER_ID), ("X-User-Role", "USER"), ("X-User-Email", "ada@example.com"),
            ("X-Session-Id", SESSION_ID), ("X-Request-Id", "01a20005-a517-7000-8000-0000000000aa"),
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Mesh-Auth", "v1.gateway.1796464800.bB4EAf19xERSZu_Jtbto7Len9fmuGkkGS5cCL-420wY")]
    order = compact({"items": [{"productId": PRODUCT_ID, "quantity": 2}]})
    json_ct = ("Content-Type", "application/json")
    s.add("get-product", request("GET", f"/products/{PRODUCT_ID}", mesh))
    s.add("post-order", request("POST", "/orders", mesh + [json_ct], order))
    s.add("pipelined", request("GET", "/health") + request("PATCH", "/cart/items/1", [json_ct], '{"quantity":3}') +
          request("DELETE", "/cart", [("Connection", "close")]))
    s.add("http10-keep-alive", request("GET", "/metrics", [("Connection", "keep-alive")], version="HTTP/1.0") +
          request("GET", "/health", version="HTTP/1.0"))
    s.add("chunked", request("POST", "/orders", [json_ct], chunked=chunk(order[:10], order[10:])))
    s.add("two-lengths", "POST /orders HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
    s.add("two-connections", "GET / HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n")
    s.add("body-over-limit", request("POST", "/orders", [json_ct], "x" * 5000))
    s.add("obs-fold", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n")
    s.add("partial-body", "POST /orders HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}")
    return s.count


def main():
    toks = tokens()
    counts = {
        "gateway_request": gateway_seeds(toks),
        "service_request": service_seeds(),
        "jwt_verify": jwt_seeds(toks),
        "jwt_claims": jwt_claims_seeds(),
        "jwks": jwks_seeds(),
        "event_payload+event_envelope": event_seeds(),
    }
    for target, n in counts.items():
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    sys.exit(main())
