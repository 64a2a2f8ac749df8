/**
 * A vitest reporter for CI (issue 10 item 17): a line when each test file and each test starts,
 * and the tests running right now in a JSON file (FLATGATE_TEST_PROGRESS_FILE), so that a
 * watchdog ending a stuck run can say which test it was stuck in. The default reporter prints a
 * file only when it ends: a hang showed nothing but the last file that passed.
 */
import { writeFileSync } from "node:fs";
import type { Reporter, TestCase, TestModule } from "vitest/node";

const label = (t: TestCase | TestModule) => {
  const project = t.project.name ? `[${t.project.name}] ` : "";
  return t.type === "module" ? `${project}${t.moduleId.replace(`${process.cwd()}/`, "")}` : `${project}${t.module.moduleId.replace(`${process.cwd()}/`, "")} > ${t.fullName}`;
};

export default class TestProgressReporter implements Reporter {
  private readonly file = process.env.FLATGATE_TEST_PROGRESS_FILE;
  private readonly running = new Map<string, { test: string; started_at: string }>();
  private readonly modules = new Map<string, { module: string; started_at: string }>();

  private save(): void {
    if (!this.file) return;
    const state = { updated_at: new Date().toISOString(), modules: [...this.modules.values()], tests: [...this.running.values()] };
    writeFileSync(this.file, `${JSON.stringify(state, null, 2)}\n`);
  }

  private line(text: string): void {
    process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${text}\n`);
  }

  onTestModuleStart(module: TestModule): void {
    this.modules.set(module.id, { module: label(module), started_at: new Date().toISOString() });
    this.line(`START FILE ${label(module)}`);
    this.save();
  }

  onTestModuleEnd(module: TestModule): void {
    this.modules.delete(module.id);
    this.line(`END   FILE ${label(module)} (${module.state()}, ${Math.round(module.diagnostic().duration)} ms)`);
    // a file that fails before its tests run (import, pool start) says why only at the end of
    // the whole run, which a hang never reaches: say it now
    for (const e of module.errors()) this.line(`ERROR FILE ${label(module)}: ${e.name ?? "Error"}: ${e.message}${e.stack ? `\n${e.stack}` : ""}`);
    this.save();
  }

  onTestCaseReady(test: TestCase): void {
    this.running.set(test.id, { test: label(test), started_at: new Date().toISOString() });
    this.line(`START ${label(test)}`);
    this.save();
  }

  onTestCaseResult(test: TestCase): void {
    this.running.delete(test.id);
    this.save();
  }
}
