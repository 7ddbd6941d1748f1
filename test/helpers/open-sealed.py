"""Opens a sealed batch body with jwcrypto, a JOSE implementation independent of ours.

stdin: {"jwe": <general JSON JWE, ciphertext and aad put back>, "key": <private X25519 JWK>}
stdout: the decrypted plaintext (the gzip body), base64.
"""
import base64
import json
import sys

from jwcrypto import jwe, jwk

request = json.load(sys.stdin)
token = jwe.JWE()
token.deserialize(json.dumps(request["jwe"]), key=jwk.JWK(**request["key"]))
sys.stdout.write(base64.b64encode(token.payload).decode())
