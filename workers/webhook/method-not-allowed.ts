/**
 * 405 for a known route asked with the wrong method (`PUT /v1/builds`), with an `Allow` header
 * (RFC 9110 §15.5.6), instead of a 404 that suggests the path is wrong (issue 10 item 9).
 * The table is read from the app's own routes, so it cannot drift from them.
 */
export interface RouteLike {
  method: string;
  path: string;
}

/** Hono path patterns: `/a/:name`, `/a/:name{regex}`, `/a/*`. */
function compile(path: string): RegExp {
  const source = path
    .split("/")
    .map((seg) => {
      if (seg === "*") return ".*";
      const param = /^:[A-Za-z_]\w*(?:\{(.+)\})?$/.exec(seg);
      if (param) return param[1] ? `(?:${param[1]})` : "[^/]+";
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/** The methods that have a handler for `path`, given the app's routes (middleware excluded). */
export function allowedMethods(routes: readonly RouteLike[]): (path: string) => string[] {
  let table: { method: string; pattern: RegExp }[] | undefined;
  return (path) => {
    // built on first use: every route is registered by the time a request misses
    table ??= routes.filter((r) => r.method !== "ALL").map((r) => ({ method: r.method, pattern: compile(r.path) }));
    const methods = new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD"); // Hono answers HEAD from the GET handler
    return [...methods].sort();
  };
}
