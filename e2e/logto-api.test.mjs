// The official @logto/api SDK, unchanged, against a running Gatehouse: the
// seeds' walk through the Management API, then a token as the new app.
// Run by .ci/run (e2e/run.sh starts the server); needs GATEHOUSE_URL,
// GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManagementApi } from '@logto/api/management';

const baseUrl = process.env.GATEHOUSE_URL;
const clientId = process.env.GATEHOUSE_CLIENT_ID;
const clientSecret = process.env.GATEHOUSE_CLIENT_SECRET;
assert.ok(baseUrl && clientId && clientSecret, 'set GATEHOUSE_URL, GATEHOUSE_CLIENT_ID, GATEHOUSE_CLIENT_SECRET');

const { apiClient, clientCredentials } = createManagementApi('default', {
  clientId,
  clientSecret,
  baseUrl,
  apiIndicator: 'https://default.logto.app/api',
});

// The SDK's client-credentials class; the package exports only its
// management entry point, whose result carries an instance of it.
const ClientCredentials = clientCredentials.constructor;

const ok = (res, status) => {
  assert.equal(res.response.status, status, `${res.response.url}: ${JSON.stringify(res.error)}`);
  return res.data;
};

test('the seeds walk through the Management API with @logto/api', async () => {
  const token = await clientCredentials.getAccessToken();
  assert.equal(token.scope, 'all');

  const suffix = Date.now().toString(36);
  const indicator = `https://shopping.api/${suffix}`;
  const resource = ok(await apiClient.POST('/api/resources', { body: { name: 'Online shopping', indicator } }), 201);
  assert.equal(resource.indicator, indicator);
  assert.deepEqual(resource.scopes, []);

  const read = ok(
    await apiClient.POST('/api/resources/{resourceId}/scopes', {
      params: { path: { resourceId: resource.id } },
      body: { name: 'read:products', description: 'Read products' },
    }),
    201,
  );
  ok(
    await apiClient.POST('/api/resources/{resourceId}/scopes', {
      params: { path: { resourceId: resource.id } },
      body: { name: 'write:products', description: 'Write products' },
    }),
    201,
  );

  const role = ok(
    await apiClient.POST('/api/roles', {
      body: { name: `shop-reader-${suffix}`, description: 'Reads products', type: 'MachineToMachine', scopeIds: [read.id] },
    }),
    200,
  );
  assert.equal(role.type, 'MachineToMachine');

  const app = ok(
    await apiClient.POST('/api/applications', {
      body: { name: 'Daily orders', type: 'MachineToMachine', description: 'pulls daily orders' },
    }),
    200,
  );
  assert.equal(app.type, 'MachineToMachine');

  const assigned = ok(
    await apiClient.POST('/api/applications/{applicationId}/roles', {
      params: { path: { applicationId: app.id } },
      body: { roleIds: [role.id] },
    }),
    201,
  );
  assert.deepEqual(assigned.addedRoleIds, [role.id]);

  const secrets = ok(
    await apiClient.GET('/api/applications/{id}/secrets', { params: { path: { id: app.id } } }),
    200,
  );
  const defaultSecret = secrets.find((s) => s.name === 'Default secret');
  assert.ok(defaultSecret && defaultSecret.value.length === 32, 'a Default secret of 32 characters');

  // A token as the new app, with the SDK's own client-credentials flow.
  const appCredentials = new ClientCredentials({
    clientId: app.id,
    clientSecret: defaultSecret.value,
    tokenEndpoint: `${baseUrl}/oidc/token`,
    tokenParams: { resource: indicator, scope: 'read:products write:products' },
  });
  const appToken = await appCredentials.getAccessToken();
  assert.equal(appToken.scope, 'read:products');
  const claims = JSON.parse(Buffer.from(appToken.value.split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, app.id);
  assert.equal(claims.aud, indicator);

  const apps = ok(await apiClient.GET('/api/applications'), 200);
  assert.ok(apps.some((a) => a.id === app.id));

  const user = ok(await apiClient.POST('/api/users', { body: { username: `user_${suffix}`, name: 'Shop user' } }), 200);
  const users = ok(await apiClient.GET('/api/users', { params: { query: { page: 1, page_size: 100 } } }), 200);
  assert.ok(users.some((u) => u.id === user.id));

  const customData = ok(
    await apiClient.PATCH('/api/users/{userId}/custom-data', {
      params: { path: { userId: user.id } },
      body: { customData: { plan: 'pro' } },
    }),
    200,
  );
  assert.deepEqual(customData, { plan: 'pro' });
  const fetched = ok(await apiClient.GET('/api/users/{userId}', { params: { path: { userId: user.id } } }), 200);
  assert.deepEqual(fetched.customData, { plan: 'pro' });

  // Cleanup, as a script would.
  ok(await apiClient.DELETE('/api/applications/{id}', { params: { path: { id: app.id } } }), 204);
  ok(await apiClient.DELETE('/api/users/{userId}', { params: { path: { userId: user.id } } }), 204);
});
