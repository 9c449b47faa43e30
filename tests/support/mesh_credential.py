"""X-Mesh-Auth credentials as the gateway and the services sign them (services/core/.../mesh_auth.hpp).

A test or bench that calls a service's port directly, as another service of the mesh would, signs the
request with the stack's MESH_KEY (exported by `scripts/stack ephemeral`). Standard library only.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

HEADER = "X-Mesh-Auth"
IDENTITY_HEADERS = ("X-User-Id", "X-User-Role", "X-User-Email", "X-Session-Id")


def sign(method: str, target: str, identity: dict | None = None, caller: str = "test", lifetime: int = 60,
         key: str | None = None) -> str:
    """The X-Mesh-Auth value for METHOD TARGET carrying `identity` (identity header name -> value)."""
    key = key if key is not None else os.environ["MESH_KEY"]
    identity = {k.lower(): v for k, v in (identity or {}).items()}
    expires = str(int(time.time()) + lifetime)
    fields = ["v1", caller, expires, method, target] + [identity.get(h.lower(), "") for h in IDENTITY_HEADERS]
    mac = hmac.new(key.encode(), "".join(f + "\n" for f in fields).encode(), hashlib.sha256).digest()
    return f"v1.{caller}.{expires}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def signed(method: str, target: str, headers: dict | None = None, **kw) -> dict:
    """`headers` plus the credential over them (the identity headers among them are bound)."""
    out = dict(headers or {})
    out[HEADER] = sign(method, target, {k: v for k, v in out.items() if k.lower() in
                                        {h.lower() for h in IDENTITY_HEADERS}}, **kw)
    return out
