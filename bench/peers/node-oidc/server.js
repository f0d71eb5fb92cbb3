// node-oidc-provider as a peer for `bench/run --peers`: the same scenarios
// as Gatehouse's, on loopback, plain HTTP, one Node process.
//
// Environment: PORT, BENCH_DIR (where the seed files go: access.txt,
// refresh.txt, session.txt, scopes.txt, client.json), BENCH_REDIRECT_URI,
// BENCH_ACCESS (access tokens to mint, default 1000), BENCH_REFRESH (refresh
// tokens to mint). It prints "ready" once the tokens are written.
//
// How it is configured, and why:
// - Storage: an unbounded in-memory Map adapter (MapAdapter below) with the
//   same semantics as the provider's bundled MemoryAdapter. The bundled one is
//   an LRU of 1000 entries: 1000 access tokens and their grants alone would
//   evict one another, and its grant index rescans every member of a grant on
//   each write (O(n) and Math.max(...members)), which the code round trip's
//   one session grant would grow without bound. This one keeps every entry
//   until it expires and indexes grant members in a Set.
// - Client: one confidential client, client_secret_basic, grant types
//   authorization_code, refresh_token, client_credentials. Every token
//   request authenticates with Basic (the provider requires it of a
//   confidential client, also for refresh; Gatehouse's refresh sends none).
// - Tokens are opaque (the provider's default format) and stored.
// - Code round trip without interaction: at start this script creates a
//   Grant for the fixed account with the code scenario's scopes and a logged-
//   in Session that points to it (session.grantIdFor(client, grantId)), and
//   writes the session cookie (signed with cookies.keys, as in production:
//   "_session=<id>; _session.sig=<keygrip HMAC>") to session.txt. The default
//   loadExistingGrant finds that grant through the session, so the default
//   interaction policy finds no login prompt (session has an account) and no
//   consent prompt (the grant holds every requested scope): GET /auth answers
//   303 with a code at once (checked with 9.13.3). This is Gatehouse's seeded session with
//   remembered consent. The scopes are plain OAuth ones (no "openid"), so no
//   ID token is signed, as Gatehouse issues none; issueRefreshToken is
//   overridden so that the code exchange issues a refresh token as
//   Gatehouse's does (the default only does with offline_access).
// - PKCE: left at the provider's default, which requires it only of public
//   clients and FAPI profiles; this confidential client sends none, as the
//   Gatehouse scenario does.
// - Refresh: rotateRefreshToken is true, so every refresh token is single-use
//   (spent and replaced on use; a spent one presented again revokes its
//   grant), as Gatehouse's. The tokens are minted ahead here, each with its
//   own Grant (Gatehouse's seeder puts each in its own family), with
//   offline_access so they do not depend on a session.
// - Bearer: GET /me (userinfo) with an opaque access token of scope
//   "openid email profile", 1000 of them in turn, each with its own Grant;
//   findAccount returns a fixed account with sub, email and name.
// - Introspection: POST /token/introspection, the same client with Basic.
// - Statuses: a first middleware counts response statuses, read by bench/run
//   from GET /__bench/statuses (outside the provider).
// - Runtime: 9.x warns "Unsupported runtime" on Node 20 (it wants 22 LTS or
//   later); it runs every scenario here on Node 20 all the same.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 3000);
const dir = process.env.BENCH_DIR || '.';
const redirectUri = process.env.BENCH_REDIRECT_URI || 'http://127.0.0.1:9/cb';
const accessCount = Number(process.env.BENCH_ACCESS || 1000);
const refreshCount = Number(process.env.BENCH_REFRESH || 0);

const ACCOUNT = 'bench-account';
const CLIENT_ID = 'bench';
const CLIENT_SECRET = crypto.randomBytes(32).toString('base64url');
const CODE_SCOPES = 'user_info projects issues notes';
const BEARER_SCOPES = 'openid email profile';
const COOKIE_KEY = crypto.randomBytes(32).toString('base64url');

// --- storage ------------------------------------------------------------------

const store = new Map(); // key -> { payload, expiresAt (ms) }
const grants = new Map(); // grantId -> Set of keys
const uids = new Map(); // session uid -> id
const userCodes = new Map(); // user code -> id
const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

function live(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.payload;
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    store.set(key, { payload, expiresAt });
    if (this.model === 'Session') uids.set(payload.uid, id);
    if (payload.userCode) userCodes.set(payload.userCode, id);
    if (grantable.has(this.model) && payload.grantId) {
      let members = grants.get(payload.grantId);
      if (!members) grants.set(payload.grantId, (members = new Set()));
      members.add(key);
    }
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = uids.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = userCodes.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    const key = this.key(id);
    const payload = live(key);
    store.delete(key);
    if (payload) {
      if (payload.uid && uids.get(payload.uid) === id) uids.delete(payload.uid);
      if (payload.userCode) userCodes.delete(payload.userCode);
      if (payload.grantId) grants.get(payload.grantId)?.delete(key);
    }
  }

  async revokeByGrantId(grantId) {
    for (const key of grants.get(grantId) ?? []) store.delete(key);
    grants.delete(grantId);
  }
}

// --- the provider -------------------------------------------------------------

const statuses = {};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: MapAdapter,
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope: `openid offline_access email profile ${CODE_SCOPES}`,
  }],
  scopes: ['openid', 'offline_access', ...CODE_SCOPES.split(' ')],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: 'bench@example.com', email_verified: true, name: 'bench' };
      },
    };
  },
  cookies: { keys: [COOKIE_KEY] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
  },
  rotateRefreshToken: true,
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  // Gatehouse's lifetimes (src/oauth/mod.rs, Policy::default): access
  // tokens a day, refresh tokens 30 days, codes 10 minutes.
  ttl: {
    AccessToken: 86_400,
    ClientCredentials: 86_400,
    AuthorizationCode: 600,
    RefreshToken: 30 * 86_400,
    Grant: 30 * 86_400,
    Session: 30 * 86_400,
  },
});

provider.use(async (ctx, next) => {
  await next();
  statuses[ctx.status] = (statuses[ctx.status] || 0) + 1;
});

// --- seed ---------------------------------------------------------------------

async function newGrant(scope) {
  const grant = new provider.Grant({ accountId: ACCOUNT, clientId: CLIENT_ID });
  grant.addOIDCScope(scope);
  return grant.save();
}

function keygrip(data) {
  return crypto.createHmac('sha1', COOKIE_KEY).update(data).digest('base64')
    .replace(/\/|\+|=/g, (c) => ({ '/': '_', '+': '-', '=': '' })[c]);
}

async function seed() {
  const client = await provider.Client.find(CLIENT_ID);

  // The session with the remembered consent (the code round trip).
  const grantId = await newGrant(CODE_SCOPES);
  const session = new provider.Session();
  session.loginAccount({ accountId: ACCOUNT });
  session.grantIdFor(CLIENT_ID, grantId);
  await session.save(30 * 86_400);
  const cookie = `_session=${session.id}`;
  fs.writeFileSync(path.join(dir, 'session.txt'), `${cookie}; _session.sig=${keygrip(cookie)}\n`);
  fs.writeFileSync(path.join(dir, 'scopes.txt'), `${CODE_SCOPES}\n`);

  const access = [];
  for (let i = 0; i < accessCount; i += 1) {
    const at = new provider.AccessToken({
      accountId: ACCOUNT, client, grantId: await newGrant(BEARER_SCOPES), scope: BEARER_SCOPES,
      gty: 'authorization_code',
    });
    access.push(await at.save());
  }
  fs.writeFileSync(path.join(dir, 'access.txt'), `${access.join('\n')}\n`);

  const refresh = fs.createWriteStream(path.join(dir, 'refresh.txt'));
  for (let i = 0; i < refreshCount; i += 1) {
    const scope = `offline_access ${CODE_SCOPES}`;
    const rt = new provider.RefreshToken({
      accountId: ACCOUNT, client, grantId: await newGrant(scope), scope, gty: 'authorization_code',
      expiresWithSession: false,
    });
    if (!refresh.write(`${await rt.save()}\n`)) await new Promise((r) => { refresh.once('drain', r); });
  }
  await new Promise((r) => { refresh.end(r); });
  fs.writeFileSync(path.join(dir, 'client.json'), JSON.stringify([CLIENT_ID, CLIENT_SECRET]));
}

// --- the server ---------------------------------------------------------------

const handler = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url === '/__bench/statuses') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(statuses));
    return;
  }
  handler(req, res);
});
server.keepAliveTimeout = 60_000;

await seed();
server.listen(port, '127.0.0.1', () => {
  console.log('ready');
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
