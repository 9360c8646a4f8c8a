// Backstage's own ScaffolderClient against Atrium's scaffolder API; prints a JSON summary of what it got.
//
//   node tests/clients/scaffolder.mjs <base URL> <API token> <user entity ref> <secret>
//
// Run by tests/scaffolder/test_backstage_client.py, which installs the templates client-demo (renders a
// skeleton, logs, links to its output) and client-fails (a step that cannot succeed).
import { ScaffolderClient } from '@backstage/plugin-scaffolder-common';

// The event stream reader (@microsoft/fetch-event-source) is written for browsers: it calls
// window.setTimeout and window.clearTimeout, and stops listening to the document's visibility when done.
globalThis.window ??= globalThis;
globalThis.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };

const [base, token, userRef, secret] = process.argv.slice(2);
if (!base || !token || !userRef || !secret) {
  console.error('usage: node scaffolder.mjs <base URL> <API token> <user entity ref> <secret>');
  process.exit(2);
}

function scaffolderClient(useLongPollingLogs) {
  return new ScaffolderClient({
    discoveryApi: { getBaseUrl: async () => `${base}/api/scaffolder` },
    fetchApi: {
      fetch: (url, init = {}) =>
        fetch(url, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token}` } }),
    },
    identityApi: {
      getBackstageIdentity: async () => ({ type: 'user', userEntityRef: userRef, ownershipEntityRefs: [userRef] }),
    },
    scmIntegrationsApi: {},
    useLongPollingLogs,
  });
}

// The client's default follows a task's events as server-sent events; the other one polls for them.
const client = scaffolderClient(false);
const polling = scaffolderClient(true);

async function failure(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return { name: error.name, status: error.response?.status, cause: error.body?.error?.name };
  }
}

// Every event of a task until its completion, as the scaffolder's task page follows them.
function events(taskId, after, through = client) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const timer = setTimeout(() => reject(new Error(`no completion for ${taskId}`)), 60000);
    through.streamLogs({ taskId, after }).subscribe({
      next: event => seen.push(event),
      error: error => {
        clearTimeout(timer);
        reject(error);
      },
      complete: () => {
        clearTimeout(timer);
        resolve(seen);
      },
    });
  });
}

const summary = {};

const { actions } = { actions: await client.listActions() };
summary.actions = ['fetch:template', 'publish:git', 'debug:log', 'catalog:register'].map(id =>
  actions.some(action => action.id === id && action.schema?.input),
);

const schema = await client.getTemplateParameterSchema('template:default/client-demo');
summary.schema = { title: schema.title, steps: schema.steps.map(step => step.title) };

const { taskId } = await client.scaffold({
  templateRef: 'template:default/client-demo',
  values: { name: 'from-backstage' },
  secrets: { token: secret },
});
const log = await events(taskId);
const task = await client.getTask(taskId);
summary.run = {
  types: [...new Set(log.map(event => event.type))],
  completion: log.at(-1).body.status,
  hello: log.some(event => event.body.message === 'hello from-backstage'),
  secretSeen: JSON.stringify(log).includes(secret) || JSON.stringify(task).includes(secret),
  status: task.status,
  templateRef: task.spec?.templateInfo?.entityRef ?? null,
  ids: log.every((event, index) => index === 0 || Number(event.id) > Number(log[index - 1].id)),
};

const owned = await client.listTasks({ filterByOwnership: 'owned' });
summary.owned = { found: owned.tasks.some(item => item.id === taskId), total: owned.totalTasks };

const dry = await client.dryRun({
  template: {
    apiVersion: 'scaffolder.backstage.io/v1beta3',
    kind: 'Template',
    metadata: { name: 'tried-inline' },
    spec: {
      owner: 'group:default/platform',
      type: 'service',
      parameters: [{ properties: { name: { type: 'string' } } }],
      steps: [{ id: 'fetch', action: 'fetch:template', input: { url: './skeleton', values: { name: '${{ parameters.name }}' } } }],
    },
  },
  values: { name: 'dry' },
  directoryContents: [
    { path: 'skeleton/README.md', base64Content: Buffer.from('# ${{ values.name }}\n').toString('base64') },
  ],
});
summary.dryRun = dry.directoryContents.map(file => [file.path, Buffer.from(file.base64Content, 'base64').toString()]);

const failing = await client.scaffold({ templateRef: 'template:default/client-fails', values: {} });
const failedLog = await events(failing.taskId, undefined, polling);
summary.failed = { completion: failedLog.at(-1).body.status, status: (await client.getTask(failing.taskId)).status };
summary.retry = await client.retry(failing.taskId);
const retriedLog = await events(failing.taskId, Number(failedLog.at(-1).id), polling);
summary.retriedCompletion = retriedLog.at(-1).body.status;
summary.afterRetry = (await client.getTask(failing.taskId)).status;

summary.missing = await failure(() => client.getTemplateParameterSchema('template:default/nothing-here'));
summary.missingTask = await failure(() => client.getTask('00000000-0000-0000-0000-000000000000'));

console.log(JSON.stringify(summary));
