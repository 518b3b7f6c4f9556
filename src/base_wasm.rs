//! The JS face of the Lark Base operations: the types of what goes in and comes out. The export
//! itself reuses the token binding's platform (fetch, time, JSON), so it follows the rebuilt
//! boundary.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const BASE_TYPES: &str = r#"
/** Where, with which token, and how patiently: what every Lark Base call takes. */
export interface BaseParams {
  /** The base: its browser URL (`https://<tenant>.larksuite.com/base/<app_token>?table=...`) or its app_token. */
  base: string;
  /** The table: its URL or table_id. Defaults to the table named by the base's URL. */
  table?: string;
  /** A tenant access token, e.g. from getToken or the Larkbase Get Token node. */
  accessToken?: string;
  /** Instead of accessToken: getToken's params. A token comes from the cache for every request. */
  credential?: TokenParams;
  /** With accessToken: 'lark' (default), 'feishu' or a base URL, as in getToken. */
  domain?: 'lark' | 'feishu' | (string & {});
  /** Whole milliseconds per attempt, 1 to 300000. Default 30000. */
  timeoutMs?: number;
  /** Whole milliseconds for all attempts of one request and the waits between them, 1 to 600000. Default 60000. */
  deadlineMs?: number;
  /** Tries per request for rate limits, write conflicts, network errors and 5xx, 1 to 10. Default 5. */
  maxAttempts?: number;
  /** Text cells as plain strings (default true) instead of Lark's rich-text segments. */
  simplify?: boolean;
  /** After a failed batch, send nothing more: the remaining rows fail with NOT_SENT. Default false. */
  stopOnError?: boolean;
  /** Used instead of the global fetch (proxies, tests, n8n's request helper). */
  fetch?: FetchLike;
}

export interface FilterCondition {
  field_name: string;
  operator:
    | 'is' | 'isNot' | 'contains' | 'doesNotContain' | 'isEmpty' | 'isNotEmpty'
    | 'isGreater' | 'isGreaterEqual' | 'isLess' | 'isLessEqual' | 'like' | 'in';
  /** Always strings; dates as ['ExactDate', '<Unix ms>']. */
  value?: string[];
}

export interface Filter {
  conjunction: 'and' | 'or';
  conditions: FilterCondition[];
  children?: Filter[];
}

export interface SearchParams extends BaseParams {
  filter?: Filter;
  sort?: Array<{ field_name: string; desc?: boolean }>;
  viewId?: string;
  /** Only these columns in each record. */
  fieldNames?: string[];
  /** The first `limit` records; all of them when left out. */
  limit?: number;
}

/** One input row: its values by column name, and the record it is about. */
export interface BaseRow {
  /** Reported back with the row's outcome; the row's position when left out. */
  item?: number;
  /** For get, update and delete. */
  recordId?: string;
  /** For create, update and upsert: column name to value, converted for the column's type. */
  fields?: Record<string, unknown>;
}

export interface RowParams extends BaseParams {
  rows: BaseRow[];
}

export interface WriteParams extends RowParams {
  /** Row fields that are no column of the table: an error for the row (default), or left out. */
  unknownColumns?: 'error' | 'ignore';
}

export interface UpsertParams extends WriteParams {
  /** The key columns: a record whose cells in all of them equal the row's is updated. */
  keys: string[];
}

export interface BaseRecord {
  record_id: string;
  fields: Record<string, unknown>;
}

/** What became of one row: a record and what was done with it, or the error for that row. */
export interface BaseItem {
  item: number;
  action?: 'found' | 'created' | 'updated' | 'deleted';
  record?: BaseRecord;
  error?: LarkbaseErrorFields;
}

export type LarkbaseErrorCode =
  | 'INVALID_PARAMS' | 'INVALID_VALUE' | 'DUPLICATE_KEY' | 'NOT_FOUND' | 'TOKEN_INVALID'
  | 'AUTH_FAILED' | 'RATE_LIMITED' | 'WRITE_CONFLICT' | 'LARK_ERROR' | 'HTTP_ERROR'
  | 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE' | 'NOT_SENT';

export interface LarkbaseErrorFields {
  message: string;
  code: LarkbaseErrorCode;
  /** One line on what to do about it. */
  hint: string;
  /** For INVALID_PARAMS: the params field at fault. */
  field?: string;
  /** For INVALID_VALUE and DUPLICATE_KEY: the column at fault. */
  column?: string;
  larkCode?: number;
  larkMsg?: string;
  httpStatus?: number;
  attempts: number;
}

/** What a Lark Base call rejects with. No property holds the token or the App Secret. */
export interface LarkbaseError extends Error, LarkbaseErrorFields {
  name: 'LarkbaseError';
}

export interface BaseTable {
  table_id: string;
  name: string;
  revision?: number;
}

export interface BaseField {
  field_id: string;
  field_name: string;
  /** Lark's field type: 1 text, 2 number, 3 single select, 4 multiple select, 5 date, 7 checkbox, 11 person, ... */
  type: number;
  ui_type?: string;
  is_primary: boolean;
  /** Formulas, lookups and the automatic columns, which Lark computes. */
  read_only: boolean;
}

/** A column as n8n's resource mapper takes it. */
export interface BaseMapperField {
  id: string;
  displayName: string;
  required: boolean;
  defaultMatch: boolean;
  canBeUsedToMatch: boolean;
  display: boolean;
  type: 'string' | 'number' | 'boolean' | 'options' | 'dateTime';
  options?: Array<{ name: string; value: string }>;
  readOnly: boolean;
  removed: boolean;
}
"#;
