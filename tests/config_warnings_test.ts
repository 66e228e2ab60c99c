import assert from "node:assert/strict";
import { editDistance, MAX_TYPO_DISTANCE, settingWarnings } from "../modules/config_warnings.ts";

Deno.test("editDistance(a, b, atMost) is exact up to atMost and above atMost beyond it", () => {
  const pairs: Array<[string, string]> = [
    ["ENVIROMENT_SUFFIX", "ENVIRONMENT_SUFFIX"],
    ["DB_PROT", "DB_PORT"],
    ["AWS_ACOUNT_IDD", "AWS_ACCOUNT_ID"],
    ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "ROUTE53_INTERVAL_SECONDS"],
    ["PATH", "APP_PORT"],
    ["BA", "AB"],
    ["", "DB_PORT"],
  ];
  for (const [a, b] of pairs) {
    const exact = editDistance(a, b);
    for (const atMost of [0, 1, MAX_TYPO_DISTANCE, 5]) {
      const bounded = editDistance(a, b, atMost);
      if (exact <= atMost) assert.equal(bounded, exact, `${a} ${b} within ${atMost}`);
      else assert.ok(bounded > atMost, `${a} ${b} beyond ${atMost}: ${bounded}`);
    }
  }
});

Deno.test("settingWarnings() ignores variables far from every setting and still catches a typo among them", () => {
  const unrelated = Object.fromEntries(
    ["PATH", "HOME", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "PIP_DISABLE_PIP_VERSION_CHECK", "LANG", "_"].map(
      (name) => [name, "x"],
    ),
  );
  assert.deepEqual(settingWarnings(unrelated), []);
  assert.deepEqual(settingWarnings({ ...unrelated, DB_PROT: "5432" }), [
    "DB_PROT is not a setting and is ignored: did you mean DB_PORT?",
  ]);
});
