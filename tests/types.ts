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

// The Lark Base calls.
import { isLarkbaseError, searchRecords, upsertRecords, type BaseItem } from '../js/index';

async function useLarkBase(): Promise<void> {
  const { items } = await upsertRecords({
    base: 'https://acme.larksuite.com/base/bascnA?table=tblB',
    credential: { appId: 'cli_x', appSecret: 'secret', domain: 'lark' },
    keys: ['Email'],
    rows: [{ fields: { Email: 'an@example.vn', Joined: '2026-11-26' } }],
  });
  const first: BaseItem | undefined = items[0];
  const action: 'found' | 'created' | 'updated' | 'deleted' | undefined = first?.action;
  const column: string | undefined = first?.error?.column;
  void [action, column, first?.record?.record_id];
  try {
    const found = await searchRecords({
      base: 'bascnA',
      table: 'tblB',
      accessToken: 't-x',
      filter: { conjunction: 'or', conditions: [{ field_name: 'Email', operator: 'contains', value: ['@example.vn'] }] },
      limit: 10,
    });
    void [found.records.length, found.total];
  } catch (error) {
    if (isLarkbaseError(error)) void [error.code, error.hint, error.larkCode];
  }
  // @ts-expect-error keys are required for an upsert
  await upsertRecords({ base: 'bascnA', accessToken: 't', rows: [] });
  // @ts-expect-error Lark's operators only
  await searchRecords({ base: 'bascnA', accessToken: 't', filter: { conjunction: 'and', conditions: [{ field_name: 'A', operator: 'eq' }] } });
}
void useLarkBase;
