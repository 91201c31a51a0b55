// A reference for the supervisor idle bench: an empty Deno that does the kinds of I/O the
// supervisor does, with no modules of its own: signal listeners, a child process whose output is
// collected and one whose output is streamed into a file, TCP connects to the registry, and every
// 10 s a state file written atomically (mkdir, write, chmod, rename) plus a connect. The runtime's
// own cost of that work, against which the supervisor's modules and logic are measured.
// Run: deno run --allow-all bench/servers/idle_io.ts REGISTRY_PORT DIR
const [port, dir] = Deno.args;
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT"] as const) {
  Deno.addSignalListener(signal, () => {});
}
await new Deno.Command("sh", { args: ["-c", "echo {}"], stdout: "piped", stderr: "piped" })
  .output();
const service = new Deno.Command("sh", { args: ["-c", "echo started"], stdout: "piped" }).spawn();
const log = await Deno.open(`${dir}/start.log`, { append: true, create: true });
await service.stdout.pipeTo(log.writable);
await service.status;

async function tick(): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  conn.close();
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const temp = `${dir}/data/.check_status.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(temp, new TextEncoder().encode(`active\n${Date.now()}\n`), {
    createNew: true,
  });
  await Deno.chmod(temp, 0o644);
  Deno.renameSync(temp, `${dir}/data/check_status`);
}

await tick();
setInterval(tick, 10_000);
