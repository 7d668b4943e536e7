// Types and globals of ntdll, from the symbols the debugger has loaded (host.getModuleType,
// host.getModuleSymbolAddress; docs/jsprovider.md §1.7, §1.9). Layouts (src/layouts) ask this, never
// a table of offsets, so every Windows build is read as its own symbols describe it.
import { toNumber } from "./convert";

/** What a layout resolver needs from symbols; tests implement it over plain tables. */
export interface TypeSource {
  /** Offset of a field, or of a dotted path through nested structs ("Counters.LockCollisions"). */
  fieldOffset(type: string, fieldPath: string): number | undefined;
  typeSize(type: string): number | undefined;
  symbolAddress(name: string): number | undefined;
}

export class ModuleSymbols implements TypeSource {
  private readonly types: { [name: string]: host.TypeObject | null } = {};

  /** context: the process whose modules are meant (docs/jsprovider.md §1.7 contextInheritor). */
  constructor(private readonly moduleName: string, private readonly context: object) {}

  fieldOffset(type: string, fieldPath: string): number | undefined {
    let current = this.type(type);
    let offset = 0;
    const parts = fieldPath.split(".");
    for (let i = 0; i < parts.length; i++) {
      const field = current ? fieldOf(current, parts[i]) : undefined;
      if (!field) return undefined;
      offset += toNumber(field.offset);
      current = field.type;
    }
    return offset;
  }

  typeSize(type: string): number | undefined {
    const found = this.type(type);
    return found ? toNumber(found.size) : undefined;
  }

  symbolAddress(name: string): number | undefined {
    try {
      const address = host.getModuleSymbolAddress(this.moduleName, name, this.context);
      return address === null || address === undefined ? undefined : toNumber(address);
    } catch (e) {
      return undefined; // API 1.0 throws for an unknown symbol where 1.1 returns null
    }
  }

  private type(name: string): host.TypeObject | null {
    if (!(name in this.types)) {
      let found: host.TypeObject | null = null;
      try {
        found = host.getModuleType(this.moduleName, name, this.context);
      } catch (e) {
        found = null;
      }
      this.types[name] = found;
    }
    return this.types[name];
  }
}

/**
 * A field by name, or undefined. The provider may answer an unknown name with undefined or by
 * throwing (docs/jsprovider.md §1.9 does not say which): both mean "no such field".
 */
function fieldOf(type: host.TypeObject, name: string): host.FieldObject | undefined {
  try {
    return type.fields[name] || undefined;
  } catch (e) {
    return undefined;
  }
}
