import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { createSchemaRegistry, subjectCompatibility } from './schema-registry';

/**
 * The registry's basic auth (docs/configuration.md: Apicurio's own authentication needs
 * an OIDC server, so the local registry runs without it): a stand-in server records
 * what each client call sends.
 */
describe('schema registry credentials', () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(request.headers.authorization ? 200 : 401, { 'content-type': 'application/json' });
    response.end(request.headers.authorization ? '{"id":7,"compatibility":"BACKWARD"}' : '{"error_code":401}');
  });
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (seen.length = 0));

  const basic = `Basic ${Buffer.from('parity-hub:registry-password').toString('base64')}`;

  it('sends the user name and password with every call: the client library and the compatibility call', async () => {
    const settings = {
      SCHEMA_REGISTRY_URL: url,
      SCHEMA_REGISTRY_USERNAME: 'parity-hub',
      SCHEMA_REGISTRY_PASSWORD: 'registry-password',
    };
    await expect(createSchemaRegistry(settings).getLatestSchemaId('erp.documents.v1-value')).resolves.toBe(7);
    await subjectCompatibility(settings)('erp.documents.v1-value', 'BACKWARD');
    expect(seen.map((headers) => headers.authorization)).toEqual([basic, basic]);
  });

  it('sends no credentials where none are configured, and the refusal names the status', async () => {
    await expect(subjectCompatibility({ SCHEMA_REGISTRY_URL: url })('subject', 'BACKWARD')).rejects.toThrow(
      /compatibility BACKWARD of subject refused: HTTP 401/,
    );
    expect(seen.map((headers) => headers.authorization)).toEqual([undefined]);
  });
});
