// Sign in with Gatehouse: a Node app and openid-client 6 (docs/oidc.md).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const GATEHOUSE = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080';
const PORT = Number(process.env.PORT ?? 8083);
const REDIRECT_URI = `http://127.0.0.1:${PORT}/callback`;

// Discovery: every endpoint, checked to belong to the issuer GATEHOUSE names.
const config = await client.discovery(
  new URL(GATEHOUSE),
  process.env.CLIENT_ID,
  process.env.CLIENT_SECRET,
  undefined,
  {
    execute: [
      // Only because this Gatehouse speaks plain http on loopback: leave it
      // out for an https issuer.
      client.allowInsecureRequests,
      // Verify the ID token's signature against the JWKS too (by default the
      // library relies on TLS for tokens that come from the token endpoint).
      client.enableNonRepudiationChecks,
    ],
  },
);

// Sessions in memory, by a random cookie: the checks of a sign-in under way,
// then the signed-in user.
const sessions = new Map();

function sessionOf(req, res) {
  const sid = /(?:^|;\s*)sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (sid && sessions.has(sid)) return sessions.get(sid);
  const id = randomBytes(32).toString('base64url');
  const session = {};
  sessions.set(id, session);
  res.setHeader('Set-Cookie', `sid=${id}; Path=/; HttpOnly; SameSite=Lax`);
  return session;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}

function redirect(res, location) {
  res.writeHead(302, { Location: location });
  res.end();
}

async function handle(req, res) {
  const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
  const session = sessionOf(req, res);
  if (url.pathname === '/') {
    if (!session.user) return send(res, 200, 'text/html', '<a href="/login">Sign in with Gatehouse</a>');
    return send(res, 200, 'application/json', JSON.stringify(session.user));
  }
  if (url.pathname === '/login') {
    // A fresh state, nonce and PKCE verifier, kept in the session for the callback.
    const pkceCodeVerifier = client.randomPKCECodeVerifier();
    session.checks = { pkceCodeVerifier, expectedState: client.randomState(), expectedNonce: client.randomNonce() };
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email',
      state: session.checks.expectedState,
      nonce: session.checks.expectedNonce,
      code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
    });
    return redirect(res, authorizationUrl.href);
  }
  if (url.pathname === '/callback') {
    const checks = session.checks;
    delete session.checks;
    if (!checks) return send(res, 400, 'text/plain', 'Sign-in failed: no sign-in under way');
    // Checks state, redeems the code with the PKCE verifier, and verifies the
    // ID token: its signature against the JWKS, iss, aud, exp and nonce.
    const tokens = await client.authorizationCodeGrant(config, url, checks);
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    session.user = { id_token: claims, userinfo };
    return redirect(res, '/');
  }
  return send(res, 404, 'text/plain', 'Not found');
}

createServer((req, res) => {
  handle(req, res).catch((error) => send(res, 400, 'text/plain', `Sign-in failed: ${error.message}`));
}).listen(PORT, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${PORT}`));
