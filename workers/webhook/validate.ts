/** @hono/zod-validator with our error taxonomy: a failed parse is a 422 naming the field. */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { invalidPayload } from "../../lib/errors.js";

export const validate = <T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) =>
  zValidator(target, schema, (result) => {
    if (!result.success) throw invalidPayload(result.error.issues, target === "json" ? "body" : target);
  });
