// Types of placement.mjs for the TypeScript extension-host suite.
export declare function splitPlacement(text: string): { placement: string; rest: string };
export declare function replanLens(titles: string[]): { title: string; before: number; after: number } | undefined;
export declare function planFailureLens(titles: string[]): string | undefined;
