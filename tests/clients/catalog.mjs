// Backstage's own CatalogClient against Atrium's catalog API; prints a JSON summary of what it got.
//
//   node tests/clients/catalog.mjs <base URL> <API token> <registered location target> <dry-run target>
//
// Run by tests/catalog/test_backstage_client.py against the example catalog of tests/catalog/api_support.py.
import { CatalogClient } from '@backstage/catalog-client';

const [base, token, registered, dryRunTarget] = process.argv.slice(2);
if (!base || !token || !registered || !dryRunTarget) {
  console.error('usage: node catalog.mjs <base URL> <API token> <registered target> <dry-run target>');
  process.exit(2);
}

const client = new CatalogClient({
  discoveryApi: { getBaseUrl: async () => `${base}/api/catalog` },
  fetchApi: {
    fetch: (url, init = {}) =>
      fetch(url, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token}` } }),
  },
});

const ref = entity =>
  entity ? `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`.toLowerCase() : null;
const refs = entities => entities.map(ref);
const NAMES = ['kind', 'metadata.namespace', 'metadata.name'];

async function failure(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return { name: error.name, status: error.response?.status, cause: error.body?.error?.name, message: error.body?.error?.message };
  }
}

const summary = {};

summary.getEntities = refs(
  (
    await client.getEntities({
      filter: [{ kind: 'component', 'spec.lifecycle': 'production' }, { kind: 'api' }],
      fields: NAMES,
    })
  ).items,
);

summary.getEntitiesPage = refs((await client.getEntities({ fields: NAMES, limit: 2, offset: 2 })).items);

summary.getEntitiesByRefs = refs(
  (
    await client.getEntitiesByRefs({
      entityRefs: ['component:default/web-shop', 'component:default/nothing', 'group:default/team-a'],
      fields: NAMES,
    })
  ).items,
);

// Cursor paging, forward to the end, then one page back.
const pages = [];
let page = await client.queryEntities({
  filter: { kind: ['component', 'group', 'user'] },
  orderFields: { field: 'metadata.name', order: 'desc' },
  limit: 3,
  fields: NAMES,
});
const totalItems = page.totalItems;
pages.push(refs(page.items));
while (page.pageInfo.nextCursor) {
  page = await client.queryEntities({ cursor: page.pageInfo.nextCursor, limit: 3, fields: NAMES });
  pages.push(refs(page.items));
}
const back = await client.queryEntities({ cursor: page.pageInfo.prevCursor, limit: 3, fields: NAMES });
summary.queryEntities = { totalItems, pages, back: refs(back.items) };

const found = await client.queryEntities({ fullTextFilter: { term: 'shop pay' }, fields: NAMES });
summary.fullText = { items: refs(found.items), totalItems: found.totalItems };

const streamed = [];
for await (const chunk of client.streamEntities({ pageSize: 4, fields: NAMES })) {
  streamed.push(chunk.length);
}
summary.streamEntities = streamed;

summary.getEntityFacets = await client.getEntityFacets({
  facets: ['kind', 'spec.lifecycle'],
  filter: { kind: ['component', 'api'] },
});

const payments = await client.getEntityByRef('component:default/payments');
summary.getEntityByRef = {
  ref: ref(payments),
  uid: typeof payments.metadata.uid,
  relations: payments.relations.map(relation => `${relation.type} ${relation.targetRef}`),
};
summary.missingEntity = (await client.getEntityByRef('component:default/nothing')) ?? null;

const ancestry = await client.getEntityAncestors({ entityRef: 'component:default/search' });
summary.getEntityAncestors = {
  rootEntityRef: ancestry.rootEntityRef,
  items: ancestry.items.map(item => [ref(item.entity), item.parentEntityRefs]),
};

const location = await client.getLocationByRef(`file:${registered}`);
summary.getLocationByRef = location ? { type: location.type, target: location.target, entityRef: location.entityRef } : null;
summary.getLocationByEntity = (await client.getLocationByEntity('component:default/search'))?.target ?? null;

const dryRun = await client.addLocation({ type: 'file', target: dryRunTarget, dryRun: true });
summary.addLocationDryRun = { exists: dryRun.exists, target: dryRun.location.target, entities: refs(dryRun.entities) };
summary.addLocationExisting = await failure(() => client.addLocation({ type: 'file', target: registered }));

const component = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout' },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};
summary.validateEntity = await client.validateEntity(component, 'url:https://example.com/catalog-info.yaml');
summary.validateInvalidEntity = await client.validateEntity(
  { ...component, spec: { type: 'service' } },
  'url:https://example.com/catalog-info.yaml',
);

summary.badOrder = await failure(() =>
  client.queryEntities({ orderFields: { field: 'metadata.name', order: 'sideways' } }),
);

console.log(JSON.stringify(summary));
