// The orchestrator's lock: Powertools idempotency (INPROGRESS → a second caller gets
// IdempotencyAlreadyInProgressError and backs off; COMPLETED → the stored report is returned; an error
// deletes the record so a retry can act) over a DynamoDB persistence layer written here against
// client-dynamodb alone. Powertools' own DynamoDBPersistenceLayer imports @aws-sdk/util-dynamodb without
// declaring it, which Deno's strict npm resolution refuses; this layer keeps its table layout and its
// conditional write, so the table is the one Powertools documents (partition key `id`, TTL `expiration`).

import { BasePersistenceLayer, IdempotencyRecord } from "@aws-lambda-powertools/idempotency/persistence";
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from "@aws-lambda-powertools/idempotency";
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";

type LockCommand = PutItemCommand | GetItemCommand | UpdateItemCommand | DeleteItemCommand;

/** The one method used: DynamoDBClient satisfies it, tests pass an in-memory table. */
export interface DynamoDbSender {
  send(command: LockCommand): Promise<unknown>;
}

type RecordStatus = ConstructorParameters<typeof IdempotencyRecord>[0]["status"];
type ResponseData = ConstructorParameters<typeof IdempotencyRecord>[0]["responseData"];

const ATTR = {
  key: "id",
  expiry: "expiration",
  inProgressExpiry: "in_progress_expiration",
  status: "status",
  data: "data",
  validation: "validation",
} as const;

export class DynamoDbLockStore extends BasePersistenceLayer {
  constructor(private readonly client: DynamoDbSender, private readonly tableName: string) {
    super();
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const item: Record<string, AttributeValue> = {
      [ATTR.key]: { S: record.idempotencyKey },
      [ATTR.status]: { S: record.getStatus() },
    };
    if (record.expiryTimestamp !== undefined) item[ATTR.expiry] = { N: String(record.expiryTimestamp) };
    if (record.inProgressExpiryTimestamp !== undefined) {
      item[ATTR.inProgressExpiry] = { N: String(record.inProgressExpiryTimestamp) };
    }
    if (record.payloadHash !== undefined) item[ATTR.validation] = { S: record.payloadHash };
    const now = Date.now();
    try {
      // Same condition as Powertools: new key, or expired record, or an INPROGRESS record whose Lambda timed out.
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(#id) OR #expiry < :now OR " +
            "(#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)",
          ExpressionAttributeNames: {
            "#id": ATTR.key,
            "#expiry": ATTR.expiry,
            "#status": ATTR.status,
            "#in_progress_expiry": ATTR.inProgressExpiry,
          },
          ExpressionAttributeValues: {
            ":now": { N: String(now / 1000) },
            ":now_in_millis": { N: String(now) },
            ":inprogress": { S: "INPROGRESS" },
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if ((error as { name?: unknown }).name === "ConditionalCheckFailedException") {
        const old = (error as { Item?: Record<string, AttributeValue> }).Item;
        throw new IdempotencyItemAlreadyExistsError(
          `lock already held or used: ${record.idempotencyKey}`,
          old ? toRecord(old) : undefined,
        );
      }
      throw error;
    }
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [ATTR.key]: { S: idempotencyKey } },
        ConsistentRead: true,
      }),
    ) as GetItemCommandOutput;
    if (!out.Item) throw new IdempotencyItemNotFoundError();
    return toRecord(out.Item);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const names: Record<string, string> = { "#expiry": ATTR.expiry, "#status": ATTR.status };
    const values: Record<string, AttributeValue> = {
      ":expiry": { N: String(record.expiryTimestamp ?? 0) },
      ":status": { S: record.getStatus() },
    };
    const sets = ["#expiry = :expiry", "#status = :status"];
    if (record.responseData !== undefined) {
      // Stored as JSON text: the report is plain JSON, and no marshalling library is needed.
      names["#data"] = ATTR.data;
      values[":data"] = { S: JSON.stringify(record.responseData) };
      sets.push("#data = :data");
    }
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [ATTR.key]: { S: record.idempotencyKey } },
        UpdateExpression: `SET ${sets.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: { [ATTR.key]: { S: record.idempotencyKey } } }),
    );
  }
}

function toRecord(item: Record<string, AttributeValue>): IdempotencyRecord {
  const number = (value: AttributeValue | undefined) => value?.N === undefined ? undefined : Number(value.N);
  const data = item[ATTR.data]?.S;
  return new IdempotencyRecord({
    idempotencyKey: item[ATTR.key]?.S ?? "",
    status: (item[ATTR.status]?.S ?? "EXPIRED") as RecordStatus,
    expiryTimestamp: number(item[ATTR.expiry]),
    inProgressExpiryTimestamp: number(item[ATTR.inProgressExpiry]),
    responseData: data === undefined ? undefined : JSON.parse(data) as ResponseData,
    payloadHash: item[ATTR.validation]?.S,
  });
}
