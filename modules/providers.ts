// The region pair: two aliased AWS providers in one stack, each tagging everything it creates; the witness
// region, a third aliased provider outside the pair; and the state backend (local with a relative path, or
// S3 with native locking).
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import type { StackConfig } from "./config.ts";
import type { ProviderRole, RegionRole } from "./naming.ts";

/** Where a resource is made: an aliased provider, its region and its role (the `DR-Role` tag). */
export interface ProviderContext {
  readonly provider: AwsProvider;
  readonly region: string;
  readonly role: ProviderRole;
}

export interface RegionContext extends ProviderContext {
  readonly role: RegionRole;
  /** The other side of the pair. */
  readonly peerRegion: string;
}

/** The witness region: holds only the witness prober (function, its log group and key, role, schedule). */
export interface WitnessContext extends ProviderContext {
  readonly role: "witness";
}

export interface RegionPair {
  readonly primary: RegionContext;
  readonly secondary: RegionContext;
}

/** A value per region role. */
export interface PerRegion<T> {
  readonly primary: T;
  readonly secondary: T;
}

export const ROLES: readonly RegionRole[] = ["primary", "secondary"];

/** Runs `build` once for each side of the pair: regional work is written once. */
export function forEachRegion<T>(regions: RegionPair, build: (region: RegionContext) => T): PerRegion<T> {
  return { primary: build(regions.primary), secondary: build(regions.secondary) };
}

function makeProvider(stack: TerraformStack, config: StackConfig, role: ProviderRole, region: string) {
  return new AwsProvider(stack, role, {
    alias: role,
    region,
    allowedAccountIds: [config.accountId],
    defaultTags: [{
      tags: { Environment: config.environment, "DR-Role": role, "Cost-Center": config.costCenter },
    }],
  });
}

export function createRegionPair(stack: TerraformStack, config: StackConfig): RegionPair {
  const primaryProvider = makeProvider(stack, config, "primary", config.primary.region);
  const secondaryProvider = makeProvider(stack, config, "secondary", config.secondary.region);
  return {
    primary: {
      provider: primaryProvider,
      region: config.primary.region,
      role: "primary",
      peerRegion: config.secondary.region,
    },
    secondary: {
      provider: secondaryProvider,
      region: config.secondary.region,
      role: "secondary",
      peerRegion: config.primary.region,
    },
  };
}

/** The third aliased provider (`DR-Role` = `witness`), in WITNESS_REGION. */
export function createWitnessRegion(stack: TerraformStack, config: StackConfig): WitnessContext {
  const region = config.witness.region;
  return { provider: makeProvider(stack, config, "witness", region), region, role: "witness" };
}

/** Ephemeral variables and write-only arguments (the master password) need Terraform 1.11.1 or later. */
export function requireTerraform(stack: TerraformStack): void {
  // cdktf 0.21 has no typed property for required_version.
  stack.addOverride("terraform.required_version", ">= 1.11.1");
}

/** Folder of the default local state, at the project root: outside the generated tree (cdktf.out/). */
export const STATE_DIR = "state";

/**
 * The local state of a stack as seen from its folder `cdktf.out/stacks/<stack>/`: `state/<stack>/` at the
 * project root, so that no synth, `make clean` or test that replaces generated files can delete it. Relative,
 * so the JSON carries no machine path.
 */
export function localStatePaths(stackName: string): { path: string; workspaceDir: string } {
  const dir = `../../../${STATE_DIR}/${stackName}`;
  return { path: `${dir}/terraform.tfstate`, workspaceDir: `${dir}/terraform.tfstate.d` };
}

/** Local state under state/<stack>/ (see localStatePaths), or S3 when STATE_BUCKET is set. */
export function configureBackend(stack: TerraformStack, config: StackConfig): void {
  if (config.stateBucket === "") {
    new LocalBackend(stack, localStatePaths(stack.node.id));
    return;
  }
  const backend = new S3Backend(stack, {
    bucket: config.stateBucket,
    key: config.stateKey,
    region: config.stateRegion,
    encrypt: true,
  });
  // cdktf 0.21 has no typed property for S3-native locking (Terraform >= 1.10).
  backend.addOverride("use_lockfile", true);
}
