// The least a readiness probe can do in Deno, a reference for the probe bench: read
// $TARS_PATH/data/check_status and exit 0 when it says active or deactivating. No imports.
const [state] = Deno.readTextFileSync(`${Deno.env.get("TARS_PATH")}/data/check_status`).split("\n");
Deno.exit(state === "active" || state === "deactivating" ? 0 : 1);
