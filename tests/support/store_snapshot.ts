/**
 * What a registry store holds, read whole into sorted lists, for tests that compare it. The
 * stores have no call of their own for it: the registry only streams a store into memory
 * (`RegistryStore.load`), so this reads through `load` as the registry does.
 *
 * @module
 */
import { compareBy, SERVER_ORDER } from "../../registry/store/snapshot_rows.ts";
import type { NodeRecord, RegistryStore, ServerRecord } from "../../registry/store/types.ts";

/** Every node and server of a store, as of one read. */
export interface StoreSnapshot {
  /** Clock time when the read began, epoch ms. */
  takenAt: number;
  /** All nodes, ordered by name. */
  nodes: NodeRecord[];
  /** All servers, ordered by application, server and node, each with its adapters by name. */
  servers: ServerRecord[];
}

/** Reads `store` whole through `load`, sorted by code unit so that both stores agree. */
export async function readSnapshot(store: Pick<RegistryStore, "load">): Promise<StoreSnapshot> {
  const nodes: NodeRecord[] = [];
  const servers: ServerRecord[] = [];
  const { takenAt } = await store.load({
    node: (record) => nodes.push(record),
    server: (record) => servers.push(record),
  });
  return {
    takenAt,
    nodes: nodes.sort(compareBy<NodeRecord>("nodeName")),
    servers: servers.sort(SERVER_ORDER),
  };
}
