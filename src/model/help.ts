// Help text for dx (shown by `dx -v` and in WinDbg's data model views), attached through
// Symbol.metadataDescriptor (docs/jsprovider.md §1.12).

export interface PropertyMetadata {
  Help: string;
  PreferredRadix?: 10;
}

/** Help text per property; the properties named in `decimal` display in decimal (percentages, counts of a kind users read in decimal). */
export function help(texts: { [property: string]: string }, decimal: string[] = []): { [property: string]: PropertyMetadata } {
  const descriptor: { [property: string]: PropertyMetadata } = {};
  for (const name in texts) descriptor[name] = decimal.indexOf(name) >= 0 ? { Help: texts[name], PreferredRadix: 10 } : { Help: texts[name] };
  return descriptor;
}
