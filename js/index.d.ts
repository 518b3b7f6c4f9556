import type {
  FetchLike,
  FetchLikeResponse,
  LarkbaseTokenError,
  LarkbaseTokenErrorCode,
  TokenParams,
  TokenResult,
  TokenType,
} from '../pkg/larkbase_get_token';

export type {
  FetchLike,
  FetchLikeResponse,
  LarkbaseTokenError,
  LarkbaseTokenErrorCode,
  TokenParams,
  TokenResult,
  TokenType,
};

/**
 * Gets a tenant or app access token for a Lark / Feishu self-built app.
 *
 * Resolves to `{ access_token, expires_in, token_type, request: { url }, response: { code, msg } }`;
 * rejects with a {@link LarkbaseTokenError}. Never throws synchronously.
 */
export function getToken(params: TokenParams): Promise<TokenResult>;

/** Tells a getToken rejection apart from other errors. */
export function isLarkbaseTokenError(error: unknown): error is LarkbaseTokenError;
