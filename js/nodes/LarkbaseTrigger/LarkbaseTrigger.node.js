// @ts-check
'use strict';
// The Larkbase Trigger: Lark's events (a webhook at the app's Request URL) or polling (n8n's Poll
// Times), in one node. n8n decides per node type, not per parameter, whether a node is a webhook
// or a polling trigger (a type with `poll` gets its poll scheduled, a type with `webhooks` gets
// them registered), so this type has both, and the mode switches the unused one off: the
// webhook's method is an expression that is empty in Polling mode (n8n then registers none: its
// getNodeWebhooks skips an empty method), and poll() returns at once in Lark Events mode. The
// decisions are in the Rust core (src/events); this file reads parameters and answers n8n.

const { NodeApiError, NodeConnectionTypes, NodeOperationError } = require('n8n-workflow');
const { handleLarkEvent, pollTable, rememberAppTicket, subscribeBase, triggerColumns, larkbaseCall } = require('../../index');
const { credentialParams, httpRequestFetch, nodeError, safeBaseError } = require('../../n8n-support');

/**
 * @typedef {import('n8n-workflow').INodeType} INodeType
 * @typedef {import('n8n-workflow').IWebhookFunctions} IWebhookFunctions
 * @typedef {import('n8n-workflow').IPollFunctions} IPollFunctions
 * @typedef {import('n8n-workflow').IHookFunctions} IHookFunctions
 * @typedef {import('n8n-workflow').ILoadOptionsFunctions} ILoadOptionsFunctions
 * @typedef {import('n8n-workflow').INodeExecutionData} INodeExecutionData
 * @typedef {import('n8n-workflow').IWebhookResponseData} IWebhookResponseData
 * @typedef {import('n8n-workflow').INodeProperties} INodeProperties
 * @typedef {import('n8n-workflow').IDataObject} IDataObject
 */

/** @param {string[]} modes @param {import('n8n-workflow').IDisplayOptions['show']} [more] */
const inMode = (modes, more = {}) => ({ show: { mode: modes, ...more } });

/** @type {INodeProperties[]} */
const properties = [
  {
    // Not shown as "Mode": n8n's Poll Times, above it, has a field of that name.
    displayName: 'Receive Changes By',
    name: 'mode',
    type: 'options',
    noDataExpression: true,
    options: [
      {
        name: 'Polling',
        value: 'poll',
        description: 'Check a table for new and changed records on a schedule; needs no public URL',
      },
      {
        name: 'Lark Events',
        value: 'events',
        description: "Instant: Lark pushes events to this node's URL, which Lark must be able to reach",
      },
    ],
    default: 'poll',
  },
  {
    displayName:
      "Lark sends all of an app's events to one Request URL, so this node receives them all: paste its Production URL (Webhook URLs, above) as the Request URL on the app's Events & Callbacks page, put the Verification Token and Encrypt Key in the credential, and publish the workflow first (Lark checks the URL at once). Base and table are optional filters.",
    name: 'eventsNotice',
    type: 'notice',
    default: '',
    displayOptions: inMode(['events']),
  },
  {
    displayName: 'Event',
    name: 'event',
    type: 'options',
    noDataExpression: true,
    // Shown in both modes: n8n's node picker lists these options as the node's triggers, and
    // picking one sets what makes it visible, which would switch every new node to Lark Events.
    options: [
      { name: 'Base Record Changes', value: 'records', description: 'One item per record added, edited or deleted (polling: added or changed)' },
      { name: 'Any Event', value: 'any', description: 'Lark Events only: every verified event the app receives, as one item each' },
    ],
    default: 'records',
  },
  {
    displayName: 'Base',
    name: 'base',
    type: 'resourceLocator',
    default: { mode: 'url', value: '' },
    required: true,
    description: "The base to watch: its URL or app_token. A wiki page's URL is not a base's.",
    displayOptions: inMode(['poll']),
    modes: [
      { displayName: 'By URL', name: 'url', type: 'string', placeholder: 'https://your-tenant.larksuite.com/base/bascnXXXXXXXX?table=tblXXXXXXXX' },
      { displayName: 'By ID', name: 'id', type: 'string', placeholder: 'bascnXXXXXXXXXXXXXXXX' },
    ],
  },
  {
    displayName: 'Base',
    name: 'base',
    type: 'resourceLocator',
    default: { mode: 'url', value: '' },
    description:
      'Only this base; any base the app is subscribed to when empty. Activation subscribes the app to it.',
    displayOptions: inMode(['events'], { event: ['records'] }),
    modes: [
      { displayName: 'By URL', name: 'url', type: 'string', placeholder: 'https://your-tenant.larksuite.com/base/bascnXXXXXXXX?table=tblXXXXXXXX' },
      { displayName: 'By ID', name: 'id', type: 'string', placeholder: 'bascnXXXXXXXXXXXXXXXX' },
    ],
  },
  {
    displayName: 'Table',
    name: 'table',
    type: 'resourceLocator',
    default: { mode: 'list', value: '' },
    required: true,
    description: 'The table to watch. Left empty in By URL mode, the table of the base URL (its ?table=) is used.',
    displayOptions: inMode(['poll']),
    modes: [
      { displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchTables', searchable: true } },
      { displayName: 'By URL', name: 'url', type: 'string', placeholder: 'https://your-tenant.larksuite.com/base/bascnXXXXXXXX?table=tblXXXXXXXX' },
      { displayName: 'By ID', name: 'id', type: 'string', placeholder: 'tblXXXXXXXXXXXX' },
    ],
  },
  {
    displayName: 'Table',
    name: 'table',
    type: 'resourceLocator',
    default: { mode: 'list', value: '' },
    description: 'Only this table; every table of the base when empty',
    displayOptions: inMode(['events'], { event: ['records'] }),
    modes: [
      { displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchTables', searchable: true } },
      { displayName: 'By URL', name: 'url', type: 'string', placeholder: 'https://your-tenant.larksuite.com/base/bascnXXXXXXXX?table=tblXXXXXXXX' },
      { displayName: 'By ID', name: 'id', type: 'string', placeholder: 'tblXXXXXXXXXXXX' },
    ],
  },
  {
    displayName: 'Actions',
    name: 'actions',
    type: 'multiOptions',
    options: [
      { name: 'Record Added', value: 'added' },
      { name: 'Record Deleted', value: 'deleted' },
      { name: 'Record Edited', value: 'edited' },
    ],
    default: ['added', 'edited', 'deleted'],
    description: 'Which changes start the workflow',
    displayOptions: inMode(['events'], { event: ['records'] }),
  },
  {
    displayName: 'Trigger Column Name or ID',
    name: 'column',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getTriggerColumns', loadOptionsDependsOn: ['base.value', 'table.value'] },
    default: '',
    required: true,
    description:
      'A Created time column (new records) or Last modified time column (new and changed records), which Lark fills itself. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
    displayOptions: inMode(['poll']),
  },
  {
    displayName:
      'No such column in the list? In Lark Base, add a field of type Created time, or Last modified time to catch edits too, then reload the list.',
    name: 'columnNotice',
    type: 'notice',
    default: '',
    displayOptions: inMode(['poll']),
  },
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Condition',
    default: {},
    description: 'Only records that meet these conditions start the workflow (as in Search)',
    displayOptions: inMode(['poll']),
    options: [
      {
        displayName: 'Conditions',
        name: 'conditions',
        values: [
          {
            displayName: 'Column Name or ID',
            name: 'field',
            type: 'options',
            typeOptions: { loadOptionsMethod: 'getColumnNames', loadOptionsDependsOn: ['base.value', 'table.value'] },
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
              { name: 'Is Less Than', value: 'isLess' },
              { name: 'Is Not', value: 'isNot' },
              { name: 'Is Not Empty', value: 'isNotEmpty' },
            ],
            default: 'is',
          },
          { displayName: 'Value', name: 'value', type: 'string', default: '', description: 'What to compare with' },
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
    displayOptions: inMode(['poll']),
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [
      {
        displayName: 'Fetch Full Record',
        name: 'fullRecord',
        type: 'boolean',
        default: false,
        description: 'Whether to read added and edited records back whole: events carry only the cells that changed',
        displayOptions: { show: { '/mode': ['events'], '/event': ['records'] } },
      },
      {
        displayName: 'Include Before Values',
        name: 'before',
        type: 'boolean',
        default: false,
        description: 'Whether edits also give the changed cells as they were, under before',
        displayOptions: { show: { '/mode': ['events'], '/event': ['records'] } },
      },
      {
        displayName: 'Max Event Age',
        name: 'maxAge',
        type: 'number',
        typeOptions: { minValue: 1, maxValue: 86400 },
        default: 300,
        description: 'Seconds: older requests are refused as replays',
        displayOptions: { show: { '/mode': ['events'] } },
      },
      {
        displayName: 'Pass App Tickets On',
        name: 'passTickets',
        type: 'boolean',
        default: false,
        description:
          "Whether each app_ticket Lark pushes to a store app also starts an execution, with the ticket: in queue mode, workers do not see the ticket the main received (see the README)",
        displayOptions: { show: { '/mode': ['events'] } },
      },
      {
        displayName: 'Plain Text',
        name: 'simplify',
        type: 'boolean',
        default: true,
        description: "Whether to give text cells as plain strings, as Search does, instead of Lark's rich-text segments",
      },
    ],
  },
];

/** @implements {INodeType} */
class LarkbaseTrigger {
  /** @type {import('n8n-workflow').INodeTypeDescription} */
  description = {
    displayName: 'Larkbase Trigger',
    name: 'larkbaseTrigger',
    icon: { light: 'file:larkbaseTrigger.svg', dark: 'file:larkbaseTrigger.dark.svg' },
    group: ['trigger'],
    version: 1,
    subtitle: '={{ $parameter["mode"] === "events" ? "Lark Events" : "Polling" }}',
    description: 'Starts the workflow when Lark Base records change, by Lark events or by polling',
    defaults: { name: 'Larkbase Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'larkbaseApi', required: true }],
    polling: true,
    webhooks: [
      {
        name: 'default',
        // Empty in Polling mode: n8n then registers no webhook for the node.
        httpMethod: '={{ $parameter["mode"] === "events" ? "POST" : "" }}',
        responseMode: 'onReceived',
        path: 'lark',
        ndvHideUrl: '={{ $parameter["mode"] !== "events" }}',
        ndvHideMethod: true,
      },
    ],
    properties,
  };

  methods = {
    listSearch: {
      /**
       * @this {ILoadOptionsFunctions}
       * @param {string} [filter]
       */
      async searchTables(filter) {
        const { tables } = /** @type {{ tables: Array<{ table_id: string, name: string }> }} */ (await editorCall(this, 'listTables'));
        const wanted = (filter ?? '').toLowerCase();
        return {
          results: tables
            .filter((t) => !wanted || t.name.toLowerCase().includes(wanted) || t.table_id.toLowerCase().includes(wanted))
            .map((t) => ({ name: t.name, value: t.table_id })),
        };
      },
    },
    loadOptions: {
      /** @this {ILoadOptionsFunctions} */
      async getTriggerColumns() {
        const columns = /** @type {Array<{ name: string, type: number }>} */ (await editorCall(this, 'triggerColumns'));
        return columns.map((c) => ({ name: `${c.name} (${c.type === 1001 ? 'created time' : 'last modified time'})`, value: c.name }));
      },
      /** @this {ILoadOptionsFunctions} */
      async getColumnNames() {
        const { fields } = /** @type {{ fields: Array<{ field_name: string }> }} */ (await editorCall(this, 'listFields'));
        return fields.map((f) => ({ name: f.field_name, value: f.field_name }));
      },
    },
  };

  webhookMethods = {
    default: {
      /**
       * Activation always subscribes (again): Lark keeps one subscription per app and file, and
       * subscribing twice is harmless.
       *
       * @this {IHookFunctions}
       */
      async checkExists() {
        return false;
      },
      /**
       * Subscribes the app to the base, so that Lark sends its record events; a refusal fails
       * activation with Lark's message and what fixes it. Also puts back the app_ticket this node
       * kept, so that store-app tokens work after a restart before Lark's next push.
       *
       * @this {IHookFunctions}
       */
      async create() {
        const data = await this.getCredentials('larkbaseApi');
        if (!nonEmpty(data.verificationToken) && !nonEmpty(data.encryptKey)) {
          throw new NodeOperationError(this.getNode(), 'The credential has no Verification Token or Encrypt Key', {
            description: "Copy them from the app's Events & Callbacks page (Encryption Strategy) into the Larkbase API credential",
          });
        }
        const credential = credentialParams(data);
        const kept = /** @type {{ appTicket?: { appId: string, appTicket: string } }} */ (this.getWorkflowStaticData('node'));
        if (kept.appTicket?.appId === credential.appId) {
          rememberTicket(kept.appTicket.appId, kept.appTicket.appTicket, credential.domain);
        }
        const event = this.getNodeParameter('event', 'records');
        const base = event === 'records' ? String(this.getNodeParameter('base', '', { extractValue: true }) ?? '').trim() : '';
        if (!base) return true;
        try {
          await subscribeBase({ base, credential, fetch: httpRequestFetch((o) => this.helpers.httpRequest(o)) });
        } catch (error) {
          const safe = safeBaseError(error);
          throw new NodeApiError(this.getNode(), { message: safe.message, code: safe.code }, {
            message: `Lark refused to subscribe the app to the base: ${safe.message}`,
            description: safe.hint,
          });
        }
        return true;
      },
      /**
       * Leaves the subscription in place: other workflows of the same app may rely on it (the
       * README says how to remove one).
       *
       * @this {IHookFunctions}
       */
      async delete() {
        return true;
      },
    },
  };

  /**
   * A request to the Request URL: answered here, with Lark's challenge, 200, or 401/400/413/500
   * and no execution; a record change (or, with Any Event, any event) starts one.
   *
   * @this {IWebhookFunctions}
   * @returns {Promise<IWebhookResponseData>}
   */
  async webhook() {
    const res = this.getResponseObject();
    /** @param {number} status @param {unknown} body */
    const reply = (status, body) => {
      if (!res.headersSent) res.status(status).json(body);
    };
    try {
      const req = /** @type {{ rawBody?: unknown, headers: Record<string, unknown> }} */ (/** @type {unknown} */ (this.getRequestObject()));
      const data = await this.getCredentials('larkbaseApi');
      const credential = credentialParams(data);
      const staticData = /** @type {{ seen?: string[], appTicket?: IDataObject }} */ (this.getWorkflowStaticData('node'));
      const header = (/** @type {string} */ name) => {
        const value = req.headers[name];
        return typeof value === 'string' && value.length <= 256 ? value : undefined;
      };
      const options = /** @type {{ simplify?: boolean, before?: boolean, fullRecord?: boolean, maxAge?: number, passTickets?: boolean }} */ (
        this.getNodeParameter('options', {})
      );
      const event = this.getNodeParameter('event', 'records');
      const body = req.rawBody instanceof Uint8Array ? req.rawBody : new Uint8Array();
      const outcome = await handleLarkEvent(
        body,
        {
          timestamp: header('x-lark-request-timestamp'),
          nonce: header('x-lark-request-nonce'),
          signature: header('x-lark-signature'),
          encryptKey: data.encryptKey,
          verificationToken: data.verificationToken,
          maxAgeS: options.maxAge,
          scope: `${this.getWorkflow().id} ${this.getNode().name}`,
          seen: Array.isArray(staticData.seen) ? staticData.seen.filter((id) => typeof id === 'string') : [],
          anyEvent: event === 'any',
          base: event === 'records' ? String(this.getNodeParameter('base', '', { extractValue: true }) ?? '') : '',
          table: event === 'records' ? String(this.getNodeParameter('table', '', { extractValue: true }) ?? '') : '',
          actions: event === 'records' ? this.getNodeParameter('actions', []) : [],
          simplify: options.simplify ?? true,
          before: options.before ?? false,
          fullRecord: options.fullRecord ?? false,
          passTickets: options.passTickets ?? false,
        },
        credential,
        httpRequestFetch((o) => this.helpers.httpRequest(o)),
      );
      if (outcome.seen) staticData.seen = outcome.seen;
      if (outcome.ticket) {
        rememberTicket(outcome.ticket.appId, outcome.ticket.appTicket, credential.domain);
        staticData.appTicket = { appId: outcome.ticket.appId, appTicket: outcome.ticket.appTicket, receivedAt: Date.now() };
      }
      if (outcome.error) {
        // Handling failed for good (e.g. the app may not read the table): a failed execution
        // shows why; Lark's retries of it are answered as duplicates.
        throw nodeError(this.getNode(), safeBaseError(outcome.error), 0, []);
      }
      reply(outcome.status, outcome.answer);
      if (outcome.items.length === 0) return { noWebhookResponse: true };
      return { noWebhookResponse: true, workflowData: [outcome.items.map((json) => ({ json: /** @type {IDataObject} */ (json) }))] };
    } catch (error) {
      if (error instanceof NodeApiError || error instanceof NodeOperationError) throw error;
      // Anything unforeseen: no execution, and Lark tries again later.
      reply(500, { code: 500, msg: 'not handled, try again later' });
      return { noWebhookResponse: true };
    }
  }

  /**
   * Polling mode: the records created or changed since the last poll, oldest first; "Fetch Test
   * Event" gives the newest record and leaves the position where it is.
   *
   * @this {IPollFunctions}
   * @returns {Promise<INodeExecutionData[][] | null>}
   */
  async poll() {
    if (this.getNodeParameter('mode') !== 'poll') return null;
    if (this.getNodeParameter('event', 'records') === 'any') {
      throw new NodeOperationError(this.getNode(), 'Any Event needs Receive Changes By: Lark Events', {
        description: 'Polling watches one table for new and changed records: choose Base Record Changes',
      });
    }
    const manual = this.getMode() === 'manual';
    const staticData = /** @type {{ position?: IDataObject, watching?: string }} */ (this.getWorkflowStaticData('node'));
    const base = String(this.getNodeParameter('base', '', { extractValue: true }) ?? '');
    const table = String(this.getNodeParameter('table', '', { extractValue: true }) ?? '');
    const column = String(this.getNodeParameter('column', ''));
    const options = /** @type {{ simplify?: boolean }} */ (this.getNodeParameter('options', {}));
    // A position belongs to one table and column: another one starts afresh.
    const watching = JSON.stringify([base, table, column]);
    const position = staticData.watching === watching ? staticData.position : undefined;
    const key = `${this.getWorkflow().id} ${this.getNode().name}`;
    // n8n may start a poll while the last one still runs (a slow table): the later one waits
    // its turn, so that both do not hand out the same records.
    const previous = polling.get(key) ?? Promise.resolve();
    /** @type {() => void} */
    let done = () => {};
    const turn = new Promise((resolve) => (done = () => resolve(undefined)));
    polling.set(key, previous.then(() => turn));
    await previous;
    try {
      let out;
      try {
        out = await pollTable({
          base,
          table,
          column,
          filter: pollFilter(this),
          position: /** @type {any} */ (manual ? undefined : position),
          manual,
          simplify: options.simplify ?? true,
          credential: credentialParams(await this.getCredentials('larkbaseApi')),
          fetch: httpRequestFetch((o) => this.helpers.httpRequest(o)),
        });
      } catch (error) {
        throw nodeError(this.getNode(), safeBaseError(error), 0, ['INVALID_PARAMS', 'UNKNOWN']);
      }
      if (!manual) {
        staticData.position = /** @type {IDataObject} */ (/** @type {unknown} */ (out.position));
        staticData.watching = watching;
      }
      if (out.records.length === 0) return null;
      return [out.records.map((record) => ({ json: /** @type {IDataObject} */ (/** @type {unknown} */ (record)) }))];
    } finally {
      done();
      if (polling.get(key) === turn) polling.delete(key);
    }
  }
}

/** The last poll of each trigger node in this process, for taking turns. */
const polling = new Map();

/** @param {unknown} value */
const nonEmpty = (value) => typeof value === 'string' && value.trim() !== '';

/**
 * @param {string} appId
 * @param {string} appTicket
 * @param {string | undefined} domain
 */
function rememberTicket(appId, appTicket, domain) {
  try {
    rememberAppTicket({ appId, appTicket, domain });
  } catch {
    // A ticket the store refuses (not Lark's shape) is not kept.
  }
}

/**
 * Search's filter from the node's conditions, or none.
 *
 * @param {IPollFunctions} context
 * @returns {import('../../index').Filter | undefined}
 */
function pollFilter(context) {
  const filters = /** @type {{ conditions?: Array<{ field: string, operator: string, value: unknown }> }} */ (
    context.getNodeParameter('filters', {})
  );
  const conditions = (filters.conditions ?? []).map(({ field, operator, value }) => ({
    field_name: field,
    operator,
    value: operator === 'isEmpty' || operator === 'isNotEmpty' ? [] : [value === undefined || value === null ? '' : String(value)],
  }));
  const conjunction = context.getNodeParameter('conjunction', 'and') === 'or' ? 'or' : 'and';
  return conditions.length ? { conjunction, conditions: /** @type {import('../../index').FilterCondition[]} */ (conditions) } : undefined;
}

/**
 * The editor's lists, with the node's credential.
 *
 * @param {ILoadOptionsFunctions} context
 * @param {'listTables' | 'listFields' | 'triggerColumns'} what
 */
async function editorCall(context, what) {
  const value = (/** @type {string} */ name) => {
    const v = context.getCurrentNodeParameter(name, { extractValue: true });
    return typeof v === 'string' ? v : '';
  };
  const params = {
    base: value('base'),
    table: what === 'listTables' ? '' : value('table'),
    credential: credentialParams(await context.getCredentials('larkbaseApi')),
    fetch: httpRequestFetch((o) => context.helpers.httpRequest(o)),
  };
  try {
    return what === 'triggerColumns' ? await triggerColumns(params) : await larkbaseCall(what, params);
  } catch (error) {
    const safe = safeBaseError(error);
    throw new NodeOperationError(context.getNode(), safe.message, { description: safe.hint });
  }
}

module.exports = { LarkbaseTrigger };
