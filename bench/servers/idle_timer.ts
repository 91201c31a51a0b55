// The baseline of the supervisor idle bench: an empty Deno process kept alive by a timer.
setInterval(() => {}, 10_000);
