// Settings of the application tier: instances and the Auto Scaling groups of both regions.
import {
  type CrossRule,
  limited,
  matching,
  type Setting,
  type Values,
  wholeNumber,
} from "../../handlers/lib/settings.ts";
import type { DATABASE_FIELDS } from "./database.ts";

export interface ComputeConfig {
  readonly instanceType: string;
  /** SSM public parameter resolved by EC2 at launch (`resolve:ssm:`), region-specific by itself. */
  readonly amiParameter: string;
  /** Root (gp3) volume of each instance in GiB; explicit, never the AMI's own size. */
  readonly rootVolumeGb: number;
  readonly appPort: number;
  readonly primaryMinSize: number;
  readonly primaryDesiredCapacity: number;
  readonly maxSize: number;
  readonly standbyMinSize: number;
  readonly standbyDesiredCapacity: number;
  readonly healthCheckGraceSeconds: number;
}

const groupSize = wholeNumber(1, 100);

export const COMPUTE_FIELDS = [
  {
    name: "INSTANCE_TYPE",
    ...matching(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "must be an EC2 instance type such as m6i.large"),
    fallback: "m6i.large",
    description: "application instances",
  },
  {
    name: "AMI_PARAMETER",
    ...matching(
      /^\/aws\/service\/[A-Za-z0-9_.\/-]+$/,
      "must be a public SSM parameter path under /aws/service/",
    ),
    fallback: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    description: "public SSM parameter of the AMI",
  },
  // At least the AMI's snapshot (8 GiB for Amazon Linux 2023); 16384 is the gp3 maximum.
  {
    name: "ROOT_VOLUME_GB",
    ...wholeNumber(8, 16384),
    fallback: "20",
    description: "instance root volume (GiB)",
  },
  { name: "APP_PORT", ...wholeNumber(1024, 65535), fallback: "8080", description: "application port" },
  { name: "PRIMARY_MIN_SIZE", ...groupSize, fallback: "2", description: "primary ASG minimum" },
  // The primary's desired capacity is also the standby's capacity after failover (FAILOVER_CAPACITY).
  {
    name: "PRIMARY_DESIRED_CAPACITY",
    ...limited("failoverCapacity"),
    fallback: "2",
    description: "primary ASG desired",
  },
  {
    name: "MAX_SIZE",
    ...limited("failoverCapacity"),
    fallback: "6",
    description: "ASG maximum (both regions)",
  },
  { name: "STANDBY_MIN_SIZE", ...groupSize, fallback: "1", description: "standby ASG minimum" },
  { name: "STANDBY_DESIRED_CAPACITY", ...groupSize, fallback: "1", description: "standby ASG desired" },
  {
    name: "HEALTH_CHECK_GRACE_SECONDS",
    ...wholeNumber(60, 1800),
    fallback: "300",
    description: "ASG grace (>= boot time)",
  },
] as const satisfies readonly Setting[];

type ComputeValues = Values<typeof COMPUTE_FIELDS> & Values<typeof DATABASE_FIELDS>;

export const COMPUTE_RULES: readonly CrossRule<ComputeValues>[] = [
  {
    field: "APP_PORT",
    reads: ["DB_PORT"],
    ok: (v) => v.APP_PORT !== v.DB_PORT,
    message: "must differ from DB_PORT",
  },
  {
    field: "PRIMARY_DESIRED_CAPACITY",
    reads: ["PRIMARY_MIN_SIZE", "MAX_SIZE"],
    ok: (v) => v.PRIMARY_DESIRED_CAPACITY >= v.PRIMARY_MIN_SIZE && v.PRIMARY_DESIRED_CAPACITY <= v.MAX_SIZE,
    message: "must be between PRIMARY_MIN_SIZE and MAX_SIZE",
  },
  {
    field: "STANDBY_DESIRED_CAPACITY",
    reads: ["STANDBY_MIN_SIZE"],
    ok: (v) => v.STANDBY_DESIRED_CAPACITY >= v.STANDBY_MIN_SIZE,
    message: "must be at least STANDBY_MIN_SIZE",
  },
  {
    field: "STANDBY_DESIRED_CAPACITY",
    reads: ["PRIMARY_DESIRED_CAPACITY"],
    ok: (v) => v.STANDBY_DESIRED_CAPACITY < v.PRIMARY_DESIRED_CAPACITY,
    message: "must be below PRIMARY_DESIRED_CAPACITY (the standby is minimal-cost)",
  },
];

export function computeConfig(v: ComputeValues): ComputeConfig {
  return {
    instanceType: v.INSTANCE_TYPE,
    amiParameter: v.AMI_PARAMETER,
    rootVolumeGb: v.ROOT_VOLUME_GB,
    appPort: v.APP_PORT,
    primaryMinSize: v.PRIMARY_MIN_SIZE,
    primaryDesiredCapacity: v.PRIMARY_DESIRED_CAPACITY,
    maxSize: v.MAX_SIZE,
    standbyMinSize: v.STANDBY_MIN_SIZE,
    standbyDesiredCapacity: v.STANDBY_DESIRED_CAPACITY,
    healthCheckGraceSeconds: v.HEALTH_CHECK_GRACE_SECONDS,
  };
}
