// Intentionally empty: the baseline of the probe bench, the cost of starting Deno at all.
