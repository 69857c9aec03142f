// Mocha's spec reporter, plus the plain closing line CI reads: "N passed, N failed[, N skipped]".
// With PORTICO_TEST_SUMMARY set, the line is also written to that file, so that the test
// script can print it last, after coverage and clean-up output.
import Mocha from 'mocha';
import { writeFileSync } from 'node:fs';

export default class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      const line = `${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`;
      process.stdout.write(`${line}\n`);
      if (process.env.PORTICO_TEST_SUMMARY) writeFileSync(process.env.PORTICO_TEST_SUMMARY, `${line}\n`);
    });
  }
}
