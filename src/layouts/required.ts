// What a layout needs from ntdll's symbols: every missing field offset or type size is collected by
// name while the layout is resolved, so that one message names them all.
import { TypeSource } from "../host/symbols";

export interface RequiredFields {
  /** Names of what the symbols lack, in the order asked. */
  missing: string[];
  /** The field's offset; 0 (and noted missing) when the symbols lack it. */
  need(type: string, field: string): number;
  /** The type's size; 0 (and noted missing) when the symbols lack it or give 0. */
  needSize(type: string): number;
}

export function requiredFields(types: TypeSource): RequiredFields {
  const missing: string[] = [];
  return {
    missing,
    need(type: string, field: string): number {
      const offset = types.fieldOffset(type, field);
      if (offset === undefined) missing.push(`${type}.${field}`);
      return offset === undefined ? 0 : offset;
    },
    needSize(type: string): number {
      const size = types.typeSize(type);
      if (size === undefined || size === 0) missing.push(`sizeof(${type})`);
      return size === undefined ? 0 : size;
    },
  };
}

/** The first three missing names, then how many more. */
export function namedMissing(missing: string[]): string {
  return missing.length <= 3 ? missing.join(", ") : `${missing.slice(0, 3).join(", ")} and ${missing.length - 3} more`;
}
