import type {
  FetchLike,
  FetchLikeResponse,
  LarkbaseTokenError,
  LarkbaseTokenErrorCode,
  ResendResult,
  TokenParams,
  TokenResult,
  TokenType,
} from '../pkg/larkbase_get_token';
import type { EventOutcome, PollOutcome, PollPosition } from '../pkg/larkbase_base';
import type {
  BaseField,
  BaseItem,
  BaseMapperField,
  BaseParams,
  BaseRecord,
  BaseRow,
  BaseTable,
  Filter,
  FilterCondition,
  LarkbaseError,
  LarkbaseErrorCode,
  LarkbaseErrorFields,
  RowParams,
  SearchParams,
  UpsertParams,
  WriteParams,
} from '../pkg/larkbase_base';

export type {
  EventOutcome,
  PollOutcome,
  PollPosition,
  BaseField,
  BaseItem,
  BaseMapperField,
  BaseParams,
  BaseRecord,
  BaseRow,
  BaseTable,
  FetchLike,
  FetchLikeResponse,
  Filter,
  FilterCondition,
  LarkbaseError,
  LarkbaseErrorCode,
  LarkbaseErrorFields,
  LarkbaseTokenError,
  LarkbaseTokenErrorCode,
  ResendResult,
  RowParams,
  SearchParams,
  TokenParams,
  TokenResult,
  TokenType,
  UpsertParams,
  WriteParams,
};

/**
 * Gets a tenant or app access token for a Lark / Feishu app, from the cache while it is good.
 *
 * Resolves to `{ access_token, expires_in, token_type, request: { url }, response: { code, msg } }`;
 * rejects with a {@link LarkbaseTokenError}. Never throws synchronously.
 */
export function getToken(params: TokenParams): Promise<TokenResult>;

/** Asks Lark to push a store app's app_ticket again. Needs `appId`, `appSecret` and optionally `domain`. */
export function resendAppTicket(params: TokenParams): Promise<ResendResult>;

/** Empties the token cache. */
export function clearTokenCache(): void;

/** Bytes of the module's WebAssembly memory, 0 before the first call: a diagnostic. */
export function wasmMemoryBytes(): number;

/** Tells a getToken rejection apart from other errors. */
export function isLarkbaseTokenError(error: unknown): error is LarkbaseTokenError;

/** The base's tables. */
export function listTables(params: BaseParams): Promise<{ tables: BaseTable[] }>;

/** The table's columns and their types, and the writable ones as n8n's column mapper takes them. */
export function listFields(params: BaseParams): Promise<{ fields: BaseField[]; mapperFields: BaseMapperField[] }>;

/** Records matching a filter, page by page: all of them, or the first `limit`. */
export function searchRecords(params: SearchParams): Promise<{ records: BaseRecord[]; total?: number }>;

/** Records by ID, 100 per call; one outcome per row, in the rows' order. */
export function getRecords(params: RowParams): Promise<{ items: BaseItem[] }>;

/** One record per row, 500 per call; one outcome per row. */
export function createRecords(params: WriteParams): Promise<{ items: BaseItem[] }>;

/** Records by ID, 500 per call; `null` clears a cell. One outcome per row. */
export function updateRecords(params: WriteParams): Promise<{ items: BaseItem[] }>;

/** Records by ID, 500 per call; one outcome per row. */
export function deleteRecords(params: RowParams): Promise<{ items: BaseItem[] }>;

/**
 * Updates the records whose key columns match a row and creates the rest, in batches; a key
 * shared by several rows, or matching several records, fails those rows (DUPLICATE_KEY).
 */
export function upsertRecords(params: UpsertParams): Promise<{ items: BaseItem[] }>;

/** Any of the calls above by its operation name (what the n8n node uses). */
export function larkbaseCall(
  operation: string,
  params: BaseParams | SearchParams | RowParams | WriteParams | UpsertParams,
): Promise<unknown>;

/** Tells a Lark Base call's rejection apart from other errors. */
export function isLarkbaseError(error: unknown): error is LarkbaseError;

/** A poll of a table by a column Lark fills with a time (Created time, Last modified time). */
export interface PollParams extends BaseParams {
  /** The column's name. */
  column: string;
  /** Only records that match (Search's filter). */
  filter?: Filter;
  /** Where the last poll stopped; none: start from the newest record, handing out nothing. */
  position?: PollPosition;
  /** "Fetch Test Event": the newest record, the position left where it is. */
  manual?: boolean;
}

/** Keeps a store app's app_ticket, as Lark pushed it, as the app's newest in this process. */
export function rememberAppTicket(params: { appId: string; appTicket: string; domain?: string }): void;

/** The largest request body handleLarkEvent takes, in bytes. */
export function maxEventBodyBytes(): number;

/** One request to the Larkbase Trigger's Request URL: how to answer Lark, and what to start. */
export function handleLarkEvent(
  body: Uint8Array,
  input: Record<string, unknown>,
  credential: TokenParams,
  fetch?: FetchLike,
): Promise<EventOutcome>;

/** One poll of a table: the records created or changed since `position`, oldest first. */
export function pollTable(params: PollParams): Promise<PollOutcome>;

/** Subscribes the credential's app to the base, so that Lark sends its record events. */
export function subscribeBase(params: BaseParams): Promise<void>;

/** The table's columns a poll can go by. */
export function triggerColumns(params: BaseParams): Promise<Array<{ name: string; type: number }>>;
