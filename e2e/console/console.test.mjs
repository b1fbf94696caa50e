// The admin console in real headless Chromium: the seeds' flow from sign-in
// to a token whose scope comes from the role assigned while creating the
// app. A screenshot of every step is saved in screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.GATEHOUSE_URL;
const user = process.env.GATEHOUSE_ADMIN_USERNAME;
const password = process.env.GATEHOUSE_ADMIN_PASSWORD;
const shots = new URL('./screenshots/', import.meta.url).pathname;
const indicator = 'https://orders.e2e.example.com';

test('console: resource, permissions, M2M role, app with the role, token', async () => {
  assert.ok(base && user && password, 'GATEHOUSE_URL and the admin credentials must be set (run.sh does)');
  mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // Anything the Content-Security-Policy blocks, or a script error, shows
    // up here and fails the test.
    const problems = [];
    // (The forms answer 401 and 422 on purpose: Chromium logs those too.)
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (401|422) /.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('dialog', (d) => d.accept());
    // Nothing may be loaded from anywhere but this server.
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
    let n = 0;
    const shot = async (name) => {
      n += 1;
      await page.screenshot({ path: `${shots}${String(n).padStart(2, '0')}-${name}.png`, fullPage: true });
    };

    // 1. Anonymous: / leads to the sign-in page.
    await page.goto(base + '/');
    assert.match(page.url(), /\/console\/sign-in/);
    await shot('sign-in');
    await page.fill('#username', user);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await page.getByText('The username or password is wrong.').waitFor();
    await shot('sign-in-wrong-password');
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/get-started');
    await shot('get-started');

    // 2. An API resource with two permissions.
    await page.click('nav.sidebar >> text=API resources');
    await shot('resources');
    await page.click('text=+ Create API resource');
    await page.fill('#name', 'Orders API');
    await page.fill('#indicator', 'not a url');
    await page.click('button:has-text("Create API resource")');
    await page.getByText('Use an absolute URI').waitFor();
    await shot('resource-invalid');
    await page.fill('#indicator', indicator);
    await page.click('button:has-text("Create API resource")');
    await page.getByText('API resource “Orders API” created.').waitFor();
    await shot('resource-created');
    for (const [name, desc] of [['read:orders', 'Read orders'], ['write:orders', 'Change orders']]) {
      await page.fill('#scope-name', name);
      await page.fill('#scope-desc', desc);
      await page.click('button:has-text("+ Add permission")');
      await page.getByText(`Permission “${name}” added.`).waitFor();
    }
    await shot('resource-permissions');

    // 3. A machine-to-machine role holding read:orders only.
    await page.click('nav.sidebar >> text=Roles');
    await page.click('text=+ Create role');
    await page.fill('#name', 'Order reader');
    await page.fill('#description', 'Reads orders');
    await page.check('input[name=type][value=MachineToMachine]');
    await page.locator('label.choice', { hasText: 'read:orders' }).locator('input').check();
    await shot('role-form');
    await page.click('button:has-text("Create role")');
    await page.getByText('Role “Order reader” created.').waitFor();
    await shot('role-created');

    // 4. The M2M app, assigned the role in the creation flow.
    await page.click('nav.sidebar >> text=Applications');
    await page.click('text=+ Create application');
    await page.fill('#name', 'Order sync');
    await page.fill('#description', 'Copies orders every night');
    await shot('app-form');
    await page.click('button:has-text("Create application")');
    await page.getByText('Assign machine-to-machine roles').waitFor();
    await page.locator('label.choice', { hasText: 'Order reader' }).locator('input').check();
    await shot('app-assign-roles');
    await page.click('button:has-text("Assign roles")');
    await page.getByText('1 role assigned.').waitFor();
    await shot('app-detail');

    // 5. App ID and App Secret, read from the page after "Show".
    const appId = await page.inputValue('#app-id');
    assert.equal(await page.getAttribute('#app-secret', 'type'), 'password');
    await page.click('[data-reveal="app-secret"]');
    assert.equal(await page.getAttribute('#app-secret', 'type'), 'text');
    const appSecret = await page.inputValue('#app-secret');
    assert.match(appId, /^[a-z0-9]+$/);
    assert.ok(appSecret.length >= 32, 'secret shown');
    await page.locator('#credentials').screenshot({ path: `${shots}${String(++n).padStart(2, '0')}-app-credentials.png` });
    const curl = await page.textContent('#curl');
    assert.ok(curl.includes(appId) && curl.includes(indicator) && curl.includes('read:orders'), curl);

    // 6. A token with those credentials carries the role's permission only.
    const res = await fetch(base + '/oidc/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(appId)}:${encodeURIComponent(appSecret)}`).toString('base64'),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: indicator, scope: 'read:orders write:orders' }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'read:orders');
    assert.equal(body.token_type, 'Bearer');

    // 7. The audit log shows the issuance; the JSON editor checks as you type.
    await page.click('nav.sidebar >> text=Audit log');
    await page.locator('td .badge.ok', { hasText: 'Issued' }).first().waitFor();
    await shot('audit-log');
    await page.goto(`${base}/console/applications/${appId}#custom-data`);
    await page.fill('#custom-data-editor', '{"tier": ');
    await page.getByText('This is not valid JSON').waitFor();
    assert.ok(await page.isDisabled('#custom-data button[type=submit]'));
    await page.fill('#custom-data-editor', '{"tier": "gold"}');
    await page.click('#custom-data button[type=submit]');
    await page.getByText('Custom data saved.').waitFor();
    await shot('app-custom-data');

    // 8. Phone width: the same page stays usable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/console/applications/${appId}`);
    await shot('app-detail-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // 9. Sign out: the console is closed again.
    await page.click('button:has-text("Sign out")');
    await page.waitForURL('**/console/sign-in');
    await page.goto(base + '/console/applications');
    assert.match(page.url(), /\/console\/sign-in\?next=/);
    await shot('signed-out');

    assert.deepEqual(external, [], 'requests outside the server');
    assert.deepEqual(problems, [], 'console errors (CSP violations, script errors)');
  } finally {
    await browser.close();
  }
});
