// The console's organization and JWT customizer pages in real headless
// Chromium: an organization template (permission, roles), an organization
// with a member app and a member user holding roles, its "Try it" request
// run with curl (a token carrying organization_id), then a customizer
// tested on the page, saved, and its claim seen in a token fetched with
// curl. Screenshots go to screenshots/ (prefix org-).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.GATEHOUSE_URL;
const user = process.env.GATEHOUSE_ADMIN_USERNAME;
const password = process.env.GATEHOUSE_ADMIN_PASSWORD;
const shots = new URL('./screenshots/', import.meta.url).pathname;
const indicator = 'https://members.e2e.example.com';

// claimsOf decodes a JWT's payload.
function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

// runCurl runs a command the console shows (its Copy text) and parses the
// JSON answer.
function runCurl(cmd) {
  assert.match(cmd, /^curl -X POST /);
  const out = execFileSync('bash', ['-c', cmd + ' --silent --show-error'], { encoding: 'utf8' });
  return JSON.parse(out);
}

test('console: organization with app and user roles, Try it, JWT customizer', async () => {
  assert.ok(base && user && password, 'GATEHOUSE_URL and the admin credentials must be set (run.sh does)');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|422) /.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('dialog', (d) => d.accept());
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
    let n = 0;
    const shot = async (name) => {
      n += 1;
      await page.screenshot({ path: `${shots}org-${String(n).padStart(2, '0')}-${name}.png`, fullPage: true });
    };

    await page.goto(base + '/console/sign-in');
    await page.fill('#username', user);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/get-started');

    // 1. An API resource with a permission, for the organization role.
    await page.goto(base + '/console/resources/new');
    await page.fill('#name', 'Members API');
    await page.fill('#indicator', indicator);
    await page.click('button:has-text("Create API resource")');
    await page.getByText('API resource “Members API” created.').waitFor();
    await page.fill('#scope-name', 'read:members');
    await page.click('button:has-text("+ Add permission")');
    await page.getByText('Permission “read:members” added.').waitFor();

    // 2. The organization template: a permission, a role for apps holding
    // it and the API permission, a role for users.
    await page.click('nav.sidebar >> text=Organization roles');
    await page.click('text=organization permissions');
    await page.fill('#org-scope-name', 'invite:members');
    await page.fill('#org-scope-desc', 'Invite people');
    await page.click('button:has-text("+ Add permission")');
    await page.getByText('Organization permission “invite:members” added.').waitFor();
    await shot('org-scopes');
    await page.click('nav.sidebar >> text=Organization roles');
    await page.fill('#name', 'Syncer');
    await page.check('input[name=type][value=MachineToMachine]');
    await page.locator('label.choice', { hasText: 'invite:members' }).locator('input').check();
    await page.locator('label.choice', { hasText: 'read:members' }).locator('input').check();
    await shot('org-role-form');
    await page.click('button:has-text("Create organization role")');
    await page.getByText('Organization role “Syncer” created.').waitFor();
    await shot('org-role');
    await page.click('nav.sidebar >> text=Organization roles');
    await page.fill('#name', 'Viewer');
    await page.check('input[name=type][value=User]');
    await page.click('button:has-text("Create organization role")');
    await page.getByText('Organization role “Viewer” created.').waitFor();

    // 3. An M2M app (no global role) and a user.
    await page.goto(base + '/console/applications/new');
    await page.fill('#name', 'Acme sync');
    await page.click('button:has-text("Create application")');
    await page.getByText('Assign machine-to-machine roles').waitFor();
    await page.click('text=Skip for now');
    await page.goto(base + '/console/users/new');
    await page.fill('#username', 'dave_org');
    await page.click('button[type=submit]:has-text("Create")');
    await page.waitForURL(/\/console\/users\/[^/]+$/);

    // 4. The organization: created, searched, the app and the user added
    // with their roles.
    await page.click('nav.sidebar >> text=Organizations');
    await shot('orgs-empty');
    await page.click('text=+ Create organization');
    await page.click('button:has-text("Create organization")');
    await page.getByText('Enter a name.').waitFor();
    await page.fill('#name', 'Acme');
    await page.fill('#description', 'Our first customer');
    await page.click('button:has-text("Create organization")');
    await page.getByText('Organization “Acme” created.').waitFor();
    const orgId = page.url().split('/').pop().split(/[?#]/)[0];
    await page.selectOption('#org-app-pick', { label: await page.locator('#org-app-pick option', { hasText: 'Acme sync' }).textContent() });
    await page.selectOption('#org-app-role', { label: 'Syncer' });
    await page.click('button:has-text("+ Add app")');
    await page.getByText('Application added with 1 role.').waitFor();
    await page.selectOption('#org-user-pick', { label: await page.locator('#org-user-pick option', { hasText: 'dave_org' }).textContent() });
    await page.selectOption('#org-user-role', { label: 'Viewer' });
    await page.click('button:has-text("+ Add user")');
    await page.getByText('User added with 1 role.').waitFor();
    assert.equal(await page.locator('#apps code.chip', { hasText: 'Syncer' }).count(), 1);
    assert.equal(await page.locator('#users code.chip', { hasText: 'Viewer' }).count(), 1);
    await shot('org-page');
    await page.goto(base + '/console/organizations?q=acm');
    await page.locator('td a', { hasText: 'Acme' }).waitFor();
    await page.click('td a:has-text("Acme")');

    // 5. Try it: the request shown, masked; the copied one, run with curl,
    // gives a token for the API within the organization.
    const shown = await page.textContent('#org-curl');
    assert.ok(shown.includes(`organization_id='${orgId}'`) && shown.includes(indicator) && shown.includes('••••'), shown);
    await page.locator('#try-it').screenshot({ path: `${shots}org-${String(++n).padStart(2, '0')}-try-it.png` });
    const cmd = await page.inputValue('#org-curl-full');
    let body = runCurl(cmd);
    assert.ok(body.access_token, JSON.stringify(body));
    let claims = claimsOf(body.access_token);
    assert.equal(claims.organization_id, orgId);
    assert.equal(claims.aud, indicator);
    assert.equal(body.scope, 'read:members');

    // 6. At phone width the page keeps its actions reachable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    for (const section of ['#apps', '#users']) {
      const box = await page.locator(`${section} button:has-text("Remove")`).first().boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${section} Remove off-screen: ${JSON.stringify(box)}`);
    }
    await shot('org-page-phone');
    await page.setViewportSize({ width: 1440, height: 900 });

    // 7. The JWT customizer: tested on the page (result shown, then an
    // error shown), saved, and its claim in a token fetched with curl.
    await page.click('nav.sidebar >> text=JWT customizer');
    await page.getByText('GATEHOUSE_CUSTOMIZER_TIMEOUT').waitFor();
    await shot('customizer-empty');
    const script = [
      'const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {',
      '  return { stage: environmentVariables.STAGE, app_name: context.application.name };',
      '};',
    ].join('\n');
    await page.fill('#script-editor', script);
    assert.equal((await page.textContent('[data-lines-for="script-editor"]')).trim(), '1\n2\n3');
    await page.fill('input[name=envName] >> nth=0', 'STAGE');
    await page.fill('input[name=envValue] >> nth=0', 'e2e-secret-stage');
    await page.click('#test-button');
    await page.getByText('The script ran.').waitFor();
    const result = await page.textContent('#test-output');
    assert.ok(result.includes('"stage": "e2e-secret-stage"') && result.includes('"app_name": "Order sync"'), result);
    await shot('customizer-test-ok');
    await page.fill('#script-editor', 'const getCustomJwtClaims = () => { throw new Error("nothing to add"); };');
    await page.click('#test-button');
    await page.getByText('The script failed.').waitFor();
    assert.ok((await page.textContent('#test-result')).includes('nothing to add'));
    await shot('customizer-test-error');
    await page.fill('#script-editor', script);
    await page.click('button:has-text("Save customizer")');
    await page.getByText('JWT customizer saved.').waitFor();
    // The value is sealed: never shown again.
    assert.ok(!(await page.content()).includes('e2e-secret-stage'), 'saved value shown');
    assert.equal(await page.inputValue('input[name=envName] >> nth=0'), 'STAGE');
    await shot('customizer-saved');

    body = runCurl(cmd);
    assert.ok(body.access_token, JSON.stringify(body));
    claims = claimsOf(body.access_token);
    assert.equal(claims.stage, 'e2e-secret-stage');
    assert.equal(claims.app_name, 'Acme sync');
    assert.equal(claims.organization_id, orgId);

    // Removed again, so that the other browser tests' tokens are plain.
    await page.click('button:has-text("Remove customizer")');
    await page.getByText('JWT customizer removed.').waitFor();

    assert.deepEqual(external, [], 'requests outside the server');
    assert.deepEqual(problems, [], 'console errors (CSP violations, script errors)');
  } finally {
    await browser.close();
  }
});
