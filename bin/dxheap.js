#!/usr/bin/env node
// `npx dxheap` / `npm run dxheap --`: the TypeScript command line (nodehost/cli.ts) run through
// tsx, a devDependency, so that nothing needs building first.
"use strict";
require("tsx/cjs/api").register();
require("../nodehost/cli.ts").main(process.argv.slice(2));
