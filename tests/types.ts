// Compiled by `tsc --noEmit` only: checks that the published declarations describe real use.
import { getToken, isLarkbaseTokenError, type TokenResult } from '../js/index';

async function useIt(): Promise<void> {
  const token: TokenResult = await getToken({
    appId: 'cli_x',
    appSecret: 'secret',
    tokenType: 'app_access_token',
    domain: 'feishu',
    timeoutMs: 5000,
    fetch: (url, init) => fetch(url, init),
  });
  const bearer: string = `Bearer ${token.access_token}`;
  const seconds: number = token.expires_in;
  const code: number = token.response.code;
  void [bearer, seconds, code, token.request.url];
  try {
    await getToken({ appId: 'cli_x', appSecret: 'secret', domain: 'https://proxy.example.vn/lark' });
  } catch (error) {
    if (isLarkbaseTokenError(error)) {
      const what: 'INVALID_PARAMS' | 'AUTH_FAILED' | string = error.code;
      const hint: string = error.hint;
      const lark: number | undefined = error.larkCode;
      void [what, hint, lark, error.field, error.larkMsg, error.httpStatus];
    }
  }
  // @ts-expect-error appSecret is required
  await getToken({ appId: 'cli_x' });
  // @ts-expect-error only the two self-built token types exist
  await getToken({ appId: 'cli_x', appSecret: 's', tokenType: 'user_access_token' });
}
void useIt;
