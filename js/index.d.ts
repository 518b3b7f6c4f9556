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

export type {
  FetchLike,
  FetchLikeResponse,
  LarkbaseTokenError,
  LarkbaseTokenErrorCode,
  ResendResult,
  TokenParams,
  TokenResult,
  TokenType,
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
