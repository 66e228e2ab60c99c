// The validation model every table uses (synth's settings, each handler's environment): what a problem line
// says, which rules run when a value is bad, how defaults and empty values are told apart.
import assert from "node:assert/strict";
import {
  ConfigError,
  flag,
  limited,
  matching,
  readSettings,
  settingProblems,
  settingsTable,
  wholeNumber,
} from "../handlers/lib/settings.ts";
import { limitRule } from "../handlers/lib/contract.ts";

const TABLE = settingsTable({
  subject: "sample settings",
  trim: true,
  fields: [
    { name: "REGION", ...matching(/^[a-z]{2}-[a-z]+-\d$/, "must be a region"), fallback: "us-east-1" },
    { name: "ZONES", ...wholeNumber(1, 6), fallback: (texts) => (texts.REGION === "us-east-1" ? "3" : "2") },
    { name: "NAT", ...wholeNumber(0, 6), rules: [{ ok: (n: number) => n !== 5, message: "must not be 5" }] },
    { name: "TIMEOUT_MS", ...limited("checkTimeoutMs"), fallback: "5000" },
    { name: "ENABLED", ...flag, optional: true, description: "on or off" },
  ],
  rules: [{
    field: "NAT",
    reads: ["ZONES"],
    ok: (v) => v.NAT <= v.ZONES,
    message: (v) => `must be at most ZONES (${v.ZONES})`,
  }],
});

Deno.test("readSettings() parses every field, deriving defaults from the fields before", () => {
  assert.deepEqual(readSettings(TABLE, { NAT: " 2 " }), {
    REGION: "us-east-1",
    ZONES: 3,
    NAT: 2,
    TIMEOUT_MS: 5000,
  });
  assert.equal(readSettings(TABLE, { REGION: "eu-west-1", NAT: "1" }).ZONES, 2);
  assert.equal(readSettings(TABLE, { NAT: "1", ENABLED: "false" }).ENABLED, false);
});

Deno.test("settingProblems() reports every problem at once, in field order, each naming field and rule", () => {
  assert.deepEqual(settingProblems(TABLE, { REGION: "mars", NAT: "5", TIMEOUT_MS: "9000", ENABLED: "yes" }), [
    'REGION="mars": must be a region',
    'NAT="5": must not be 5',
    `TIMEOUT_MS="9000": ${limitRule("checkTimeoutMs")}`,
    'ENABLED="yes": must be true or false',
  ]);
  assert.throws(() => readSettings(TABLE, {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      "invalid sample settings:\n  NAT: is not set; must be a whole number from 0 to 6",
    );
    return true;
  });
});

Deno.test("a cross rule runs only when every field it reads is valid: one bad value, one problem", () => {
  assert.deepEqual(settingProblems(TABLE, { NAT: "4" }), ['NAT="4": must be at most ZONES (3)']);
  assert.deepEqual(settingProblems(TABLE, { ZONES: "0", NAT: "4" }), [
    'ZONES="0": must be a whole number from 1 to 6',
  ]);
});

Deno.test("an empty value is an error, never the default or unset; the default still feeds later defaults", () => {
  assert.deepEqual(settingProblems(TABLE, { REGION: "  ", NAT: "3" }), [
    'REGION="  ": is set but empty; unset it to use the default "us-east-1", or give a value',
  ]);
  assert.deepEqual(settingProblems(TABLE, { NAT: "" }), [
    'NAT="": is set but empty; must be a whole number from 0 to 6',
  ]);
  assert.deepEqual(settingProblems(TABLE, { NAT: "1", ENABLED: "" }), [
    'ENABLED="": is set but empty; unset it to use the default (on or off), or give a value',
  ]);
});
