import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { OrdersController } from '../orders/orders.controller';
import { AdminController } from './admin.controller';
import { ADMIN_OPENAPI } from './admin-openapi';
import { periodBody, reconcileBody, resyncBody } from './admin-requests';

/** Every route a controller declares, as `method /path/{param}` (OpenAPI's spelling of Nest's `:param`). */
function routesOf(controller: new (...args: never[]) => unknown): string[] {
  const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor')
    .map((name) => prototype[name])
    .filter(
      (handler): handler is object => typeof handler === 'function' && Reflect.hasMetadata(PATH_METADATA, handler),
    )
    .map((handler) => {
      const path = String(Reflect.getMetadata(PATH_METADATA, handler));
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod].toLowerCase();
      const full = `/${[base, path].filter((part) => part && part !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}');
      return `${method} ${full}`;
    });
}

const documented = Object.entries(ADMIN_OPENAPI.paths as Record<string, Record<string, unknown>>).flatMap(
  ([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`),
);

describe('the admin API document (GET /admin/openapi.json)', () => {
  const routes = [...routesOf(AdminController), ...routesOf(OrdersController)].filter(
    (route) => route !== 'get /admin/openapi.json',
  );

  it('documents every route of the admin API', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('documents no admin route that does not exist', () => {
    expect(documented.filter((route) => route.includes(' /admin/') && !routes.includes(route))).toEqual([]);
  });

  it('documents each request body with every field its zod schema validates', () => {
    const bodyOf = (path: string) => {
      const operation = (ADMIN_OPENAPI.paths as Record<string, { post?: { requestBody?: unknown } }>)[path].post;
      return (operation?.requestBody as { content: { 'application/json': { schema: { properties?: object } } } })
        .content['application/json'].schema;
    };
    const fieldsOf = (schema: { properties?: object; anyOf?: { properties?: object }[] }) => [
      ...Object.keys(schema.properties ?? {}),
      ...(schema.anyOf ?? []).flatMap((part) => Object.keys(part.properties ?? {})),
    ];
    const shapeOf = (schema: unknown): string[] => {
      const definition = (schema as { _def: { schema?: unknown; shape?: () => object; options?: unknown[] } })._def;
      if (definition.shape) return Object.keys(definition.shape());
      if (definition.schema) return shapeOf(definition.schema);
      if (definition.options) return definition.options.flatMap(shapeOf);
      return [];
    };
    for (const [path, schema] of [
      ['/admin/reconciliations', reconcileBody],
      ['/admin/reconciliations/periods', periodBody],
      ['/admin/resync', resyncBody],
    ] as const) {
      const fields = shapeOf(schema);
      expect(fields.length).toBeGreaterThan(0);
      expect(new Set(fieldsOf(bodyOf(path) as never))).toEqual(new Set(fields));
    }
  });
});
