// Names of code and data addresses as WinDbg writes them: module!symbol+0xoffset, module!symbol at
// the symbol itself, module+0xoffset where the module has no symbols, the bare address outside
// every module. Each distinct address is asked of the debugger once per process
// (host.getModuleContainingSymbolInformation, docs/jsprovider.md §1.7), however many blocks share it.
import { toInt64, toNumber } from "../host/convert";
import { ModuleRange, Target } from "../host/target";
import { hex0x } from "../util/hex";

const VFTABLE = "::`vftable'";

export interface SymbolName {
  /** module!symbol+0xoffset, module+0xoffset, or 0x… */
  text: string;
  module: ModuleRange | undefined;
  /** The symbol's name (without module), when the debugger knows one. */
  symbol: string | undefined;
  /** Address minus the symbol's start (or the module's base when there is no symbol). */
  offset: number;
}

export class Symbolizer {
  // Maps, not objects: a 47-bit address is no array index, and as a property key it would be
  // turned into a string at every look-up.
  private readonly names = new Map<number, SymbolName>();
  /** The vftable class at each module address asked (null: none), made once per address. */
  private readonly classes = new Map<number, string | null>();

  constructor(private readonly target: Target) {}

  name(address: number): SymbolName {
    let found = this.names.get(address);
    if (!found) {
      found = this.resolve(address);
      this.names.set(address, found);
    }
    return found;
  }

  /** The class of a C++ vftable: "Widget" for an address that is exactly Widget::`vftable'. */
  vftableClass(address: number): string | undefined {
    if (!this.target.moduleAt(address)) return undefined; // not code or data of a module: not asked
    let found = this.classes.get(address);
    if (found === undefined) {
      const name = this.name(address);
      const at = name.symbol && name.offset === 0 ? name.symbol.indexOf(VFTABLE) : -1;
      found = at > 0 ? name.symbol!.slice(0, at) : null;
      this.classes.set(address, found);
    }
    return found === null ? undefined : found;
  }

  private resolve(address: number): SymbolName {
    const image = this.target.moduleAt(address);
    if (!image) return { text: hex0x(address), module: undefined, symbol: undefined, offset: 0 };
    let info: host.SymbolInformation | null = null;
    try {
      info = host.getModuleContainingSymbolInformation(toInt64(address), this.target.processObject);
    } catch (e) {
      info = null; // the provider may throw where no symbol contains the address (UNVERIFIED)
    }
    if (info && info.name) {
      // The name may or may not carry "module!" (UNVERIFIED): keep what follows it.
      const symbol = String(info.name).replace(/^[^!]*!/, "");
      const start = toNumber(info.address);
      if (start <= address && start >= image.base) {
        const offset = address - start;
        return { text: `${image.name}!${symbol}${offset ? "+" + hex0x(offset) : ""}`, module: image, symbol, offset };
      }
    }
    const offset = address - image.base;
    return { text: `${image.name}+${hex0x(offset)}`, module: image, symbol: undefined, offset };
  }
}
