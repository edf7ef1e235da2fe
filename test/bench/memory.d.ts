/** Heap in use after two full garbage collections, in bytes. */
export declare function settledHeapUsed(): number;
/** Peak resident set size of this process so far, in bytes. */
export declare function maxRss(): number;
