// Types of placement.mjs for the TypeScript extension-host suite.
export declare function splitPlacement(text: string): { placement: string; rest: string };
export declare function replanLens(titles: string[]): { title: string; before: number; after: number } | undefined;
export declare function planFailureLens(titles: string[]): string | undefined;
export declare function movesLens(titles: string[]): { title: string; maxMoves: number; before: number; after: number; moves: number } | undefined;
export declare function placementEntries(text: string): Map<string, string>;
export declare function changedEntries(a: Map<string, string>, b: Map<string, string>): string[];
