// @ts-check
'use strict';

const { NodeApiError, NodeConnectionTypes, NodeOperationError } = require('n8n-workflow');
const { larkbaseCall } = require('../../index');
const { credentialParams, domainParam, httpRequestFetch, nodeError, safeBaseError } = require('../../n8n-support');

/**
 * @typedef {import('n8n-workflow').INodeType} INodeType
 * @typedef {import('n8n-workflow').IExecuteFunctions} IExecuteFunctions
 * @typedef {import('n8n-workflow').ILoadOptionsFunctions} ILoadOptionsFunctions
 * @typedef {import('n8n-workflow').INodeExecutionData} INodeExecutionData
 * @typedef {import('n8n-workflow').INodeProperties} INodeProperties
 * @typedef {import('n8n-workflow').INodePropertyOptions} INodePropertyOptions
 * @typedef {import('n8n-workflow').INodeListSearchResult} INodeListSearchResult
 * @typedef {import('n8n-workflow').ResourceMapperFields} ResourceMapperFields
 * @typedef {import('n8n-workflow').IDataObject} IDataObject
 * @typedef {import('../../index').BaseParams} BaseParams
 * @typedef {{ item: number, action?: string, record?: import('../../index').BaseRecord, error?: unknown }} BaseItem
 * @typedef {ReturnType<typeof safeBaseError>} SafeError
 * @typedef {{ mappingMode?: string, value?: IDataObject | null, matchingColumns?: string[] }} Columns
 */

/** Operations that write or read records by rows, batched across all items of an execution. */
const ROW_OPERATIONS = ['get', 'create', 'update', 'delete', 'upsert'];
/** Operations that take the column mapper's values. */
const WRITES = ['create', 'update', 'upsert'];

/**
 * What the editor's column lists and the column mapper load from: n8n reloads them when one of
 * these changes. The Access Token is left out on purpose (see the README): a token refreshed for
 * the same app would make n8n's mapper forget the columns mapped by hand. A token that gets its
 * value (the node before ran) reloads the column lists anyway (n8n then sees every dependency
 * anew), and the mapper under Map Automatically (n8n reloads it after each execution).
 */
const LIST_DEPENDS_ON = ['credentialSource', 'domain', 'baseUrl', 'base.value', 'table.value'];

/** @param {string[]} operations @param {import('n8n-workflow').IDisplayOptions} [more] */
const forRecords = (operations, more = {}) => ({ show: { resource: ['record'], operation: operations }, ...more });

/** @type {INodeProperties[]} */
const properties = [
  {
    // Named as in Larkbase Get Token: n8n's editor treats a field named `authentication` specially.
    displayName: 'Authentication',
    name: 'credentialSource',
    type: 'options',
    options: [
      {
        name: 'Access Token Field',
        value: 'accessToken',
        description: 'A token from Larkbase Get Token before this node (the default expression reads it)',
      },
      {
        name: 'Larkbase API Credential',
        value: 'larkbaseApi',
        description: 'A tenant token from the credential, from the token cache, for every request',
      },
    ],
    default: 'accessToken',
    description: 'Where the access token for Lark Base comes from',
  },
  {
    displayName: 'Access Token',
    name: 'accessToken',
    type: 'string',
    typeOptions: { password: true },
    default: '={{ $json.access_token }}',
    required: true,
    description:
      "A tenant access token. The default reads the output of Larkbase Get Token (access_token); tokens expire within 2 hours, so don't paste one for good.",
    hint: "From Larkbase Get Token right before this node. The editor's lists use it once that node has run (Execute previous nodes).",
    displayOptions: { show: { credentialSource: ['accessToken'] } },
  },
  {
    displayName: 'Domain',
    name: 'domain',
    type: 'options',
    options: [
      { name: 'Lark (open.larksuite.com)', value: 'lark' },
      { name: 'Feishu (open.feishu.cn)', value: 'feishu' },
      { name: 'Custom Base URL', value: 'custom' },
    ],
    default: 'lark',
    description: 'Where the token was issued: the same domain as in Larkbase Get Token (its credential or its Options → Domain)',
    displayOptions: { show: { credentialSource: ['accessToken'] } },
  },
  {
    displayName: 'Custom Base URL',
    name: 'baseUrl',
    type: 'string',
    default: '',
    placeholder: 'https://open.larksuite.com',
    description: 'For a private deployment or a proxy. https only.',
    displayOptions: { show: { credentialSource: ['accessToken'], domain: ['custom'] } },
  },
  {
    displayName: 'Resource',
    name: 'resource',
    type: 'options',
    noDataExpression: true,
    options: [
      { name: 'Field', value: 'field', description: "A table's columns" },
      { name: 'Record', value: 'record', description: "A table's rows" },
      { name: 'Table', value: 'table', description: "A base's tables" },
    ],
    default: 'record',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['record'] } },
    options: [
      { name: 'Create', value: 'create', action: 'Create records', description: 'Create one record per input item, 500 per call' },
      {
        name: 'Create or Update',
        value: 'upsert',
        action: 'Create or update records',
        description: 'Create a new record, or update the current one if it already exists (upsert)',
      },
      { name: 'Delete', value: 'delete', action: 'Delete records', description: 'Delete records by ID, 500 per call' },
      { name: 'Get', value: 'get', action: 'Get records', description: 'Get records by ID, 100 per call' },
      { name: 'Search', value: 'search', action: 'Search records', description: 'Find records with filters and sort, across pages' },
      { name: 'Update', value: 'update', action: 'Update records', description: 'Update records by ID, 500 per call' },
    ],
    default: 'search',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['table'] } },
    options: [{ name: 'List', value: 'list', action: 'List tables', description: "List the base's tables" }],
    default: 'list',
  },
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['field'] } },
    options: [{ name: 'List', value: 'list', action: 'List fields', description: "List the table's columns and their types" }],
    default: 'list',
  },
  {
    displayName: 'Base',
    name: 'base',
    type: 'resourceLocator',
    default: { mode: 'url', value: '' },
    required: true,
    description:
      "The base. Lark's API has no call that lists an app's bases, so paste its URL or app_token. A wiki page's URL is not a base's.",
    hint: 'Open the base (or one of its tables) in the browser and paste the address: …/base/bascn…?table=tbl…&view=vew…',
    modes: [
      {
        displayName: 'By URL',
        name: 'url',
        type: 'string',
        placeholder: 'https://your-tenant.larksuite.com/base/bascnXXXXXXXX?table=tblXXXXXXXX',
        validation: [
          {
            type: 'regex',
            properties: {
              regex: 'https?://.+/(base|apps)/[A-Za-z0-9_-]+.*',
              errorMessage: 'Paste the base URL from the browser (it has /base/ in it; a /wiki/ URL is not a base)',
            },
          },
        ],
      },
      {
        displayName: 'By ID',
        name: 'id',
        type: 'string',
        placeholder: 'bascnXXXXXXXXXXXXXXXX',
        validation: [
          {
            type: 'regex',
            properties: { regex: '[A-Za-z0-9_-]+', errorMessage: 'An app_token is letters and digits' },
          },
        ],
      },
    ],
  },
  {
    displayName: 'Table',
    name: 'table',
    type: 'resourceLocator',
    default: { mode: 'list', value: '' },
    // Not required: left empty, the table of the base's URL (its ?table=) is used.
    description: "The table. Left empty, the table in the base's URL (its ?table=) is used.",
    hint: "Left empty: the table in the base's URL (?table=tbl…).",
    typeOptions: { loadOptionsDependsOn: ['base.value'] },
    displayOptions: { show: { resource: ['record', 'field'] } },
    modes: [
      {
        displayName: 'From List',
        name: 'list',
        type: 'list',
        // The list loads with the Access Token too, which is no n8n credential.
        typeOptions: { searchListMethod: 'searchTables', searchable: true, skipCredentialsCheckInRLC: true },
      },
      {
        displayName: 'By URL',
        name: 'url',
        type: 'string',
        placeholder: 'https://your-tenant.larksuite.com/base/bascnXXXXXXXX?table=tblXXXXXXXX',
        validation: [
          {
            type: 'regex',
            properties: { regex: 'https?://.+[?&]table=[A-Za-z0-9_-]+.*', errorMessage: 'Paste a URL with ?table=tbl...' },
          },
        ],
      },
      {
        displayName: 'By ID',
        name: 'id',
        type: 'string',
        placeholder: 'tblXXXXXXXXXXXX',
        validation: [{ type: 'regex', properties: { regex: '[A-Za-z0-9_-]+', errorMessage: 'A table ID is letters and digits' } }],
      },
    ],
  },
  {
    displayName: 'Record IDs',
    name: 'recordId',
    type: 'string',
    default: '',
    required: true,
    placeholder: 'recXXXXXXXX',
    description: 'The record to work on; for Get and Delete, several separated by commas (or a list from an expression)',
    displayOptions: forRecords(['get', 'update', 'delete']),
  },
  {
    displayName: 'Columns',
    name: 'columns',
    type: 'resourceMapper',
    noDataExpression: true,
    default: { mappingMode: 'autoMapInputData', value: null },
    required: true,
    typeOptions: {
      loadOptionsDependsOn: LIST_DEPENDS_ON,
      resourceMapper: {
        resourceMapperMethod: 'getColumns',
        mode: 'add',
        fieldWords: { singular: 'column', plural: 'columns' },
        // Only the columns a person adds are written: with all of them added, n8n fills the ones
        // left alone with false (checkboxes) or, in 1.x, 0 (numbers), and an update overwrites them.
        addAllFields: false,
        multiKeyMatch: true,
        supportAutoMap: true,
        // Shown above the note that says why, with n8n's Retry link.
        noFieldsError: 'No columns to map yet.',
      },
    },
    description: "The values to write, by column: map input fields of the same names automatically, or each column by hand",
    displayOptions: forRecords(['create', 'update']),
  },
  {
    displayName: 'Columns',
    name: 'columns',
    type: 'resourceMapper',
    noDataExpression: true,
    default: { mappingMode: 'autoMapInputData', value: null },
    required: true,
    typeOptions: {
      loadOptionsDependsOn: LIST_DEPENDS_ON,
      resourceMapper: {
        resourceMapperMethod: 'getColumns',
        mode: 'upsert',
        fieldWords: { singular: 'column', plural: 'columns' },
        // Only the columns a person adds are written: with all of them added, n8n fills the ones
        // left alone with false (checkboxes) or, in 1.x, 0 (numbers), and an update overwrites them.
        addAllFields: false,
        multiKeyMatch: true,
        supportAutoMap: true,
        // Shown above the note that says why, with n8n's Retry link.
        noFieldsError: 'No columns to map yet.',
        matchingFieldsLabels: {
          title: 'Columns to Match On',
          hint: 'The key: the record whose cells in these columns equal the item’s is updated; when none does, a record is created',
          description: 'The key: the record whose cells in these columns equal the item’s is updated; when none does, a record is created',
        },
      },
    },
    description: 'The key columns to match on, and the values to write by column',
    displayOptions: forRecords(['upsert']),
  },
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Condition',
    default: {},
    description: 'Conditions on columns; none returns every record',
    displayOptions: forRecords(['search']),
    options: [
      {
        displayName: 'Conditions',
        name: 'conditions',
        values: [
          {
            displayName: 'Column Name or ID',
            name: 'field',
            type: 'options',
            typeOptions: { loadOptionsMethod: 'getColumnNames', loadOptionsDependsOn: LIST_DEPENDS_ON },
            default: '',
            description:
              'The column to test. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
          },
          {
            displayName: 'Operator',
            name: 'operator',
            type: 'options',
            options: [
              { name: 'Contains', value: 'contains' },
              { name: 'Does Not Contain', value: 'doesNotContain' },
              { name: 'Is', value: 'is' },
              { name: 'Is Empty', value: 'isEmpty' },
              { name: 'Is Greater Than', value: 'isGreater' },
              { name: 'Is Greater Than or Equal', value: 'isGreaterEqual' },
              { name: 'Is Less Than', value: 'isLess' },
              { name: 'Is Less Than or Equal', value: 'isLessEqual' },
              { name: 'Is Not', value: 'isNot' },
              { name: 'Is Not Empty', value: 'isNotEmpty' },
            ],
            default: 'is',
          },
          {
            displayName: 'Value',
            name: 'value',
            type: 'string',
            default: '',
            description: 'What to compare with. Dates as ExactDate,&lt;Unix ms&gt; as Lark expects; empty for Is Empty and Is Not Empty.',
          },
        ],
      },
    ],
  },
  {
    displayName: 'Match',
    name: 'conjunction',
    type: 'options',
    options: [
      { name: 'All Conditions', value: 'and' },
      { name: 'Any Condition', value: 'or' },
    ],
    default: 'and',
    description: 'Whether a record must meet all the conditions or any one of them',
    displayOptions: forRecords(['search']),
  },
  {
    displayName: 'Sort',
    name: 'sort',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Sort Rule',
    default: {},
    displayOptions: forRecords(['search']),
    options: [
      {
        displayName: 'Rules',
        name: 'rules',
        values: [
          {
            displayName: 'Column Name or ID',
            name: 'field',
            type: 'options',
            typeOptions: { loadOptionsMethod: 'getColumnNames', loadOptionsDependsOn: LIST_DEPENDS_ON },
            default: '',
            description:
              'The column to sort by. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
          },
          {
            displayName: 'Descending',
            name: 'desc',
            type: 'boolean',
            default: false,
            description: 'Whether to put the largest values first',
          },
        ],
      },
    ],
  },
  {
    displayName: 'Return All',
    name: 'returnAll',
    type: 'boolean',
    default: false,
    description: 'Whether to return all results or only up to a given limit',
    displayOptions: forRecords(['search']),
  },
  {
    displayName: 'Limit',
    name: 'limit',
    type: 'number',
    typeOptions: { minValue: 1 },
    default: 50,
    description: 'Max number of results to return',
    displayOptions: forRecords(['search'], { hide: { returnAll: [true] } }),
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    description: 'Plain text or rich text, the timeout, and for Search the view and the fields to return',
    displayOptions: { show: { resource: ['record'] } },
    options: [
      {
        displayName: 'Client Token',
        name: 'clientToken',
        type: 'string',
        // Not a secret, but n8n's rules mask every token field.
        typeOptions: { password: true },
        default: '',
        placeholder: '0f8c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b',
        description:
          'To run a create again that failed with "the batch may have been applied": the client token that error gave. With the same items, Lark then creates nothing twice.',
        displayOptions: { show: { '/operation': ['create', 'upsert'] } },
      },
      {
        displayName: 'Deadline',
        name: 'deadline',
        type: 'number',
        typeOptions: { minValue: 1, maxValue: 3600000 },
        default: 300000,
        description:
          "How long the whole operation may take, in milliseconds: every page, batch, retry and wait for Lark's rate limit. Past it, what is left fails with TIMEOUT.",
      },
      {
        displayName: 'Fields to Return Names or IDs',
        name: 'fieldNames',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getColumnNames', loadOptionsDependsOn: LIST_DEPENDS_ON },
        default: [],
        description:
          'Only these columns in each record; all when empty. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
        displayOptions: { show: { '/operation': ['search'] } },
      },
      {
        displayName: 'Plain Text',
        name: 'simplify',
        type: 'boolean',
        default: true,
        description:
          "Whether to give text cells as plain strings. Lark reads them out as rich-text segments ([{ type, text }]); turn off to keep Lark's form.",
      },
      {
        displayName: 'Timeout',
        name: 'timeout',
        type: 'number',
        typeOptions: { minValue: 1, maxValue: 300000 },
        default: 30000,
        description: 'How long to wait for Lark on each request, in milliseconds',
      },
      {
        displayName: 'View ID',
        name: 'viewId',
        type: 'string',
        default: '',
        placeholder: 'vewXXXXXXXX',
        description: "Only the records this view shows, in the view's order",
        displayOptions: { show: { '/operation': ['search'] } },
      },
    ],
  },
];

/** @implements {INodeType} */
class Larkbase {
  /** @type {import('n8n-workflow').INodeTypeDescription} */
  description = {
    displayName: 'Larkbase',
    name: 'larkbase',
    icon: { light: 'file:larkbase.svg', dark: 'file:larkbase.dark.svg' },
    group: ['transform'],
    version: 1,
    // The operation's action name, as in the node picker: "Create or update records".
    subtitle:
      '={{ $parameter["resource"] === "table" ? "List tables" : $parameter["resource"] === "field" ? "List fields" : ' +
      '{ search: "Search records", get: "Get records", create: "Create records", update: "Update records", ' +
      'delete: "Delete records", upsert: "Create or update records" }[$parameter["operation"]] }}',
    description: 'Search, get, create, update, delete and upsert Lark Base (Bitable) records in batches',
    defaults: { name: 'Larkbase' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [
      {
        name: 'larkbaseApi',
        // Not `required`: n8n's editor then tells a person whose column list cannot load, with
        // the Access Token, to "set up credential to see options". The node itself says when
        // the credential is missing (callParams, editorCall).
        required: false,
        displayOptions: { show: { credentialSource: ['larkbaseApi'] } },
      },
    ],
    properties,
  };

  methods = {
    listSearch: {
      /**
       * The base's tables, for the Table list; filtered by name.
       *
       * @this {ILoadOptionsFunctions}
       * @param {string} [filter]
       * @returns {Promise<INodeListSearchResult>}
       */
      async searchTables(filter) {
        const { tables } = /** @type {{ tables: Array<{ table_id: string, name: string }> }} */ (
          await listOrThrow(this, 'listTables', false)
        );
        const wanted = (filter ?? '').toLowerCase();
        return {
          results: tables
            .filter((t) => !wanted || t.name.toLowerCase().includes(wanted) || t.table_id.toLowerCase().includes(wanted))
            .map((t) => ({ name: t.name, value: t.table_id })),
        };
      },
    },
    loadOptions: {
      /**
       * The table's column names, for filters, sort and fields to return.
       *
       * @this {ILoadOptionsFunctions}
       * @returns {Promise<INodePropertyOptions[]>}
       */
      async getColumnNames() {
        const { fields } = /** @type {{ fields: Array<{ field_name: string }> }} */ (await listOrThrow(this, 'listFields', true));
        return fields.map((f) => ({ name: f.field_name, value: f.field_name }));
      },
    },
    resourceMapping: {
      /**
       * The table's writable columns, with their types, for the column mapper. Formulas, lookups
       * and the automatic columns are left out: Lark computes them.
       *
       * n8n's mapper drops the message of an error and shows its notice instead; it also keeps
       * the last notice it got until one replaces it. So this never throws, and every answer
       * carries a notice that is true of it: why the columns cannot load, or which they are
       * (shown under Map Automatically, hidden while the columns are mapped below).
       *
       * @this {ILoadOptionsFunctions}
       * @returns {Promise<ResourceMapperFields>}
       */
      async getColumns() {
        let listed;
        try {
          listed = /** @type {{ mapperFields: ResourceMapperFields['fields'] }} */ (await editorCall(this, 'listFields', true));
        } catch (error) {
          const why = /** @type {Error} */ (error).message;
          return { fields: [], emptyFieldsNotice: `<strong>No columns to show.</strong> ${escapeHtml(why)}` };
        }
        const fields = listed.mapperFields;
        if (fields.length === 0) {
          return {
            fields,
            emptyFieldsNotice:
              'This table has no columns that can be written: Lark computes all of them (formulas, lookups, created and modified time and by, auto numbers).',
          };
        }
        const shown = fields.map((f) => escapeHtml(f.displayName)).join(', ');
        return { fields, emptyFieldsNotice: `The table's columns that can be written: ${shown}.` };
      },
    },
  };

  /**
   * @this {IExecuteFunctions}
   * @returns {Promise<INodeExecutionData[][]>}
   */
  async execute() {
    const items = this.getInputData();
    const resource = /** @type {string} */ (this.getNodeParameter('resource', 0));
    const operation = /** @type {string} */ (this.getNodeParameter('operation', 0));
    const fetch = httpRequestFetch((options) => this.helpers.httpRequest(options));
    /** @type {Array<INodeExecutionData[] | undefined>} */
    const byItem = Array.from({ length: items.length }, () => undefined);

    if (resource === 'record' && ROW_OPERATIONS.includes(operation)) {
      await runRows(this, operation, fetch, byItem);
    } else {
      for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
        try {
          const params = { ...(await callParams(this, itemIndex)), fetch };
          byItem[itemIndex] = await perItem(this, resource, operation, params, itemIndex);
        } catch (error) {
          byItem[itemIndex] = [failed(this, error, itemIndex)];
        }
      }
    }
    return [byItem.flatMap((out) => out ?? [])];
  }
}

/**
 * Search, and listing tables or fields: one call per input item, its results paired to it.
 *
 * @param {IExecuteFunctions} context
 * @param {string} resource
 * @param {string} operation
 * @param {BaseParams} params
 * @param {number} itemIndex
 * @returns {Promise<INodeExecutionData[]>}
 */
async function perItem(context, resource, operation, params, itemIndex) {
  const pairedItem = { item: itemIndex };
  if (resource === 'table') {
    const { tables } = /** @type {{ tables: IDataObject[] }} */ (await larkbaseCall('listTables', params));
    return tables.map((json) => ({ json, pairedItem }));
  }
  if (resource === 'field') {
    const { fields } = /** @type {{ fields: IDataObject[] }} */ (await larkbaseCall('listFields', params));
    return fields.map((json) => ({ json, pairedItem }));
  }
  const search = searchParams(context, itemIndex);
  const { records } = /** @type {{ records: IDataObject[] }} */ (await larkbaseCall('search', { ...params, ...search }));
  return records.map((json) => ({ json, pairedItem }));
}

/**
 * Get, create, update, delete and upsert: every item becomes a row, items that share their call
 * params (the usual case: all of them) go in one call, batched by the core, and each row's
 * outcome comes back to its item.
 *
 * @param {IExecuteFunctions} context
 * @param {string} operation
 * @param {import('../../index').FetchLike} fetch
 * @param {Array<INodeExecutionData[] | undefined>} byItem
 */
async function runRows(context, operation, fetch, byItem) {
  /** @type {Map<string, { params: BaseParams, rows: Array<import('../../index').BaseRow & { item: number }> }>} */
  const groups = new Map();
  for (let itemIndex = 0; itemIndex < byItem.length; itemIndex++) {
    try {
      const params = await callParams(context, itemIndex);
      const columns = WRITES.includes(operation)
        ? /** @type {Columns} */ (context.getNodeParameter('columns', itemIndex, {}))
        : undefined;
      const extra = rowOptions(operation, columns);
      const key = JSON.stringify([params, extra]);
      const group = groups.get(key) ?? { params: { ...params, ...extra }, rows: [] };
      groups.set(key, group);
      group.rows.push(...rowsOf(context, operation, itemIndex, columns));
    } catch (error) {
      byItem[itemIndex] = [failed(context, error, itemIndex)];
    }
  }
  for (const { params, rows } of groups.values()) {
    /** @type {BaseItem[]} */
    let outcomes;
    try {
      const result = /** @type {{ items: BaseItem[] }} */ (
        await larkbaseCall(operation, { ...params, rows, fetch, stopOnError: !context.continueOnFail() })
      );
      outcomes = result.items;
    } catch (error) {
      // The whole call failed (a bad base, a refused token): every item of it fails alike.
      outcomes = rows.map((row) => ({ item: row.item, error: safeBaseError(error) }));
    }
    if (!context.continueOnFail()) {
      // The item that failed, rather than the ones the core then did not send.
      const failing = outcomes.filter((o) => o.error);
      const cause = failing.find((o) => safeBaseError(o.error).code !== 'NOT_SENT') ?? failing[0];
      if (cause) failed(context, cause.error, cause.item);
    }
    for (const outcome of outcomes) {
      const out = (byItem[outcome.item] ??= []);
      if (outcome.error) {
        out.push(failed(context, outcome.error, outcome.item));
      } else if (outcome.record) {
        const json = /** @type {IDataObject} */ ({ ...outcome.record });
        if (operation === 'upsert') json.action = outcome.action;
        if (operation === 'delete') {
          delete json.fields;
          json.deleted = true;
        }
        out.push({ json, pairedItem: { item: outcome.item } });
      }
    }
  }
}

/**
 * The params of one call for an item: where, and with which token.
 *
 * @param {IExecuteFunctions} context
 * @param {number} itemIndex
 * @returns {Promise<BaseParams>}
 */
async function callParams(context, itemIndex) {
  const options = /** @type {{ simplify?: boolean, timeout?: number, deadline?: number, clientToken?: string }} */ (
    context.getNodeParameter('options', itemIndex, {})
  );
  // n8n finds a parameter's modes only while it is shown, and Table is hidden for Table → List.
  const withTable = context.getNodeParameter('resource', itemIndex) !== 'table';
  const where = {
    base: String(context.getNodeParameter('base', itemIndex, '', { extractValue: true }) ?? ''),
    table: withTable ? String(context.getNodeParameter('table', itemIndex, '', { extractValue: true }) ?? '') : '',
    simplify: options.simplify ?? true,
    timeoutMs: options.timeout,
    deadlineMs: options.deadline,
    ...(options.clientToken ? { clientToken: options.clientToken } : {}),
  };
  if (context.getNodeParameter('credentialSource', itemIndex) === 'larkbaseApi') {
    if (!context.getNode().credentials?.larkbaseApi) {
      throw new NodeOperationError(context.getNode(), NO_CREDENTIAL, { itemIndex });
    }
    return { ...where, credential: credentialParams(await context.getCredentials('larkbaseApi', itemIndex)) };
  }
  const domain = /** @type {string} */ (context.getNodeParameter('domain', itemIndex, 'lark'));
  return {
    ...where,
    accessToken: /** @type {string} */ (context.getNodeParameter('accessToken', itemIndex, '')),
    domain: domainParam(domain, context.getNodeParameter('baseUrl', itemIndex, '')),
  };
}

/**
 * Search params of an item: the filter, sort, view, fields and how many.
 *
 * @param {IExecuteFunctions} context
 * @param {number} itemIndex
 */
function searchParams(context, itemIndex) {
  const filters = /** @type {{ conditions?: Array<{ field: string, operator: string, value: unknown }> }} */ (
    context.getNodeParameter('filters', itemIndex, {})
  );
  const sort = /** @type {{ rules?: Array<{ field: string, desc: boolean }> }} */ (context.getNodeParameter('sort', itemIndex, {}));
  const options = /** @type {{ fieldNames?: string[], viewId?: string }} */ (context.getNodeParameter('options', itemIndex, {}));
  const returnAll = context.getNodeParameter('returnAll', itemIndex, false);
  const conditions = (filters.conditions ?? []).map(({ field, operator, value }) => ({
    field_name: field,
    operator,
    value: conditionValue(operator, value),
  }));
  return {
    filter: conditions.length ? { conjunction: context.getNodeParameter('conjunction', itemIndex, 'and'), conditions } : undefined,
    sort: (sort.rules ?? []).map(({ field, desc }) => ({ field_name: field, desc: Boolean(desc) })),
    fieldNames: options.fieldNames?.length ? options.fieldNames : undefined,
    viewId: options.viewId || undefined,
    limit: returnAll ? undefined : /** @type {number} */ (context.getNodeParameter('limit', itemIndex, 50)),
  };
}

/**
 * Lark's `value` is always a list of strings: none for the emptiness tests, `ExactDate,<ms>` as
 * two for dates, one otherwise.
 *
 * @param {string} operator
 * @param {unknown} value
 * @returns {string[]}
 */
function conditionValue(operator, value) {
  if (operator === 'isEmpty' || operator === 'isNotEmpty') return [];
  if (Array.isArray(value)) return value.map(String);
  const text = value === undefined || value === null ? '' : String(value);
  const date = /^ExactDate\s*,\s*(.+)$/.exec(text);
  return date ? ['ExactDate', date[1]] : [text];
}

/**
 * What an upsert or a write needs besides the rows: the key columns, and whether input fields
 * that are not columns are left out (automatic mapping) or an error (mapped by hand).
 *
 * @param {string} operation
 * @param {Columns | undefined} columns
 */
function rowOptions(operation, columns) {
  if (!columns) return {};
  return {
    unknownColumns: columns.mappingMode === 'autoMapInputData' ? 'ignore' : 'error',
    ...(operation === 'upsert' ? { keys: columns.matchingColumns ?? [] } : {}),
  };
}

/**
 * An item's rows: one per record ID for get and delete (several IDs allowed), else one.
 *
 * @param {IExecuteFunctions} context
 * @param {string} operation
 * @param {number} itemIndex
 * @param {Columns | undefined} columns
 * @returns {Array<import('../../index').BaseRow & { item: number }>}
 */
function rowsOf(context, operation, itemIndex, columns) {
  if (operation === 'get' || operation === 'delete') {
    const ids = recordIds(context.getNodeParameter('recordId', itemIndex, ''));
    return (ids.length ? ids : ['']).map((recordId) => ({ item: itemIndex, recordId }));
  }
  const fields = columnValues(context, itemIndex, columns ?? {});
  if (operation === 'update') {
    return [{ item: itemIndex, recordId: String(context.getNodeParameter('recordId', itemIndex, '')).trim(), fields }];
  }
  return [{ item: itemIndex, fields }];
}

/** @param {unknown} value @returns {string[]} */
function recordIds(value) {
  const list = Array.isArray(value) ? value : String(value ?? '').split(',');
  return list.map((id) => String(id).trim()).filter(Boolean);
}

/**
 * The item's values by column: the whole input item when mapped automatically (fields that are
 * not columns are left out by the core), else the columns mapped by hand. Read as the whole
 * `columns` parameter, so that the core, not n8n's generic checks, converts each value for its
 * column's type and names the column when it cannot. Copied as JSON: dates (n8n's DateTime too)
 * become ISO strings.
 *
 * @param {IExecuteFunctions} context
 * @param {number} itemIndex
 * @param {Columns} columns
 */
function columnValues(context, itemIndex, columns) {
  const values = columns.mappingMode === 'autoMapInputData' ? context.getInputData()[itemIndex]?.json : columns.value;
  try {
    return JSON.parse(JSON.stringify(values ?? {}));
  } catch {
    throw new NodeOperationError(context.getNode(), 'The item holds values that cannot be copied as JSON', { itemIndex });
  }
}

/**
 * A call for the editor's lists, with what the editor sends: n8n's editor resolves the node's
 * expressions before it asks for a list, from the output of the node before this one once that
 * node has run (or has pinned data), and sends null for an expression it cannot resolve yet.
 * So the default Access Token, `{{ $json.access_token }}`, arrives here as the token that
 * Larkbase Get Token gave in the editor, or as null before it has run. Any failure becomes a
 * ListProblem that says what went wrong and what to do.
 *
 * @param {ILoadOptionsFunctions} context
 * @param {'listTables' | 'listFields'} operation
 * @param {boolean} needsTable
 */
async function editorCall(context, operation, needsTable) {
  // Only the locators are extracted: n8n refuses to extract a parameter that is hidden (Custom
  // Base URL once Domain is Lark), and the others have nothing to extract.
  const value = (/** @type {string} */ name, extractValue = false) => {
    const v = context.getCurrentNodeParameter(name, { extractValue });
    return typeof v === 'string' ? v : '';
  };
  const withToken = value('credentialSource') !== 'larkbaseApi';
  try {
    const where = { base: value('base', true), table: needsTable ? value('table', true) : '' };
    /** @type {BaseParams} */
    let params;
    if (!withToken) {
      if (!context.getNode().credentials?.larkbaseApi) throw new ListProblem(NO_CREDENTIAL);
      params = { ...where, credential: credentialParams(await context.getCredentials('larkbaseApi')) };
    } else {
      const raw = context.getCurrentNodeParameter('accessToken');
      const token = typeof raw === 'string' ? raw.trim() : '';
      // null: the editor could not resolve the expression (the node before has not run); an
      // expression that reached here as text means the same.
      if (raw === null || token.startsWith('=')) throw new ListProblem(NOT_RUN);
      if (!token) throw new ListProblem(NO_TOKEN_IN_INPUT);
      params = { ...where, accessToken: token, domain: domainParam(value('domain') || 'lark', value('baseUrl')) };
    }
    // A person is waiting for the list: fewer tries and a shorter wait than an execution's.
    const patience = { maxAttempts: 2, deadlineMs: 20_000, timeoutMs: 10_000 };
    return await larkbaseCall(operation, { ...params, ...patience, fetch: httpRequestFetch((o) => context.helpers.httpRequest(o)) });
  } catch (error) {
    throw error instanceof ListProblem ? error : new ListProblem(listProblem(error, withToken));
  }
}

/** The Table list and the column lists show a thrown error's message in the editor. */
async function listOrThrow(/** @type {ILoadOptionsFunctions} */ context, /** @type {'listTables' | 'listFields'} */ operation, /** @type {boolean} */ needsTable) {
  try {
    return await editorCall(context, operation, needsTable);
  } catch (error) {
    // n8n's Table list breaks a message apart at every dash: hyphens become non-breaking ones,
    // which it leaves alone.
    const message = /** @type {Error} */ (error).message.replace(/\s+[\u2013\u2014]\s+/g, ': ').replace(/-/g, '\u2011');
    const shown = new NodeOperationError(context.getNode(), message);
    // n8n swaps a message that names a network code (ENOTFOUND...) for a generic one; ours says more.
    shown.message = message;
    throw shown;
  }
}

/** Why a list cannot load, in one line for the editor. */
class ListProblem extends Error {}

const NOT_RUN =
  'The Access Token has no value in the editor yet: it reads the output of the node before this one, which has not run. ' +
  'Run it (Execute previous nodes, in the input panel), then reopen this node. ' +
  'Or, while you build, set Authentication to Larkbase API Credential.';
const NO_TOKEN_IN_INPUT =
  'The Access Token is empty: the input of this node has no access_token. ' +
  "Put Larkbase Get Token right before this node, or read the token by name: {{ $('Larkbase Get Token').item.json.access_token }}.";
const NO_CREDENTIAL = 'No Larkbase API credential is selected: select one, or set Authentication to Access Token Field.';
const TOKEN_DOMAIN = 'Domain must also be where Larkbase Get Token got the token.';

/**
 * What went wrong and what to do: a parameter's own message says what to do; Lark's errors
 * carry a hint.
 *
 * @param {unknown} error
 * @param {boolean} withToken
 */
function listProblem(error, withToken) {
  const safe = safeBaseError(error);
  const sentence = (/** @type {string} */ text) => text.charAt(0).toUpperCase() + text.slice(1);
  const text = safe.code === 'INVALID_PARAMS' || !safe.hint ? sentence(safe.message) : `${sentence(safe.message)}. ${sentence(safe.hint)}.`;
  return withToken && safe.code === 'TOKEN_INVALID' ? `${text} ${TOKEN_DOMAIN}` : text;
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The output for a failed item with Continue On Fail, or the error that stops the execution.
 *
 * @param {IExecuteFunctions} context
 * @param {unknown} error
 * @param {number} itemIndex
 * @returns {INodeExecutionData}
 */
function failed(context, error, itemIndex) {
  // Errors n8n raised itself (an expression that failed) keep their own form.
  if (error instanceof NodeOperationError || error instanceof NodeApiError) {
    if (context.continueOnFail()) return { json: { error: { message: error.message } }, pairedItem: { item: itemIndex } };
    throw error;
  }
  const safe = safeBaseError(error);
  if (context.continueOnFail()) {
    /** @type {IDataObject} */
    const shown = { message: safe.message, code: safe.code, hint: safe.hint };
    if (safe.column !== undefined) shown.column = safe.column;
    if (safe.clientToken !== undefined) shown.clientToken = safe.clientToken;
    return { json: { error: shown }, pairedItem: { item: itemIndex } };
  }
  throw nodeError(context.getNode(), safe, itemIndex, ['INVALID_PARAMS', 'INVALID_VALUE', 'DUPLICATE_KEY', 'UNKNOWN']);
}


module.exports = { Larkbase };
