// Types of chromium.mjs for the TypeScript tests.
export declare function findChromium(env?: Record<string, string | undefined>): { ok: true; path: string } | { ok: false; why: string };
export declare function chromiumPath(env?: Record<string, string | undefined>): string;
