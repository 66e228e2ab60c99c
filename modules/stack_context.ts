// The values every module needs, built once and passed first: where resources go (the stack, the region pair,
// the witness region), how they are named (the environment suffix), whose they are (the account) and the
// stack-wide settings. Links between concerns are not here: they stay the named outputs one module hands on.
// Tags need no field: each aliased provider's default_tags carry them (providers.ts).
import type { TerraformStack } from "cdktf";
import type { StackConfig } from "./config.ts";
import {
  configureBackend,
  createRegionPair,
  createWitnessRegion,
  type RegionPair,
  requireTerraform,
  type WitnessContext,
} from "./providers.ts";
import { type NameKind, physicalName, rolePolicyName } from "./naming.ts";
import type { KmsOutputs } from "./kms.ts";
import { metricNamespace } from "../handlers/lib/contract.ts";

export interface StackContext {
  readonly scope: TerraformStack;
  readonly regions: RegionPair;
  readonly witness: WitnessContext;
  /** ENVIRONMENT_SUFFIX: the last part of every physical name. */
  readonly suffix: string;
  readonly accountId: string;
  readonly logRetentionDays: number;
  /** CloudWatch namespace of the stack's own metrics (`TransactionDR/<suffix>`). */
  readonly metricNamespace: string;
  readonly productionProfile: boolean;
  /** Physical name `<base>[-<region>]-<suffix>`, checked against the AWS limit of its kind. */
  readonly name: (kind: NameKind, base: string, region?: string) => string;
  /** Inline role policy name `<base>[-<region>]-<suffix>`. */
  readonly policyName: (base: string, region?: string) => string;
}

/** The context once the region keys exist (they need the service roles, which need the context). */
export interface KeyedStackContext extends StackContext {
  readonly keys: KmsOutputs;
}

/** Terraform version, backend and providers (pair + witness): the context before any resource. */
export function createStackContext(stack: TerraformStack, config: StackConfig): StackContext {
  const suffix = config.environmentSuffix;
  requireTerraform(stack);
  configureBackend(stack, config);
  return {
    scope: stack,
    regions: createRegionPair(stack, config),
    witness: createWitnessRegion(stack, config),
    suffix,
    accountId: config.accountId,
    logRetentionDays: config.logRetentionDays,
    metricNamespace: metricNamespace(suffix),
    productionProfile: config.protection.productionProfile,
    name: (kind, base, region) => physicalName(kind, base, suffix, region),
    policyName: (base, region) => rolePolicyName(base, suffix, region),
  };
}

export function withKeys(ctx: StackContext, keys: KmsOutputs): KeyedStackContext {
  return { ...ctx, keys };
}
