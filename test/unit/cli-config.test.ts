import { describe, expect, it } from "vitest";
import { configPath, resolveOperatorConfig } from "../../cli/config.js";

const files = (m: Record<string, string>) => (f: string) => m[f];

describe("config resolution", () => {
  it("uses $XDG_CONFIG_HOME when absolute, else ~/.config", () => {
    expect(configPath({ XDG_CONFIG_HOME: "/xdg" }, "/home/a")).toBe("/xdg/flatgate/config.json");
    expect(configPath({}, "/home/a")).toBe("/home/a/.config/flatgate/config.json");
    expect(configPath({ XDG_CONFIG_HOME: "rel" }, "/home/a")).toBe("/home/a/.config/flatgate/config.json");
  });

  it("prefers --url, then the environment, then the file, field by field", () => {
    const readFile = files({ "/home/a/.config/flatgate/config.json": JSON.stringify({ url: "https://file.example", token: "file-token" }) });
    expect(resolveOperatorConfig({ env: {}, homeDir: "/home/a", readFile })).toEqual({ ok: true, value: { url: "https://file.example", token: "file-token" } });
    expect(resolveOperatorConfig({ env: { FLATGATE_URL: "https://env.example" }, homeDir: "/home/a", readFile })).toEqual({ ok: true, value: { url: "https://env.example", token: "file-token" } });
    expect(resolveOperatorConfig({ env: { FLATGATE_URL: "https://env.example", FLATGATE_TOKEN: "env-token" }, homeDir: "/home/a", readFile }, { url: "https://flag.example" })).toEqual({
      ok: true,
      value: { url: "https://flag.example", token: "env-token" },
    });
  });

  it("falls back to a pasted status URL's origin only when nothing names the pipeline", () => {
    const src = { env: { FLATGATE_TOKEN: "t" }, homeDir: "/h", readFile: files({}) };
    expect(resolveOperatorConfig(src, { fallbackUrl: "https://pasted.example" })).toEqual({ ok: true, value: { url: "https://pasted.example", token: "t" } });
    expect(resolveOperatorConfig({ ...src, env: { ...src.env, FLATGATE_URL: "https://env.example" } }, { fallbackUrl: "https://pasted.example" })).toMatchObject({ ok: true, value: { url: "https://env.example" } });
  });

  it("says where to put what is missing, and refuses a malformed file", () => {
    expect(resolveOperatorConfig({ env: {}, homeDir: "/h", readFile: files({}) })).toEqual({ ok: false, error: 'no pipeline URL: pass --url, set FLATGATE_URL, or put "url" in /h/.config/flatgate/config.json' });
    expect(resolveOperatorConfig({ env: { FLATGATE_URL: "http://x" }, homeDir: "/h", readFile: files({}) })).toEqual({ ok: false, error: 'no operator token: set FLATGATE_TOKEN or put "token" in /h/.config/flatgate/config.json' });
    expect(resolveOperatorConfig({ env: {}, homeDir: "/h", readFile: files({ "/h/.config/flatgate/config.json": "{" }) })).toEqual({ ok: false, error: "/h/.config/flatgate/config.json is not valid JSON" });
    expect(resolveOperatorConfig({ env: {}, homeDir: "/h", readFile: files({ "/h/.config/flatgate/config.json": '{"url":"ftp://x","tok":"y"}' }) })).toMatchObject({ ok: false, error: expect.stringMatching(/url: .*; \(root\): Unrecognized key/) });
  });
});
