// An in-memory DynamoDB for the orchestrator's lock: PutItem/GetItem/UpdateItem/DeleteItem with the
// condition expressions Powertools idempotency writes, evaluated.
import assert from "node:assert/strict";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { DynamoDbSender } from "../handlers/lib/failover_lock.ts";
import type { CallLog } from "./fake_aws.ts";

type Item = Record<string, AttributeValue>;

function evaluateCondition(
  expression: string,
  item: Item | undefined,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): boolean {
  const tokens = expression.match(/\(|\)|[a-z_]+\(|#[A-Za-z_]+|:[A-Za-z_]+|=|<|>|AND|OR/g) ?? [];
  let i = 0;
  const scalar = (v: AttributeValue | undefined) => v?.N !== undefined ? Number(v.N) : v?.S;
  const operand = (token: string) =>
    token.startsWith("#") ? scalar(item?.[names[token]]) : scalar(values[token]);
  const factor = (): boolean => {
    const token = tokens[i++];
    if (token === "(") {
      const value = or();
      assert.equal(tokens[i++], ")");
      return value;
    }
    if (token === "attribute_exists(" || token === "attribute_not_exists(") {
      const name = names[tokens[i++]];
      const exists = item?.[name] !== undefined;
      assert.equal(tokens[i++], ")");
      return token === "attribute_exists(" ? exists : !exists;
    }
    const left = operand(token);
    const op = tokens[i++];
    const right = operand(tokens[i++]);
    if (left === undefined || right === undefined) return false;
    return op === "=" ? left === right : op === "<" ? left < right : left > right;
  };
  const and = (): boolean => {
    let value = factor();
    while (tokens[i] === "AND") {
      i++;
      value = factor() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[i] === "OR") {
      i++;
      value = and() || value;
    }
    return value;
  };
  const result = or();
  assert.equal(i, tokens.length, `unparsed condition: ${expression}`);
  return result;
}

export class FakeDynamoDb implements DynamoDbSender {
  readonly items = new Map<string, Item>();
  constructor(private readonly log: CallLog) {}

  async send(command: { input: unknown; constructor: { name: string } }): Promise<unknown> {
    const kind = command.constructor.name.replace(/Command$/, "");
    const input = command.input as {
      Key?: Item;
      Item?: Item;
      ConditionExpression?: string;
      UpdateExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, AttributeValue>;
    };
    await this.log.record("dynamodb", kind, input);
    const key = (input.Key ?? input.Item)!.id.S!;
    const existing = this.items.get(key);
    switch (kind) {
      case "PutItem": {
        const ok = !input.ConditionExpression ||
          evaluateCondition(
            input.ConditionExpression,
            existing,
            input.ExpressionAttributeNames ?? {},
            input.ExpressionAttributeValues ?? {},
          );
        if (!ok) {
          throw new ConditionalCheckFailedException({
            message: "The conditional request failed",
            $metadata: {},
            Item: existing,
          });
        }
        this.items.set(key, { ...input.Item! });
        return {};
      }
      case "GetItem":
        return existing ? { Item: existing } : {};
      case "UpdateItem": {
        const updated: Item = { ...(existing ?? input.Key!) };
        for (const assignment of input.UpdateExpression!.replace(/^SET /, "").split(",")) {
          const [name, value] = assignment.split("=").map((s) => s.trim());
          updated[input.ExpressionAttributeNames![name]] = input.ExpressionAttributeValues![value];
        }
        this.items.set(key, updated);
        return {};
      }
      case "DeleteItem":
        this.items.delete(key);
        return {};
    }
    throw new Error(`unexpected DynamoDB command ${kind}`);
  }
}
