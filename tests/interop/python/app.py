"""Sign in with Gatehouse: a Flask app and Authlib (docs/oidc.md)."""

import os
import secrets

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, redirect, session

GATEHOUSE = os.environ.get("GATEHOUSE_URL", "http://127.0.0.1:8080")
PORT = int(os.environ.get("PORT", "8082"))

app = Flask(__name__)
app.secret_key = secrets.token_bytes(32)  # signs the session cookie
oauth = OAuth(app)
oauth.register(
    "gatehouse",
    # Discovery: every endpoint, the issuer and the JWKS address.
    server_metadata_url=f"{GATEHOUSE}/.well-known/openid-configuration",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
)


@app.route("/")
def home():
    user = session.get("user")
    if user is None:
        return '<a href="/login">Sign in with Gatehouse</a>'
    return jsonify(user)


@app.route("/login")
def login():
    # A fresh state, nonce and PKCE verifier, kept in the session for the callback.
    return oauth.gatehouse.authorize_redirect(f"http://127.0.0.1:{PORT}/callback")


@app.route("/callback")
def callback():
    # Checks state, redeems the code, and verifies the ID token: its signature
    # against the JWKS, iss, aud, exp, nonce and at_hash.
    token = oauth.gatehouse.authorize_access_token()
    userinfo = oauth.gatehouse.userinfo(token=token)
    session["user"] = {"id_token": dict(token["userinfo"]), "userinfo": dict(userinfo)}
    return redirect("/")


@app.errorhandler(OAuthError)
def sign_in_failed(error):
    return f"Sign-in failed: {error.error}", 400


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=PORT)
