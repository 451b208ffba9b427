// End-to-end tests of zemstvo's pages in real Chromium (Debian's, driven by playwright-core;
// no browser is downloaded). Starts `zemstvo demo --scale small` on a free port, signs in with
// the one-time links it prints, walks each role's flows, runs axe-core on every page (no
// serious or critical violations allowed) and saves a screenshot of each page in
// screenshots/.
//
//   ZEMSTVO_BIN   the zemstvo binary (default: ../../target/debug/zemstvo)
//   CHROMIUM      the browser (default: /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import axe from 'axe-core';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.ZEMSTVO_BIN ?? join(here, '..', '..', 'target', 'debug', 'zemstvo');
const screenshots = join(here, 'screenshots');
const PLUGIN = 'isu-daily-briefing';

let demo;
let scratch;
let base;
const links = {};
let browser;

/** Starts the demo and waits for its address and the four sign-in links. */
function startDemo() {
  scratch = mkdtempSync(join(tmpdir(), 'zemstvo-ui-'));
  demo = spawn(binary, [
    'demo', '--scale', 'small', '--listen', '127.0.0.1:0',
    '--database', `sqlite://${join(scratch, 'demo.db')}`,
  ], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ZEMSTVO_CACHE_DIR: process.env.ZEMSTVO_CACHE_DIR ?? join(scratch, 'cache') },
  });
  const seen = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo did not start in time:\n${seen.join('\n')}`)), 600_000);
    const read = (stream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        rest += chunk;
        const lines = rest.split('\n');
        rest = lines.pop();
        for (const line of lines) {
          seen.push(line);
          const link = line.match(/^\s+(administrator|manager|employee|auditor)\s+\S+\s+(http:\/\/\S+)$/);
          if (link) links[link[1]] = link[2];
          const served = line.match(/API on (http:\/\/[^/]+)\//);
          if (served) base = served[1];
          if (base && Object.keys(links).length === 4) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    };
    read(demo.stdout);
    read(demo.stderr);
    demo.on('exit', (code) => reject(new Error(`the demo exited (${code}):\n${seen.join('\n')}`)));
  });
}

/** Each role's signed-in cookies: a link works once, later contexts reuse its session. */
const sessions = {};

/** A fresh browser context signed in as `role` (through its one-time link the first time). */
async function signIn(role, width = 1280) {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    locale: 'ru-RU',
    storageState: sessions[role],
  });
  const page = await context.newPage();
  const response = await page.goto(sessions[role] ? base : links[role]);
  assert.equal(response.status(), 200, `${role}'s link lands on a page`);
  sessions[role] ??= await context.storageState();
  return page;
}

/** axe-core on the page as it is: no serious or critical violation. */
async function checkAccessibility(page, name) {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe on ${name}`,
  );
}

/** Checks the page, then saves its screenshot as screenshots/NAME.png. */
async function visit(page, name) {
  await checkAccessibility(page, name);
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** The page fits the phone's width: nothing scrolls sideways but the tables' own boxes. */
async function assertFitsWidth(page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the screen`);
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  await startDemo();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
});

after(async () => {
  await browser?.close();
  demo?.kill('SIGTERM');
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the sign-in page and a missing page are plain Russian pages', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/tasks/1`);
  assert.match(page.url(), /\/sign-in\?next=%2Ftasks%2F1$/);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('.error-summary').waitFor();
  assert.equal(await page.locator('.error-summary a').count(), 2);
  await visit(page, 'sign-in-errors');
  await page.goto(`${base}/no/such/page`);
  assert.equal(await page.locator('h1').textContent(), 'Страница не найдена');
  await visit(page, 'not-found');
  await context.close();
});

test('an employee sees only their tasks and completes one', async () => {
  const page = await signIn('employee');
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.locator('h1').textContent(), 'Мои задачи');
  const nav = page.getByRole('navigation', { name: 'Основное меню' });
  assert.equal(await nav.getByRole('link', { name: 'Алгоритмы' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Аналитика' }).count(), 0);
  await visit(page, 'cabinet');

  // The first open task: rejecting it without a reason is refused, and says so twice.
  await page.locator('table a[href^="/tasks/"]').first().click();
  await visit(page, 'task');
  await page.getByRole('button', { name: 'Отклонить' }).click();
  await page.locator('.error-summary').waitFor();
  assert.equal(await page.getByText('Укажите причину отклонения').count(), 2);
  await visit(page, 'task-reject-error');
  const take = page.getByRole('button', { name: 'Взять в работу' });
  if (await take.count()) {
    await take.click();
    await page.getByText('Задача взята в работу.').waitFor();
  }
  await page.getByRole('button', { name: 'Отметить выполненной' }).click();
  await page.getByText('Задача отмечена выполненной.').waitFor();
  assert.equal(await page.locator('.summary-list .tag').first().textContent(), 'Выполнена');

  // Pages the role may not use answer a page that says so.
  const refused = await page.goto(`${base}/plugins`);
  assert.equal(refused.status(), 403);
  assert.equal(await page.locator('h1').textContent(), 'Нет доступа к этой странице');
  await visit(page, 'forbidden');
  await page.context().close();

  // The same cabinet on a 375 px phone.
  const phone = await signIn('employee', 375);
  await assertFitsWidth(phone);
  await visit(phone, 'cabinet-375');
  await phone.context().close();
});

test('a manager sees the unit and reassigns a task', async () => {
  const page = await signIn('manager');
  await page.getByRole('link', { name: 'Подразделение' }).click();
  assert.equal(await page.locator('h1').textContent(), 'Задачи подразделения');
  await visit(page, 'unit');
  // Each employee's load against the norm, with their overdue tasks.
  const load = page.locator('table.load');
  assert.match(await page.locator('h2#load').textContent(), /против норматива/);
  assert.ok(await load.locator('tbody tr').count() > 1, 'a row per employee');
  assert.ok(
    await load.locator('.tag--load-met, .tag--load-below').count() > 0,
    'the employees with a norm say whether they meet it');
  await page.locator('a[href$="/reassign"]').first().click();
  await visit(page, 'reassign');
  await page.getByRole('button', { name: 'Передать' }).click();
  await page.locator('.error-summary').waitFor();
  const select = page.locator('select#assignee');
  const choice = await select.locator('option').nth(1).getAttribute('value');
  await select.selectOption(choice);
  await page.getByRole('button', { name: 'Передать' }).click();
  await page.getByText('Задача передана другому сотруднику.').waitFor();
  await page.context().close();

  // The unit with its load table on a 375 px phone.
  const phone = await signIn('manager', 375);
  await phone.goto(`${base}/unit`);
  await assertFitsWidth(phone);
  await visit(phone, 'unit-375');
  await phone.context().close();
});

test('an administrator disables a plugin, sees no next run, enables it; its form refuses an out-of-range value', async () => {
  const page = await signIn('administrator');
  assert.equal(new URL(page.url()).pathname, '/plugins');
  await visit(page, 'plugins');
  const row = page.locator(`tr#plugin-${PLUGIN}`);
  assert.notEqual(await row.locator('td.next-run').textContent(), 'не запланирован');
  await row.getByRole('button', { name: /Выключить/ }).click();
  await page.getByText(`Алгоритм ${PLUGIN} выключен`).waitFor();
  assert.equal(await row.locator('td.next-run').textContent(), 'не запланирован');
  assert.match(await row.textContent(), /Выключен/);
  await row.getByRole('button', { name: /Включить/ }).click();
  await page.getByText(`Алгоритм ${PLUGIN} включён.`).waitFor();
  assert.match(await row.locator('td.next-run').textContent(), /^\d\d\.\d\d\.\d{4} \d\d:\d\d$/);

  await row.getByRole('link', { name: PLUGIN }).click();
  await visit(page, 'plugin');
  const field = page.locator('#cfg-max-wait-days');
  await field.fill('99');
  await page.getByRole('button', { name: 'Сохранить настройки' }).click();
  await page.locator('.error-summary').waitFor();
  const container = page.locator('.field', { has: page.locator('#cfg-max-wait-days') });
  assert.match(await container.locator('.field-error').textContent(), /Введите число от 1 до 60/);
  assert.equal(await page.locator('#cfg-max-wait-days').inputValue(), '99');
  await visit(page, 'plugin-config-error');

  // The runs (with failure reasons) and the audit log, where the disabling above is recorded.
  await page.getByRole('link', { name: 'История запусков' }).click();
  assert.match(await page.locator('h1').textContent(), new RegExp(PLUGIN));
  await visit(page, 'runs');
  await page.getByRole('navigation', { name: 'Основное меню' }).getByRole('link', { name: 'Журнал изменений' }).click();
  assert.ok(await page.getByText('user:admin').count() > 0);
  await visit(page, 'audit');

  // The eligibility rule's decisions: one decided application with its trace.
  await page.goto(`${base}/cases?status=decided`);
  await visit(page, 'cases');
  await page.locator('table a[href^="/cases/"]').first().click();
  await page.getByRole('heading', { name: 'Из чего сложилось решение' }).first().waitFor();
  await visit(page, 'case');

  // Effective-dated parameters: an entry without its act is refused by the field.
  await page.goto(`${base}/plugins/yugra-child-allowance/parameters`);
  await visit(page, 'parameters');
  const form = page.locator('form.panel').first();
  await form.getByLabel('Действует с').fill('01.01.2027');
  await form.getByLabel('Значение').fill('1975');
  await form.getByRole('button', { name: 'Добавить' }).click();
  await page.locator('.error-summary').waitFor();
  assert.equal(await page.getByText('Укажите акт, который устанавливает значение').count(), 2);
  await visit(page, 'parameters-error');

  // A rule's shadow version: reached from the rule's page; a version the region does not
  // hold and its registry does not have is refused by the field, and nothing starts.
  await page.goto(`${base}/plugins/yugra-child-allowance`);
  await page.getByRole('link', { name: 'Теневая версия: что изменит новая версия' }).click();
  await page.getByText('Теневой версии нет.').waitFor();
  await visit(page, 'shadow');
  await page.getByLabel('Версия').fill('9.9.9');
  await page.getByRole('button', { name: 'Запустить в тени' }).click();
  await page.locator('.error-summary').waitFor();
  assert.equal(await page.locator('#version').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#version').inputValue(), '9.9.9');
  assert.ok(await page.getByText('Версии 9.9.9 нет ни в регионе, ни в реестре').count() > 0);
  await visit(page, 'shadow-error');

  // Replaying the rule's recorded decisions on its installed version: every one is taken
  // alike. A deviation check's recorded run is replayed the same way, from its own page.
  await page.goto(`${base}/plugins/yugra-child-allowance`);
  await page.getByRole('link', { name: 'Проверить другую версию на записанных решениях' }).click();
  await visit(page, 'replay');
  await page.getByRole('button', { name: 'Проверить' }).click();
  await page.getByRole('heading', { name: 'Результат проверки' }).waitFor();
  assert.ok(await page.getByText('принимает все проверенные решения так же').count() > 0);
  await visit(page, 'replay-decisions');
  await page.goto(`${base}/plugins/${PLUGIN}/replay`);
  await page.getByLabel('Запуск').fill('no-such-run');
  await page.getByRole('button', { name: 'Проверить' }).click();
  await page.locator('.error-summary').waitFor();
  assert.equal(await page.locator('#run').getAttribute('aria-invalid'), 'true');
  await visit(page, 'replay-error');
  await page.getByLabel('Запуск').fill('');
  await page.getByRole('button', { name: 'Проверить' }).click();
  await page.getByRole('heading', { name: 'Результат проверки' }).waitFor();
  assert.ok(await page.locator('#tallies').count() > 0);
  await visit(page, 'replay-run');

  // A run's page: its outcome, the summary and the log.
  await page.goto(`${base}/runs`);
  await page.locator('table a[href^="/runs/"]').first().click();
  await page.getByRole('heading', { name: 'Журнал запуска' }).waitFor();
  await visit(page, 'run');

  // Grants and schedule: a schedule that is not cron is refused by the field, as typed.
  await page.goto(`${base}/plugins/${PLUGIN}`);
  const schedule = page.locator('#schedule');
  const before = await schedule.inputValue();
  await schedule.fill('каждое утро');
  await page.getByRole('button', { name: 'Сохранить расписание' }).click();
  await page.locator('.error-summary').waitFor();
  assert.equal(await page.getByText('Введите расписание в виде cron').count(), 2);
  assert.equal(await page.locator('#schedule').inputValue(), 'каждое утро');
  await visit(page, 'plugin-schedule-error');
  await page.locator('#schedule').fill(before);
  await page.getByRole('button', { name: 'Сохранить расписание' }).click();
  await page.getByText('Расписание сохранено.').waitFor();
  assert.ok(await page.locator('#grant-tasks-create').isChecked());

  // Installing: the demo has no registry, so a package file; one that is not a package is
  // refused by the field and nothing is installed.
  await page.goto(`${base}/plugins`);
  await page.getByRole('link', { name: 'Установить алгоритм' }).click();
  await visit(page, 'install');
  await page.locator('#package').setInputFiles({
    name: 'plugin.zpkg', mimeType: 'application/octet-stream', buffer: Buffer.from('not a package'),
  });
  await page.getByRole('button', { name: 'Загрузить, проверить и установить' }).click();
  await page.locator('.error-summary').waitFor();
  assert.match(await page.locator('.field--error .field-error').textContent(), /Файл не является пакетом алгоритма/);
  await visit(page, 'install-error');

  // Users: a new user with everything wrong, then right; a token for them, shown once.
  await page.goto(`${base}/users`);
  await page.getByRole('link', { name: 'Добавить пользователя' }).click();
  await page.getByRole('button', { name: 'Добавить пользователя' }).click();
  await page.locator('.error-summary').waitFor();
  await visit(page, 'user-new-error');
  await page.getByLabel('Логин', { exact: true }).fill('mfc');
  await page.getByLabel('Имя', { exact: true }).fill('Многофункциональный центр');
  await page.getByLabel('Роль', { exact: true }).selectOption('auditor');
  await page.getByRole('button', { name: 'Добавить пользователя' }).click();
  await page.getByText('Пользователь добавлен.').waitFor();
  await page.getByLabel('Для какой системы').fill('mfc');
  await page.getByRole('button', { name: 'Выдать токен' }).click();
  await page.locator('#new-token').waitFor();
  await visit(page, 'user');

  // The administrator's new pages fit a 375 px phone too.
  const phone = await signIn('administrator', 375);
  for (const path of ['/packages', `/plugins/${PLUGIN}`, '/users/mfc', '/runs']) {
    await phone.goto(`${base}${path}`);
    await assertFitsWidth(phone);
  }
  await visit(phone, 'plugin-375');
  await phone.context().close();

  await page.goto(`${base}/trust`);
  assert.ok(await page.getByText('zemstvo-demo').count() > 0, 'the demo vendor is trusted');
  await visit(page, 'trust');
  await page.goto(`${base}/users`);
  await visit(page, 'users');
  await page.context().close();
});

test('the dashboard renders its charts from the demo data', async () => {
  for (const role of ['manager', 'auditor']) {
    const page = await signIn(role);
    await page.goto(`${base}/dashboard`);
    const charts = page.locator('svg.chart');
    // Tasks per algorithm and per week, SMEV per agency and per week, the three algorithms'
    // effects, and the appeals' days to answer per category.
    assert.equal(await charts.count(), 8, `${role} sees every chart`);
    assert.ok(await page.locator('#appeals-by-category + .table-wrap tbody tr').count() > 0,
      'appeals per category');
    assert.ok(await charts.first().locator('rect').count() > 0, 'the tasks chart has bars');
    assert.ok(await page.locator('#weeks + figure svg rect').count() > 0, 'tasks per week');
    for (const effect of ['returns', 'off-standard', 'norm']) {
      assert.equal(await page.locator(`#effect-${effect} svg.chart`).count(), 1, effect);
      assert.ok(await page.locator(`#effect-${effect} table tbody tr`).count() > 0, effect);
    }
    // The demo enabled the algorithms when it started: the charts mark it.
    assert.ok(await page.locator('#effect-returns .chart__marker').count() > 0,
      'the day the algorithm was enabled is marked');
    if (role === 'auditor') {
      await visit(page, 'dashboard');
      const phone = await signIn(role, 375);
      await phone.goto(`${base}/dashboard`);
      await assertFitsWidth(phone);
      await visit(phone, 'dashboard-375');
      await phone.context().close();
    }
    await page.context().close();
  }
});

test('an employee reads the appeals and is told what a classification lacks', async () => {
  const page = await signIn('employee');
  await page.getByRole('navigation', { name: 'Основное меню' })
    .getByRole('link', { name: 'Обращения' }).click();
  assert.equal(await page.locator('h1').textContent(), 'Обращения граждан');
  assert.ok(await page.locator('table tbody tr').count() > 0, 'the demo filed appeals');
  await visit(page, 'appeals');
  await page.getByRole('link', { name: 'На проверке' }).click();
  await visit(page, 'appeals-review');
  const first = page.locator('table a[href^="/appeals/"]').first();
  if (await first.count()) {
    await first.click();
    await visit(page, 'appeal-review');
    await page.getByRole('button', { name: 'Классифицировать' }).click();
    await page.locator('.error-summary').waitFor();
    assert.equal(await page.getByText('Выберите категорию из классификатора').count(), 2);
    await visit(page, 'appeal-classify-error');
  }
  // An appeal with an incident: its answer, history and the router's proposal.
  await page.goto(`${base}/appeals?status=closed`);
  await page.locator('table a[href^="/appeals/"]').first().click();
  assert.ok(await page.getByRole('heading', { name: 'История' }).count() === 1);
  await visit(page, 'appeal');
  await page.context().close();
});
