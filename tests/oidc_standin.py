"""A tiny OpenID Connect provider for tests only: the office's identity provider, stood in on the loopback.

It serves discovery, /authorize (no login form: whoever `person` is at the moment is "already signed in at the
provider", so the browser is sent straight back to the app with a code and the app's state), /token (an RS256
id_token with iss, aud, sub, email, name, nonce, iat, exp, plus an access_token), /jwks and /userinfo. The code flow
is checked as a real provider checks it: the client's id and secret, the redirect_uri the code was issued for, PKCE
(S256) when the client sent a challenge, each code used once and within 60 s. The signing key is made at start and
never leaves the process. The server listens on 127.0.0.1 on a free port, in a daemon thread, and stops by itself
after `lifetime` seconds (or at stop()).

    with OidcStandIn(client_id="valley-atlas", client_secret="s") as idp:
        idp.person = {"sub": "u-1", "email": "hei@example.gov.cn", "name": "Hei"}
        ... idp.metadata_url ...
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


class OidcStandIn:
    def __init__(self, client_id: str, client_secret: str, *, lifetime: float = 600):
        self.client_id, self.client_secret = client_id, client_secret
        self.person: dict | None = None  # the claims of who is signed in at the provider; None: /authorize refuses
        self.log: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.issued: list[dict] = []  # the claims of every id_token issued
        self.pkce: list[str | None] = []  # the code_challenge_method of each code redeemed (None: the client sent none)
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                                        name=f"oidc-standin-{self.port}")
        self._thread.start()
        self._timer = threading.Timer(lifetime, self.stop)  # bounded in time: gone even if a test forgets it
        self._timer.daemon = True
        self._timer.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self._timer.cancel()
        if self._thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile"],
            "claims_supported": ["iss", "aud", "sub", "email", "email_verified", "name", "nonce", "iat", "exp"],
        }

    # -- the endpoints: each returns (status, headers, body) -------------------------------------------------------

    def _authorize(self, query: dict) -> tuple[int, dict, bytes]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or urlsplit(redirect_uri).hostname not in ("127.0.0.1",
                                                                                                 "localhost"):
            return _json(400, {"error": "invalid_request", "error_description": "unknown client or redirect_uri"})
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return _redirect(redirect_uri, error="unsupported_response_type", state=query.get("state", ""))
        if self.person is None:
            return _redirect(redirect_uri, error="access_denied", state=query.get("state", ""))
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"redirect_uri": redirect_uri, "nonce": query.get("nonce"), "person": dict(self.person),
                                 "challenge": query.get("code_challenge"), "method": query.get("code_challenge_method"),
                                 "at": time.time()}
        return _redirect(redirect_uri, code=code, state=query.get("state", ""))

    def _token(self, headers, form: dict) -> tuple[int, dict, bytes]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            from urllib.parse import unquote

            pair = base64.b64decode(auth[6:]).decode()
            client_id, _, client_secret = (unquote(p) for p in pair.partition(":"))
        if client_id != self.client_id or client_secret != self.client_secret:
            return _json(401, {"error": "invalid_client"})
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
        if (form.get("grant_type") != "authorization_code" or grant is None or time.time() - grant["at"] > 60
                or form.get("redirect_uri") != grant["redirect_uri"]):
            return _json(400, {"error": "invalid_grant"})
        if grant["challenge"]:
            verifier = form.get("code_verifier", "").encode()
            expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if grant["method"] != "S256" or expected != grant["challenge"]:
                return _json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
        now = int(time.time())
        person = grant["person"]
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300, **person}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = person
            self.issued.append(claims)
            self.pkce.append(grant["method"] if grant["challenge"] else None)
        return _json(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                           "id_token": id_token, "scope": "openid email profile"})

    def _userinfo(self, headers) -> tuple[int, dict, bytes]:
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        person = self._tokens.get(token)
        return _json(200, person) if person else _json(401, {"error": "invalid_token"})

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: the test reads idp.log
                pass

            def _send(self, reply):
                status, headers, body = reply
                self.send_response(status)
                for k, v in {"Content-Length": str(len(body)), "Cache-Control": "no-store", **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parts = urlsplit(self.path)
                idp.log.append(("GET", parts.path))
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    self._send(_json(200, idp.metadata()))
                elif parts.path == "/jwks":
                    self._send(_json(200, KeySet([idp.key]).as_dict(private=False)))
                elif parts.path == "/authorize":
                    self._send(idp._authorize(query))
                elif parts.path == "/userinfo":
                    self._send(idp._userinfo(self.headers))
                else:
                    self._send(_json(404, {"error": "not_found"}))

            def do_POST(self):
                parts = urlsplit(self.path)
                idp.log.append(("POST", parts.path))
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if parts.path == "/token":
                    self._send(idp._token(self.headers, form))
                elif parts.path == "/userinfo":
                    self._send(idp._userinfo(self.headers))
                else:
                    self._send(_json(404, {"error": "not_found"}))

        return Handler


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _redirect(uri: str, **params) -> tuple[int, dict, bytes]:
    return 302, {"Location": uri + ("&" if "?" in uri else "?") + urlencode(params)}, b""
