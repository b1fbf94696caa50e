// panva's openid-client, unchanged, obtains DPoP-bound tokens (RFC 9449)
// from a running Gatehouse: discovery, a client-credentials grant with a
// DPoP proof, the cnf.jkt binding checked through introspection, and an app
// with dpopBoundAccessTokens refused a token without a proof.
// Run by .ci/run (e2e/run.sh starts the server with GATEHOUSE_ENDPOINT set to
// GATEHOUSE_URL, so the proofs' htu is the URL the server advertises).
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { test } from 'node:test';
import * as oidc from 'openid-client';

const baseUrl = process.env.GATEHOUSE_URL;
const adminId = process.env.GATEHOUSE_CLIENT_ID;
const adminSecret = process.env.GATEHOUSE_CLIENT_SECRET;
assert.ok(baseUrl && adminId && adminSecret, 'set GATEHOUSE_URL, GATEHOUSE_CLIENT_ID, GATEHOUSE_CLIENT_SECRET');
const issuer = new URL(`${baseUrl}/oidc`);
const insecure = { execute: [oidc.allowInsecureRequests] }; // the test server speaks http on loopback

// jkt is the RFC 7638 thumbprint of an EC public key, computed here
// independently of both the library and the server.
async function jkt(publicKey) {
  const { crv, kty, x, y } = await webcrypto.subtle.exportKey('jwk', publicKey);
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

// api calls the Management API with the bootstrap admin's token.
async function api(token, method, path, body) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

test('openid-client obtains a DPoP-bound token', async () => {
  const admin = await oidc.discovery(issuer, adminId, adminSecret, undefined, insecure);
  assert.deepEqual(admin.serverMetadata().dpop_signing_alg_values_supported, ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']);
  const adminToken = (await oidc.clientCredentialsGrant(admin, { resource: 'https://default.logto.app/api', scope: 'all' })).access_token;

  const suffix = Date.now().toString(36);
  const indicator = `https://dpop.api/${suffix}`;
  const resource = await api(adminToken, 'POST', '/api/resources', { name: 'DPoP API', indicator });
  const scope = await api(adminToken, 'POST', `/api/resources/${resource.id}/scopes`, { name: 'read' });
  const role = await api(adminToken, 'POST', '/api/roles', { name: `dpop-${suffix}`, description: 'DPoP', type: 'MachineToMachine', scopeIds: [scope.id] });
  const app = await api(adminToken, 'POST', '/api/applications', { name: 'DPoP worker', type: 'MachineToMachine' });
  await api(adminToken, 'POST', `/api/applications/${app.id}/roles`, { roleIds: [role.id] });
  const [secret] = await api(adminToken, 'GET', `/api/applications/${app.id}/secrets`);

  const config = await oidc.discovery(issuer, app.id, secret.value, undefined, insecure);
  const keyPair = await oidc.randomDPoPKeyPair('ES256');
  const thumbprint = await jkt(keyPair.publicKey);

  const tokens = await oidc.clientCredentialsGrant(config, { resource: indicator, scope: 'read' }, { DPoP: oidc.getDPoPHandle(config, keyPair) });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.equal(tokens.scope, 'read');
  assert.deepEqual(claimsOf(tokens.access_token).cnf, { jkt: thumbprint });

  const info = await oidc.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.active, true);
  assert.equal(info.token_type, 'DPoP');
  assert.deepEqual(info.cnf, { jkt: thumbprint });

  // Without a DPoP handle: a bearer token, until the app requires DPoP.
  const bearer = await oidc.clientCredentialsGrant(config, { resource: indicator, scope: 'read' });
  assert.equal(bearer.token_type.toLowerCase(), 'bearer');
  assert.equal(claimsOf(bearer.access_token).cnf, undefined);

  const updated = await api(adminToken, 'PATCH', `/api/applications/${app.id}`, { oidcClientMetadata: { dpopBoundAccessTokens: true } });
  assert.equal(updated.oidcClientMetadata.dpopBoundAccessTokens, true);
  await assert.rejects(oidc.clientCredentialsGrant(config, { resource: indicator, scope: 'read' }), (err) => {
    assert.equal(err.error, 'invalid_dpop_proof');
    return true;
  });
  const bound = await oidc.clientCredentialsGrant(config, { resource: indicator, scope: 'read' }, { DPoP: oidc.getDPoPHandle(config, keyPair) });
  assert.equal(bound.token_type.toLowerCase(), 'dpop');
});
