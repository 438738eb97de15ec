// The OpenID provider of the single sign-on tests: oidc-provider (a certified implementation)
// on a loopback port, with one client (the portal), the people of ACCOUNTS_FILE and a
// `groups` claim. Its login page checks the password; "Cancel" answers access_denied.
//
//   node server.mjs   with PROVIDER_PORT, PORTAL_URL, CLIENT_ID, CLIENT_SECRET, ACCOUNTS_FILE
//
// ACCOUNTS_FILE is JSON, {"<login>": {"sub", "password", "email", "email_verified", "name",
// "groups"}}, read again at every sign-in so a test can change a person's groups or email.
// Prints "ready <issuer>" once it listens.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`missing ${name}`);
    process.exit(2);
  }
  return value;
};

const port = Number(env('PROVIDER_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const portal = env('PORTAL_URL').replace(/\/$/, '');
const accountsFile = env('ACCOUNTS_FILE');

const accounts = () => JSON.parse(readFileSync(accountsFile, 'utf8'));
const bySub = (sub) => Object.values(accounts()).find((person) => person.sub === sub);

const CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name'],
  groups: ['groups'],
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    client_name: 'Readiness Portal',
    redirect_uris: [`${portal}/auth/oidc/callback`],
    post_logout_redirect_uris: [`${portal}/auth/oidc/signed-out`],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: CLAIMS,
  scopes: Object.keys(CLAIMS),
  pkce: { required: () => true },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(_ctx, sub) {
    const person = bySub(sub);
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        const current = bySub(sub) ?? person;
        return {
          sub,
          email: current.email,
          email_verified: current.email_verified ?? true,
          name: current.name,
          groups: current.groups ?? [],
        };
      },
    };
  },
  // The portal is a first-party client: no consent screen, as at a company's provider.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(Object.keys(CLAIMS).join(' '));
    await grant.save();
    return grant;
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const loginPage = (uid, client, error = '', login = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Test SSO</title></head>
<body>
<main>
  <h1>Test SSO</h1>
  <p>Sign in to continue to ${escape(client)}.</p>
  ${error ? `<p role="alert" id="error">${escape(error)}</p>` : ''}
  <form method="post" action="/interaction/${escape(uid)}/login">
    <label>Username <input name="login" autocomplete="username" value="${escape(login)}" required autofocus></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
  </form>
  <form method="post" action="/interaction/${escape(uid)}/abort">
    <button type="submit">Cancel</button>
  </form>
</main>
</body></html>`;

const readForm = (req) => new Promise((resolve, reject) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
    if (body.length > 10_000) reject(new Error('body too large'));
  });
  req.on('end', () => resolve(new URLSearchParams(body)));
  req.on('error', reject);
});

const send = (res, status, html) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
};

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'This sign-in is no longer current.');
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName ?? details.params.client_id;
  if (req.method === 'GET' && !action) return send(res, 200, loginPage(uid, clientName));
  if (req.method !== 'POST') return send(res, 405, 'Method not allowed');
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The person cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
  }
  if (action === 'login') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const person = Object.hasOwn(accounts(), login) ? accounts()[login] : undefined;
    if (!person || person.password !== form.get('password')) {
      return send(res, 200, loginPage(uid, clientName, 'Wrong username or password.', login));
    }
    return provider.interactionFinished(req, res, { login: { accountId: person.sub } },
      { mergeWithLastSubmission: false });
  }
  return send(res, 404, 'Not found');
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(req.url.split('?')[0]);
  if (!match) return handle(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 400, `The sign-in failed: ${escape(error.message)}`);
  });
});

server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
