// panva's openid-client, an independent OAuth client, against a running
// Gatehouse: private_key_jwt (RFC 7523) with a key made here, and workload
// identity federation with an issuer made here (discovery and JWKS on
// loopback, a Kubernetes-shaped token). Run by .ci/run (e2e/run.sh starts
// the server with GATEHOUSE_FEDERATION_ALLOW_INSECURE=true, as the issuer
// is on loopback over http); needs GATEHOUSE_URL, GATEHOUSE_CLIENT_ID and
// GATEHOUSE_CLIENT_SECRET.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import * as client from 'openid-client';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const baseUrl = process.env.GATEHOUSE_URL;
const adminId = process.env.GATEHOUSE_CLIENT_ID;
const adminSecret = process.env.GATEHOUSE_CLIENT_SECRET;
assert.ok(baseUrl && adminId && adminSecret, 'set GATEHOUSE_URL, GATEHOUSE_CLIENT_ID, GATEHOUSE_CLIENT_SECRET');

const issuer = new URL(`${baseUrl}/oidc`);
const mapi = 'https://default.logto.app/api';
const insecure = { execute: [client.allowInsecureRequests] };

// The Management API, as the bootstrap app (client_secret_basic through
// openid-client too).
const admin = await client.discovery(issuer, adminId, undefined, client.ClientSecretBasic(adminSecret), insecure);
const api = async (method, path, body) => {
  const { access_token } = await client.clientCredentialsGrant(admin, { resource: mapi, scope: 'all' });
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};

const invalidClient = (err) => {
  assert.ok(err instanceof client.ResponseBodyError, `${err}`);
  assert.equal(err.error, 'invalid_client');
  assert.equal(err.status, 401);
  return true;
};

test('discovery advertises private_key_jwt and its algorithms', async () => {
  const md = admin.serverMetadata();
  assert.ok(md.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  assert.deepEqual(md.token_endpoint_auth_signing_alg_values_supported, ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']);
});

test('private_key_jwt with openid-client', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'e2e-1', alg: 'ES256', use: 'sig' };
  const app = await api('POST', '/api/applications', {
    name: 'openid-client private_key_jwt',
    type: 'MachineToMachine',
    oidcClientMetadata: { redirectUris: [], postLogoutRedirectUris: [], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] } },
  });
  assert.equal(app.oidcClientMetadata.tokenEndpointAuthMethod, 'private_key_jwt');

  const config = await client.discovery(issuer, app.id, undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'e2e-1' }), insecure);
  for (let i = 0; i < 2; i++) { // each request signs a new assertion (new jti)
    const tokens = await client.clientCredentialsGrant(config, { resource: mapi });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
    assert.equal(claims.sub, app.id);
    assert.equal(claims.aud, mapi);
    // Introspection authenticates the same way.
    const info = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.client_id, app.id);
  }

  // The app takes no secret, even a real one.
  const secrets = await api('GET', `/api/applications/${app.id}/secrets`);
  const withSecret = await client.discovery(issuer, app.id, undefined, client.ClientSecretPost(secrets[0].value), insecure);
  await assert.rejects(client.clientCredentialsGrant(withSecret, { resource: mapi }), invalidClient);

  // A key the app did not register.
  const other = await generateKeyPair('ES256');
  const wrong = await client.discovery(issuer, app.id, undefined, client.PrivateKeyJwt({ key: other.privateKey, kid: 'e2e-1' }), insecure);
  await assert.rejects(client.clientCredentialsGrant(wrong, { resource: mapi }), invalidClient);

  // A secret app refuses assertions.
  const secretApp = await api('POST', '/api/applications', { name: 'secret app', type: 'MachineToMachine' });
  const assertive = await client.discovery(issuer, secretApp.id, undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'e2e-1' }), insecure);
  await assert.rejects(client.clientCredentialsGrant(assertive, { resource: mapi }), invalidClient);
});

test('workload identity federation with a Kubernetes-shaped token', async (t) => {
  // The issuer: discovery + JWKS on loopback, as a cluster publishes them.
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'sa-1', alg: 'RS256', use: 'sig' };
  const srv = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: iss, jwks_uri: `${iss}/openid/v1/jwks` }));
    } else if (req.url === '/openid/v1/jwks') {
      res.setHeader('cache-control', 'max-age=3600');
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => srv.close());
  const iss = `http://127.0.0.1:${srv.address().port}`;

  const app = await api('POST', '/api/applications', { name: 'pod', type: 'MachineToMachine' });
  await api('POST', `/api/applications/${app.id}/federated-credentials`, {
    name: 'orders', issuer: iss, subject: 'system:serviceaccount:shop:orders', audiences: ['gatehouse'],
    claims: { 'kubernetes.io/namespace': 'shop' },
  });
  const saToken = (sub, namespace) => new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name: 'orders' } } })
    .setProtectedHeader({ alg: 'RS256', kid: 'sa-1' })
    .setIssuer(iss).setSubject(sub).setAudience(['gatehouse']).setIssuedAt().setNotBefore('0s').setExpirationTime('1h')
    .sign(privateKey);
  // The workload sends its platform's token as the client assertion.
  const federated = (token) => (_as, c, body) => {
    body.set('client_id', c.client_id);
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', token);
  };
  const token = await saToken('system:serviceaccount:shop:orders', 'shop');
  const config = await client.discovery(issuer, app.id, undefined, federated(token), insecure);
  const tokens = await client.clientCredentialsGrant(config, { resource: mapi });
  assert.equal(JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url')).sub, app.id);
  // Reused, as a projected token is for its whole life.
  await client.clientCredentialsGrant(config, { resource: mapi });

  for (const bad of [await saToken('system:serviceaccount:shop:billing', 'shop'), await saToken('system:serviceaccount:shop:orders', 'other')]) {
    const c = await client.discovery(issuer, app.id, undefined, federated(bad), insecure);
    await assert.rejects(client.clientCredentialsGrant(c, { resource: mapi }), invalidClient);
  }
});
