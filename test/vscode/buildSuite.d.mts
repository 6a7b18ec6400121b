// Types of buildSuite.mjs for runTest.ts.
export declare const SUITE_JS: string;
export declare function buildSuite(): Promise<string>;
