/**
 * The bare Worker bench/scale.ts compares the intake with (issue 9 item 5): it reads the request
 * body and answers 202, nothing else. Same runtime, same `wrangler dev`, same compatibility flags
 * as the webhook worker, so the difference in CPU per request is what the pipeline's intake costs.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "GET") return new Response("ok");
    await request.arrayBuffer();
    return new Response(null, { status: 202 });
  },
} satisfies ExportedHandler;
