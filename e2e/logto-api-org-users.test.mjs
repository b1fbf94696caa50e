// The official @logto/api SDK, unchanged, against a running Gatehouse:
// organization membership of users (issue 13), as a script written against
// Logto manages who belongs to which organization. Run by e2e/run.sh, with
// the same environment as logto-api.test.mjs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManagementApi } from '@logto/api/management';

const baseUrl = process.env.GATEHOUSE_URL;
const clientId = process.env.GATEHOUSE_CLIENT_ID;
const clientSecret = process.env.GATEHOUSE_CLIENT_SECRET;
assert.ok(baseUrl && clientId && clientSecret, 'set GATEHOUSE_URL, GATEHOUSE_CLIENT_ID, GATEHOUSE_CLIENT_SECRET');

const { apiClient } = createManagementApi('default', {
  clientId,
  clientSecret,
  baseUrl,
  apiIndicator: 'https://default.logto.app/api',
});

const ok = (res, status) => {
  assert.equal(res.response.status, status, `${res.response.url}: ${JSON.stringify(res.error)}`);
  return res.data;
};

const refused = (res, status, code) => {
  assert.equal(res.response.status, status, `${res.response.url}: ${JSON.stringify(res.error)}`);
  assert.equal(res.error.code, code);
};

test('organization members and their roles with @logto/api', async () => {
  const suffix = Date.now().toString(36);
  const org = ok(await apiClient.POST('/api/organizations', { body: { name: `Acme ${suffix}` } }), 201);
  const id = org.id;
  const alice = ok(await apiClient.POST('/api/users', { body: { username: `alice_${suffix}`, name: 'Alice' } }), 200);
  const bob = ok(await apiClient.POST('/api/users', { body: { username: `bob_${suffix}` } }), 200);
  const read = ok(await apiClient.POST('/api/organization-scopes', { body: { name: `read:${suffix}` } }), 201);
  const member = ok(
    await apiClient.POST('/api/organization-roles', { body: { name: `member-${suffix}`, organizationScopeIds: [read.id] } }),
    201,
  );
  const bot = ok(
    await apiClient.POST('/api/organization-roles', { body: { name: `bot-${suffix}`, type: 'MachineToMachine' } }),
    201,
  );

  // Membership.
  const added = ok(
    await apiClient.POST('/api/organizations/{id}/users', { params: { path: { id } }, body: { userIds: [alice.id, bob.id] } }),
    201,
  );
  assert.deepEqual(added.userIds, [alice.id, bob.id]);
  refused(
    await apiClient.POST('/api/organizations/{id}/users', { params: { path: { id } }, body: { userIds: ['nope'] } }),
    422,
    'entity.relation_foreign_key_not_found',
  );

  // Roles of one member, by id and by name; a machine-to-machine role is refused.
  const assigned = ok(
    await apiClient.POST('/api/organizations/{id}/users/{userId}/roles', {
      params: { path: { id, userId: alice.id } },
      body: { organizationRoleNames: [member.name] },
    }),
    201,
  );
  assert.deepEqual(assigned.organizationRoleIds, [member.id]);
  refused(
    await apiClient.POST('/api/organizations/{id}/users/{userId}/roles', {
      params: { path: { id, userId: alice.id } },
      body: { organizationRoleIds: [bot.id] },
    }),
    422,
    'entity.db_constraint_violated',
  );
  // Every role to every user: 201 with Logto's text body.
  const bulk = await apiClient.POST('/api/organizations/{id}/users/roles', {
    params: { path: { id } },
    body: { userIds: [bob.id], organizationRoleIds: [member.id] },
    parseAs: 'text',
  });
  assert.equal(bulk.response.status, 201);

  const members = await apiClient.GET('/api/organizations/{id}/users', { params: { path: { id }, query: { page: 1, page_size: 20 } } });
  assert.equal(members.response.headers.get('Total-Number'), '2');
  const alices = ok(members, 200).find((u) => u.id === alice.id);
  assert.deepEqual(alices.organizationRoles, [{ id: member.id, name: member.name }]);

  const roles = ok(
    await apiClient.GET('/api/organizations/{id}/users/{userId}/roles', { params: { path: { id, userId: bob.id } } }),
    200,
  );
  assert.deepEqual(roles.map((r) => r.id), [member.id]);
  const scopes = ok(
    await apiClient.GET('/api/organizations/{id}/users/{userId}/scopes', { params: { path: { id, userId: bob.id } } }),
    200,
  );
  assert.deepEqual(scopes.map((s) => s.name), [read.name]);

  const orgs = ok(await apiClient.GET('/api/users/{userId}/organizations', { params: { path: { userId: alice.id } } }), 200);
  assert.deepEqual(orgs.map((o) => [o.id, o.organizationRoles.map((r) => r.id)]), [[id, [member.id]]]);

  const featured = ok(await apiClient.GET('/api/organizations', { params: { query: { showFeatured: 'true', q: id } } }), 200);
  assert.equal(featured[0].usersCount, 2);
  assert.equal(featured[0].featuredUsers.length, 2);

  const outside = ok(
    await apiClient.GET('/api/users', { params: { query: { excludeOrganizationId: id, page: 1, page_size: 100 } } }),
    200,
  );
  assert.ok(!outside.some((u) => u.id === alice.id || u.id === bob.id));

  // Replace, remove, and a non-member's roles.
  ok(
    await apiClient.PUT('/api/organizations/{id}/users/{userId}/roles', {
      params: { path: { id, userId: alice.id } },
      body: { organizationRoleIds: [] },
    }),
    204,
  );
  ok(
    await apiClient.DELETE('/api/organizations/{id}/users/{userId}/roles/{organizationRoleId}', {
      params: { path: { id, userId: bob.id, organizationRoleId: member.id } },
    }),
    204,
  );
  ok(await apiClient.PUT('/api/organizations/{id}/users', { params: { path: { id } }, body: { userIds: [alice.id] } }), 204);
  refused(
    await apiClient.GET('/api/organizations/{id}/users/{userId}/roles', { params: { path: { id, userId: bob.id } } }),
    422,
    'organization.require_membership',
  );
  ok(await apiClient.DELETE('/api/organizations/{id}/users/{userId}', { params: { path: { id, userId: alice.id } } }), 204);
  refused(
    await apiClient.DELETE('/api/organizations/{id}/users/{userId}', { params: { path: { id, userId: alice.id } } }),
    404,
    'entity.not_found',
  );

  // Cleanup, as a script would.
  ok(await apiClient.DELETE('/api/organizations/{id}', { params: { path: { id } } }), 204);
  for (const u of [alice, bob]) {
    ok(await apiClient.DELETE('/api/users/{userId}', { params: { path: { userId: u.id } } }), 204);
  }
});
