"""Schemathesis hooks for .ci/schemathesis.sh: send TOML scenario bodies as text.

`POST /v1/fund/simulations` documents `application/toml` (a scenario file) beside JSON;
schemathesis has no serializer for that media type, so generated values go on the wire as
UTF-8 text, as they would for text/plain.
"""

import json

import schemathesis


@schemathesis.serializer("application/toml")
def toml_as_text(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if isinstance(value, str):
        return {"data": value.encode("utf-8")}
    # Negative cases may generate a non-string body: send its JSON text (the server refuses it).
    return {"data": json.dumps(value).encode("utf-8")}
