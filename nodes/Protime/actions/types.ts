import type { IDataObject } from 'n8n-workflow';

/** Hands one output item's JSON to the router, which adds `pairedItem` and collects it. */
export type Emit = (json: IDataObject) => void;
