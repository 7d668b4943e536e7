// Help text for dx (shown by `dx -v` and in WinDbg's data model views), attached through
// Symbol.metadataDescriptor (docs/jsprovider.md §1.12).

export function help(texts: { [property: string]: string }): { [property: string]: { Help: string } } {
  const descriptor: { [property: string]: { Help: string } } = {};
  for (const name in texts) descriptor[name] = { Help: texts[name] };
  return descriptor;
}
