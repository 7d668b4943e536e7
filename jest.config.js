/** Tests run TypeScript through ts-jest without type-checking (npm run typecheck does that once). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.node.json", isolatedModules: true }] },
};
