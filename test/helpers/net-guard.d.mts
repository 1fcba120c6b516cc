/** Types for net-guard.mjs (plain JavaScript so a plain `node --import` can load it into CLI children). */
export declare const NET_GUARD_MARKER: string;
export declare function isLoopback(host: unknown): boolean;
export declare function installNetGuard(): void;
export declare function takeNetGuardViolations(): string[];
